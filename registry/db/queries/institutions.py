"""Reads of institutions (police stations, centres, shelters, schools, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Institution, InstitutionType, Jurisdiction
from registry.db.queries.paging import (
    Keyset,
    apply_keyset,
    counts_within,
    in_list_order,
    pages_within,
)


@dataclass(frozen=True, slots=True)
class InstitutionFilter:
    types: Sequence[InstitutionType] = ()
    within_code: str | None = None


def _filtered(visible: ColumnElement[bool], flt: InstitutionFilter) -> Select[Institution]:
    statement = select(Institution).where(visible)
    if flt.types:
        statement = statement.where(Institution.type.in_(flt.types))
    if flt.within_code is not None:
        root = select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        statement = statement.where(Institution.path.op("<@")(root))
    return statement


async def institutions_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: InstitutionFilter, *, keyset: Keyset
) -> list[Institution]:
    statement = apply_keyset(_filtered(visible, flt), Institution.id, keyset, descending=False)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_institutions(
    session: AsyncSession, visible: ColumnElement[bool], flt: InstitutionFilter
) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def institutions_pages_within(
    session: AsyncSession,
    visible: ColumnElement[bool],
    flt: InstitutionFilter,
    roots: Sequence[str],
    keyset: Keyset,
) -> dict[str, list[Institution]]:
    """A page of institutions inside each of the subtrees ``roots``, in id order, in one statement."""
    return await pages_within(
        session,
        _filtered(visible, flt),
        Institution,
        path_column=Institution.path,
        id_column=Institution.id,
        roots=roots,
        keyset=keyset,
        descending=False,
    )


async def count_institutions_within(
    session: AsyncSession, visible: ColumnElement[bool], flt: InstitutionFilter, roots: Sequence[str]
) -> dict[str, int]:
    return await counts_within(session, _filtered(visible, flt), path_column=Institution.path, roots=roots)


async def institutions_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Institution]:
    result = await session.scalars(select(Institution).where(Institution.id.in_(ids), visible))
    return {row.id: row for row in result}
