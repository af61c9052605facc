"""Reads of police-station incidents, by and against children (always told apart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Incident, IncidentDirection, Jurisdiction, OffenceCategory
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    directions: Sequence[IncidentDirection] = ()
    offences: Sequence[OffenceCategory] = ()
    police_station_id: int | None = None
    within_code: str | None = None
    occurred_from: dt.date | None = None
    occurred_before: dt.date | None = None


def _filtered(visible: ColumnElement[bool], flt: IncidentFilter) -> Select[Incident]:
    statement = select(Incident).where(visible)
    if flt.directions:
        statement = statement.where(Incident.direction.in_(flt.directions))
    if flt.offences:
        statement = statement.where(Incident.offence.in_(flt.offences))
    if flt.police_station_id is not None:
        statement = statement.where(Incident.police_station_id == flt.police_station_id)
    if flt.within_code is not None:
        root = select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        statement = statement.where(Incident.path.op("<@")(root))
    if flt.occurred_from is not None:
        statement = statement.where(Incident.occurred_on >= flt.occurred_from)
    if flt.occurred_before is not None:
        statement = statement.where(Incident.occurred_on < flt.occurred_before)
    return statement


async def incidents_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: IncidentFilter, *, keyset: Keyset
) -> list[Incident]:
    statement = apply_keyset(_filtered(visible, flt), Incident.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_incidents(session: AsyncSession, visible: ColumnElement[bool], flt: IncidentFilter) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def incidents_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Incident]:
    result = await session.scalars(select(Incident).where(Incident.id.in_(ids), visible))
    return {row.id: row for row in result}
