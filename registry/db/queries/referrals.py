"""Reads of referrals, and the answer of the receiving side (a database function: it may lie outside the
case's jurisdiction, where row-level security hides the case)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, DateTime, Integer, Select, Text, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Institution, InterventionType, Referral, ReferralStatus
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order

OPEN_STATUSES = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


async def referrals_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Referral]:
    result = await session.scalars(select(Referral).where(Referral.id.in_(ids), visible))
    return {row.id: row for row in result}


async def open_referral_exists(
    session: AsyncSession,
    case_id: int,
    service: InterventionType,
    *,
    institution_id: int | None,
    organisation_id: int | None,
) -> bool:
    """Is this case already referred, pending or accepted, for this service to this recipient?"""
    statement = select(Referral.id).where(
        Referral.case_id == case_id,
        Referral.service == service,
        Referral.status.in_(OPEN_STATUSES),
        Referral.to_institution_id.is_not_distinct_from(institution_id),
        Referral.to_organisation_id.is_not_distinct_from(organisation_id),
    )
    return bool(await session.scalar(select(statement.exists())))


async def respond_to_referral(
    session: AsyncSession,
    referral_id: int,
    *,
    version: int,
    status: ReferralStatus,
    outcome: str | None,
    at: dt.datetime,
    user_id: int | None,
    client_id: int | None,
) -> str:
    """Record the answer and its case event; ``OK``, or ``NOT_FOUND``/``CONFLICT``/``INVALID_TRANSITION``
    when the database, under a row lock, finds it may not."""
    call = func.registry_respond_to_referral(
        literal(referral_id, BigInteger()),
        literal(version, Integer()),
        literal(status, Referral.__table__.c.status.type),
        literal(outcome, Text()),
        literal(at, DateTime(timezone=True)),
        literal(user_id, BigInteger()),
        literal(client_id, BigInteger()),
    )
    return str(await session.scalar(select(call)))


@dataclass(frozen=True, slots=True)
class ReferralFilter:
    statuses: Sequence[ReferralStatus] = ()
    to_institution_id: int | None = None
    # Only referrals to institutions where this predicate holds: "addressed to me".
    to_institution_within: ColumnElement[bool] | None = None


def _filtered(visible: ColumnElement[bool], flt: ReferralFilter) -> Select[Referral]:
    statement = select(Referral).where(visible)
    if flt.statuses:
        statement = statement.where(Referral.status.in_(flt.statuses))
    if flt.to_institution_id is not None:
        statement = statement.where(Referral.to_institution_id == flt.to_institution_id)
    if flt.to_institution_within is not None:
        receiving = select(Institution.id).where(flt.to_institution_within)
        statement = statement.where(Referral.to_institution_id.in_(receiving))
    return statement


async def referrals_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: ReferralFilter, *, keyset: Keyset
) -> list[Referral]:
    """Newest first, keyset-paged."""
    statement = apply_keyset(_filtered(visible, flt), Referral.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_referrals(session: AsyncSession, visible: ColumnElement[bool], flt: ReferralFilter) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)
