"""The audit trail: one row per change and per read of a child's personal data, hash-chained by a sealer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import Base, IdMixin
from registry.db.types import Ltree


class AuditEvent(IdMixin, Base):
    """Who (person or client, roles, organisation) did what (``action``) to which records, from where, when.
    ``records`` names tables, ids and the fields written, never their values; ``child_ids`` and ``paths``
    say whose record and which jurisdictions, for "who saw this child" and for auditors' scope.
    The chain columns are filled by the sealer, never by a request."""

    __tablename__ = "audit_events"

    occurred_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(BigInteger)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default="[]")
    child_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, server_default="{}")
    paths: Mapped[list[str]] = mapped_column(ARRAY(Ltree), nullable=False, server_default="{}")
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("chain_seq"),
        Index("ix_audit_events_unsealed", "id", postgresql_where=text("chain_seq IS NULL")),
        Index("ix_audit_events_child_ids", "child_ids", postgresql_using="gin"),
        Index("ix_audit_events_paths", "paths", postgresql_using="gist"),
        Index("ix_audit_events_actor", "actor_kind", "actor_id", "id"),
    )
