"""Reads of transfers, and the receiving side's answer (a database function: until it accepts, row-level
security hides the case from it, so the move happens inside the database, which checks its scope)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Text,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Transfer, TransferStatus
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order


async def transfers_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Transfer]:
    result = await session.scalars(select(Transfer).where(Transfer.id.in_(ids), visible))
    return {row.id: row for row in result}


async def transfer_for_update(
    session: AsyncSession, visible: ColumnElement[bool], transfer_id: int
) -> Transfer | None:
    """The transfer, locked until the transaction ends, if ``visible`` admits it."""
    statement = select(Transfer).where(Transfer.id == transfer_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def open_transfer_of_case(session: AsyncSession, case_id: int) -> Transfer | None:
    statement = select(Transfer).where(
        Transfer.case_id == case_id, Transfer.status == TransferStatus.REQUESTED
    )
    return (await session.scalars(statement)).one_or_none()


async def respond_to_transfer(
    session: AsyncSession,
    transfer_id: int,
    *,
    version: int,
    accept: bool,
    note: str | None,
    at: dt.datetime,
    user_id: int | None,
    client_id: int | None,
) -> str:
    """Accept (move the case, and the child when nothing keeps it behind) or reject, with the case event;
    ``ACCEPTED``/``REJECTED``, or ``NOT_FOUND``/``CONFLICT``/``INVALID_TRANSITION`` when the database, under
    a row lock, finds it may not."""
    call = func.registry_respond_to_transfer(
        literal(transfer_id, BigInteger()),
        literal(version, Integer()),
        literal(accept, Boolean()),
        literal(note, Text()),
        literal(at, DateTime(timezone=True)),
        literal(user_id, BigInteger()),
        literal(client_id, BigInteger()),
    )
    return str(await session.scalar(select(call)))


@dataclass(frozen=True, slots=True)
class TransferFilter:
    statuses: Sequence[TransferStatus] = ()
    # Only those whose destination (or origin) lies where this predicate holds: "addressed to me".
    to_within: ColumnElement[bool] | None = None
    from_within: ColumnElement[bool] | None = None


def _filtered(visible: ColumnElement[bool], flt: TransferFilter) -> Select[Transfer]:
    statement = select(Transfer).where(visible)
    if flt.statuses:
        statement = statement.where(Transfer.status.in_(flt.statuses))
    if flt.to_within is not None:
        statement = statement.where(flt.to_within)
    if flt.from_within is not None:
        statement = statement.where(flt.from_within)
    return statement


async def transfers_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: TransferFilter, *, keyset: Keyset
) -> list[Transfer]:
    """Newest first, keyset-paged."""
    statement = apply_keyset(_filtered(visible, flt), Transfer.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_transfers(session: AsyncSession, visible: ColumnElement[bool], flt: TransferFilter) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)
