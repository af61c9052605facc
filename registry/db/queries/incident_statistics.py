"""Counts of police-station incidents and of detentions, from the SECURITY DEFINER functions of migration
0008 (the app's role cannot read those records outside its record scope; the functions check the
statistics scope themselves and return counts only). Their ``p_siblings`` (the table of a jurisdiction's
siblings) is no longer used: protected figures are counted under the top of the caller's statistics
scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import IncidentDirection, JurisdictionLevel, OffenceCategory, PlacementKind
from registry.statistics.periods import Unit


@dataclass(frozen=True, slots=True)
class Grouping:
    """Where and how to count, as the functions take it: under ``jurisdiction_id``. ``level``: group by the
    deepest node at or above this level. ``by_institution``: group by police station (incidents) or
    institution (detentions). ``unit``: group by this period.
    """

    jurisdiction_id: int
    level: JurisdictionLevel | None = None
    by_institution: bool = False
    by_category: bool = False
    unit: Unit | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PlaceRow:
    """A place counted: a jurisdiction (``level`` set) or an institution (``path`` its jurisdiction's)."""

    id: int
    code: str
    path: str
    level: JurisdictionLevel | None


@dataclass(frozen=True, slots=True)
class IncidentCountRow:
    place: PlaceRow
    direction: IncidentDirection
    offence: OffenceCategory | None
    period: dt.date | None
    incidents: int


@dataclass(frozen=True, slots=True)
class DetentionCountRow:
    place: PlaceRow
    kind: PlacementKind | None
    period: dt.date | None
    detentions: int
    segregated: int


def _params(grouping: Grouping) -> dict[str, object]:
    return {
        "jurisdiction_id": grouping.jurisdiction_id,
        "level": grouping.level.value if grouping.level is not None else None,
        "by_institution": grouping.by_institution,
        "by_category": grouping.by_category,
        "unit": grouping.unit.value.lower() if grouping.unit is not None else None,
        "first_day": grouping.first_day,
        "last_day": grouping.last_day,
    }


def place_of(row: Any) -> PlaceRow:
    """The place columns every statistics function returns first."""
    return PlaceRow(
        id=int(row.place_id),
        code=str(row.place_code),
        path=str(row.place_path),
        level=JurisdictionLevel(row.place_level) if row.place_level is not None else None,
    )


async def incident_counts(
    session: AsyncSession,
    grouping: Grouping,
    *,
    directions: Sequence[IncidentDirection] | None,
    offences: Sequence[OffenceCategory] | None,
) -> list[IncidentCountRow]:
    """Incidents per place, direction, offence (when ``by_category``) and period of ``occurred_on``."""
    rows = await session.execute(
        text(
            "SELECT * FROM registry_incident_statistics(:jurisdiction_id, false,"
            " CAST(:level AS jurisdiction_level), :by_institution, :by_category, :unit,"
            " :first_day, :last_day, CAST(:directions AS incident_direction[]),"
            " CAST(:offences AS offence_category[]))"
        ),
        _params(grouping)
        | {
            "directions": [d.value for d in directions] if directions is not None else None,
            "offences": [o.value for o in offences] if offences is not None else None,
        },
    )
    return [
        IncidentCountRow(
            place=place_of(row),
            direction=IncidentDirection(row.direction),
            offence=OffenceCategory(row.offence) if row.offence is not None else None,
            period=row.period,
            incidents=int(row.incidents),
        )
        for row in rows
    ]


async def detention_counts(
    session: AsyncSession, grouping: Grouping, *, kinds: Sequence[PlacementKind] | None
) -> list[DetentionCountRow]:
    """Detentions begun per place, kind (when ``by_category``) and period of ``started_at`` (Pakistan
    time), and how many of them held the child apart from adults."""
    rows = await session.execute(
        text(
            "SELECT * FROM registry_detention_statistics(:jurisdiction_id, false,"
            " CAST(:level AS jurisdiction_level), :by_institution, :by_category, :unit,"
            " :first_day, :last_day, CAST(:kinds AS placement_kind[]))"
        ),
        _params(grouping) | {"kinds": [k.value for k in kinds] if kinds is not None else None},
    )
    return [
        DetentionCountRow(
            place=place_of(row),
            kind=PlacementKind(row.kind) if row.kind is not None else None,
            period=row.period,
            detentions=int(row.detentions),
            segregated=int(row.segregated),
        )
        for row in rows
    ]
