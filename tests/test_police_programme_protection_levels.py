"""The places police, detention and programme figures are protected in, attacked without a database.

``registry.statistics.tables.ScopeTree`` lays the caller's statistics scope out as ``protect_tree`` needs
it: jurisdictions level by level from the scope's top down to the level asked for (a node above a level
counts as its own figure there), and police stations and places of detention one level below district. On
random trees (provinces with and without divisions, records kept at every level, institutions in
communities, in districts and above them) this checks that:

- a reader holding every level of the table at once (``check_every_level``, the exact rational attacker of
  ``test_suppression``) works out no withheld cell, at any level, whether the finest level is provinces,
  districts or institutions;
- each level withholds the same cells whatever level the table goes down to: the province table within the
  district table, and the district table within the institutions' table. Two answers asked at different
  levels are then two views of one protection, and one cannot be subtracted from the other.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import cast

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from registry.db.models import JurisdictionLevel
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.statistics.suppression import Key, UnprotectableError, protect_lattice, protect_tree
from registry.statistics.tables import Place, ScopeTree
from tests.test_suppression import check_every_level
from tests.test_suppression_lattice import check_lattice

THRESHOLD = 5
CATEGORIES = ("THEFT", "ROBBERY")


@dataclass(frozen=True)
class Node:
    id: int
    parent_id: int | None
    level: JurisdictionLevel
    path: str


@dataclass(frozen=True)
class World:
    nodes: list[Node]
    # (node or institution, category) -> count; an institution is ("I", id, its node).
    records: dict[tuple[int, str], int]
    institutions: dict[tuple[int, int, str], int]  # (institution, its node, category) -> count

    def node(self, node_id: int) -> Node:
        return next(node for node in self.nodes if node.id == node_id)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A nation of one to three provinces, each with districts directly or under one or two divisions, some
    districts with a community; counts kept at any node, and at institutions anywhere."""
    ids = itertools.count(1)
    nodes: list[Node] = []

    def add(level: JurisdictionLevel, parent: Node | None) -> Node:
        new = next(ids)
        node = Node(new, parent.id if parent else None, level, f"{parent.path}.{new}" if parent else str(new))
        nodes.append(node)
        return node

    nation = add(JurisdictionLevel.NATIONAL, None)
    for _ in range(draw(st.integers(1, 3), label="provinces")):
        province = add(JurisdictionLevel.PROVINCIAL, nation)
        divisions = draw(st.integers(0, 2), label="divisions")
        parents = [add(JurisdictionLevel.DIVISIONAL, province) for _ in range(divisions)] or [province]
        for parent in parents:
            for _ in range(draw(st.integers(1, 3), label="districts")):
                district = add(JurisdictionLevel.DISTRICT, parent)
                if draw(st.booleans(), label="community"):
                    add(JurisdictionLevel.COMMUNITY, district)
    counts = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12])
    records: dict[tuple[int, str], int] = {}
    institutions: dict[tuple[int, int, str], int] = {}
    for institution in range(draw(st.integers(1, 12), label="institutions")):
        where = draw(st.sampled_from(nodes), label="institution's node")
        for category in CATEGORIES:
            count = draw(counts)
            if count:
                institutions[(1000 + institution, where.id, category)] = count
                records[(where.id, category)] = records.get((where.id, category), 0) + count
    assume(records)
    return World(nodes, records, institutions)


def located(world: World, node_id: int, level: JurisdictionLevel) -> int:
    """The deepest node at or above ``level`` on the node's path (as the statistics functions group)."""
    labels = [int(label) for label in world.node(node_id).path.split(".")]
    return next(n for n in reversed(labels) if LEVEL_DEPTH[world.node(n).level] <= LEVEL_DEPTH[level])


def jurisdiction_table(
    world: World, finest: JurisdictionLevel
) -> tuple[dict[Key, int], dict[Hashable, Hashable]]:
    tree = ScopeTree(_upto(world, finest), world.nodes[0].id, finest)
    cells: dict[Key, int] = defaultdict(int)
    for (node_id, category), count in world.records.items():
        cells[(tree.jurisdiction(located(world, node_id, finest)), category)] += count
    return dict(cells), tree.nesting(cast("Place", key[0]) for key in cells)


def institution_table(world: World) -> tuple[dict[Key, int], dict[Hashable, Hashable]]:
    tree = ScopeTree(_upto(world, JurisdictionLevel.DISTRICT), world.nodes[0].id, JurisdictionLevel.DISTRICT)
    cells: dict[Key, int] = {}
    places = []
    for (institution, node_id, category), count in world.institutions.items():
        place = tree.institution(institution, world.node(node_id).path)
        places.append(place)
        cells[(place, category)] = count
    return cells, tree.nesting(places)


def _upto(world: World, finest: JurisdictionLevel) -> list[Node]:
    return [node for node in world.nodes if LEVEL_DEPTH[node.level] <= LEVEL_DEPTH[finest]]


def at_depth(withheld: Iterable[Key], level: JurisdictionLevel) -> set[Key]:
    """The withheld keys whose place is a jurisdiction's figure at ``level``."""
    return {key for key in withheld if cast("tuple[object, ...]", key[0])[0] == LEVEL_DEPTH[level]}


PROPERTY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def attacked(cells: dict[Key, int], nesting: dict[Hashable, Hashable]) -> None:
    """``check_every_level`` on the table as ``protect_tree`` sees it: a category with one value throughout
    is left out (its totals are the cells themselves, which the attacker would otherwise count as known
    row totals of a withheld cell)."""
    if len({key[1] for key in cells}) == 1:
        cells = {key[:1]: count for key, count in cells.items()}
    check_every_level(cells, THRESHOLD, nesting)


@PROPERTY
@given(world=worlds())
def test_no_withheld_figure_at_any_level_can_be_worked_out_down_to_institutions(world: World) -> None:
    attacked(*institution_table(world))


@PROPERTY
@given(world=worlds(), finest=st.sampled_from([JurisdictionLevel.PROVINCIAL, JurisdictionLevel.DISTRICT]))
def test_no_withheld_figure_at_any_level_can_be_worked_out_down_to_a_jurisdiction_level(
    world: World, finest: JurisdictionLevel
) -> None:
    attacked(*jurisdiction_table(world, finest))


def _protected(cells: dict[Key, int], nesting: dict[Hashable, Hashable]) -> frozenset[Key] | None:
    try:
        return protect_tree(cells, threshold=THRESHOLD, nesting={0: nesting})
    except UnprotectableError:
        return None


@PROPERTY
@given(world=worlds())
def test_each_level_withholds_the_same_cells_whatever_level_the_table_goes_down_to(world: World) -> None:
    provinces = _protected(*jurisdiction_table(world, JurisdictionLevel.PROVINCIAL))
    districts = _protected(*jurisdiction_table(world, JurisdictionLevel.DISTRICT))
    institutions = _protected(*institution_table(world))

    if provinces is not None and districts is not None:
        assert at_depth(districts, JurisdictionLevel.PROVINCIAL) == at_depth(
            provinces, JurisdictionLevel.PROVINCIAL
        )
        assert at_depth(districts, JurisdictionLevel.NATIONAL) == at_depth(
            provinces, JurisdictionLevel.NATIONAL
        )
    if districts is not None and institutions is not None:
        for level in (JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCIAL, JurisdictionLevel.DISTRICT):
            assert at_depth(institutions, level) == at_depth(districts, level)
    # A finer level only ever adds a refusal, never lifts one.
    if provinces is None:
        assert districts is None
    if districts is None:
        assert institutions is None


# --- The same tables with their coarser grouping (the figures without the category) --------------------


def _lattice(
    cells: dict[Key, int], nesting: dict[Hashable, Hashable]
) -> dict[frozenset[int], frozenset[Key]] | None:
    try:
        return protect_lattice(cells, threshold=THRESHOLD, nesting={0: nesting})
    except UnprotectableError:
        return None


@PROPERTY
@given(world=worlds(), finest=st.sampled_from([JurisdictionLevel.DISTRICT, None]))
def test_no_withheld_figure_of_either_grouping_can_be_worked_out_from_both(
    world: World, finest: JurisdictionLevel | None
) -> None:
    cells, nesting = institution_table(world) if finest is None else jurisdiction_table(world, finest)
    check_lattice(cells, THRESHOLD, nesting)


@PROPERTY
@given(world=worlds())
def test_each_level_of_each_grouping_is_the_same_whatever_level_the_table_goes_down_to(world: World) -> None:
    provinces = _lattice(*jurisdiction_table(world, JurisdictionLevel.PROVINCIAL))
    districts = _lattice(*jurisdiction_table(world, JurisdictionLevel.DISTRICT))
    institutions = _lattice(*institution_table(world))
    for coarse, fine, levels in (
        (provinces, districts, (JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCIAL)),
        (
            districts,
            institutions,
            (JurisdictionLevel.NATIONAL, JurisdictionLevel.PROVINCIAL, JurisdictionLevel.DISTRICT),
        ),
    ):
        if coarse is None:
            assert fine is None
        elif fine is not None:
            for grouping in fine:
                for level in levels:
                    assert at_depth(fine[grouping], level) == at_depth(coarse[grouping], level)
