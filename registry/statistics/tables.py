"""Protecting whole tables of figures before any part of them is reported.

Filters and "the figure for one jurisdiction" never change the table that is protected, only which of its
cells are reported: a filter on one offence reports the cells of that offence from the table grouped by
offence, a filter on one quarter reports that quarter from the table of its year's quarters, and the figure
of one district is reported from the table of its parent's districts. The same cells under the same parent
therefore always get the same pattern, so one answer cannot be subtracted from another to recover a
withheld count.

A *place* is a coordinate of the geographic dimension: ``("J", id)`` a jurisdiction,
``("OWN", id)`` the records kept at a jurisdiction above the level grouped by, ``("I", id)`` an institution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Literal

from registry.errors import InvalidInput
from registry.statistics.suppression import Key, UnprotectableError, protect

Place = tuple[Literal["J", "OWN", "I"], int]

UNPROTECTABLE = (
    "These figures cannot be published without revealing small counts; ask for fewer groupings, a longer "
    "period or a higher jurisdiction level."
)


def jurisdiction_place(node_id: int, *, own: bool) -> Place:
    return ("OWN", node_id) if own else ("J", node_id)


def nesting(places: Iterable[tuple[Place, str]], top: int) -> dict[Hashable, Hashable] | None:
    """Each place's parent group, and each group's parent, up to ``top`` (the node counted under): from
    ``(place, path)`` pairs, where ``path`` is the place's own path, or for an institution its
    jurisdiction's. None when no place has a parent (the table is the nation alone)."""
    parents: dict[Hashable, Hashable] = {}
    for place, path in places:
        labels = [int(label) for label in path.split(".")]
        kind, place_id = place
        if kind == "J":
            labels = labels[:-1]  # the node itself is the place
            if place_id == top:
                continue
        chain: Hashable = place
        for ancestor in reversed(labels):
            parents[chain] = ("J", ancestor)
            chain = ("J", ancestor)
            if ancestor == top:
                break
    return _level(parents) or None


def _level(parents: dict[Hashable, Hashable]) -> dict[Hashable, Hashable]:
    """The tree with every leaf at the same depth, as protection needs: a leaf with fewer levels above it
    gets single-child stand-ins between it and its parent (each the same figure as the leaf)."""
    leaves = set(parents) - set(parents.values())

    def depth(node: Hashable) -> int:
        return 1 + depth(parents[node]) if node in parents else 0

    deepest = max((depth(leaf) for leaf in leaves), default=0)
    for leaf in leaves:
        for step in range(deepest - depth(leaf)):
            stand_in = ("STAND-IN", leaf, step)
            parents[stand_in] = parents[leaf]
            parents[leaf] = stand_in
    return parents


def withheld(
    cells: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[Hashable, Hashable] | None,
    partition: Callable[[Key], Hashable] | None = None,
    field: str = "groupBy",
) -> frozenset[Key]:
    """The keys of ``cells`` (place first) to withhold. ``partition`` splits the table into parts that share
    no published figure (the two directions of incidents; the quarters of different years), each
    protected on its own."""
    parts: dict[Hashable, dict[Key, int]] = defaultdict(dict)
    for key, count in cells.items():
        if count > 0:
            parts[partition(key) if partition is not None else None][key] = count
    hidden: set[Key] = set()
    for part in sorted(parts, key=repr):
        try:
            hidden |= protect(
                parts[part], threshold=threshold, nesting={0: nesting} if nesting is not None else None
            )
        except UnprotectableError as error:
            raise InvalidInput(UNPROTECTABLE, field=field) from error
    return frozenset(hidden)


def withheld_part(
    totals: Mapping[Key, int],
    parts: Mapping[Key, int],
    *,
    threshold: int,
    nesting: Mapping[Hashable, Hashable] | None,
    partition: Callable[[Key], Hashable] | None = None,
    field: str = "groupBy",
) -> frozenset[Key]:
    """The keys whose ``parts`` (a subset of the ``totals``: children mainstreamed among those supported,
    detentions apart from adults among all) must be withheld. A part and the rest of its total are two
    cells of a finer table, protected together, so that neither the part nor ``total - part`` is a small
    count a reader can see or work out. (A cube leaves the part/rest dimension flat only where the total is
    itself small, and then the total is withheld in its own table: a shown part and a shown total never
    reveal a withheld rest.)"""
    fine: dict[Key, int] = {}
    for key, total in totals.items():
        part = parts.get(key, 0)
        fine[(*key, True)] = part
        fine[(*key, False)] = total - part
    hidden = withheld(
        fine,
        threshold=threshold,
        nesting=nesting,
        partition=(lambda key: partition(key[:-1])) if partition is not None else None,
        field=field,
    )
    return frozenset(key for key in totals if (*key, True) in hidden)
