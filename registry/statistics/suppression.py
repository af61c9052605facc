"""Small-cell suppression that cannot be undone by arithmetic, at every level of the jurisdiction tree.

A table is a mapping from keys (one coordinate per dimension) to counts; cells absent from it are known
zeros. One dimension may be *nested*: its coordinates are the leaves of a tree (districts under divisions
under provinces under the nation), and the table is published at every level of that tree — the figure of
each inner node is the sum of its children's. The other dimensions are flat lists of categories; their row
and column totals (sums over any of them) are published too, wherever they reach the threshold.

A cell below the threshold is a *primary* suppression, at whichever level it lies. Protection runs top
down, one level of the tree at a time (as tau-Argus's HiTaS does), and each primary cell not yet withheld
gets a *hypercube* (Giessing and Repsilber's method):

- in the nested dimension the cell is paired with a sibling (a child of the same parent); at the root,
  which has no sibling, the dimension stays single;
- in every flat dimension the cell is paired with another category, or the dimension is left *flat* — only
  where, at every corner, the sum over all flat dimensions is itself below the threshold (a small cell of
  the coarser table, withheld there);
- every corner is a non-empty cell (so the alternative table stays non-negative), and every corner is
  withheld.

The alternating vector ``+1/-1`` over the corners sums to zero along every line of the table and, as the
two siblings cancel in their parent, leaves every figure above unchanged. Below the level where it was
made, the cube is *carried down* one level at a time: each place's corners go to one child that has all of
them, or are shared out among its children where every line total of a child that then changes is itself
a small figure. Every withheld cell below is part of it too. The same vector then changes each withheld
parent by exactly what its withheld children change, and nothing a reader can see; every withheld cell, at
any level, is a corner of such a vector, so none is determined by the figures published at any level.

Choices prefer what is already withheld, then the smallest counts, so the same cells under the same tree
always give the same pattern. Each level is decided from the levels above it alone, so the province table
withholds the same cells whether the tree is protected down to provinces or to districts. Where a cube
cannot be carried down (rare categories spread thinly), the finer level cannot be published at that
grouping and ``UnprotectableError`` says so; the coarser levels are unaffected.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence

Key = tuple[Hashable, ...]

# Partners tried per dimension, best first; more are tried only when these give no valid cube.
_FIRST_CHOICES = 4
_ROOT = ("(the whole table)",)


class UnprotectableError(Exception):
    """No cube protects a small cell: the table must not be published at this grouping."""


def protect(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> frozenset[Key]:
    """The keys of ``cells`` to withhold (every count > 0; all keys of the same length). See
    ``protect_tree``; this is its answer at the leaves."""
    return frozenset(key for key in protect_tree(cells, threshold=threshold, nesting=nesting) if key in cells)


def protect_tree(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> frozenset[Key]:
    """The keys to withhold at every level: keys of ``cells``, and keys whose nested coordinate is an inner
    node of the tree (the cells of that node's figure by the same categories).

    ``nesting[d]`` maps each coordinate of dimension ``d`` to its parent, and each parent to its own, up to
    one top; every leaf must lie at the same depth (give a node with fewer levels above it a chain of
    single-child stand-ins).
    Raises ``UnprotectableError`` when a small cell has no cube that can be carried down to the leaves.
    """
    if not cells:
        return frozenset()
    for key, count in cells.items():
        if count <= 0:
            raise ValueError(f"cells hold non-empty counts only, got {count} at {key!r}")
    if nesting is not None and len(nesting) > 1:
        raise ValueError("at most one nested dimension")
    nested, parents = next(iter(nesting.items())) if nesting else (None, {})
    # A flat dimension with one value throughout adds nothing a reader could sum over: its totals are the
    # table without it, which is protected the same way, so the dimension is left out.
    width = len(next(iter(cells)))
    constant = {
        d: next(iter(cells))[d] for d in range(width) if d != nested and len({key[d] for key in cells}) == 1
    }
    if constant:
        kept = [d for d in range(width) if d not in constant]
        narrow = {tuple(key[d] for d in kept): count for key, count in cells.items()}
        moved = kept.index(nested) if nested is not None else None
        narrowed = protect_tree(
            narrow, threshold=threshold, nesting={moved: parents} if moved is not None else None
        )
        return frozenset(_widened(key, kept, constant) for key in narrowed)
    tree = _Tree(cells, threshold, nested, parents)
    return frozenset(tree.external(key) for key in tree.protect())


def _widened(key: Key, kept: list[int], constant: Mapping[int, Hashable]) -> Key:
    values = dict(zip(kept, key, strict=True)) | dict(constant)
    return tuple(values[d] for d in range(len(values)))


class _Cache:
    """The last answers of ``protect_tree``, keyed by everything they depend on. A national table takes
    a fraction of a second to protect; the same counts are asked for again and again between changes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.answers: OrderedDict[Hashable, frozenset[Key]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> frozenset[Key] | None:
        with self.lock:
            answer = self.answers.get(key)
            if answer is not None:
                self.answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, answer: frozenset[Key]) -> None:
        with self.lock:
            self.answers[key] = answer
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)


_CACHE = _Cache(size=64)


def protect_tree_cached(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> frozenset[Key]:
    """``protect_tree``, remembering its last answers (not its errors)."""
    key = (
        threshold,
        frozenset((d, frozenset(parents.items())) for d, parents in (nesting or {}).items()),
        frozenset(cells.items()),
    )
    answer = _CACHE.get(key)
    if answer is None:
        answer = protect_tree(cells, threshold=threshold, nesting=nesting)
        _CACHE.put(key, answer)
    return answer


def _order(value: object) -> str:
    """A total order over coordinates of any type, so that ties break the same way every time."""
    return repr(value)


class _Tree:
    """The table at every level of the tree. Internally a key is ``(node, *categories)``; a node names its
    level (nodes are distinct across levels), so one mapping holds the counts of every level."""

    def __init__(
        self,
        cells: Mapping[Key, int],
        threshold: int,
        nested: int | None,
        parents: Mapping[Hashable, Hashable],
    ) -> None:
        self.threshold = threshold
        self.nested = nested
        width = len(next(iter(cells)))
        self.width = width
        self.categories = width - (1 if nested is not None else 0)
        leaves = {self._split(key)[0] for key in cells}
        # Each leaf's ancestors, root first, the leaf last.
        chains: dict[Hashable, list[Hashable]] = {}
        for leaf in leaves:
            chain = [leaf]
            while chain[-1] in parents:
                chain.append(parents[chain[-1]])
                if len(chain) > 64:
                    raise ValueError(f"the tree above {leaf!r} has a cycle")
            chains[leaf] = chain[::-1]
        if nested is None:
            chains = {leaf: [_ROOT] for leaf in chains}
        elif len({chain[0] for chain in chains.values()}) > 1:
            raise ValueError("the tree must have one top (the nation, or the whole table)")
        depths = {len(chain) for chain in chains.values()}
        if len(depths) != 1:
            raise ValueError("every leaf of the tree must lie at the same depth")
        self.depth = depths.pop() - 1  # the leaves' level; the root is level 0
        self.chains = chains
        self.level_of: dict[Hashable, int] = {}
        self.parent: dict[Hashable, Hashable] = {}
        self.leaves_under: dict[Hashable, list[Hashable]] = defaultdict(list)
        for leaf, chain in sorted(chains.items(), key=lambda item: _order(item[0])):
            for level, node in enumerate(chain):
                self.level_of[node] = level
                self.leaves_under[node].append(leaf)
                if level:
                    self.parent[node] = chain[level - 1]
        self.children: dict[Hashable, list[Hashable]] = defaultdict(list)
        for node, parent in self.parent.items():
            self.children[parent].append(node)
        for siblings in self.children.values():
            siblings.sort(key=_order)
        self.count: dict[Key, int] = defaultdict(int)
        self.leaf_keys: dict[Key, Key] = {}
        for key, n in cells.items():
            leaf, rest = self._split(key)
            for node in chains[leaf]:
                self.count[(node, *rest)] += n
            self.leaf_keys[(leaf, *rest)] = key
        self.count = dict(self.count)
        self.by_level: dict[int, list[Key]] = defaultdict(list)
        for key in self.count:
            self.by_level[self.level_of[key[0]]].append(key)
        self.values: list[list[Hashable]] = [
            sorted({key[1 + d] for key in self.count}, key=_order) for d in range(self.categories)
        ]
        self._flat_sums: dict[frozenset[int], dict[Key, int]] = {}
        self.withheld: set[Key] = set()

    def _split(self, key: Key) -> tuple[Hashable, Key]:
        if self.nested is None:
            return _ROOT, key
        return key[self.nested], (*key[: self.nested], *key[self.nested + 1 :])

    def external(self, key: Key) -> Key:
        """The caller's key for an internal one."""
        node, rest = key[0], key[1:]
        if self.nested is None:
            return rest
        return (*rest[: self.nested], node, *rest[self.nested :])

    def flat_sum(self, flat: frozenset[int], key: Key) -> int:
        """The sum over the whole range of the ``flat`` category dimensions, the rest fixed at ``key``'s."""
        sums = self._flat_sums.get(flat)
        if sums is None:
            sums = defaultdict(int)
            for cell, n in self.count.items():
                sums[_project(cell, flat)] += n
            self._flat_sums[flat] = sums = dict(sums)
        return sums.get(_project(key, flat), 0)

    def protect(self) -> set[Key]:
        vectors: list[dict[Key, int]] = []  # the cubes made so far, carried down to the current level
        for level in range(self.depth + 1):
            if level:
                vectors = [self._carried_down(vector) for vector in vectors]
                for vector in vectors:
                    self.withheld.update(vector)
            primaries = sorted(
                (key for key in self.by_level[level] if self.count[key] < self.threshold),
                key=lambda key: (self.count[key], [_order(v) for v in key]),
            )
            for primary in primaries:
                if primary in self.withheld:
                    continue  # a corner of a cube already: not determined
                cube = self._best_cube(primary, _FIRST_CHOICES) or self._best_cube(primary, None)
                if cube is None:
                    raise UnprotectableError(
                        "A small count cannot be withheld safely at this grouping; group by fewer "
                        "dimensions or at a higher jurisdiction level"
                    )
                self.withheld.update(cube)
                vectors.append(cube)
        return self.withheld

    def _best_cube(self, x: Key, choices: int | None) -> dict[Key, int] | None:
        """The cheapest valid cube around ``x`` (fewest cells newly withheld, then the smallest total
        withheld) as its vector, corner -> +1/-1; None when there is none."""
        node = x[0]
        options: list[list[Hashable | None]] = [[None]]  # the root: no sibling, no figure above it
        if node in self.parent:
            places = [
                sibling
                for sibling in self.children[self.parent[node]]
                if sibling != node and (sibling, *x[1:]) in self.count
            ]
            places.sort(key=lambda sibling: self._preference((sibling, *x[1:])))
            options = [list(places[:choices] if choices is not None else places)]
        for d in range(1, 1 + self.categories):
            partners = [v for v in self.values[d - 1] if v != x[d] and _replace(x, d, v) in self.count]
            partners.sort(key=lambda v, d=d: self._preference(_replace(x, d, v)))  # type: ignore[misc]
            options.append([None, *(partners[:choices] if choices is not None else partners)])
        best: tuple[tuple[int, int], list[Key]] | None = None
        for choice in itertools.product(*options):
            corners = _corners(x, choice)
            if any(corner not in self.count for corner in corners):
                continue
            flat = frozenset(d for d, v in enumerate(choice) if v is None and d > 0)
            if flat and any(self.flat_sum(flat, corner) >= self.threshold for corner in corners):
                continue
            cost = self._cost(corners)
            if best is None or cost < best[0]:
                best = (cost, corners)
                if cost == (0, 0):
                    break
        if best is None:
            return None
        return {corner: (-1) ** sum(a != b for a, b in zip(corner, x, strict=True)) for corner in best[1]}

    def _carried_down(self, vector: dict[Key, int]) -> dict[Key, int]:
        """A cube's vector one level further down: each withheld cell is the sum of withheld cells below it
        that change by the same amount. A place's corners go to one child that has all of them when there
        is one; otherwise they are shared out among its children, as long as every line total of a child
        that then changes is a small figure (withheld in its own table). When they cannot be, figures at
        this level cannot be published (the levels above are not affected)."""
        by_place: dict[Hashable, dict[Key, int]] = defaultdict(dict)
        for cell, value in vector.items():
            by_place[cell[0]][cell[1:]] = value
        below: dict[Key, int] = {}
        for place in sorted(by_place, key=_order):
            shared = self._share(place, by_place[place])
            if shared is None:
                raise UnprotectableError(
                    "The small counts withheld at a higher level cannot be withheld at this one; group at "
                    "a higher jurisdiction level or by fewer dimensions"
                )
            below.update(shared)
        return below

    def _share(self, place: Hashable, vector: dict[Key, int]) -> dict[Key, int] | None:
        """The vector (categories -> +1/-1) at ``place`` given out to its children, cheapest first."""
        children = self.children[place]
        present = {child: [rest for rest in vector if (child, *rest) in self.count] for child in children}
        whole = [child for child in children if len(present[child]) == len(vector)]
        if whole:
            best = min(whole, key=lambda child: self._cost((child, *rest) for rest in vector))
            return {(best, *rest): value for rest, value in vector.items()}
        ranked = sorted(
            (child for child in children if present[child]),
            key=lambda child: (-len(present[child]), self._cost((child, *r) for r in present[child])),
        )
        for anchor in ranked:
            order = [anchor, *(child for child in ranked if child != anchor)]
            given: dict[Key, int] = {}
            for rest, value in vector.items():
                child = next((c for c in order if (c, *rest) in self.count), None)
                if child is None:
                    return None
                given[(child, *rest)] = value
            if self._lines_hidden(given):
                return given
        return None

    def _lines_hidden(self, vector: dict[Key, int]) -> bool:
        """Is every line total that ``vector`` changes (over any set of category dimensions, at any one
        place) a small figure?"""
        for size in range(1, self.categories + 1):
            for flat in itertools.combinations(range(1, 1 + self.categories), size):
                dims = frozenset(flat)
                sums: dict[Key, int] = defaultdict(int)
                for cell, value in vector.items():
                    sums[_project(cell, dims)] += value
                for line, total in sums.items():
                    if total and self.flat_sum(dims, line) >= self.threshold:
                        return False
        return True

    def _cost(self, cells: Iterable[Key]) -> tuple[int, int]:
        new = [cell for cell in cells if cell not in self.withheld]
        return (len(new), sum(self.count[cell] for cell in new))

    def _preference(self, cell: Key) -> tuple[int, int, str]:
        """Partners already withheld first, then the smallest count."""
        return (0 if cell in self.withheld else 1, self.count[cell], _order(cell))


def _project(key: Key, flat: frozenset[int]) -> Key:
    return tuple(None if d in flat else value for d, value in enumerate(key))


def _replace(key: Key, d: int, value: Hashable) -> Key:
    return (*key[:d], value, *key[d + 1 :])


def _corners(x: Key, choice: Sequence[Hashable | None]) -> list[Key]:
    axes: list[Iterable[Hashable]] = [
        (x[d],) if partner is None else (x[d], partner) for d, partner in enumerate(choice)
    ]
    return [tuple(corner) for corner in itertools.product(*axes)]
