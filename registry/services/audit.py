"""The audit trail of one request: what it wrote and whose personal data it returned.

Writes are collected from the session itself (every row the ORM inserts, updates or deletes), so no service
can forget to report one; changes made inside database functions are added by the service that calls them
(:func:`note_change`). A mutation's row is inserted just before its commit, and the personal data a request
returns is recorded before the answer leaves (:meth:`AuditTrail.record_reads`): no audit row, no answer.
Rows name tables, ids and fields, never values, so the trail holds no personal data in clear text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db.models import AuditEvent, Child, IdempotencyKey
from registry.db.queries import audit as queries

# Bookkeeping that is not a change to anyone's record.
_NOT_AUDITED = (AuditEvent, IdempotencyKey)
_SESSION_KEY = "registry.audit"


@dataclass
class _Change:
    table: str
    id: int | None
    op: str
    fields: list[str]
    child_id: int | None
    path: str | None


@dataclass
class AuditTrail:
    principal: Principal | None
    request_id: str
    client_address: str | None
    _changes: list[_Change] = field(default_factory=list)
    # (table, id) -> (path, child id, what was returned)
    _read: dict[tuple[str, int], tuple[str, int | None, set[str]]] = field(default_factory=dict)

    def attach(self, session: AsyncSession) -> None:
        """Collect every row ``session`` writes from now on (see :func:`_collect_flushed`)."""
        session.info[_SESSION_KEY] = self

    def collect_flushed(self, session: Session) -> None:
        for op, rows in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for row in rows:
                if isinstance(row, _NOT_AUDITED):
                    continue
                state = inspect(row)
                if op == "update":
                    fields = sorted(a.key for a in state.attrs if a.history.has_changes())
                    if not fields:
                        continue
                else:
                    fields = []
                # A new row has no identity yet while the flush ends, but its primary key is known.
                key = state.identity or state.mapper.primary_key_from_instance(row)
                self._changes.append(
                    _Change(
                        table=row.__tablename__,
                        id=int(key[0]) if key and key[0] is not None else None,
                        op=op,
                        fields=fields,
                        child_id=row.id if isinstance(row, Child) else getattr(row, "child_id", None),
                        path=getattr(row, "path", None),
                    )
                )

    def note_change(
        self,
        table: str,
        row_id: int,
        *,
        fields: list[str],
        path: str | None,
        child_id: int | None = None,
        op: str = "update",
    ) -> None:
        self._changes.append(_Change(table, row_id, op, fields, child_id, path))

    def note_personal_data(
        self, table: str, row_id: int, *, path: str, child_id: int | None, what: str
    ) -> None:
        """The request returns ``what`` (identity, guardians, a case's notes…) of that record."""
        self._read.setdefault((table, row_id), (path, child_id, set()))[2].add(what)

    async def record_write(self, session: AsyncSession, action: str) -> None:
        """The row of one mutation, in its transaction; the changes collected so far are its own (pending
        ones are flushed first, so none is left out)."""
        await session.flush()
        changes, self._changes = self._changes, []
        records = [
            {"type": c.table, "id": c.id, "op": c.op} | ({"fields": c.fields} if c.fields else {})
            for c in changes
        ]
        await self._insert(
            session,
            action,
            records,
            child_ids={c.child_id for c in changes if c.child_id is not None},
            paths={c.path for c in changes if c.path is not None},
        )

    @property
    def has_reads(self) -> bool:
        return bool(self._read)

    async def record_reads(self, session: AsyncSession) -> None:
        """One row for all the personal data this request returns."""
        read, self._read = self._read, {}
        records = [
            {"type": table, "id": row_id, "fields": sorted(what)}
            for (table, row_id), (_, _, what) in read.items()
        ]
        await self._insert(
            session,
            "read:personal-data",
            records,
            child_ids={child_id for _, child_id, _ in read.values() if child_id is not None},
            paths={path for path, _, _ in read.values()},
        )

    async def _insert(
        self,
        session: AsyncSession,
        action: str,
        records: list[dict[str, Any]],
        *,
        child_ids: set[int],
        paths: set[str],
    ) -> None:
        principal = self.principal
        assert principal is not None, "only signed-in principals change records or read personal data"
        roles = sorted(
            {grant.role.value if grant.role is not None else "CLIENT" for grant in principal.grants}
        )
        await queries.insert_audit_event(
            session,
            {
                "request_id": self.request_id,
                "client_address": self.client_address,
                "actor_kind": principal.kind.value,
                "actor_id": principal.id,
                "actor_name": principal.name,
                "organisation_id": principal.organisation_id,
                "roles": roles,
                "action": action,
                "records": records,
                "child_ids": sorted(child_ids),
                "paths": sorted(paths),
            },
        )


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context: Any) -> None:
    """One listener for every session, not one added per request (adding one copies the session's event
    dispatch, a fixed cost of every request): the trail attached to the session, if any, collects."""
    trail = session.info.get(_SESSION_KEY)
    if isinstance(trail, AuditTrail):
        trail.collect_flushed(session)


def note_change(
    session: AsyncSession,
    table: str,
    row_id: int,
    *,
    fields: list[str],
    path: str | None,
    child_id: int | None = None,
    op: str = "update",
) -> None:
    """For services whose change happens out of the ORM's sight: inside a database function, or in one
    statement written for a hot path (``op`` "insert", with no fields, for a new row)."""
    trail = session.info.get(_SESSION_KEY)
    if isinstance(trail, AuditTrail):
        trail.note_change(table, row_id, fields=fields, path=path, child_id=child_id, op=op)
