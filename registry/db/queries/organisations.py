"""Reads of organisations (public administrative data) and the programmes they run."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Organisation, Programme


async def organisations_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Organisation]:
    result = await session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {row.id: row for row in result}


async def programmes_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Programme]:
    result = await session.scalars(select(Programme).where(Programme.id.in_(ids)))
    return {row.id: row for row in result}
