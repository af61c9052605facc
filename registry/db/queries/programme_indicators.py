"""Programme indicators from the SECURITY DEFINER function of migrations 0008 and 0011 (the app's role
cannot read interventions, children or households outside its record scope; the function checks the
statistics scope itself and returns counts only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import JurisdictionLevel, Programme
from registry.db.queries.incident_statistics import PlaceRow, place_of


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """The figures of one place (and, when counted by programme, one programme; None: no programme)."""

    place: PlaceRow
    programme_id: int | None
    children_supported: int
    children_mainstreamed: int
    children_reached: int  # by health education or life skills
    households: int  # covered: with a supported child, or support to a parent or the household
    households_of_supported: int
    households_parent_trained: int  # of those, with a parent in vocational training
    villages: int
    community_units: int
    districts: int


async def programme_by_code(session: AsyncSession, code: str) -> Programme | None:
    """Programmes are public administrative data."""
    result: Programme | None = await session.scalar(select(Programme).where(Programme.code == code))
    return result


async def programme_indicators(
    session: AsyncSession,
    *,
    jurisdiction_id: int,
    level: JurisdictionLevel | None,
    programme_id: int | None,
    by_programme: bool,
    first_day: dt.date,
    last_day: dt.date,
) -> list[IndicatorRow]:
    """Indicators under the jurisdiction, per deepest node at or above ``level`` (None: the jurisdiction's
    own level, one row), over the days given, for one programme, all, or each (``by_programme``)."""
    rows = await session.execute(
        text(
            "SELECT * FROM registry_programme_indicators(:jurisdiction_id,"
            " CAST(:level AS jurisdiction_level), :programme_id,"
            " :by_programme, :first_day, :last_day)"
        ),
        {
            "jurisdiction_id": jurisdiction_id,
            "level": level.value if level is not None else None,
            "programme_id": programme_id,
            "by_programme": by_programme,
            "first_day": first_day,
            "last_day": last_day,
        },
    )
    return [
        IndicatorRow(
            place=place_of(row),
            programme_id=row.programme_id,
            children_supported=int(row.children_supported),
            children_mainstreamed=int(row.children_mainstreamed),
            children_reached=int(row.children_reached),
            households=int(row.households),
            households_of_supported=int(row.households_of_supported),
            households_parent_trained=int(row.households_parent_trained),
            villages=int(row.villages),
            community_units=int(row.community_units),
            districts=int(row.districts),
        )
        for row in rows
    ]
