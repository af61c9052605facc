"""Reads of children and their identity (personal data, read only when the policy allows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Child, ChildIdentity, Household, Jurisdiction, Sex
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order


@dataclass(frozen=True, slots=True)
class ChildFilter:
    sexes: Sequence[Sex] = ()
    within_code: str | None = None
    # Born in one of these (earliest, latest) ranges of years, None where open: age bands on a given day.
    birth_years: Sequence[tuple[int | None, int | None]] = ()
    # Trigram similarity on the full name: copes with romanised Urdu spellings (Muhammad / Mohammad).
    name: str | None = None
    # The blind index of an identity number: an exact match without decrypting anything.
    identity_number_index: bytes | None = None


def _filtered(visible: ColumnElement[bool], flt: ChildFilter) -> Select[Child]:
    statement = select(Child).where(visible)
    if flt.sexes:
        statement = statement.where(Child.sex.in_(flt.sexes))
    if flt.within_code is not None:
        root = select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        statement = statement.where(Child.path.op("<@")(root))
    if flt.birth_years:
        statement = statement.where(
            or_(
                *(
                    and_(
                        Child.birth_year >= earliest if earliest is not None else true(),
                        Child.birth_year <= latest if latest is not None else true(),
                    )
                    for earliest, latest in flt.birth_years
                )
            )
        )
    if flt.name is not None:
        matching = select(ChildIdentity.child_id).where(ChildIdentity.full_name.op("%")(flt.name))
        statement = statement.where(Child.id.in_(matching))
    if flt.identity_number_index is not None:
        holder = select(ChildIdentity.child_id).where(
            ChildIdentity.identity_number_blind_index == flt.identity_number_index
        )
        statement = statement.where(Child.id.in_(holder))
    return statement


async def children_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: ChildFilter, *, keyset: Keyset
) -> list[Child]:
    statement = apply_keyset(_filtered(visible, flt), Child.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_children(session: AsyncSession, visible: ColumnElement[bool], flt: ChildFilter) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def children_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Child]:
    result = await session.scalars(select(Child).where(Child.id.in_(ids), visible))
    return {row.id: row for row in result}


async def identities_by_child_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ChildIdentity]:
    result = await session.scalars(select(ChildIdentity).where(ChildIdentity.child_id.in_(ids)))
    return {row.child_id: row for row in result}


async def households_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Household]:
    result = await session.scalars(select(Household).where(Household.id.in_(ids), visible))
    return {row.id: row for row in result}


async def children_by_household_ids(
    session: AsyncSession, visible: ColumnElement[bool], household_ids: Sequence[int]
) -> dict[int, list[Child]]:
    result = await session.scalars(
        select(Child).where(Child.household_id.in_(household_ids), visible).order_by(Child.id)
    )
    found: dict[int, list[Child]] = {household_id: [] for household_id in household_ids}
    for row in result:
        assert row.household_id is not None
        found[row.household_id].append(row)
    return found
