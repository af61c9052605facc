"""Idempotency keys: a creating mutation retried with the same key returns what the first attempt made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import Base, IdMixin


class IdempotencyKey(IdMixin, Base):
    """One key per principal: the operation it was used for, a hash of that request, and what it created.
    The same key with a different request is refused rather than silently answered with the old result."""

    __tablename__ = "idempotency_keys"

    principal_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    principal_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    operation: Mapped[str] = mapped_column(String(64), nullable=False)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    result_type: Mapped[str] = mapped_column(String(64), nullable=False)
    result_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("principal_kind", "principal_id", "key"),
        CheckConstraint("length(key) BETWEEN 8 AND 100", name="key_length"),
    )
