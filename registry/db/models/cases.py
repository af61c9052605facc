"""Cases, their append-only event history, referrals and transfers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import (
    Base,
    IdMixin,
    JurisdictionBoundMixin,
    PathIdsMixin,
    VersionedMixin,
    created_at_column,
    jurisdiction_bound,
    pg_enum,
)
from registry.db.models.programmes import InterventionType
from registry.db.types import Ltree


class CaseKind(enum.StrEnum):
    CHILD_LABOUR = "CHILD_LABOUR"
    CHILD_VICTIM = "CHILD_VICTIM"
    CHILD_IN_CONFLICT_WITH_LAW = "CHILD_IN_CONFLICT_WITH_LAW"
    CHILD_AT_RISK = "CHILD_AT_RISK"
    MISSING_CHILD = "MISSING_CHILD"


class CaseStage(enum.StrEnum):
    REGISTERED = "REGISTERED"
    ASSESSED = "ASSESSED"
    CASE_PLAN = "CASE_PLAN"
    IMPLEMENTATION = "IMPLEMENTATION"
    REVIEW = "REVIEW"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


class RiskLevel(enum.StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Case(IdMixin, JurisdictionBoundMixin, PathIdsMixin, VersionedMixin, Base):
    """One protection concern about one child, owned by one jurisdiction, assigned to one caseworker."""

    __tablename__ = "cases"

    case_number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    child_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("children.id"), nullable=False)
    kind: Mapped[CaseKind] = mapped_column(pg_enum(CaseKind, "case_kind"), nullable=False)
    stage: Mapped[CaseStage] = mapped_column(pg_enum(CaseStage, "case_stage"), nullable=False)
    risk_level: Mapped[RiskLevel] = mapped_column(pg_enum(RiskLevel, "risk_level"), nullable=False)
    assigned_to_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    # The institution currently serving the child for this case (drop-in centre, shelter, ...), if any.
    institution_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("institutions.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("cases"),
        CheckConstraint("(stage = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"),
        CheckConstraint("stage <> 'CLOSED' OR closure_reason IS NOT NULL", name="closure_has_reason"),
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opened"),
        Index("ix_cases_child_id", "child_id"),
        Index(
            "ix_cases_assigned_to_id", "assigned_to_id", postgresql_where=text("assigned_to_id IS NOT NULL")
        ),
        Index(
            "ix_cases_institution_id", "institution_id", postgresql_where=text("institution_id IS NOT NULL")
        ),
        # Lists of a jurisdiction's open cases, newest first.
        Index(
            "ix_cases_jurisdiction_open",
            "jurisdiction_id",
            "opened_at",
            "id",
            postgresql_where=text("stage <> 'CLOSED'"),
        ),
        Index("ix_cases_opened_at", "opened_at"),
        # Pages of a province's (district's, ...) cases newest first, read from the index alone: the columns
        # row-level security and the usual filters look at are included (migration 0011).
        Index(
            "ix_cases_path_id_2_id",
            "path_id_2",
            "id",
            postgresql_include=["path_id_3", "path", "stage"],
        ),
        Index(
            "ix_cases_path_id_4_id",
            "path_id_4",
            "id",
            postgresql_include=["path_id_2", "path", "stage"],
        ),
    )


class CaseEventType(enum.StrEnum):
    OPENED = "OPENED"
    STAGE_CHANGED = "STAGE_CHANGED"
    ASSIGNED = "ASSIGNED"
    RISK_CHANGED = "RISK_CHANGED"
    NOTE_ADDED = "NOTE_ADDED"
    CONSENT_RECORDED = "CONSENT_RECORDED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    REFERRAL_MADE = "REFERRAL_MADE"
    REFERRAL_RESPONDED = "REFERRAL_RESPONDED"
    TRANSFER_REQUESTED = "TRANSFER_REQUESTED"
    TRANSFER_ACCEPTED = "TRANSFER_ACCEPTED"
    TRANSFER_REJECTED = "TRANSFER_REJECTED"
    TRANSFER_CANCELLED = "TRANSFER_CANCELLED"
    INCIDENT_RECORDED = "INCIDENT_RECORDED"
    PLACEMENT_STARTED = "PLACEMENT_STARTED"
    PLACEMENT_ENDED = "PLACEMENT_ENDED"
    INTERVENTION_RECORDED = "INTERVENTION_RECORDED"
    OUTCOME_RECORDED = "OUTCOME_RECORDED"


class CaseEvent(IdMixin, Base):
    """Append-only history of a case. The app's database role may insert and read, never change or delete."""

    __tablename__ = "case_events"

    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cases.id"), nullable=False)
    type: Mapped[CaseEventType] = mapped_column(pg_enum(CaseEventType, "case_event_type"), nullable=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    actor_client_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_clients.id"))
    from_stage: Mapped[CaseStage | None] = mapped_column(pg_enum(CaseStage, "case_stage"))
    to_stage: Mapped[CaseStage | None] = mapped_column(pg_enum(CaseStage, "case_stage"))
    # Structured details of the event (ids, codes, reasons); never personal data in clear text.
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "type <> 'STAGE_CHANGED' OR (from_stage IS NOT NULL AND to_stage IS NOT NULL)",
            name="stage_change_has_stages",
        ),
        # A case's history, newest first.
        Index("ix_case_events_case_id_occurred_at", "case_id", text("occurred_at DESC"), text("id DESC")),
    )


class ReferralStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    COMPLETED = "COMPLETED"


class Referral(IdMixin, VersionedMixin, Base):
    """A case referred to a service at an institution or organisation, accepted or declined by its side."""

    __tablename__ = "referrals"

    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cases.id"), nullable=False)
    service: Mapped[InterventionType] = mapped_column(
        pg_enum(InterventionType, "intervention_type"), nullable=False
    )
    to_institution_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("institutions.id"))
    to_organisation_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("organisations.id"))
    status: Mapped[ReferralStatus] = mapped_column(pg_enum(ReferralStatus, "referral_status"), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    responded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("num_nonnulls(to_institution_id, to_organisation_id) >= 1", name="has_recipient"),
        CheckConstraint("(status = 'PENDING') = (responded_at IS NULL)", name="responded_iff_not_pending"),
        CheckConstraint(
            "responded_at IS NULL OR responded_at >= requested_at", name="responded_after_requested"
        ),
        Index("ix_referrals_case_id", "case_id"),
        Index("ix_referrals_to_institution_id", "to_institution_id", "status"),
    )


class TransferStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class Transfer(IdMixin, VersionedMixin, Base):
    """A request to move a case to another jurisdiction, answered by the receiving side.

    Both sides' paths are kept so that each side can see the request in its own subtree.
    """

    __tablename__ = "transfers"

    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cases.id"), nullable=False)
    from_jurisdiction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_path: Mapped[str] = mapped_column(Ltree, nullable=False)
    to_jurisdiction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    to_path: Mapped[str] = mapped_column(Ltree, nullable=False)
    status: Mapped[TransferStatus] = mapped_column(pg_enum(TransferStatus, "transfer_status"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    response_note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    requested_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    responded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))

    __table_args__ = (
        ForeignKeyConstraint(
            ["from_jurisdiction_id", "from_path"],
            ["jurisdictions.id", "jurisdictions.path"],
            onupdate="CASCADE",
            name="fk_transfers_from_jurisdiction_path",
        ),
        ForeignKeyConstraint(
            ["to_jurisdiction_id", "to_path"],
            ["jurisdictions.id", "jurisdictions.path"],
            onupdate="CASCADE",
            name="fk_transfers_to_jurisdiction_path",
        ),
        CheckConstraint("from_jurisdiction_id <> to_jurisdiction_id", name="moves_somewhere"),
        CheckConstraint("(status = 'REQUESTED') = (responded_at IS NULL)", name="responded_iff_answered"),
        Index("ix_transfers_case_id", "case_id"),
        # At most one open request per case.
        Index(
            "uq_transfers_open_per_case",
            "case_id",
            unique=True,
            postgresql_where=text("status = 'REQUESTED'"),
        ),
        Index("ix_transfers_from_path", "from_path", postgresql_using="gist"),
        Index("ix_transfers_to_path", "to_path", postgresql_using="gist"),
    )
