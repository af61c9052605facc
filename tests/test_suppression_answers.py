"""Linked tables that used to be refused and are now answered, still attacked by the reader of every grouping.

Each table below was refused while a withheld cell's vector had to be carried down or lifted as it was: its
corners lay in different districts, or no single category held them all. Now such a vector is given out as
any vector of changes of one that meets the same sums, or, where none does, every cell it moved is moved by
vectors of the finer table found for that cell alone. ``check_lattice`` attacks every answer with exact
linear algebra over all groupings at all levels.
"""

from __future__ import annotations

import pytest

from registry.statistics.suppression import Key, UnprotectableError, protect_lattice, protect_lattice_cached
from tests.test_suppression_lattice import Tree, check_lattice

ONE_DISTRICT_EACH: Tree = {"d00": "p0", "p0": "PK", "d10": "p1", "p1": "PK"}
TWO_AND_ONE: Tree = {"d00": "p0", "d01": "p0", "p0": "PK", "d10": "p1", "p1": "PK"}

LONE_DISTRICTS: dict[Key, int] = {
    ("d00", "a", "F"): 1,
    ("d00", "a", "M"): 6,
    ("d00", "a", "T"): 3,
    ("d00", "b", "M"): 2,
    ("d00", "b", "T"): 12,
    ("d00", "c", "F"): 20,
    ("d00", "c", "T"): 2,
    ("d10", "a", "M"): 12,
    ("d10", "a", "T"): 2,
    ("d10", "b", "F"): 1,
    ("d10", "b", "M"): 3,
    ("d10", "c", "M"): 1,
    ("d10", "c", "T"): 20,
}
SPREAD_THINLY: dict[Key, int] = {
    ("d00", "a", "F"): 1,
    ("d00", "a", "T"): 9,
    ("d00", "b", "F"): 3,
    ("d00", "b", "T"): 1,
    ("d00", "c", "M"): 1,
    ("d00", "c", "T"): 1,
    ("d01", "a", "F"): 1,
    ("d01", "a", "M"): 12,
    ("d01", "b", "M"): 2,
    ("d01", "c", "T"): 2,
    ("d10", "a", "M"): 3,
    ("d10", "a", "T"): 1,
    ("d10", "b", "F"): 3,
    ("d10", "b", "M"): 12,
    ("d10", "b", "T"): 20,
    ("d10", "c", "F"): 20,
    ("d10", "c", "M"): 3,
    ("d10", "c", "T"): 3,
}
RARE_SEXES: dict[Key, int] = {
    ("d00", "a", "F"): 6,
    ("d00", "b", "F"): 6,
    ("d00", "b", "T"): 9,
    ("d00", "c", "F"): 20,
    ("d00", "c", "T"): 1,
    ("d01", "a", "F"): 12,
    ("d01", "a", "M"): 1,
    ("d01", "b", "F"): 20,
    ("d01", "b", "T"): 3,
    ("d01", "c", "F"): 20,
    ("d01", "c", "M"): 3,
    ("d01", "c", "T"): 20,
    ("d10", "a", "F"): 2,
    ("d10", "a", "T"): 3,
    ("d10", "b", "M"): 3,
    ("d10", "b", "T"): 12,
    ("d10", "c", "F"): 9,
    ("d10", "c", "M"): 1,
}


@pytest.mark.parametrize(
    ("cells", "tree"),
    [(LONE_DISTRICTS, ONE_DISTRICT_EACH), (SPREAD_THINLY, TWO_AND_ONE), (RARE_SEXES, TWO_AND_ONE)],
    ids=["lone districts", "spread thinly", "rare sexes"],
)
def test_districts_by_two_categories_are_answered_and_give_no_withheld_cell_away(
    cells: dict[Key, int], tree: Tree
) -> None:
    assert check_lattice(cells, 5, tree) is not None


@pytest.mark.parametrize(
    ("cells", "tree"),
    [(LONE_DISTRICTS, ONE_DISTRICT_EACH), (SPREAD_THINLY, TWO_AND_ONE), (RARE_SEXES, TWO_AND_ONE)],
    ids=["lone districts", "spread thinly", "rare sexes"],
)
def test_answered_patterns_are_the_same_every_time(cells: dict[Key, int], tree: Tree) -> None:
    first = protect_lattice(cells, threshold=5, nesting={0: tree})
    again = protect_lattice(dict(reversed(list(cells.items()))), threshold=5, nesting={0: dict(tree)})
    assert again == first


def test_cached_refusal_is_the_refusal() -> None:
    # Kind b's 3 boys in d10 have no partner: d10's only other cell is the kind a boys, and d00 has no a.
    cells: dict[Key, int] = {("d00", "b", "M"): 9, ("d10", "a", "M"): 20, ("d10", "b", "M"): 3}
    with pytest.raises(UnprotectableError) as refused:
        protect_lattice(cells, threshold=5, nesting={0: ONE_DISTRICT_EACH})
    for _ in range(2):
        with pytest.raises(UnprotectableError) as again:
            protect_lattice_cached(cells, threshold=5, nesting={0: ONE_DISTRICT_EACH})
        assert str(again.value) == str(refused.value)
