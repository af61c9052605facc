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

``protect_tree`` protects one grouping and takes every total of it that reaches the threshold as known.
Where the same counts are also published by fewer categories (districts alone, and districts by offence),
those totals are cells of other tables, withheld or not by their own patterns, and two groupings protected
apart can be subtracted from each other. ``protect_lattice`` protects every grouping of a table together,
the coarsest first, so that no combination of them determines a withheld cell. There a vector that cannot
be carried down or lifted as it is need not be: what matters is that every cell it moves is moved by some
valid vector of the finer grouping at the finer level, and such vectors are looked for cell by cell.
"""

from __future__ import annotations

import atexit
import functools
import heapq
import itertools
import pickle
import struct
import subprocess
import sys
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import IO, Any

Key = tuple[Hashable, ...]

# Counts below this many times the threshold are told apart exactly when choosing cells to withhold;
# larger ones by their power of two (``size_classes``).
_EXACT_BELOW = 4
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


# --- Linked tables: every grouping of the same counts -------------------------------------------------------


class _Summed:
    """The coordinate of a category dimension summed over (a cell of a coarser grouping)."""

    def __repr__(self) -> str:
        return "(all)"


_ALL = _Summed()

Grouping = frozenset[int]

# Partner combinations tried for one lift or one share, cheapest first; beyond these the cell is refused.
_MAX_COMBINATIONS = 4096
# Cells an exact solution is looked for among (the work grows with their cube); beyond, only the search.
# Up to ``_SMALL_SOLVED`` cells a solution costs little; larger ones draw on a budget of cells for the
# whole lattice, so that a table that cannot be protected is refused in about a second, not many.
_MAX_SOLVED = 600
_SMALL_SOLVED = 200
_LARGE_SOLVED_BUDGET = 3000
# Cells a vector of changes of one is searched for among, and the partial vectors tried; beyond, refused.
_MAX_SEARCHED = 4000
_MAX_TRIED = 2000
_MAX_CHANGED = 200


def protect_lattice(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> dict[Grouping, frozenset[Key]]:
    """The keys to withhold in every *grouping* of ``cells`` at every level of the tree, when all of them
    may be published: for each set ``S`` of the category dimensions (the caller's dimension numbers; the
    nested one is never summed over), the table of ``cells`` summed over the others, whose keys keep the
    nested coordinate and the coordinates of ``S`` in their order. ``protect_tree`` protects one grouping
    and takes every total of it that reaches the threshold as published; here the totals are the cells of
    the coarser groupings, published or withheld as their own pattern says.

    The groupings are protected from the coarsest (the jurisdictions alone) to the finest, each level of
    the tree top down, as ``protect_tree`` does, with one rule for every vector (``+1/-1`` on withheld
    cells, summing up the tree): it is *valid* when its sum over any set of its category dimensions, at its
    level and every level above, is non-zero only on cells withheld there. A grouping's vectors are the
    cubes around its small cells, carried down level by level, and a *lift* of each vector of every
    grouping one dimension coarser (a vector of this grouping that sums to it): so the vectors of the finest
    grouping move every withheld cell of every grouping and no published one, and no withheld cell is
    determined by all groupings' published cells together. A grouping's pattern depends on its own counts
    and the coarser groupings' alone, and a level's on the levels above, so answers at any grouping and
    level agree.

    Cubes, lifts and ways down are looked for first as single changes (``+1/-1`` on cells, each cell of
    a coarser vector given to one finer cell), cheapest first; where none is valid, as an exact solution
    of the linear conditions (a basic one, over the cells already withheld and the smallest first), kept
    only when it changes each cell by one, and failing that as a solution of changes of one searched for
    depth first. A vector whose cells are all moved by vectors of the finer grouping already needs no
    lift; where a vector has no lift or way down at all, each cell it moves (at its level, above, and
    summed over categories) that no vector of the finer grouping moves yet gets a valid vector of its own
    that moves it, withholding more cells of the finer grouping if need be. Every vector changes
    non-empty cells by one, so the table plus or minus it is another table of whole non-negative counts
    with the same published figures, and every withheld cell of every grouping at every level is moved
    by one of the finest grouping's vectors at the finest level. Raises ``UnprotectableError`` when a
    small cell or a cell to be moved has no valid vector found: coarser groupings and levels are decided
    without looking ahead.

    The pattern depends on the counts only through the ``size_classes`` of the figures (every grouping,
    every level, each summed from the counts first): which figures are empty and which are small is all
    the protection rests on, and a larger figure is compared with others only by its class when choosing
    the cheapest cells to withhold. So a change that moves no figure from one class to another leaves the
    pattern as it was, and ``protect_lattice_cached`` answers it from memory.
    """
    if not cells:
        return {}
    return _lattice(cells, threshold, nesting).answer()


def _lattice(
    cells: Mapping[Key, int], threshold: int, nesting: Mapping[int, Mapping[Hashable, Hashable]] | None
) -> _Lattice:
    for key, count in cells.items():
        if count <= 0:
            raise ValueError(f"cells hold non-empty counts only, got {count} at {key!r}")
    if nesting is not None and len(nesting) > 1:
        raise ValueError("at most one nested dimension")
    nested, parents = next(iter(nesting.items())) if nesting else (None, {})
    return _Lattice(cells, threshold, nested, parents)


def size_classes(cells: Mapping[Key, int], threshold: int) -> dict[Key, int]:
    """Each count as ``protect_lattice`` sees it: one below ``_EXACT_BELOW`` times the threshold as it is
    (every small count among them), a larger one as that bound times the largest power of two it reaches."""
    bound = _EXACT_BELOW * threshold
    if bound < 1:
        return dict(cells)
    return {
        key: count if count < bound else bound << ((count // bound).bit_length() - 1)
        for key, count in cells.items()
    }


# Answers, or the refusals' messages (a refusal takes as long to find as an answer, and is as certain), by
# the counts asked about and by the size classes of every figure of the lattice.
_LATTICE_CACHE: OrderedDict[Hashable, dict[Grouping, frozenset[Key]] | str] = OrderedDict()
_LATTICE_LOCK = threading.Lock()


def protect_lattice_cached(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[int, Mapping[Hashable, Hashable]] | None = None,
) -> dict[Grouping, frozenset[Key]]:
    """``protect_lattice``, remembering its last answers and refusals. The same counts are answered from
    memory at once; other counts whose figures (every grouping, every level) fall in the same size classes
    as remembered ones, once those figures are summed."""
    if not cells:
        return {}
    tree = frozenset((d, frozenset(parents.items())) for d, parents in (nesting or {}).items())
    asked = ("counts", threshold, tree, frozenset(cells.items()))
    remembered = _remembered(asked)
    if remembered is None:
        lattice = _lattice(cells, threshold, nesting)
        classes = ("classes", threshold, tree, frozenset(lattice.count.items()))
        remembered = _remembered(classes)
        if remembered is None:
            if len(cells) < _APART_FROM:
                remembered = _answer_or_refusal(lattice)
            else:
                copied = {d: dict(parents) for d, parents in nesting.items()} if nesting else None
                remembered = _PROTECTOR.protect(dict(cells), threshold, copied)
            _remember(classes, remembered)
        _remember(asked, remembered)
    if isinstance(remembered, str):
        raise UnprotectableError(remembered)
    return dict(remembered)


def _answer_or_refusal(lattice: _Lattice) -> dict[Grouping, frozenset[Key]] | str:
    try:
        return lattice.answer()
    except UnprotectableError as error:
        return str(error)


def _protect_or_refuse(
    cells: dict[Key, int], threshold: int, nesting: dict[int, dict[Hashable, Hashable]] | None
) -> dict[Grouping, frozenset[Key]] | str:
    """``protect_lattice``'s answer or refusal, in the protection process."""
    return _answer_or_refusal(_lattice(cells, threshold, nesting))


# Tables of at least this many cells are protected in a process of their own: the work is all Python, and
# in the server's process it would hold the interpreter's lock, slowing every other request, for as long as
# it takes (up to seconds). One process, so that protection takes at most one core of the machine.
_APART_FROM = 500


class _Protector:
    """A child interpreter that protects tables (``python -m registry.statistics.suppression``), one at a
    time, started on first use: each request and answer a length-prefixed pickle over its standard input
    and output. Nothing of the program that started it (its main module, its threads) is in it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None

    def protect(
        self, cells: dict[Key, int], threshold: int, nesting: dict[int, dict[Hashable, Hashable]] | None
    ) -> dict[Grouping, frozenset[Key]] | str:
        """The answer or refusal, from the child; worked out here when the child cannot give it (it died,
        or cannot start), and a new child is started next time."""
        with self.lock:
            try:
                process = self.process
                if process is None or process.poll() is not None:
                    process = self.process = subprocess.Popen(  # noqa: S603 (this interpreter, this module)
                        [
                            sys.executable,
                            "-m",
                            __spec__.name if __spec__ else "registry.statistics.suppression",
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                    )
                    atexit.register(process.kill)
                assert process.stdin is not None
                assert process.stdout is not None
                _send(process.stdin, (cells, threshold, nesting))
                answer: dict[Grouping, frozenset[Key]] | str = _received(process.stdout)
                return answer
            except (OSError, ValueError, EOFError, pickle.UnpicklingError):
                if self.process is not None:
                    self.process.kill()
                    self.process.wait()
                self.process = None
        return _protect_or_refuse(cells, threshold, nesting)


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


def _received(stream: IO[bytes]) -> Any:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the protection process ended")
    (length,) = struct.unpack("!Q", header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError("the protection process ended")
    return pickle.loads(data)  # noqa: S301 (our own child's answer)


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: a table in, its answer or refusal out, until its input ends."""
    while True:
        try:
            cells, threshold, nesting = _received(requests)
        except EOFError:
            return
        _send(answers, _protect_or_refuse(cells, threshold, nesting))


_PROTECTOR = _Protector()


def _remembered(key: Hashable) -> dict[Grouping, frozenset[Key]] | str | None:
    with _LATTICE_LOCK:
        remembered = _LATTICE_CACHE.get(key)
        if remembered is not None:
            _LATTICE_CACHE.move_to_end(key)
        return remembered


def _remember(key: Hashable, answer: dict[Grouping, frozenset[Key]] | str) -> None:
    with _LATTICE_LOCK:
        _LATTICE_CACHE[key] = answer
        while len(_LATTICE_CACHE) > 2 * _CACHE.size:
            _LATTICE_CACHE.popitem(last=False)


def _subsets(items: Iterable[int]) -> list[frozenset[int]]:
    """Every subset, the smallest first (and in a fixed order among equals)."""
    return list(_subsets_of(tuple(sorted(items))))


@functools.cache
def _subsets_of(items: tuple[int, ...]) -> tuple[frozenset[int], ...]:
    return tuple(
        frozenset(combination)
        for size in range(len(items) + 1)
        for combination in itertools.combinations(items, size)
    )


Vector = dict[Key, int]  # cell -> +1/-1
# An equation of a vector: column -> coefficient (each one), right-hand side.
Equation = tuple[dict[int, int], int]


class _Lattice:
    """Every grouping at every level. Internally a key is ``(node, *categories)`` with ``_ALL`` for each
    category summed over, so one mapping holds the counts of every grouping at every level; a key's
    grouping is the set of positions (1, 2, ...) that are not ``_ALL``."""

    def __init__(
        self,
        cells: Mapping[Key, int],
        threshold: int,
        nested: int | None,
        parents: Mapping[Hashable, Hashable],
    ) -> None:
        self.threshold = threshold
        tree = _Tree(cells, threshold, nested, parents)  # the tree and the finest grouping's counts
        self.depth = tree.depth
        self.level_of = tree.level_of
        self.children = tree.children
        self.categories = tree.categories
        # Each node's ancestors by level, root first, the node itself last.
        self.up: dict[Hashable, list[Hashable]] = {}
        for chain in tree.chains.values():
            for level, node in enumerate(chain):
                self.up.setdefault(node, chain[: level + 1])
        self.groupings = _subsets(range(1, 1 + self.categories))
        self.count: dict[Key, int] = defaultdict(int)
        for (leaf, *rest), n in ((key, n) for key, n in tree.count.items() if key[0] in tree.chains):
            for group in self.groupings:
                coarse = tuple(v if i + 1 in group else _ALL for i, v in enumerate(rest))
                for node in tree.chains[leaf]:
                    self.count[(node, *coarse)] += n
        # Every figure by its size class: the pattern depends on nothing finer (see ``protect_lattice``).
        self.count = size_classes(self.count, threshold)
        self.nested = nested
        self.width = tree.width
        self.cells: dict[tuple[Grouping, int], list[Key]] = defaultdict(list)
        for key in self.count:
            self.cells[(self._grouping(key), self.level_of[key[0]])].append(key)
        self.values: list[list[Hashable]] = [[], *tree.values]  # by position; position 0 is the node
        self.withheld: set[Key] = set()
        self._lines_of: dict[Key, tuple[tuple[Grouping, int, Key], ...]] = {}
        self._orders: dict[Key, str] = {}
        self._large_solved = 0  # cells of the large exact solutions so far (``_LARGE_SOLVED_BUDGET``)

    def _grouping(self, key: Key) -> Grouping:
        return frozenset(i for i in range(1, len(key)) if key[i] is not _ALL)

    def answer(self) -> dict[Grouping, frozenset[Key]]:
        """The keys to withhold in every grouping, in the caller's dimension numbers (see
        ``protect_lattice``)."""
        flat = [d for d in range(self.width) if d != self.nested]
        answer: dict[Grouping, set[Key]] = {
            frozenset(flat[i] for i in group): set() for group in _subsets(range(len(flat)))
        }
        for key in self.protect():
            group = frozenset(flat[i] for i in range(len(flat)) if key[1 + i] is not _ALL)
            values = iter(key[1 + i] for i in range(len(flat)) if key[1 + i] is not _ALL)
            external: list[Hashable] = []
            for d in range(self.width):
                if d == self.nested:
                    external.append(key[0])
                elif d in group:
                    external.append(next(values))
            answer[group].add(tuple(external))
        return {group: frozenset(keys) for group, keys in answer.items()}

    def _lines(self, cell: Key) -> tuple[tuple[Grouping, int, Key], ...]:
        """Every figure ``cell`` is counted in but its own, as ``(summed, to, figure)``: its sum over each set
        ``summed`` of its grouping's category positions at each level ``to`` from the root down to its own.
        Figures at different levels or by different sets are different keys."""
        lines = self._lines_of.get(cell)
        if lines is None:
            level = self.level_of[cell[0]]
            chain = self.up[cell[0]]
            lines = tuple(
                (summed, to, (chain[to], *(_ALL if i + 1 in summed else v for i, v in enumerate(cell[1:]))))
                for summed in _subsets(self._grouping(cell))
                for to in range(level + 1)
                if summed or to != level
            )
            self._lines_of[cell] = lines
        return lines

    def protect(self) -> set[Key]:
        vectors: dict[Grouping, list[Vector]] = {}
        for level in range(self.depth + 1):
            for group in self.groupings:
                own = vectors.get(group, [])
                lost: list[Vector] = []
                if level:
                    carried = [(vector, self._carried_down(group, level, vector)) for vector in own]
                    own = [below for _, below in carried if below is not None]
                    lost = [vector for vector, below in carried if below is None]
                    for vector in own:
                        self.withheld.update(vector)
                # Every cell that a vector of this grouping moves, in it or summed over any of its
                # dimensions, at this level or above: a vector moving none but these needs no lift or way
                # down, as the vectors that move them already keep them undetermined.
                moved = {cell for vector in own for cell in self._moves(vector, group)}
                for vector in lost:
                    covering = self._covering(group, level, self._moves(vector, group), moved)
                    if covering is None:
                        raise UnprotectableError(
                            "The small counts withheld at a higher level cannot be withheld at this one; "
                            "group at a higher jurisdiction level or by fewer dimensions"
                        )
                    for found in covering:
                        self.withheld.update(found)
                        own.append(found)
                        moved |= self._moves(found, group)
                for d in sorted(group):
                    for coarse in vectors[group - {d}]:
                        needed = self._moves(coarse, group - {d})
                        if needed <= moved:
                            continue
                        lift = self._lift(group, level, d, coarse)
                        lifts = [lift] if lift is not None else self._covering(group, level, needed, moved)
                        if lifts is None:
                            raise UnprotectableError(
                                "Small counts withheld in a coarser table cannot stay withheld once this "
                                "grouping is published; group by fewer dimensions or at a higher "
                                "jurisdiction level"
                            )
                        for lift in lifts:
                            self.withheld.update(lift)
                            own.append(lift)
                            moved |= self._moves(lift, group)
                primaries = sorted(
                    (key for key in self.cells[(group, level)] if self.count[key] < self.threshold),
                    key=lambda key: (self.count[key], [_order(v) for v in key]),
                )
                for primary in primaries:
                    if primary in self.withheld:
                        continue
                    cube = self._best_cube(group, level, primary, _FIRST_CHOICES)
                    cube = cube or self._best_cube(group, level, primary, None)
                    if cube is None:
                        # Any valid vector that moves the small cell, among its siblings' cells.
                        places = set(self.children[self.up[primary[0]][level - 1]]) if level else {primary[0]}
                        cube = self._solved(group, level, places, None, {primary: 1})
                    if cube is None:
                        raise UnprotectableError(
                            "A small count cannot be withheld safely at this grouping; group by fewer "
                            "dimensions or at a higher jurisdiction level"
                        )
                    self.withheld.update(cube)
                    own.append(cube)
                vectors[group] = own
        return self.withheld

    def _valid(self, group: Grouping, level: int, vector: Vector, *, above: bool = True) -> bool:
        """Is every sum of ``vector`` (a vector of ``group`` at ``level``) over any set of its category
        dimensions, at its level and (``above``) every level above, non-zero only on withheld cells? Its
        own cells are not asked about: they are the ones it withholds."""
        sums: dict[Key, int] = defaultdict(int)
        for cell, value in vector.items():
            for _, to, line in self._lines(cell):
                if above or to == level:
                    sums[line] += value
        withheld = self.withheld
        return not any(total and line not in withheld for line, total in sums.items())

    def _cost(self, cells: Iterable[Key]) -> tuple[int, int]:
        new = {cell for cell in cells if cell not in self.withheld}
        return (len(new), sum(self.count[cell] for cell in new))

    def _preference(self, cell: Key) -> tuple[int, int, str]:
        return (0 if cell in self.withheld else 1, self.count[cell], self._order(cell))

    def _cheapest_valid(
        self, group: Grouping, level: int, candidates: Iterable[Vector], *, above: bool = True
    ) -> Vector | None:
        # By cost, then by their cells' order; the order is only worked out among candidates of one cost,
        # cheapest first, until one is valid.
        by_cost: dict[tuple[int, int], list[Vector]] = defaultdict(list)
        for vector in itertools.islice(candidates, _MAX_COMBINATIONS):
            by_cost[self._cost(vector)].append(vector)
        for cost in sorted(by_cost):
            tied = by_cost[cost]
            if len(tied) > 1:
                tied.sort(key=lambda vector: sorted(self._order(cell) for cell in vector))
            for vector in tied:
                if self._valid(group, level, vector, above=above):
                    return vector
        return None

    def _order(self, cell: Key) -> str:
        order = self._orders.get(cell)
        if order is None:
            order = self._orders[cell] = _order(cell)
        return order

    def _best_cube(self, group: Grouping, level: int, x: Key, choices: int | None) -> Vector | None:
        """The cheapest valid cube around ``x``: in the nested dimension a sibling or none, in each category
        dimension of ``group`` a partner or none; every corner non-empty."""
        node = x[0]
        siblings: list[Hashable | None] = [None]
        if level:
            places = [
                s for s in self.children[self.up[node][level - 1]] if s != node and (s, *x[1:]) in self.count
            ]
            places.sort(key=lambda sibling: self._preference((sibling, *x[1:])))
            siblings = [*(places[:choices] if choices is not None else places), None]
        options: list[list[Hashable | None]] = [siblings]
        for d in range(1, 1 + self.categories):
            if d not in group:
                options.append([None])
                continue
            partners = [v for v in self.values[d] if v != x[d] and _replace(x, d, v) in self.count]
            partners.sort(key=lambda v, d=d: self._preference(_replace(x, d, v)))  # type: ignore[misc]
            options.append([None, *(partners[:choices] if choices is not None else partners)])

        def cubes() -> Iterable[Vector]:
            for choice in itertools.product(*options):
                corners = _corners(x, choice)
                if all(corner in self.count for corner in corners):
                    yield {
                        corner: (-1) ** sum(a != b for a, b in zip(corner, x, strict=True))
                        for corner in corners
                    }

        return self._cheapest_valid(group, level, cubes())

    def _lift(self, group: Grouping, level: int, d: int, coarse: Vector) -> Vector | None:
        """A valid vector of ``group`` whose sum over dimension ``d`` is ``coarse``: each coarse cell's
        change given to one of its cells by ``d``, the same category for all first."""
        choices = {
            cell: sorted(
                (v for v in self.values[d] if _replace(cell, d, v) in self.count),
                key=lambda v, cell=cell: self._preference(_replace(cell, d, v)),  # type: ignore[misc]
            )
            for cell in coarse
        }
        if any(not found for found in choices.values()):
            return None
        cells = sorted(coarse, key=lambda cell: [_order(v) for v in cell])
        uniform = [
            {_replace(cell, d, v): coarse[cell] for cell in cells}
            for v in self.values[d]
            if all(v in choices[cell] for cell in cells)
        ]
        found = self._cheapest_valid(group, level, uniform)
        if found is not None:
            return found
        mixed = (
            {_replace(cell, d, v): coarse[cell] for cell, v in zip(cells, assignment, strict=True)}
            for assignment in itertools.product(*(choices[cell] for cell in cells))
        )
        found = self._cheapest_valid(group, level, mixed)
        if found is None:
            # Cells of the siblings too: they may cancel what the lift changes in the parents' figures.
            places = {cell[0] for cell in coarse}
            if level:
                places = {child for node in places for child in self.children[self.up[node][level - 1]]}
            found = self._solved(group, level, places, (frozenset({d}), level), coarse)
        return found

    def _moves(self, vector: Vector, group: Grouping) -> set[Key]:
        """The cells ``vector`` (of ``group``) changes, in ``group`` and summed over any of its dimensions,
        at its level and every level above."""
        sums: dict[Key, int] = defaultdict(int)
        for cell, value in vector.items():
            sums[cell] += value
            for _, _, line in self._lines(cell):
                sums[line] += value
        return {line for line, total in sums.items() if total}

    def _covering(
        self, group: Grouping, level: int, needed: set[Key], moved: set[Key]
    ) -> list[Vector] | None:
        """Where a vector (of ``group`` or a coarser grouping) has no lift or way down to ``group`` at
        ``level``: for each cell of ``needed`` (the cells it moves) that no vector of ``group`` moves yet,
        any valid vector of ``group`` at ``level`` that moves it (its sum there one, every other published
        sum zero), among the cells under the cell's parent. None when a cell has none."""
        found: list[Vector] = []
        covered = set(moved)
        for cell in sorted(needed, key=lambda cell: (self.level_of[cell[0]], [_order(v) for v in cell])):
            if cell in covered:
                continue
            to = self.level_of[cell[0]]
            top = self.up[cell[0]][to - 1] if to else cell[0]
            places = {key[0] for key in self.cells[(group, level)] if self.up[key[0]][max(to - 1, 0)] == top}
            line = (frozenset(i for i in group if cell[i] is _ALL), to)
            vector = self._solved(group, level, places, line, {cell: 1}, loose=True)
            if vector is None:
                return None
            found.append(vector)
            covered |= self._moves(vector, group)
        return found

    def _carried_down(self, group: Grouping, level: int, vector: Vector) -> Vector | None:
        """``vector`` one level further down: each cell's change given to one of its children's cells, so
        that the children's changes sum to it, and every sum by fewer categories there is withheld."""
        by_place: dict[Hashable, Vector] = defaultdict(dict)
        for cell, value in vector.items():
            by_place[cell[0]][cell] = value
        below: Vector = {}
        for place in sorted(by_place, key=_order):
            part = by_place[place]
            children = self.children[place]
            cells = sorted(part, key=lambda cell: [_order(v) for v in cell])
            choices = {
                cell: sorted(
                    (c for c in children if (c, *cell[1:]) in self.count),
                    key=lambda c, cell=cell: self._preference((c, *cell[1:])),  # type: ignore[misc]
                )
                for cell in cells
            }
            whole = [
                {(c, *cell[1:]): part[cell] for cell in cells}
                for c in children
                if all(c in choices[cell] for cell in cells)
            ]
            shared = self._cheapest_valid(group, level, whole, above=False)
            if shared is None and all(choices.values()):
                spread = (
                    {(c, *cell[1:]): part[cell] for cell, c in zip(cells, assignment, strict=True)}
                    for assignment in itertools.product(*(choices[cell] for cell in cells))
                )
                shared = self._cheapest_valid(group, level, spread, above=False)
            if shared is None:
                fixed = (frozenset[int](), level - 1)
                shared = self._solved(group, level, set(children), fixed, part, above=False)
            if shared is None:
                return None
            below.update(shared)
        return below

    def _solved(
        self,
        group: Grouping,
        level: int,
        places: set[Hashable],
        fixed: tuple[Grouping, int] | None,
        target: Vector,
        *,
        above: bool = True,
        loose: bool = False,
    ) -> Vector | None:
        """Where no vector of single changes is valid: any vector over the non-empty cells of ``group`` at
        ``level`` at ``places`` whose sum over ``fixed`` (a set of category positions, a level) is
        ``target`` (with no ``fixed`` sum: whose own cells are ``target`` where it says) and whose every
        other sum is zero on each published cell, as exact rationals. Cells
        already withheld, then the smallest, are preferred: the solution is the basic one that sets the
        other cells to zero. Sums at levels above are left out unless ``above`` (a vector carried down:
        they are the sums of ``target``, valid already). With ``loose``, the ``fixed`` sums of withheld cells
        outside ``target`` are free. None when there is none."""
        columns = sorted(
            (key for key in self.cells[(group, level)] if key[0] in places),
            key=lambda key: (*self._preference(key), [_order(v) for v in key]),
        )
        if not columns or len(columns) > _MAX_SEARCHED:
            return None
        rows: dict[tuple[Grouping, int, Key], dict[int, int]] = defaultdict(dict)
        for column, cell in enumerate(columns):
            for summed, to, line in self._lines(cell):
                if not above and to < level and (summed, to) != fixed:
                    continue
                if line not in self.withheld or ((summed, to) == fixed and (not loose or line in target)):
                    rows[(summed, to, line)][column] = 1
        equations: list[Equation] = []
        if fixed is None:
            index = {cell: column for column, cell in enumerate(columns)}
            if any(cell not in index for cell in target):
                return None
            equations += [({index[cell]: 1}, value) for cell, value in target.items()]
        for (summed, to, line), row in rows.items():
            equations.append((row, target.get(line, 0) if (summed, to) == fixed else 0))
        if fixed is not None and any((*fixed, line) not in rows for line in target):
            return None  # a target cell no column sums to
        solvable = len(columns) <= _SMALL_SOLVED or (
            len(columns) <= _MAX_SOLVED and self._large_solved + len(columns) <= _LARGE_SOLVED_BUDGET
        )
        if len(columns) > _SMALL_SOLVED and solvable:
            self._large_solved += len(columns)
        consistent, basic = _solve(equations) if solvable else (True, None)
        if not consistent:
            return None  # no rational solution, so no whole one
        # Only changes of one: the table plus or minus the vector is then another table of non-negative
        # whole counts with the same published figures, not only another rational one. Where the basic
        # solution is not one, such a vector is searched for.
        solution = basic
        if solution is None or any(abs(value) > 1 for value in solution.values()):
            solution = _signed(equations)
        vector = {columns[column]: value for column, value in (solution or {}).items() if value}
        if not vector or any(abs(value) != 1 for value in vector.values()):
            return None
        return vector if self._valid(group, level, vector, above=above) else None


def _signed(equations: list[Equation]) -> dict[int, int] | None:
    """``_signed_by`` trying the preferred cells first, then the changes that meet the most."""
    return _signed_by(equations, greedy=False) or _signed_by(equations, greedy=True)


def _signed_by(equations: list[Equation], *, greedy: bool) -> dict[int, int] | None:
    """A solution of the equations (every coefficient one) that is ``+1``, ``-1`` or zero in each column,
    found depth first: an unmet equation with the fewest columns left is met by one more change, in each
    of its columns in turn (with ``greedy``, those that meet the most other equations first; then the
    lowest, the preferred cell), its own sign first; a column once changed stays. None when there is none
    within ``_MAX_TRIED`` partial solutions of at most ``_MAX_CHANGED`` changes."""
    if any(value != 1 for row, _ in equations for value in row.values()):
        return None
    rows = [sorted(row) for row, _ in equations]
    residual = [rhs for _, rhs in equations]
    free = [len(row) for row in rows]
    equations_of: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        for column in row:
            equations_of[column].append(index)
    unmet = {index for index, value in enumerate(residual) if value}
    changed: dict[int, int] = {}
    tried = 0

    def change(column: int, sign: int) -> None:
        """Change ``column`` by ``sign``, or (0) take its change back."""
        step = sign or -changed.pop(column)
        if sign:
            changed[column] = sign
        for index in equations_of[column]:
            residual[index] -= step
            free[index] += -1 if sign else 1
            if residual[index]:
                unmet.add(index)
            else:
                unmet.discard(index)

    def gain(column: int, sign: int) -> int:
        return sum(abs(residual[i] - sign) - abs(residual[i]) for i in equations_of[column]) if greedy else 0

    def search() -> bool:
        nonlocal tried
        if not unmet:
            return True
        tried += 1
        if tried > _MAX_TRIED or len(changed) >= _MAX_CHANGED:
            return False
        index = min(unmet, key=lambda i: (free[i], i))
        if abs(residual[index]) > free[index]:
            return False
        first = 1 if residual[index] > 0 else -1
        for sign in (first, -first):
            left = [column for column in rows[index] if column not in changed]
            for column in sorted(left, key=lambda column, sign=sign: (gain(column, sign), column)):  # type: ignore[misc]
                change(column, sign)
                if all(abs(residual[i]) <= free[i] for i in equations_of[column]) and search():
                    return True
                change(column, 0)
        return False

    if not search():
        return None
    return dict(changed)


# The prime that ``_solve`` works modulo: rows stay small whatever the elimination does to them.
_PRIME = 2_147_483_647


def _solve(equations: list[Equation]) -> tuple[bool, dict[int, int] | None]:
    """Whether the sparse linear equations (column -> coefficient, right-hand side) have a rational
    solution, and their basic solution (every non-pivot column zero, each row's pivot its lowest column)
    when it is one of small whole numbers. Eliminated modulo ``_PRIME`` to echelon form, then substituted
    back from the last pivot; the residues, read as the nearest whole numbers, are kept only when they
    satisfy every equation exactly (the basic solution, when it is whole and small). Equations that are
    consistent over the rationals are inconsistent modulo the prime only when it divides one of their
    determinants (for these coefficients of one, practically never): then none is reported, which refuses
    no more than a search that finds none."""
    basis: dict[int, tuple[dict[int, int], int]] = {}  # pivot -> its row (coefficient one there), rhs
    for equation, rhs in equations:
        row = {column: value % _PRIME for column, value in equation.items() if value % _PRIME}
        rhs %= _PRIME
        queue = [column for column in row if column in basis]
        heapq.heapify(queue)
        queued = set(queue)
        while queue:  # the row's pivots, lowest first: eliminating one adds only later columns
            pivot = heapq.heappop(queue)
            factor = row.get(pivot)
            if not factor:
                continue
            pivot_row, pivot_rhs = basis[pivot]
            for column, value in pivot_row.items():
                updated = (row.get(column, 0) - factor * value) % _PRIME
                if updated:
                    row[column] = updated
                    if column in basis and column not in queued:
                        queued.add(column)
                        heapq.heappush(queue, column)
                else:
                    row.pop(column, None)
            rhs = (rhs - factor * pivot_rhs) % _PRIME
        if not row:
            if rhs:
                return False, None
            continue
        pivot = min(row)
        inverse = pow(row[pivot], -1, _PRIME)
        basis[pivot] = (
            {column: value * inverse % _PRIME for column, value in row.items()},
            rhs * inverse % _PRIME,
        )
    residues: dict[int, int] = {}
    for pivot in sorted(basis, reverse=True):
        row, rhs = basis[pivot]
        known = sum(value * residues.get(column, 0) for column, value in row.items() if column != pivot)
        residues[pivot] = (rhs - known) % _PRIME
    solution = {
        column: value if value <= _PRIME // 2 else value - _PRIME for column, value in residues.items()
    }
    for equation, rhs in equations:
        if sum(value * solution.get(column, 0) for column, value in equation.items()) != rhs:
            return True, None
    return True, solution


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
