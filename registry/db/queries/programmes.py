"""Reads of interventions (what was done for a child or a household) and of outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Intervention, Outcome


async def interventions_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Intervention]:
    result = await session.scalars(select(Intervention).where(Intervention.id.in_(ids), visible))
    return {row.id: row for row in result}


async def intervention_for_update(
    session: AsyncSession, visible: ColumnElement[bool], intervention_id: int
) -> Intervention | None:
    """The intervention, locked until the transaction ends, if ``visible`` admits it."""
    statement = select(Intervention).where(Intervention.id == intervention_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def outcomes_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Outcome]:
    result = await session.scalars(select(Outcome).where(Outcome.id.in_(ids), visible))
    return {row.id: row for row in result}
