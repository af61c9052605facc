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
