"""People who sign in, their roles in the jurisdiction tree, and API clients."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import (
    Base,
    IdMixin,
    JurisdictionBoundMixin,
    VersionedMixin,
    created_at_column,
    jurisdiction_bound,
    pg_enum,
)


class Role(enum.StrEnum):
    """A role is bound to one jurisdiction node; its scope is that node's subtree."""

    NATIONAL_ANALYST = "NATIONAL_ANALYST"
    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    PROVINCIAL_MANAGER = "PROVINCIAL_MANAGER"
    DISTRICT_OFFICER = "DISTRICT_OFFICER"
    CASE_WORKER = "CASE_WORKER"
    POLICE_MONITOR = "POLICE_MONITOR"
    AUDITOR = "AUDITOR"


class User(IdMixin, VersionedMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))
    organisation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organisations.id"), nullable=False)
    # argon2id hash; NULL for people who only sign in through an external OpenID Connect provider. Never
    # loaded with the row (sign-in reads it through ``registry_find_login``): touching it raises.
    password_hash: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_raiseload=True)
    external_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        Index("uq_users_username_lower", func.lower(username), unique=True),
        CheckConstraint(r"username ~ '^[a-z0-9][a-z0-9._-]*$'", name="username_format"),
        Index("ix_users_organisation_id", "organisation_id"),
    )


class RoleAssignment(IdMixin, JurisdictionBoundMixin, Base):
    __tablename__ = "role_assignments"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[Role] = mapped_column(pg_enum(Role, "role"), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("role_assignments"),
        UniqueConstraint(
            "user_id", "role", "jurisdiction_id", name="uq_role_assignments_user_role_jurisdiction"
        ),
    )


class ApiClient(IdMixin, JurisdictionBoundMixin, Base):
    """An OAuth client (client credentials), bound to one jurisdiction, never wider than its creator."""

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organisations.id"), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    secret_hash: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        *jurisdiction_bound("api_clients"),
        CheckConstraint("cardinality(scopes) > 0", name="has_scopes"),
        Index("ix_api_clients_organisation_id", "organisation_id"),
    )
