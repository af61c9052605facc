"""Reads of consents, and whether a child's consent to a purpose has been withdrawn.

A withdrawal takes effect for its purpose until a consent to that purpose is given again after it: the
latest word of anyone who consented counts. So a guardian's withdrawal is not outweighed by an older
assent of the child that still stands, and a fresh consent restores what a withdrawal stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from registry.db.models import Child, Consent, ConsentGiver, ConsentPurpose

# Consent purposes whose withdrawal stops referrals and the sharing of the child's record.
SHARING_PURPOSES = (ConsentPurpose.DATA_SHARING, ConsentPurpose.REFERRAL)


def withdrawn_clause(child_id: Any, purposes: Iterable[ConsentPurpose]) -> ColumnElement[bool]:
    """True where the child (a column or a value) has a withdrawal of one of ``purposes`` that no later
    consent to the same purpose has followed."""
    withdrawal = aliased(Consent, name="withdrawal")
    renewal = aliased(Consent, name="renewal")
    renewed = (
        select(renewal.id)
        .where(
            renewal.child_id == withdrawal.child_id,
            renewal.purpose == withdrawal.purpose,
            renewal.given_at > withdrawal.withdrawn_at,
        )
        .exists()
    )
    clause: ColumnElement[bool] = (
        select(withdrawal.id)
        .where(
            withdrawal.child_id == child_id,
            withdrawal.purpose.in_(list(purposes)),
            withdrawal.withdrawn_at.is_not(None),
            ~renewed,
        )
        .exists()
    )
    return clause


async def consent_withdrawn(session: AsyncSession, child_id: int, purpose: ConsentPurpose) -> bool:
    """Has the child's consent to ``purpose`` been withdrawn (and not given again since)?"""
    return bool(await session.scalar(select(withdrawn_clause(literal(child_id), (purpose,)))))


async def sharing_withdrawn(session: AsyncSession, child_id: int) -> bool:
    """True when the child's consent to data sharing or to referral is withdrawn: the child may then be
    neither referred nor shared with API clients. Also true when the child is out of this transaction's
    sight (its consents are then hidden by row-level security too): what cannot be checked is refused."""
    visible = select(Child.id).where(Child.id == child_id).exists()
    return bool(
        await session.scalar(select(or_(~visible, withdrawn_clause(literal(child_id), SHARING_PURPOSES))))
    )


async def consents_by_ids(
    session: AsyncSession, visible_child: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Consent]:
    """Consents by id whose child ``visible_child`` (a predicate on :class:`Child`) admits."""
    result = await session.scalars(
        select(Consent).join(Child, Child.id == Consent.child_id).where(Consent.id.in_(ids), visible_child)
    )
    return {row.id: row for row in result}


async def consent_for_update(
    session: AsyncSession, visible_child: ColumnElement[bool], consent_id: int
) -> Consent | None:
    """The consent, locked until the transaction ends, if its child is admitted by ``visible_child``."""
    statement = (
        select(Consent)
        .join(Child, Child.id == Consent.child_id)
        .where(Consent.id == consent_id, visible_child)
        .with_for_update(of=Consent)
    )
    return (await session.scalars(statement)).one_or_none()


async def consent_in_force(
    session: AsyncSession,
    child_id: int,
    purpose: ConsentPurpose,
    *,
    given_by: ConsentGiver,
    guardian_id: int | None,
) -> Consent | None:
    """A consent of this giver to ``purpose`` that has not been withdrawn, if there is one."""
    statement = select(Consent).where(
        and_(
            Consent.child_id == child_id,
            Consent.purpose == purpose,
            Consent.given_by == given_by,
            Consent.guardian_id.is_(None) if guardian_id is None else Consent.guardian_id == guardian_id,
            Consent.withdrawn_at.is_(None),
        )
    )
    return (await session.scalars(statement.limit(1))).first()
