"""Protecting the caller's whole statistics scope before any part of it is reported.

Police, detention and programme figures are protected as ``caseStatistics`` are. The table protected is
always the caller's whole statistics scope, from its top (``statistics_root``) down to the level asked for,
grouped by every dimension grouped or filtered on, and protected at every level of the tree at once and
together with every coarser grouping of the same counts (``protect_lattice``): the figures by offence and
the figures ungrouped are one lattice of tables, each protected after the coarser ones, so neither gives
away a cell the other withholds. An answer reports some of its cells: one jurisdiction's figure, one
province's districts, one offence, one quarter. Neither the jurisdiction asked about nor a filter changes
the table, so the same cell is withheld or published the same way in every answer, and no two answers can
be subtracted from each other (a province's figure minus its published districts, one parent's districts
against another's) to recover a withheld count.

A *place* is a coordinate of the tree: a jurisdiction's figure at a level (``levels.Coordinate``), or an
institution (``("I", id)``: a police station, a place of detention) one level below district, under the
district it lies in, so that a district's figure is the same sum of its institutions' whichever is asked.
Figures with small counts withheld go down to district level (and institutions) only.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Literal, cast

from registry.db.models import JurisdictionLevel
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.errors import InvalidInput
from registry.statistics.levels import Coordinate, LevelTree, Node
from registry.statistics.suppression import Key, UnprotectableError, protect_lattice_cached

Institution = tuple[Literal["I"], int]
Place = Coordinate | Institution

# The finest jurisdiction level of protected figures; institutions lie one below it.
FINEST = JurisdictionLevel.DISTRICT

UNPROTECTABLE = (
    "These figures cannot be published without revealing small counts; ask for fewer groupings, a longer "
    "period or a higher jurisdiction level."
)


def refuse_below_district(level: JurisdictionLevel, *, field: str) -> None:
    if LEVEL_DEPTH[level] > LEVEL_DEPTH[FINEST]:
        raise InvalidInput(
            "Statistics with small counts withheld go down to district level; ask at a higher level.",
            field=field,
        )


def refuse_too_large(cells: int, max_cells: int) -> None:
    """Protection is CPU work: a table larger than the deployment protects for one answer is refused."""
    if cells > max_cells:
        raise InvalidInput(
            f"These figures would need a table of {cells:,} cells protected; group by fewer dimensions, a "
            "longer period or a higher jurisdiction level.",
            field="groupBy",
        )


class ScopeTree:
    """The places of the caller's statistics scope: its jurisdictions from the top down to ``finest``, and
    institutions under the districts they lie in."""

    def __init__(self, nodes: Iterable[Node], top: int, finest: JurisdictionLevel) -> None:
        self.levels = LevelTree(nodes, top, finest)
        self.top = top
        self._district_of: dict[Institution, Coordinate] = {}

    def jurisdiction(self, node_id: int) -> Coordinate:
        """The place of counts grouped at ``node_id`` (a node at or above the finest level)."""
        return self.levels.leaf(node_id)

    def institution(self, institution_id: int, path: str) -> Institution:
        """The place of an institution at ``path`` (its jurisdiction's), under the deepest node of the path
        that is in the tree (the district, or where the path stops above district level, that node's own
        figure there)."""
        place: Institution = ("I", institution_id)
        inside = [int(label) for label in path.split(".") if int(label) in self.levels.depth]
        if not inside:
            raise ValueError(f"institution {institution_id} lies outside the statistics scope counted")
        self._district_of[place] = self.levels.leaf(inside[-1])
        return place

    def within(self, place: Place, jurisdiction_id: int) -> bool:
        """Is the place's figure part of the jurisdiction's?"""
        coordinate = self._district_of[place] if place[0] == "I" else place
        return self.levels.is_within(coordinate[1], jurisdiction_id)

    def nesting(self, places: Iterable[Place]) -> dict[Hashable, Hashable]:
        """Each place's parent, and each parent's, up to the top: the tree ``protect_tree`` nests in."""
        parents: dict[Hashable, Hashable] = {}
        coordinates: set[Coordinate] = set()
        for place in places:
            if place[0] == "I":
                parents[place] = self._district_of[place]
                coordinates.add(self._district_of[place])
            else:
                coordinates.add(place)
        for coordinate, parent in self.levels.parents(coordinates).items():
            parents[coordinate] = parent
        return parents


async def withheld(
    cells: Mapping[Key, int],
    *,
    tree: ScopeTree,
    threshold: int,
    partition: Callable[[Key], Hashable] | None = None,
    field: str = "groupBy",
) -> frozenset[Key]:
    """The keys of ``cells`` (place first) to withhold. ``partition`` splits the table into parts that share
    no published figure (the quarters of different years), each protected on its own."""
    parts: dict[Hashable, dict[Key, int]] = defaultdict(dict)
    for key, count in cells.items():
        if count > 0:
            parts[partition(key) if partition is not None else None][key] = count
    nesting = tree.nesting(cast("Place", key[0]) for key in cells)

    def protect() -> frozenset[Key]:
        hidden: set[Key] = set()
        for part in sorted(parts, key=repr):
            # Every grouping of the part is protected; this table is its finest.
            finest = frozenset(range(1, len(next(iter(parts[part])))))
            hidden |= protect_lattice_cached(parts[part], threshold=threshold, nesting={0: nesting})[finest]
        return frozenset(key for key in hidden if key in cells)

    # In a worker thread: a national table takes a while to protect, and other requests keep being served.
    try:
        return await asyncio.to_thread(protect)
    except UnprotectableError as error:
        raise InvalidInput(UNPROTECTABLE, field=field) from error


async def withheld_part(
    totals: Mapping[Key, int],
    parts: Mapping[Key, int],
    *,
    tree: ScopeTree,
    threshold: int,
    partition: Callable[[Key], Hashable] | None = None,
    field: str = "groupBy",
) -> frozenset[Key]:
    """The keys whose ``parts`` (a subset of the ``totals``: children mainstreamed among those supported,
    detentions apart from adults among all) must be withheld. A part and the rest of its total are two
    cells of a finer table, protected together, so that neither the part nor ``total - part`` is a small
    count a reader can see or work out. (The totals are the coarser grouping of that table, protected first
    and the same way as ``withheld(totals)``: a shown part and a shown total never reveal a withheld rest.)"""
    fine: dict[Key, int] = {}
    for key, total in totals.items():
        part = parts.get(key, 0)
        fine[(*key, True)] = part
        fine[(*key, False)] = total - part
    hidden = await withheld(
        fine,
        tree=tree,
        threshold=threshold,
        partition=(lambda key: partition(key[:-1])) if partition is not None else None,
        field=field,
    )
    return frozenset(key for key in totals if (*key, True) in hidden)
