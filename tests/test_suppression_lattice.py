"""Linked tables, attacked: the same counts published in every grouping at once.

A reader may ask for the districts alone and for the districts by offence (and by offence and sex, and by
sex alone), at every level of the tree. Each answer is a grouping of one table of counts, so every published
figure of every answer is a sum of that table's finest cells (the leaves, by every category). The reader
modelled here takes those finest non-empty cells as unknowns (absent cells are known zeros) and every
published cell of every grouping at every level as one linear equation, and solves them exactly
(``Fraction``). A withheld cell is *worked out* when its sum of finest cells is a combination of the
equations. Unlike the reader of ``test_suppression``, this one is told no total apart from the cells of
the coarser groupings themselves: a total is published or withheld as its own grouping's pattern says.

``protect_lattice`` must leave no withheld cell of any grouping at any level worked out, withhold every
small cell of every grouping, and give each grouping the same pattern whatever finer grouping and whatever
deeper level the table is protected to, so that answers to different questions can be held together.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, currently_in_test_context, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st

from registry.statistics import suppression
from registry.statistics.suppression import (
    Key,
    UnprotectableError,
    _solve,
    protect_lattice,
    protect_lattice_cached,
    protect_tree,
    size_classes,
)
from tests.test_suppression import counts, jurisdiction_trees

Tree = dict[Hashable, Hashable]  # child -> parent
Grouping = frozenset[int]
Patterns = Mapping[Grouping, frozenset[Key]]
Row = dict[int, Fraction]


# --- A reader of every grouping at every level --------------------------------------------------------


def ancestry(node: Hashable, tree: Mapping[Hashable, Hashable]) -> list[Hashable]:
    """``node`` and its ancestors, nearest first."""
    chain = [node]
    while chain[-1] in tree:
        chain.append(tree[chain[-1]])
    return chain


def groupings(width: int) -> list[Grouping]:
    """Every set of the category dimensions ``1 .. width - 1`` (dimension 0 is the jurisdiction)."""
    return [frozenset(c) for size in range(width) for c in itertools.combinations(range(1, width), size)]


def grouped_key(leaf_key: Key, node: Hashable, grouping: Grouping) -> Key:
    return (node, *(leaf_key[d] for d in range(1, len(leaf_key)) if d in grouping))


def every_cell(cells: Mapping[Key, int], tree: Tree) -> dict[Grouping, dict[Key, list[Key]]]:
    """For each grouping, each of its cells at every level -> the finest cells it sums."""
    width = len(next(iter(cells)))
    members: dict[Grouping, dict[Key, list[Key]]] = {g: defaultdict(list) for g in groupings(width)}
    for key in cells:
        for grouping in members:
            for node in ancestry(key[0], tree):
                members[grouping][grouped_key(key, node, grouping)].append(key)
    return members


class LinkedReader:
    """Exact linear algebra over the finest non-empty cells: every published cell of every grouping at
    every level is a known sum."""

    def __init__(self, cells: Mapping[Key, int], tree: Tree, withheld: Patterns) -> None:
        self.cells = cells
        self.column = {key: i for i, key in enumerate(sorted(cells, key=repr))}
        self.members = every_cell(cells, tree)
        self.basis: dict[int, tuple[Row, Fraction]] = {}
        for grouping, keys in self.members.items():
            for key, covered in keys.items():
                if key not in withheld.get(grouping, frozenset()):
                    self._add(self._row(covered), Fraction(sum(cells[c] for c in covered)))

    def _row(self, covered: Iterable[Key]) -> Row:
        return {self.column[key]: Fraction(1) for key in covered}

    def _reduce(self, row: Row, rhs: Fraction) -> tuple[Row, Fraction]:
        for pivot in sorted(c for c in row if c in self.basis):
            factor = row.get(pivot)
            if factor:
                pivot_row, pivot_rhs = self.basis[pivot]
                for column, value in pivot_row.items():
                    updated = row.get(column, Fraction(0)) - factor * value
                    if updated:
                        row[column] = updated
                    else:
                        row.pop(column, None)
                rhs -= factor * pivot_rhs
        return row, rhs

    def _add(self, row: Row, rhs: Fraction) -> None:
        row, rhs = self._reduce(row, rhs)
        if not row:
            assert rhs == 0, "the published cells contradict each other"
            return
        pivot = min(row)
        scale = row[pivot]
        row = {column: value / scale for column, value in row.items()}
        rhs /= scale
        for other, (other_row, other_rhs) in list(self.basis.items()):
            factor = other_row.get(pivot)
            if factor:
                for column, value in row.items():
                    updated = other_row.get(column, Fraction(0)) - factor * value
                    if updated:
                        other_row[column] = updated
                    else:
                        other_row.pop(column, None)
                self.basis[other] = (other_row, other_rhs - factor * rhs)
        self.basis[pivot] = (row, rhs)

    def works_out(self, grouping: Grouping, key: Key) -> Fraction | None:
        """The value of a cell if the published cells fix it, else None."""
        covered = self.members[grouping][key]
        row, rhs = self._reduce(self._row(covered), Fraction(0))
        if row:
            return None
        value = -rhs
        assert value == sum(self.cells[c] for c in covered), "the reader worked out a wrong value"
        return value

    def leaks(self, withheld: Patterns) -> list[tuple[Grouping, Key]]:
        return [
            (grouping, key)
            for grouping, keys in withheld.items()
            for key in sorted(keys, key=repr)
            if self.works_out(grouping, key) is not None
        ]


def check_lattice(cells: dict[Key, int], threshold: int, tree: Tree) -> Patterns | None:
    """``protect_lattice``'s answer, attacked; None when it found the table unprotectable."""
    try:
        withheld = protect_lattice(cells, threshold=threshold, nesting={0: tree})
    except UnprotectableError:
        event("UnprotectableError")
        return None
    event("protected")
    note(f"withheld: { {tuple(sorted(g)): sorted(keys, key=repr) for g, keys in withheld.items()} }")
    if not cells:
        assert withheld == {}
        return withheld
    members = every_cell(cells, tree)
    assert withheld.keys() == members.keys()
    for grouping, keys in members.items():
        small = {key for key, covered in keys.items() if sum(cells[c] for c in covered) < threshold}
        assert small <= withheld[grouping], f"small cells published in {set(grouping)}: {small}"
        assert withheld[grouping] <= keys.keys(), f"empty cells withheld in {set(grouping)}"
    leaks = LinkedReader(cells, tree, withheld).leaks(withheld)
    assert not leaks, f"withheld cells worked out from the groupings together: {leaks}"
    hidden = sum(len(keys) for keys in withheld.values())
    event(f"cells withheld: {min(hidden, 20) // 5 * 5}+")
    return withheld


# --- The worked example: districts alone, and by offence ------------------------------------------------

PUNJAB_AND_SINDH: Tree = {
    "KARACHI": "SINDH",
    "LAHORE": "PUNJAB",
    "MULTAN": "PUNJAB",
    "FAISALABAD": "PUNJAB",
    "SINDH": "PK",
    "PUNJAB": "PK",
}
OFFENCES: dict[Key, int] = {
    ("KARACHI", "THEFT"): 2,
    ("KARACHI", "ROBBERY"): 3,
    ("LAHORE", "THEFT"): 2,
    ("LAHORE", "ROBBERY"): 1,
    ("MULTAN", "ROBBERY"): 5,
    ("FAISALABAD", "THEFT"): 6,
    ("FAISALABAD", "ROBBERY"): 2,
}
TOTALS = frozenset[int]()
BY_OFFENCE = frozenset({1})


def test_groupings_protected_apart_give_lahore_away_to_a_reader_of_both() -> None:
    """The leak ``protect_lattice`` closes: districts alone withhold Lahore (3) with Multan (5); by offence,
    Multan's only offence (5 robberies) is published, and Lahore = Punjab 16 - Multan 5 - Faisalabad 8."""
    totals: dict[Key, int] = defaultdict(int)
    for (district, _), count in OFFENCES.items():
        totals[(district,)] += count
    apart = {
        TOTALS: protect_tree(totals, threshold=5, nesting={0: PUNJAB_AND_SINDH}),
        BY_OFFENCE: protect_tree(OFFENCES, threshold=5, nesting={0: PUNJAB_AND_SINDH}),
    }
    assert {("LAHORE",), ("MULTAN",)} <= apart[TOTALS]
    assert ("MULTAN", "ROBBERY") not in apart[BY_OFFENCE]
    reader = LinkedReader(OFFENCES, PUNJAB_AND_SINDH, apart)
    assert reader.works_out(TOTALS, ("LAHORE",)) == 3


def test_the_table_by_offence_does_not_give_away_a_district_withheld_in_the_table_of_totals() -> None:
    withheld = check_lattice(OFFENCES, 5, PUNJAB_AND_SINDH)
    assert withheld is not None
    assert ("LAHORE",) in withheld[TOTALS]
    # Multan's robberies are its whole figure: withheld with it.
    assert ("MULTAN",) in withheld[TOTALS]
    assert ("MULTAN", "ROBBERY") in withheld[BY_OFFENCE]
    reader = LinkedReader(OFFENCES, PUNJAB_AND_SINDH, withheld)
    assert reader.works_out(TOTALS, ("LAHORE",)) is None
    assert reader.works_out(TOTALS, ("PK",)) == 21


def test_districts_alone_are_withheld_the_same_way_whether_or_not_offences_are_asked_for() -> None:
    totals: dict[Key, int] = defaultdict(int)
    for (district, _), count in OFFENCES.items():
        totals[(district,)] += count
    alone = protect_lattice(totals, threshold=5, nesting={0: PUNJAB_AND_SINDH})
    assert alone[TOTALS] == protect_lattice(OFFENCES, threshold=5, nesting={0: PUNJAB_AND_SINDH})[TOTALS]


def test_cached_answer_is_the_answer() -> None:
    first = protect_lattice_cached(OFFENCES, threshold=5, nesting={0: PUNJAB_AND_SINDH})
    assert first == protect_lattice(OFFENCES, threshold=5, nesting={0: PUNJAB_AND_SINDH})
    assert protect_lattice_cached(OFFENCES, threshold=5, nesting={0: PUNJAB_AND_SINDH}) == first


def test_cases_by_sex_do_not_give_away_a_district_withheld_by_total() -> None:
    """The same leak with sex as the category: Multan's children are all girls."""
    cells: dict[Key, int] = {
        ("KARACHI", "FEMALE"): 9,
        ("KARACHI", "MALE"): 8,
        ("LAHORE", "FEMALE"): 1,
        ("LAHORE", "MALE"): 2,
        ("MULTAN", "FEMALE"): 6,
        ("FAISALABAD", "FEMALE"): 7,
        ("FAISALABAD", "MALE"): 6,
    }
    withheld = check_lattice(cells, 5, PUNJAB_AND_SINDH)
    assert withheld is not None
    assert ("LAHORE",) in withheld[TOTALS]


def test_empty_table_withholds_nothing() -> None:
    assert protect_lattice({}, threshold=5, nesting={0: PUNJAB_AND_SINDH}) == {}


def test_table_without_small_cells_withholds_nothing() -> None:
    cells = {key: count + 5 for key, count in OFFENCES.items()}
    withheld = protect_lattice(cells, threshold=5, nesting={0: PUNJAB_AND_SINDH})
    assert withheld == {TOTALS: frozenset(), BY_OFFENCE: frozenset()}


def test_table_without_a_tree_is_one_grand_total_and_its_groupings() -> None:
    cells: dict[Key, int] = {("THEFT", "FEMALE"): 2, ("THEFT", "MALE"): 7, ("ROBBERY", "MALE"): 9}
    withheld = protect_lattice(cells, threshold=5)
    assert set(withheld) == {frozenset(), frozenset({0}), frozenset({1}), frozenset({0, 1})}
    assert ("THEFT", "FEMALE") in withheld[frozenset({0, 1})]
    assert ("FEMALE",) in withheld[frozenset({1})]
    assert withheld[frozenset()] == frozenset()


# --- Random tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    cells: dict[Key, int]
    threshold: int
    tree: Tree

    @property
    def width(self) -> int:
        return len(next(iter(self.cells))) if self.cells else 1


@st.composite
def tables(draw: st.DrawFn, *, categories: int | None = None, max_leaves: int = 6) -> Table:
    """A two- or three-level tree, one or two category dimensions of two or three values, sparse counts,
    many of them small."""
    leaf_parent, group_parent = draw(jurisdiction_trees(max_leaves=max_leaves))
    threshold = draw(st.integers(2, 6), label="threshold")
    dimensions = categories if categories is not None else draw(st.integers(1, 2), label="categories")
    values = [
        [f"{'xyz'[d]}{i}" for i in range(draw(st.integers(2, 3), label="values"))] for d in range(dimensions)
    ]
    keys = list(itertools.product(list(leaf_parent), *values))
    zeros = draw(st.integers(0, 3), label="zeros in zeros + 4")
    drawn = draw(st.lists(counts(threshold, zeros=zeros), min_size=len(keys), max_size=len(keys)))
    cells = {key: count for key, count in zip(keys, drawn, strict=True) if count}
    return Table(cells, threshold, leaf_parent | group_parent)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(table=tables())
def test_no_withheld_cell_of_any_grouping_at_any_level_can_be_worked_out_from_all_of_them(
    table: Table,
) -> None:
    check_lattice(table.cells, table.threshold, table.tree)


def at_level(cells: Mapping[Key, int], tree: Tree, level: int) -> tuple[dict[Key, int], Tree]:
    """The table summed to the nodes ``level`` steps below the top, and the tree above them."""
    summed: dict[Key, int] = defaultdict(int)
    kept: Tree = {}
    for key, count in cells.items():
        chain = ancestry(key[0], tree)[::-1]  # the top first
        summed[(chain[level], *key[1:])] += count
        kept |= {child: parent for parent, child in itertools.pairwise(chain[: level + 1])}
    return dict(summed), kept


def levels_of(tree: Tree, cells: Mapping[Key, int]) -> dict[Hashable, int]:
    leaf = next(iter(cells))[0]
    depth = len(ancestry(leaf, tree)) - 1
    return {node: depth - distance for key in cells for distance, node in enumerate(ancestry(key[0], tree))}


@PROPERTY
@given(table=tables())
def test_each_level_is_withheld_the_same_way_whatever_deeper_level_the_table_is_protected_to(
    table: Table,
) -> None:
    if not table.cells:
        return
    level_of = levels_of(table.tree, table.cells)
    depth = max(level_of.values())
    try:
        deepest = protect_lattice(table.cells, threshold=table.threshold, nesting={0: table.tree})
    except UnprotectableError:
        deepest = None
    for level in range(depth):
        summed, kept = at_level(table.cells, table.tree, level)
        try:
            shallow = protect_lattice(summed, threshold=table.threshold, nesting={0: kept})
        except UnprotectableError:
            assert deepest is None, f"level {level} unprotectable alone but protected under the leaves"
            continue
        if deepest is None:
            event("unprotectable only deeper down")
            continue
        for grouping, keys in deepest.items():
            assert {key for key in keys if level_of[key[0]] <= level} == shallow[grouping]


@PROPERTY
@given(table=tables(categories=2))
def test_each_grouping_is_withheld_the_same_way_whatever_finer_grouping_is_asked_for(table: Table) -> None:
    if not table.cells:
        return
    nesting = {0: table.tree}
    try:
        finest = protect_lattice(table.cells, threshold=table.threshold, nesting=nesting)
    except UnprotectableError:
        finest = None
    for kept in (1, 2):
        summed: dict[Key, int] = defaultdict(int)
        for key, count in table.cells.items():
            summed[(key[0], key[kept])] += count
        try:
            coarse = protect_lattice(summed, threshold=table.threshold, nesting=nesting)
        except UnprotectableError:
            assert finest is None, "a coarser lattice unprotectable but the finer one protected"
            continue
        if finest is None:
            continue
        assert coarse[frozenset()] == finest[frozenset()]
        assert coarse[frozenset({1})] == finest[frozenset({kept})]


@PROPERTY
@given(table=tables(), data=st.data())
def test_same_cells_give_the_same_pattern_in_any_order(table: Table, data: st.DataObject) -> None:
    try:
        withheld = protect_lattice(table.cells, threshold=table.threshold, nesting={0: table.tree})
    except UnprotectableError:
        return
    cells = dict(data.draw(st.permutations(list(table.cells.items())), label="cell order"))
    tree = dict(data.draw(st.permutations(list(table.tree.items())), label="tree order"))
    assert protect_lattice(cells, threshold=table.threshold, nesting={0: tree}) == withheld


@pytest.mark.parametrize("categories", [1, 2])
def test_dense_tables_are_protected(categories: int) -> None:
    # Every district has every category, several children per parent: lifts and cubes always exist.
    districts = [f"d{p}.{c}" for p in range(2) for c in range(3)]
    tree: Tree = {"p0": "PK", "p1": "PK"}
    tree |= {district: f"p{district[1]}" for district in districts}
    values = [["x0", "x1", "x2"]] * categories
    cells: dict[Key, int] = {
        key: 1 + (i * 7) % 9 for i, key in enumerate(itertools.product(districts, *values))
    }
    assert check_lattice(cells, 5, tree) is not None


def event(value: str) -> None:
    if currently_in_test_context():
        hypothesis_event(value)


def note(value: str) -> None:
    if currently_in_test_context():
        hypothesis_note(value)


@settings(PROPERTY, max_examples=100)
@given(table=tables(categories=3, max_leaves=4))
def test_three_categories_give_no_withheld_cell_away(table: Table) -> None:
    check_lattice(table.cells, table.threshold, table.tree)


@PROPERTY
@given(table=tables())
def test_table_without_a_tree_is_protected_as_the_tree_of_one_node(table: Table) -> None:
    # Summed over the jurisdictions: one place, the whole table, and its categories.
    whole: dict[Key, int] = defaultdict(int)
    for key, count in table.cells.items():
        whole[key[1:]] += count
    try:
        flat = protect_lattice(whole, threshold=table.threshold)
    except UnprotectableError:
        with pytest.raises(UnprotectableError):
            protect_lattice(
                {("PK", *key): n for key, n in whole.items()}, threshold=table.threshold, nesting={0: {}}
            )
        return
    placed = check_lattice({("PK", *key): n for key, n in whole.items()}, table.threshold, {})
    assert placed is not None
    assert flat == {
        frozenset(d - 1 for d in grouping): frozenset(key[1:] for key in keys)
        for grouping, keys in placed.items()
    }


# --- Size classes: the pattern between changes ---------------------------------------------------------


@st.composite
def large_tables(draw: st.DrawFn) -> Table:
    """Tables as ``tables`` draws them, some of whose counts are large (many times the threshold)."""
    table = draw(tables())
    grown = {
        key: count * draw(st.sampled_from([1, 1, 7, 30, 200]), label="factor")
        for key, count in table.cells.items()
    }
    return Table(grown, table.threshold, table.tree)


def classes_of_every_figure(table: Table) -> dict[tuple[Grouping, Key], int]:
    figures = every_cell(table.cells, table.tree)
    return {
        (grouping, key): size_classes({(): sum(table.cells[c] for c in covered)}, table.threshold)[()]
        for grouping, keys in figures.items()
        for key, covered in keys.items()
    }


@PROPERTY
@given(table=large_tables())
def test_large_counts_give_no_withheld_cell_away(table: Table) -> None:
    check_lattice(table.cells, table.threshold, table.tree)


@PROPERTY
@given(table=large_tables(), data=st.data())
def test_counts_changed_within_their_size_classes_keep_the_pattern_and_memory_never_answers_stale(
    table: Table, data: st.DataObject
) -> None:
    """Cases opened and closed change counts: the pattern is a function of the size classes of every figure
    (every grouping, every level), and the remembered answers are only ever the answer."""
    if not table.cells:
        return
    nesting = {0: table.tree}
    changed = dict(table.cells)
    for key in data.draw(st.lists(st.sampled_from(sorted(table.cells, key=repr)), max_size=4), label="moved"):
        size = size_classes({key: changed[key]}, table.threshold)[key]
        if size == changed[key]:  # told apart exactly: a step of one, which may cross into another class
            changed[key] = max(1, changed[key] + data.draw(st.sampled_from([-1, 1]), label="by"))
        else:  # anywhere in its class
            changed[key] = data.draw(st.integers(size, 2 * size - 1), label="to")
    after = Table(changed, table.threshold, table.tree)

    def answer(cells: Mapping[Key, int], *, cached: bool) -> Patterns | str:
        try:
            if cached:
                return protect_lattice_cached(cells, threshold=table.threshold, nesting=nesting)
            return protect_lattice(cells, threshold=table.threshold, nesting=nesting)
        except UnprotectableError as error:
            return str(error)

    before = answer(table.cells, cached=True)
    assert before == answer(table.cells, cached=False)
    assert answer(changed, cached=True) == answer(changed, cached=False)
    if classes_of_every_figure(after) == classes_of_every_figure(table):
        event("same size classes")
        assert answer(changed, cached=False) == before
    else:
        event("a figure changed class")


def test_a_small_count_keeps_its_value_and_a_large_one_its_power_of_two() -> None:
    counts: dict[Key, int] = {
        ("a",): 1,
        ("b",): 4,
        ("c",): 5,
        ("d",): 19,
        ("e",): 20,
        ("f",): 39,
        ("g",): 40,
        ("h",): 1000,
    }
    assert size_classes(counts, 5) == {
        ("a",): 1,
        ("b",): 4,
        ("c",): 5,
        ("d",): 19,
        ("e",): 20,
        ("f",): 20,
        ("g",): 40,
        ("h",): 640,
    }


def test_a_partner_is_chosen_by_size_class_so_a_change_within_it_keeps_the_pattern() -> None:
    tree: Tree = {"A": "P", "B": "P", "C": "P", "P": "PK", "Q": "PK", "D": "Q", "E": "Q"}
    before: dict[Key, int] = {("A",): 2, ("B",): 100, ("C",): 120, ("D",): 50, ("E",): 60}
    withheld = protect_lattice(before, threshold=5, nesting={0: tree})
    assert withheld[TOTALS] == {("A",), ("B",)}  # the smaller partner, of two in one class by the order
    # B grows past C within its class (80 to 159): by exact counts C would now be the smaller partner.
    assert protect_lattice(before | {("B",): 127}, threshold=5, nesting={0: tree}) == withheld
    # Past its class, B is chosen by its size again.
    assert protect_lattice(before | {("B",): 160}, threshold=5, nesting={0: tree})[TOTALS] == {("A",), ("C",)}


# --- The exact solutions behind cubes, lifts and ways down ---------------------------------------------


def basic_solution(equations: list[tuple[dict[int, int], int]]) -> dict[int, Fraction] | None:
    """The reference: Gauss-Jordan over ``Fraction``, each row's pivot its lowest column, every non-pivot
    column zero; None when inconsistent."""
    basis: dict[int, tuple[dict[int, Fraction], Fraction]] = {}
    for equation, value in equations:
        row = {column: Fraction(c) for column, c in equation.items()}
        rhs = Fraction(value)
        for pivot in sorted(column for column in row if column in basis):
            factor = row.get(pivot, Fraction(0))
            pivot_row, pivot_rhs = basis[pivot]
            for column, c in pivot_row.items():
                row[column] = row.get(column, Fraction(0)) - factor * c
            rhs -= factor * pivot_rhs
            row = {column: c for column, c in row.items() if c}
        if not row:
            if rhs:
                return None
            continue
        pivot = min(row)
        rhs /= row[pivot]
        row = {column: c / row[pivot] for column, c in row.items()}
        for other, (other_row, other_rhs) in list(basis.items()):
            factor = other_row.get(pivot, Fraction(0))
            if factor:
                updated = {
                    column: other_row.get(column, Fraction(0)) - factor * row.get(column, Fraction(0))
                    for column in other_row.keys() | row.keys()
                }
                basis[other] = ({column: c for column, c in updated.items() if c}, other_rhs - factor * rhs)
        basis[pivot] = (row, rhs)
    return {pivot: rhs for pivot, (_, rhs) in basis.items()}


@settings(PROPERTY, max_examples=500)
@given(
    equations=st.lists(
        st.tuples(st.sets(st.integers(0, 7), min_size=1, max_size=5), st.integers(-2, 2)), max_size=9
    )
)
def test_the_basic_solution_is_the_exact_one_when_it_is_whole(equations: list[tuple[set[int], int]]) -> None:
    system = [(dict.fromkeys(columns, 1), rhs) for columns, rhs in equations]
    expected = basic_solution(system)
    consistent, whole = _solve(system)
    assert consistent == (expected is not None)
    if expected is not None and all(value.denominator == 1 for value in expected.values()):
        event("whole")
        assert whole == {column: int(value) for column, value in expected.items()}
    else:
        event("fractional or inconsistent")
        assert whole is None


# --- Large tables, protected in a process of their own ---------------------------------------------------


def large_table() -> tuple[dict[Key, int], Tree]:
    """Many districts, two categories, counts of every size: above the size protected in-process."""
    tree: Tree = {f"p{p}": "PK" for p in range(4)}
    cells: dict[Key, int] = {}
    for p, d in itertools.product(range(4), range(15)):
        tree[f"d{p}.{d}"] = f"p{p}"
        for i, key in enumerate(itertools.product([f"d{p}.{d}"], ["a", "b", "c"], ["f", "m", "t"])):
            cells[key] = 1 + (p * 131 + d * 17 + i * 7) % 40 if i % 4 else 200 + d
    assert len(cells) >= suppression._APART_FROM
    return cells, tree


def test_a_large_table_is_protected_in_another_process_as_it_is_here() -> None:
    cells, tree = large_table()
    suppression._LATTICE_CACHE.clear()
    apart = protect_lattice_cached(cells, threshold=5, nesting={0: tree})
    process = suppression._PROTECTOR.process
    assert process is not None
    assert process.poll() is None
    assert apart == protect_lattice(cells, threshold=5, nesting={0: tree})
    assert apart[frozenset({1, 2})], "a table with small cells"


def test_the_answer_is_still_given_when_the_protection_process_has_died() -> None:
    cells, tree = large_table()
    expected = protect_lattice(cells, threshold=5, nesting={0: tree})
    suppression._LATTICE_CACHE.clear()
    protect_lattice_cached(cells, threshold=5, nesting={0: tree})  # the process is started
    process = suppression._PROTECTOR.process
    assert process is not None
    process.kill()
    process.wait()
    suppression._LATTICE_CACHE.clear()
    assert protect_lattice_cached(cells, threshold=5, nesting={0: tree}) == expected  # started again
    assert suppression._PROTECTOR.process is not process
    suppression._PROTECTOR.process.stdin.close()  # type: ignore[union-attr]  # it ends mid-request next
    suppression._LATTICE_CACHE.clear()
    assert protect_lattice_cached(cells, threshold=5, nesting={0: tree}) == expected  # worked out here
