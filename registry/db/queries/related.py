"""Rows that hang off a parent (a case's referrals, a child's consents, ...), fetched for many parents in
one statement. The parents were authorised already; ``visible`` narrows rows that carry a path of their own,
and row-level security applies either way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Base

ModelT = TypeVar("ModelT", bound=Base)


async def rows_by_parent(
    session: AsyncSession,
    model: type[ModelT],
    parent_column: Any,
    parent_ids: Sequence[int],
    *,
    order_by: Any,
    visible: ColumnElement[bool] | None = None,
) -> dict[int, list[ModelT]]:
    statement = (
        select(model)
        .where(parent_column.in_(parent_ids), visible if visible is not None else true())
        .order_by(order_by)
    )
    found: dict[int, list[ModelT]] = {parent_id: [] for parent_id in parent_ids}
    key = parent_column.key
    for row in await session.scalars(statement):
        found[getattr(row, key)].append(row)
    return found
