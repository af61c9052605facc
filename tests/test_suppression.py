"""Small-cell suppression, attacked: can a withheld small cell be worked out from what is published?

The attacker modelled here is a careful reader with a pencil and exact arithmetic. Given a table and the set
``W`` of withheld keys that ``protect`` returned, the reader knows:

1. every published cell (every key not in ``W``) and its count; every key absent from the table is 0;
2. every *figure* of the table whose value is at least the threshold (or 0): for each non-empty subset of
   dimensions, the sums over those dimensions with the other coordinates fixed (row and column totals, the
   grand total, ...). Along a nested dimension (the jurisdiction tree) a sum is published at every level of
   the tree: the children of one parent sum to the parent's figure, the parents of one grandparent to the
   grandparent's, and everything to the whole-dimension total. A figure with ``0 < value < threshold`` is a
   small cell of a coarser table, withheld there, so the reader does *not* know it.

The withheld counts are the unknowns; each known figure is one linear equation over them (its value minus
the published cells it covers). A withheld small cell is *disclosed* when these equations fix its value,
i.e. when its unit vector lies in the row space of the equations. ``Attacker`` decides that with exact
Gaussian elimination over ``Fraction``; for every withheld cell it either produces the value it worked out
(checked against the true count) or an alternative table that changes the cell and none of the known
figures (checked by recomputing the figures), so the helper proves each of its answers.

The properties: on random one-, two- and three-dimensional tables, with and without a nested first
dimension, ``protect`` withholds every small cell, withholds only non-empty cells, discloses none, builds
each protection from the hypercubes its specification describes, gives the same answer for the same cells
whoever asks, and raises ``UnprotectableError`` only when a small cell has no valid hypercube at all.
``protect`` is told the whole tree (every node -> its parent), except in the test that tells it only each
coordinate's parent group, as its docstring describes. A reader may also hold two releases at once: the
national table and one parent group's own table; a cell is then unknown only if both withhold it.

The tables are small (at most about a hundred cells), so the elimination runs in pure Python.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, currently_in_test_context, event, given, note, settings
from hypothesis import strategies as st

from registry.statistics.suppression import Key, UnprotectableError, protect, protect_tree

Nesting = Mapping[int, Mapping[Hashable, Hashable]]
Tree = dict[Hashable, Hashable]  # child -> parent
# A published figure: for each dimension, the level it is summed to (0: not summed) and the label there.
FigureId = tuple[tuple[int, Hashable], ...]
Ladders = list[dict[Hashable, tuple[tuple[int, Hashable], ...]]]

WHOLE_DIMENSION = "(whole dimension)"


# --- What a reader can work out ---------------------------------------------------------------------------


def _ancestry(node: Hashable, parents: Mapping[Hashable, Hashable]) -> list[Hashable]:
    """``node`` and its ancestors, nearest first."""
    chain = [node]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
        if len(chain) > 64:
            raise ValueError(f"the tree above {node!r} has a cycle")
    return chain


def _ladders(keys: Iterable[Key], nesting: Nesting | None) -> Ladders:
    """For each dimension and coordinate, the figures it is summed into, from itself up to the total.

    A flat dimension has two rungs (the coordinate, the whole dimension); a nested one has a rung for every
    ancestor in ``nesting[d]`` (followed upwards, so a mapping that also gives the parents' parents describes a
    three-level tree).
    """
    keys = list(keys)
    if not keys:
        return []
    ladders: Ladders = []
    for d in range(len(keys[0])):
        parents = (nesting or {}).get(d, {})
        chains = {key[d]: _ancestry(key[d], parents) for key in keys}
        depths = {len(chain) for chain in chains.values()}
        if len(depths) != 1:
            raise ValueError(f"dimension {d}: every coordinate must sit at the same depth of the tree")
        ladders.append(
            {
                coordinate: (*enumerate(chain), (len(chain), WHOLE_DIMENSION))
                for coordinate, chain in chains.items()
            }
        )
    return ladders


def _figures_of(key: Key, ladders: Ladders) -> Iterator[FigureId]:
    """Every published figure (other than the cell itself) that ``key`` counts towards."""
    for figure in itertools.product(*(ladders[d][coordinate] for d, coordinate in enumerate(key))):
        if any(level for level, _ in figure):
            yield figure


def figure_values(values: Mapping[Key, int | Fraction], nesting: Nesting | None) -> dict[FigureId, Fraction]:
    """The value of every non-zero figure of a table (``values`` may be an altered, fractional table)."""
    ladders = _ladders(values, nesting)
    totals: dict[FigureId, Fraction] = defaultdict(Fraction)
    for key, value in values.items():
        for figure in _figures_of(key, ladders):
            totals[figure] += value
    return dict(totals)


def known_figures(cells: Mapping[Key, int], threshold: int, nesting: Nesting | None) -> set[FigureId]:
    """The figures a reader is given: those at or above the threshold (zero figures cover no cell)."""
    return {figure for figure, value in figure_values(cells, nesting).items() if value >= threshold}


Row = dict[int, Fraction]


def _subtract(row: Row, factor: Fraction, other: Row) -> None:
    """``row -= factor * other``, dropping zeros."""
    for column, value in other.items():
        updated = row.get(column, Fraction(0)) - factor * value
        if updated:
            row[column] = updated
        else:
            row.pop(column, None)


class Attacker:
    """A reader of the published table who solves the linear equations it implies, exactly."""

    def __init__(
        self,
        cells: Mapping[Key, int],
        withheld: Iterable[Key],
        threshold: int,
        nesting: Nesting | None = None,
        withheld_figures: Iterable[FigureId] = (),
    ) -> None:
        # Withheld keys absent from the table are known zeros: not unknowns.
        self.unknowns = sorted({key for key in withheld if key in cells}, key=repr)
        column_of = {key: i for i, key in enumerate(self.unknowns)}
        ladders = _ladders(cells, nesting)
        totals: dict[FigureId, int] = defaultdict(int)
        published_part: dict[FigureId, int] = defaultdict(int)
        hidden: dict[FigureId, set[int]] = defaultdict(set)
        for key, count in cells.items():
            for figure in _figures_of(key, ladders):
                totals[figure] += count
                if key in column_of:
                    hidden[figure].add(column_of[key])
                else:
                    published_part[figure] += count
        # One equation per known figure covering a withheld cell: sum of its withheld cells = value - rest.
        equations: dict[frozenset[int], int] = {}
        unknown_figures = set(withheld_figures)
        for figure, columns in hidden.items():
            if totals[figure] >= threshold and figure not in unknown_figures:
                equations[frozenset(columns)] = totals[figure] - published_part[figure]
        self.equation_count = len(equations)
        # Reduced row echelon form, kept reduced: pivot column -> (row, right-hand side).
        self._basis: dict[int, tuple[Row, Fraction]] = {}
        for covered, value in sorted(equations.items(), key=lambda item: sorted(item[0])):
            self._add(dict.fromkeys(covered, Fraction(1)), Fraction(value))

    def _add(self, row: Row, rhs: Fraction) -> None:
        for pivot in [column for column in row if column in self._basis]:
            factor = row.get(pivot)
            if factor:
                pivot_row, pivot_rhs = self._basis[pivot]
                _subtract(row, factor, pivot_row)
                rhs -= factor * pivot_rhs
        if not row:
            if rhs:
                raise AssertionError("the published figures contradict each other")
            return
        pivot = min(row)
        scale = row[pivot]
        row = {column: value / scale for column, value in row.items()}
        rhs /= scale
        for other, (other_row, other_rhs) in list(self._basis.items()):
            factor = other_row.get(pivot)
            if factor:
                _subtract(other_row, factor, row)
                self._basis[other] = (other_row, other_rhs - factor * rhs)
        self._basis[pivot] = (row, rhs)

    def determines(self, keys: Iterable[Key]) -> bool:
        """Do the equations fix the sum of ``keys`` (published ones are known; withheld ones unknown)?"""
        row: Row = {self.unknowns.index(key): Fraction(1) for key in keys if key in self.unknowns}
        for pivot in [column for column in row if column in self._basis]:
            factor = row.get(pivot)
            if factor:
                _subtract(row, factor, self._basis[pivot][0])
        return not row

    @property
    def worked_out(self) -> dict[Key, Fraction]:
        """Each withheld cell whose value the equations fix, with that value."""
        return {
            self.unknowns[pivot]: rhs for pivot, (row, rhs) in self._basis.items() if row.keys() == {pivot}
        }

    def freedom(self, key: Key) -> dict[Key, Fraction]:
        """A change to the withheld cells that moves ``key`` and leaves every known figure as it is."""
        column = self.unknowns.index(key)
        if column in self._basis:
            row, _ = self._basis[column]
            free = [other for other in row if other != column]
            if not free:
                raise ValueError(f"{key!r} is worked out: nothing can move it")
            column = free[0]
        change = {column: Fraction(1)}
        for pivot, (row, _) in self._basis.items():
            if column in row:
                change[pivot] = -row[column]
        return {self.unknowns[i]: value for i, value in change.items()}


def determined_cells(
    cells: Mapping[Key, int], withheld: Iterable[Key], threshold: int, nesting: Nesting | None = None
) -> set[Key]:
    """The withheld cells whose counts a reader can work out from the published table."""
    return set(Attacker(cells, withheld, threshold, nesting).worked_out)


# --- Tables built by hand: the helper on cases whose answer is known ---------------------------------------


def grid(rows: Sequence[Sequence[int]]) -> dict[Key, int]:
    """A two-dimensional table ``(r<i>, c<j>)``; zeros are left out, as ``protect`` expects."""
    return {(f"r{i}", f"c{j}"): count for i, row in enumerate(rows) for j, count in enumerate(row) if count}


def test_one_withheld_cell_is_worked_out_from_its_row_total() -> None:
    cells = grid([[1, 7, 8], [9, 6, 5]])
    attacker = Attacker(cells, {("r0", "c0")}, threshold=5)
    assert attacker.worked_out == {("r0", "c0"): 1}


def test_withheld_rectangle_cannot_be_worked_out_from_row_and_column_totals() -> None:
    cells = grid([[1, 7, 8], [9, 6, 5], [6, 6, 6]])
    rectangle = {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    attacker = Attacker(cells, rectangle, threshold=5)
    assert attacker.worked_out == {}
    assert attacker.freedom(("r0", "c0")) in (
        {("r0", "c0"): 1, ("r0", "c1"): -1, ("r1", "c0"): -1, ("r1", "c1"): 1},
        {("r0", "c0"): -1, ("r0", "c1"): 1, ("r1", "c0"): 1, ("r1", "c1"): -1},
    )


def test_cell_bridging_two_withheld_rectangles_is_worked_out_although_every_line_hides_two() -> None:
    # Rows r0-r1 x columns c0-c1 and rows r2-r3 x columns c2-c3 are withheld rectangles; (r1, c2) joins them.
    # Rows r0 + r1 minus columns c0 + c1 leaves exactly (r1, c2).
    cells = grid([[1, 2, 10, 10], [2, 1, 3, 10], [10, 10, 1, 2], [10, 10, 2, 1]])
    withheld = {(f"r{i}", f"c{j}") for i in (0, 1) for j in (0, 1)}
    withheld |= {(f"r{i}", f"c{j}") for i in (2, 3) for j in (2, 3)}
    withheld |= {("r1", "c2")}
    for i in range(4):
        assert sum(1 for key in withheld if key[0] == f"r{i}") >= 2
        assert sum(1 for key in withheld if key[1] == f"c{i}") >= 2
    assert Attacker(cells, withheld, threshold=5).worked_out == {("r1", "c2"): 3}


def test_totals_below_the_threshold_are_not_known_to_the_reader() -> None:
    # Grand total 4 and every line total 2 are small cells of coarser tables: withheld, so nothing follows.
    cells = grid([[1, 1], [1, 1]])
    assert determined_cells(cells, {("r0", "c0")}, threshold=5) == set()
    assert determined_cells(cells, {("r0", "c0")}, threshold=4) == {("r0", "c0")}


def test_withheld_cells_under_different_parents_are_worked_out_from_the_parents_figures() -> None:
    cells: dict[Key, int] = {("a1",): 1, ("a2",): 9, ("b1",): 9, ("b2",): 9}
    nesting: dict[int, Tree] = {0: {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}}
    assert determined_cells(cells, {("a1",), ("b1",)}, 5, nesting) == {("a1",), ("b1",)}
    assert determined_cells(cells, {("a1",), ("a2",)}, 5, nesting) == set()
    # Without the tree only the grand total is published, and a1 + b1 alone stays unknown.
    assert determined_cells(cells, {("a1",), ("b1",)}, 5, None) == set()


def test_figures_higher_up_the_tree_are_known_when_the_parents_are_small() -> None:
    # Divisions A (a1 = 2), B (b1 = 4), C (c1 = 1) are all small; province P = A + B = 6 is published and
    # so is the national 7, so c1 = 7 - 6.
    cells: dict[Key, int] = {("a1",): 2, ("b1",): 4, ("c1",): 1}
    districts: Tree = {"a1": "A", "b1": "B", "c1": "C"}
    tree: Tree = districts | {"A": "P", "B": "P", "C": "Q"}
    withheld = set(cells)
    assert Attacker(cells, withheld, 5, {0: tree}).worked_out == {("c1",): 1}
    assert determined_cells(cells, withheld, 5, {0: districts}) == set()


# --- Random tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    cells: dict[Key, int]
    threshold: int
    categories: list[list[Hashable]]
    # Each coordinate of the nested first dimension -> its parent group.
    nesting: dict[int, dict[Hashable, Hashable]] | None
    # The same, plus each parent group's own parent in a three-level tree: every figure the reader knows.
    tree: dict[int, dict[Hashable, Hashable]] | None

    @property
    def primaries(self) -> set[Key]:
        return {key for key, count in self.cells.items() if count < self.threshold}

    def protect(self) -> frozenset[Key]:
        """``protect``'s answer, told the whole tree (every node -> its parent, up to the nation)."""
        return protect(self.cells, threshold=self.threshold, nesting=self.tree)


@st.composite
def jurisdiction_trees(
    draw: st.DrawFn, *, max_leaves: int, min_children: int = 1, levels: int | None = None
) -> tuple[Tree, Tree]:
    """A random two- or three-level tree under one top, the nation: (district -> parent group, parent group
    -> province or nation, province -> nation)."""
    children = st.integers(min_children, 4)
    if (levels or draw(st.sampled_from([2, 3]), label="levels")) == 2:
        provinces = [draw(st.lists(children, min_size=1, max_size=4))]
    else:
        provinces = draw(st.lists(st.lists(children, min_size=1, max_size=3), min_size=2, max_size=3))
    leaf_parent: Tree = {}
    group_parent: Tree = {}  # and each province's parent: the one top, the nation
    for p, groups in enumerate(provinces):
        for g, size in enumerate(groups):
            if leaf_parent and len(leaf_parent) + size > max_leaves:
                break
            group = f"g{p}.{g}"
            group_parent[group] = f"p{p}" if len(provinces) > 1 else "PK"
            if len(provinces) > 1:
                group_parent[f"p{p}"] = "PK"
            for c in range(size):
                leaf_parent[f"d{p}.{g}.{c}"] = group
    return leaf_parent, group_parent


def counts(threshold: int, *, zeros: int) -> st.SearchStrategy[int]:
    """Counts, half of them small; ``zeros`` in ``zeros + 4`` of them absent (0)."""
    small = st.integers(1, threshold - 1) if threshold > 1 else st.just(1)
    large = st.integers(threshold + 1, 4 * threshold)
    return st.one_of(*([st.just(0)] * zeros), small, small, st.just(threshold), large)


MAX_FIRST = {1: 12, 2: 8, 3: 6}
MAX_OTHER = {1: 0, 2: 5, 3: 4}


@st.composite
def tables(
    draw: st.DrawFn,
    *,
    dimensions: int | None = None,
    nested: bool | None = None,
    dense: bool = False,
    single_valued: bool | None = None,
    levels: int | None = None,
    thresholds: st.SearchStrategy[int] | None = None,
) -> Table:
    """A random table: 1-3 dimensions, a nested first dimension or not, few categories, many small counts.

    ``dense`` tables have every cell non-empty, at least two categories per dimension and at least two
    children per parent group: every cell there has partners in every dimension. ``single_valued``: one
    dimension has a single value throughout (True), or every dimension has two or more among the non-empty
    cells (False).
    """
    width = dimensions if dimensions is not None else draw(st.integers(1, 3))
    threshold = draw(thresholds if thresholds is not None else st.integers(2, 6))
    smallest = 2 if dense or single_valued is False else 1
    pinned = draw(st.integers(0, width - 1), label="single-valued dimension") if single_valued else None
    nesting: dict[int, dict[Hashable, Hashable]] | None = None
    tree: dict[int, dict[Hashable, Hashable]] | None = None
    if nested if nested is not None else draw(st.booleans()):
        leaf_parent, group_parent = draw(
            jurisdiction_trees(max_leaves=MAX_FIRST[width], min_children=smallest, levels=levels)
        )
        first = list(leaf_parent)[: 1 if pinned == 0 else None]
        assume(len(first) >= 2 or single_valued is not False)
        nesting = {0: {leaf: leaf_parent[leaf] for leaf in first}}
        tree = {0: nesting[0] | group_parent}
    else:
        first = [f"a{i}" for i in range(1 if pinned == 0 else draw(st.integers(smallest, MAX_FIRST[width])))]
    categories = [first]
    for d in range(1, width):
        size = 1 if pinned == d else draw(st.integers(smallest, MAX_OTHER[width]))
        categories.append([f"{'xyz'[d]}{i}" for i in range(size)])
    keys = list(itertools.product(*categories))
    zeros = 0 if dense else draw(st.integers(0, 2), label="zeros in zeros + 4")
    values = draw(st.lists(counts(threshold, zeros=zeros), min_size=len(keys), max_size=len(keys)))
    cells: dict[Key, int] = {key: value for key, value in zip(keys, values, strict=True) if value}
    if single_valued is False:
        assume(all(len({key[d] for key in cells}) >= 2 for d in range(width)))
    return Table(cells, threshold, categories, nesting, tree)


def describe(table: Table, withheld: Iterable[Key] = ()) -> str:
    shown = set(withheld)
    lines = [f"threshold={table.threshold} nesting={table.nesting} tree={table.tree}"]
    lines += [
        f"  {key}: {count}{' *withheld*' if key in shown else ''}"
        for key, count in sorted(table.cells.items())
    ]
    return "\n".join(lines)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# For failures that need several groups with many small cells at once.
THOROUGH = settings(PROPERTY, max_examples=1000)


# --- The helper proves its answers --------------------------------------------------------------------------


@PROPERTY
@given(table=tables(), data=st.data())
def test_reader_either_works_a_withheld_cell_out_exactly_or_can_move_it_without_changing_any_figure(
    table: Table, data: st.DataObject
) -> None:
    keys = sorted(table.cells)
    withheld = data.draw(st.sets(st.sampled_from(keys)) if keys else st.just(set[Key]()), label="withheld")
    attacker = Attacker(table.cells, withheld, table.threshold, table.tree)
    known = known_figures(table.cells, table.threshold, table.tree)
    before = figure_values(table.cells, table.tree)
    for key, value in attacker.worked_out.items():
        assert value == table.cells[key]
    for key in withheld - attacker.worked_out.keys():
        change = attacker.freedom(key)
        assert change[key] != 0
        assert change.keys() <= withheld
        altered = {cell: count + change.get(cell, 0) for cell, count in table.cells.items()}
        after = figure_values(altered, table.tree)
        assert all(after[figure] == before[figure] for figure in known)


# --- protect ------------------------------------------------------------------------------------------------


def check_protection(table: Table) -> frozenset[Key] | None:
    """``protect``'s answer, checked against the attacker; None when it found the table unprotectable.
    A nested table is published at every level of its tree, and attacked so."""
    if table.tree is not None:
        withheld = check_every_level(table.cells, table.threshold, table.tree[0])
        return None if withheld is None else withheld & table.cells.keys()
    try:
        withheld = table.protect()
    except UnprotectableError:
        event("UnprotectableError")
        return None
    event("protected")
    note(describe(table, withheld))
    assert isinstance(withheld, frozenset)
    assert table.primaries <= withheld, f"small cells published: {sorted(table.primaries - withheld)}"
    assert withheld <= table.cells.keys(), f"absent keys withheld: {sorted(withheld - table.cells.keys())}"
    disclosed = determined_cells(table.cells, withheld, table.threshold, table.tree) & table.primaries
    assert not disclosed, f"small cells worked out: {sorted(disclosed)}"
    event(f"small cells: {min(len(table.primaries), 5)}{'+' if len(table.primaries) >= 5 else ''}")
    partners = len(withheld) - len(table.primaries)
    event(f"partners withheld: {min(partners, 10)}{'+' if partners >= 10 else ''}")
    return withheld


@pytest.mark.parametrize("width", [1, 2, 3])
@THOROUGH
@given(data=st.data())
def test_no_small_cell_can_be_worked_out_from_the_published_cells_and_totals(
    width: int, data: st.DataObject
) -> None:
    check_protection(data.draw(tables(dimensions=width, single_valued=False), label="table"))


@PROPERTY
@given(table=tables(single_valued=True))
def test_dimension_with_a_single_value_is_protected_as_the_table_without_it(table: Table) -> None:
    # Summed over a flat dimension with one value, a cell is its own figure in the coarser table, and that
    # table is the same numbers: protected the same way, it withholds the same cells, and a reader of both
    # learns nothing more than from one.
    first = 1 if table.tree is not None else 0
    width = len(table.categories)
    kept = [d for d in range(width) if d < first or len({key[d] for key in table.cells}) > 1]
    assume(table.cells and len(kept) < width)
    narrow = {tuple(key[d] for d in kept): count for key, count in table.cells.items()}
    try:
        withheld = table.protect()
    except UnprotectableError:
        with pytest.raises(UnprotectableError):
            protect(narrow, threshold=table.threshold, nesting=table.tree)
        return
    narrowed = Table(narrow, table.threshold, [table.categories[d] for d in kept], table.nesting, table.tree)
    checked = check_protection(narrowed)
    assert checked is not None
    assert {tuple(key[d] for d in kept) for key in withheld} == set(checked)


@PROPERTY
@given(table=tables(dense=True))
def test_table_where_every_cell_is_non_empty_is_always_protected(table: Table) -> None:
    assert check_protection(table) is not None, "UnprotectableError on a table where every cell has partners"


@PROPERTY
@given(table=tables(), data=st.data())
def test_same_cells_give_the_same_withheld_set_in_any_order(table: Table, data: st.DataObject) -> None:
    cells, tree = dict(table.cells), None if table.tree is None else {0: dict(table.tree[0])}
    try:
        withheld = table.protect()
    except UnprotectableError:
        with pytest.raises(UnprotectableError):
            table.protect()
        return
    assert (table.cells, table.tree) == (cells, tree), "protect changed its arguments"
    assert table.protect() == withheld
    shuffled = dict(data.draw(st.permutations(list(table.cells.items())), label="cell order"))
    nesting = (
        None
        if table.tree is None
        else {0: dict(data.draw(st.permutations(list(table.tree[0].items())), label="tree order"))}
    )
    assert protect(shuffled, threshold=table.threshold, nesting=nesting) == withheld


# --- Every level of the tree at once -----------------------------------------------------------------------


def leaves_under(node: Hashable, keys: Iterable[Key], tree: Tree) -> set[Hashable]:
    return {key[0] for key in keys if node in _ancestry(key[0], tree)}


def check_every_level(cells: dict[Key, int], threshold: int, tree: Tree) -> frozenset[Key] | None:
    """``protect_tree``'s answer, attacked by a reader who holds the table at every level of the tree at
    once: each level's published cells, and every figure of the categories' totals that reaches the
    threshold. A small cell at any level, or a withheld one, must not be worked out."""
    try:
        withheld = protect_tree(cells, threshold=threshold, nesting={0: tree})
    except UnprotectableError:
        if currently_in_test_context():
            event("UnprotectableError")
        return None
    if currently_in_test_context():
        note(f"withheld at every level: {sorted(withheld, key=repr)}")
    if not cells:
        assert withheld == frozenset()
        return withheld
    ladders = _ladders(cells, {0: tree})
    rung: dict[Hashable, tuple[int, Hashable]] = {}
    for ladder in ladders[0].values():
        for level, label in ladder:
            rung.setdefault(label, (level, label))
    inner = {key for key in withheld if key not in cells}
    figures = {(rung[key[0]], *((0, value) for value in key[1:])) for key in inner}
    top = _ancestry(next(iter(cells))[0], tree)[-1]
    whole = len(_ancestry(next(iter(cells))[0], tree))
    # The top's figure is also the whole dimension's.
    figures |= {((whole, WHOLE_DIMENSION), *rest) for (node, *rest) in figures if node[1] == top}
    attacker = Attacker(cells, withheld & cells.keys(), threshold, {0: tree}, withheld_figures=figures)
    sums: dict[Key, int] = defaultdict(int)
    members: dict[Key, list[Key]] = defaultdict(list)
    for key, count in cells.items():
        for node in _ancestry(key[0], tree):
            sums[(node, *key[1:])] += count
            members[(node, *key[1:])].append(key)
    small = {key for key, total in sums.items() if total < threshold}
    assert small <= withheld, f"small cells published: {sorted(small - withheld, key=repr)}"
    assert withheld <= sums.keys(), "empty cells withheld"
    disclosed = sorted((key for key in withheld if attacker.determines(members[key])), key=repr)
    assert not disclosed, f"withheld cells worked out from the levels together: {disclosed}"
    return withheld


@THOROUGH
@given(table=tables(nested=True, single_valued=False))
def test_no_withheld_cell_at_any_level_can_be_worked_out_from_every_level_together(table: Table) -> None:
    assert table.tree is not None
    check_every_level(table.cells, table.threshold, table.tree[0])


# --- Threshold edges --------------------------------------------------------------------------------------


@PROPERTY
@given(table=tables(thresholds=st.just(1)))
def test_threshold_of_one_withholds_nothing(table: Table) -> None:
    assert table.protect() == frozenset()


@PROPERTY
@given(table=tables())
def test_table_without_small_cells_withholds_nothing(table: Table) -> None:
    floor = table.threshold
    cells = {key: max(count, floor) for key, count in table.cells.items()}
    assert protect(cells, threshold=table.threshold, nesting=table.tree) == frozenset()


def test_counts_equal_to_the_threshold_are_published() -> None:
    assert protect(grid([[5, 5, 5], [5, 5, 5]]), threshold=5, nesting=None) == frozenset()
    assert protect({("a",): 5, ("b",): 5}, threshold=5) == frozenset()


def test_counts_equal_to_the_threshold_are_withheld_when_they_are_the_only_partners() -> None:
    cells = grid([[1, 5], [5, 5]])
    assert protect(cells, threshold=5) == frozenset(cells)


def test_empty_table_withholds_nothing() -> None:
    assert protect({}, threshold=5) == frozenset()


# --- A worked example -------------------------------------------------------------------------------------

THRESHOLD = 5
PROVINCE: Tree = {
    "LAHORE": "PUNJAB",
    "MULTAN": "PUNJAB",
    "KARACHI": "SINDH",
    "HYDERABAD": "SINDH",
    "PUNJAB": "PK",
    "SINDH": "PK",
}
SEXES = ("FEMALE", "MALE", "TRANSGENDER")
#                                     FEMALE  MALE  TRANSGENDER
CASES = {
    ("LAHORE", "CHILD_LABOUR"): (31, 88, 2),
    ("LAHORE", "CHILD_VICTIM"): (40, 52, 6),
    ("MULTAN", "CHILD_LABOUR"): (22, 71, 5),
    ("MULTAN", "CHILD_VICTIM"): (27, 35, 7),
    ("KARACHI", "CHILD_LABOUR"): (45, 120, 9),
    ("KARACHI", "CHILD_VICTIM"): (38, 61, 5),
    ("HYDERABAD", "CHILD_LABOUR"): (18, 64, 6),
    ("HYDERABAD", "CHILD_VICTIM"): (21, 30, 8),
}
WORKED_EXAMPLE: dict[Key, int] = {
    (district, kind, sex): count
    for (district, kind), row in CASES.items()
    for sex, count in zip(SEXES, row, strict=True)
}
SMALL = ("LAHORE", "CHILD_LABOUR", "TRANSGENDER")


def test_withheld_cell_cannot_be_worked_out_from_row_column_and_province_totals() -> None:
    nesting = {0: PROVINCE}
    withheld = protect(WORKED_EXAMPLE, threshold=THRESHOLD, nesting=nesting)

    # Two transgender children in Lahore's child-labour cases. Withheld alone, the Lahore child-labour total
    # (31 + 88 + 2 = 121) gives it away: 121 - 31 - 88 = 2.
    assert Attacker(WORKED_EXAMPLE, {SMALL}, THRESHOLD, nesting).worked_out == {SMALL: 2}

    # A square (Lahore and Multan, transgender and female, child labour only) is not enough either: Lahore's
    # transgender children over both kinds of case (2 + 6 = 8) are published, and 8 - 6 = 2.
    square = {(district, "CHILD_LABOUR", sex) for district in ("LAHORE", "MULTAN") for sex in SEXES[::2]}
    assert SMALL in determined_cells(WORKED_EXAMPLE, square, THRESHOLD, nesting)

    # The cube: Multan is Lahore's only neighbour in Punjab, child victims the other kind of case, and female
    # the smaller of the other sexes. Every row, column and province total crosses two of its corners.
    cube = {
        (district, kind, sex)
        for district in ("LAHORE", "MULTAN")
        for kind in ("CHILD_LABOUR", "CHILD_VICTIM")
        for sex in ("TRANSGENDER", "FEMALE")
    }
    assert withheld == cube
    assert determined_cells(WORKED_EXAMPLE, withheld, THRESHOLD, nesting) == set()

    # Proof by example: with one transgender child there, or three, and the other corners moved to match,
    # everything published stays the same.
    def alternative(step: int) -> dict[Key, int]:
        sign = {
            "LAHORE": 1,
            "MULTAN": -1,
            "CHILD_LABOUR": 1,
            "CHILD_VICTIM": -1,
            "TRANSGENDER": 1,
            "FEMALE": -1,
        }
        return {
            key: count + (step * sign[key[0]] * sign[key[1]] * sign[key[2]] if key in cube else 0)
            for key, count in WORKED_EXAMPLE.items()
        }

    def published(cells: Mapping[Key, int]) -> tuple[dict[Key, int], dict[FigureId, Fraction]]:
        figures = figure_values(cells, nesting)
        return (
            {key: count for key, count in cells.items() if key not in withheld},
            {figure: figures[figure] for figure in known_figures(WORKED_EXAMPLE, THRESHOLD, nesting)},
        )

    for step in (-1, 1):
        assert alternative(step)[SMALL] == 2 + step
        assert published(alternative(step)) == published(WORKED_EXAMPLE)


# --- Other ways to ask: one district, part of the tree, two releases at once -------------------------------


def test_district_officers_table_does_not_give_away_the_transgender_count() -> None:
    # Lahore alone, by kind and sex. A cube must not lean on a partner of 31 in a flat dimension, or the
    # Lahore child-labour total (121) gives the 2 away.
    lahore = {key[1:]: count for key, count in WORKED_EXAMPLE.items() if key[0] == "LAHORE"}
    withheld = protect(lahore, threshold=THRESHOLD)
    assert SMALL[1:] in withheld
    assert Attacker(lahore, withheld, THRESHOLD).worked_out == {}
    # Under its province and the nation, published at all three levels (each the same figures), it gets
    # the same pattern at every level.
    under = {("LAHORE", *key): count for key, count in lahore.items()}
    tree_withheld = check_every_level(under, THRESHOLD, {"LAHORE": "PUNJAB", "PUNJAB": "PK"})
    assert tree_withheld is not None
    for place in ("LAHORE", "PUNJAB", "PK"):
        assert {key[1:] for key in tree_withheld if key[0] == place} == withheld


def test_province_totals_do_not_give_away_districts_paired_across_divisions() -> None:
    # Transgender children in three districts, each alone in its division; Karachi and Hyderabad divisions
    # make up Sindh. Every division figure is small, but Sindh's (3 + 4 = 7) and the country's (9) are
    # published: 9 - 7 = 2 in Lahore. Districts of different divisions must not be paired.
    cells: dict[Key, int] = {("LAHORE",): 2, ("KARACHI",): 3, ("HYDERABAD",): 4}
    tree: Tree = {"LAHORE": "LAHORE_DIV", "KARACHI": "KARACHI_DIV", "HYDERABAD": "HYDERABAD_DIV"}
    tree |= {"LAHORE_DIV": "PUNJAB", "KARACHI_DIV": "SINDH", "HYDERABAD_DIV": "SINDH"}
    tree |= {"PUNJAB": "PK", "SINDH": "PK"}
    withheld = check_every_level(cells, THRESHOLD, tree)
    assert withheld is not None
    assert ("LAHORE",) in withheld
    assert ("PK",) not in withheld  # the country's 9 is published


def test_national_and_provincial_tables_together_do_not_give_a_small_cell_away() -> None:
    # Transgender children by district and kind. If the province table paired Sindh with Punjab on a cell
    # that the district table then published in full under Sindh, a reader holding both would subtract.
    rows = {
        "LAHORE": (1, 6),
        "MULTAN": (1, 6),
        "FAISALABAD": (1, 6),
        "HYDERABAD": (9, 6),
        "KARACHI": (6, 6),
        "SUKKUR": (6, 2),
    }
    cells: dict[Key, int] = {
        (district, kind): count
        for district, row in rows.items()
        for kind, count in zip(("CHILD_LABOUR", "CHILD_VICTIM"), row, strict=True)
    }
    tree: Tree = dict.fromkeys(("LAHORE", "MULTAN", "FAISALABAD"), "PUNJAB")
    tree |= dict.fromkeys(("HYDERABAD", "KARACHI", "SUKKUR"), "SINDH")
    tree |= {"PUNJAB": "PK", "SINDH": "PK"}
    withheld = check_every_level(cells, THRESHOLD, tree)
    assert withheld is not None
    assert ("SUKKUR", "CHILD_VICTIM") in withheld
