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
made, the cube is *carried down*: for each of its places a chain of descendants, one per level down to a
leaf, that has every corner's categories non-empty, and every cell along it is withheld too. The same
vector on the chain's cells then changes each withheld parent by exactly what its withheld child changes,
and nothing a reader can see. Every withheld cell, at any level, is a corner of such a cube, so none is
determined by the figures published at any level.

Choices prefer what is already withheld, then the smallest counts, so the same cells under the same tree
always give the same pattern. Because every level is decided before the ones below it, and a cube is made
only where it can be carried down to the leaves, the pattern at one level does not depend on how deep a
reader asks: the province table withholds the same cells whether it is read alone or beside the districts.
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
        for level in range(self.depth + 1):
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
                        "a small count cannot be withheld safely at this grouping; group by fewer "
                        "dimensions or at a higher jurisdiction level"
                    )
                self.withheld.update(cube)
        return self.withheld

    def _best_cube(self, x: Key, choices: int | None) -> list[Key] | None:
        """The cells of the cheapest valid cube around ``x`` with its chains down to the leaves: fewest
        cells newly withheld, then the smallest total withheld; None when there is none."""
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
            cells = self._carried_down(corners)
            if cells is None:
                continue
            new = [cell for cell in cells if cell not in self.withheld]
            cost = (len(new), sum(self.count[cell] for cell in new))
            if best is None or cost < best[0]:
                best = (cost, cells)
                if cost == (0, 0):
                    break
        return best[1] if best is not None else None

    def _carried_down(self, corners: list[Key]) -> list[Key] | None:
        """The corners and, for each of their places, the cheapest chain of descendants to a leaf with all
        the corners' categories non-empty; None when some place has no such chain."""
        level = self.level_of[corners[0][0]]
        categories = sorted({corner[1:] for corner in corners}, key=_order)
        cells = list(corners)
        for place in sorted({corner[0] for corner in corners}, key=_order):
            best: tuple[tuple[int, int, str], list[Key]] | None = None
            for leaf in self.leaves_under[place]:
                if any((leaf, *rest) not in self.count for rest in categories):
                    continue
                chain = [(node, *rest) for node in self.chains[leaf][level + 1 :] for rest in categories]
                new = [cell for cell in chain if cell not in self.withheld]
                cost = (len(new), sum(self.count[cell] for cell in new), _order(leaf))
                if best is None or cost < best[0]:
                    best = (cost, chain)
            if best is None:
                return None
            cells.extend(best[1])
        return cells

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
