"""Reads of the jurisdiction tree. The tree is public administrative geography, not personal data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Jurisdiction, JurisdictionLevel
from registry.db.queries.paging import (
    Keyset,
    apply_keyset,
    counts_within,
    in_list_order,
    pages_within,
)


@dataclass(frozen=True, slots=True)
class JurisdictionFilter:
    level: JurisdictionLevel | None = None
    parent_code: str | None = None
    # Only nodes strictly below the node with this code.
    within_code: str | None = None


def _filtered(flt: JurisdictionFilter) -> Select[Jurisdiction]:
    statement = select(Jurisdiction)
    if flt.level is not None:
        statement = statement.where(Jurisdiction.level == flt.level)
    if flt.parent_code is not None:
        parent_id = select(Jurisdiction.id).where(Jurisdiction.code == flt.parent_code).scalar_subquery()
        statement = statement.where(Jurisdiction.parent_id == parent_id)
    if flt.within_code is not None:
        ancestor_path = (
            select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        )
        statement = statement.where(
            Jurisdiction.path.op("<@")(ancestor_path), Jurisdiction.path != ancestor_path
        )
    return statement


async def jurisdiction_by_code(session: AsyncSession, code: str) -> Jurisdiction | None:
    result = await session.scalars(select(Jurisdiction).where(Jurisdiction.code == code))
    return result.one_or_none()


async def jurisdictions_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Jurisdiction]:
    result = await session.scalars(select(Jurisdiction).where(Jurisdiction.id.in_(ids)))
    return {row.id: row for row in result}


async def jurisdictions_by_parent_ids(
    session: AsyncSession, parent_ids: Sequence[int]
) -> dict[int, list[Jurisdiction]]:
    result = await session.scalars(
        select(Jurisdiction).where(Jurisdiction.parent_id.in_(parent_ids)).order_by(Jurisdiction.id)
    )
    children: dict[int, list[Jurisdiction]] = {parent_id: [] for parent_id in parent_ids}
    for row in result:
        assert row.parent_id is not None
        children[row.parent_id].append(row)
    return children


async def jurisdictions_page(
    session: AsyncSession, flt: JurisdictionFilter, *, keyset: Keyset
) -> list[Jurisdiction]:
    """Up to ``limit`` nodes in id order after ``after_id`` (keyset paging, no OFFSET)."""
    statement = apply_keyset(_filtered(flt), Jurisdiction.id, keyset, descending=False)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def descendants_pages(
    session: AsyncSession, flt: JurisdictionFilter, roots: Sequence[str], keyset: Keyset
) -> dict[str, list[Jurisdiction]]:
    """A page of the nodes strictly below each of ``roots``, in id order, in one statement."""
    return await pages_within(
        session,
        _filtered(flt),
        Jurisdiction,
        path_column=Jurisdiction.path,
        id_column=Jurisdiction.id,
        roots=roots,
        keyset=keyset,
        descending=False,
        strictly_below=True,
    )


async def count_descendants(
    session: AsyncSession, flt: JurisdictionFilter, roots: Sequence[str]
) -> dict[str, int]:
    return await counts_within(
        session, _filtered(flt), path_column=Jurisdiction.path, roots=roots, strictly_below=True
    )


async def count_jurisdictions(session: AsyncSession, flt: JurisdictionFilter) -> int:
    subquery = _filtered(flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)
