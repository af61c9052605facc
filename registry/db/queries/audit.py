"""SQL of the audit trail: append a row, list rows, seal the chain, verify it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import ColumnElement, Select, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.db.models import AuditEvent
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order

# On the table, not the entity, with the values given apart: one statement compiled once, and neither the
# ORM's bulk insert path nor a cache key computed over every value on each request.
_INSERT_AUDIT_EVENT = insert(cast(Table, AuditEvent.__table__))


async def insert_audit_event(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """One row, in the session's transaction (a plain INSERT: no unit of work to flush)."""
    await session.execute(_INSERT_AUDIT_EVENT, dict(values))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: tuple[str, int] | None = None
    child_id: int | None = None
    record: tuple[str, int] | None = None
    actions: Sequence[str] = ()
    occurred_from: dt.datetime | None = None
    occurred_before: dt.datetime | None = None


def _filtered(visible: ColumnElement[bool], flt: AuditFilter) -> Select[AuditEvent]:
    statement = select(AuditEvent).where(visible)
    if flt.actor is not None:
        statement = statement.where(
            AuditEvent.actor_kind == flt.actor[0], AuditEvent.actor_id == flt.actor[1]
        )
    if flt.child_id is not None:
        statement = statement.where(AuditEvent.child_ids.contains([flt.child_id]))
    if flt.record is not None:
        statement = statement.where(
            AuditEvent.records.contains([{"type": flt.record[0], "id": flt.record[1]}])
        )
    if flt.actions:
        statement = statement.where(AuditEvent.action.in_(flt.actions))
    if flt.occurred_from is not None:
        statement = statement.where(AuditEvent.occurred_at >= flt.occurred_from)
    if flt.occurred_before is not None:
        statement = statement.where(AuditEvent.occurred_at < flt.occurred_before)
    return statement


async def audit_events_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: AuditFilter, *, keyset: Keyset
) -> list[AuditEvent]:
    """Newest first, keyset-paged."""
    statement = apply_keyset(_filtered(visible, flt), AuditEvent.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_audit_events(session: AsyncSession, visible: ColumnElement[bool], flt: AuditFilter) -> int:
    subquery = _filtered(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def seal(connection: AsyncConnection | AsyncSession, *, limit: int = 5000) -> int:
    """Chain up to ``limit`` unsealed rows (a database function: the app role may not update the table).
    Returns how many; 0 also when another sealer is at work."""
    sealed = await connection.scalar(text("SELECT registry_seal_audit(:limit)"), {"limit": limit})
    return int(sealed or 0)


@dataclass(frozen=True, slots=True)
class ChainReport:
    sealed: int
    unsealed: int
    # The first row that does not fit the chain, and why; None when the chain is intact.
    broken_id: int | None = None
    problem: str | None = None


async def verify_chain(connection: asyncpg.Connection[Any]) -> ChainReport:
    """Walk the chain in order as the database owner, recomputing every hash from the row as it is now."""
    previous: bytes | None = None
    expected_seq = 1
    count = 0
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        unsealed = int(await connection.fetchval("SELECT count(*) FROM audit_events WHERE chain_seq IS NULL"))
        cursor = connection.cursor(
            "SELECT e.id, e.chain_seq, e.prev_hash, e.hash, registry_audit_canonical(e) AS canonical"
            " FROM audit_events e WHERE e.chain_seq IS NOT NULL ORDER BY e.chain_seq"
        )
        async for row in cursor:
            problem = None
            if row["chain_seq"] != expected_seq:
                problem = f"expected position {expected_seq} in the chain, found {row['chain_seq']}"
            elif row["prev_hash"] != previous:
                problem = "its previous hash is not the hash of the row before it"
            elif row["hash"] != hashlib.sha256((previous or b"") + row["canonical"].encode()).digest():
                problem = "its hash does not match its content"
            if problem is not None:
                return ChainReport(count, unsealed, broken_id=row["id"], problem=problem)
            previous = row["hash"]
            expected_seq += 1
            count += 1
    return ChainReport(count, unsealed)


async def audit_events_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, AuditEvent]:
    result = await session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids), visible))
    return {row.id: row for row in result}
