"""Reads of placements: children held or housed in institutions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Placement


async def placements_by_child_ids(
    session: AsyncSession, visible: ColumnElement[bool], child_ids: Sequence[int]
) -> dict[int, list[Placement]]:
    result = await session.scalars(
        select(Placement).where(Placement.child_id.in_(child_ids), visible).order_by(Placement.started_at)
    )
    found: dict[int, list[Placement]] = {child_id: [] for child_id in child_ids}
    for row in result:
        found[row.child_id].append(row)
    return found


async def placements_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Placement]:
    result = await session.scalars(select(Placement).where(Placement.id.in_(ids), visible))
    return {row.id: row for row in result}


async def placement_for_update(session: AsyncSession, placement_id: int) -> Placement | None:
    """The placement, locked until the transaction ends (row-level security still applies): two requests
    ending it queue here, and the later one sees the version the earlier one left."""
    statement = select(Placement).where(Placement.id == placement_id).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def open_placement_at(session: AsyncSession, child_id: int, institution_id: int) -> int | None:
    """The id of the child's placement at the institution that has not ended, if there is one."""
    statement = select(Placement.id).where(
        Placement.child_id == child_id,
        Placement.institution_id == institution_id,
        Placement.ended_at.is_(None),
    )
    return (await session.scalars(statement.limit(1))).first()
