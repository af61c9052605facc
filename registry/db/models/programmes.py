"""Programmes, the interventions they deliver to children and households, and outcomes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import (
    Base,
    IdMixin,
    JurisdictionBoundMixin,
    created_at_column,
    jurisdiction_bound,
    pg_enum,
)


class InterventionType(enum.StrEnum):
    NON_FORMAL_EDUCATION = "NON_FORMAL_EDUCATION"
    FORMAL_SCHOOL_ENROLMENT = "FORMAL_SCHOOL_ENROLMENT"
    VOCATIONAL_TRAINING = "VOCATIONAL_TRAINING"
    FAMILY_INCOME_SUPPORT = "FAMILY_INCOME_SUPPORT"
    MICROFINANCE = "MICROFINANCE"
    COOPERATIVE_MEMBERSHIP = "COOPERATIVE_MEMBERSHIP"
    HEALTH_EDUCATION = "HEALTH_EDUCATION"
    LIFE_SKILLS = "LIFE_SKILLS"
    PSYCHOSOCIAL_SUPPORT = "PSYCHOSOCIAL_SUPPORT"
    LEGAL_AID = "LEGAL_AID"
    FAMILY_TRACING_REUNIFICATION = "FAMILY_TRACING_REUNIFICATION"
    MEDICAL_CARE = "MEDICAL_CARE"
    SHELTER_CARE = "SHELTER_CARE"


class InterventionRecipient(enum.StrEnum):
    CHILD = "CHILD"
    # A parent or other adult of the child's household (vocational skills, micro-finance, ...).
    PARENT = "PARENT"
    HOUSEHOLD = "HOUSEHOLD"


class OutcomeType(enum.StrEnum):
    MAINSTREAMED_INTO_FORMAL_SCHOOL = "MAINSTREAMED_INTO_FORMAL_SCHOOL"
    WITHDRAWN_FROM_HAZARDOUS_WORK = "WITHDRAWN_FROM_HAZARDOUS_WORK"
    REUNIFIED_WITH_FAMILY = "REUNIFIED_WITH_FAMILY"
    DIVERTED_FROM_JUSTICE_SYSTEM = "DIVERTED_FROM_JUSTICE_SYSTEM"
    RELEASED_FROM_DETENTION = "RELEASED_FROM_DETENTION"
    FOUND = "FOUND"
    COMPLETED_VOCATIONAL_TRAINING = "COMPLETED_VOCATIONAL_TRAINING"
    PLACED_IN_ALTERNATIVE_CARE = "PLACED_IN_ALTERNATIVE_CARE"


class Programme(IdMixin, JurisdictionBoundMixin, Base):
    """A programme run by an organisation over a jurisdiction (its coverage area)."""

    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organisations.id"), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("programmes"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )


class Intervention(IdMixin, JurisdictionBoundMixin, Base):
    """Something done for a child or a household, inside a programme or not."""

    __tablename__ = "interventions"

    type: Mapped[InterventionType] = mapped_column(
        pg_enum(InterventionType, "intervention_type"), nullable=False
    )
    recipient: Mapped[InterventionRecipient] = mapped_column(
        pg_enum(InterventionRecipient, "intervention_recipient"), nullable=False
    )
    programme_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("programmes.id"))
    child_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("children.id"))
    household_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("households.id"))
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cases.id"))
    institution_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("institutions.id"))
    started_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("interventions"),
        CheckConstraint(
            "(recipient = 'CHILD') = (child_id IS NOT NULL)"
            " AND (recipient = 'CHILD' OR household_id IS NOT NULL)",
            name="recipient_matches",
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        Index("ix_interventions_child_id", "child_id"),
        Index("ix_interventions_household_id", "household_id"),
        Index("ix_interventions_case_id", "case_id"),
        Index("ix_interventions_programme_id", "programme_id"),
        Index("ix_interventions_institution_id", "institution_id"),
    )


class Outcome(IdMixin, JurisdictionBoundMixin, Base):
    __tablename__ = "outcomes"

    type: Mapped[OutcomeType] = mapped_column(pg_enum(OutcomeType, "outcome_type"), nullable=False)
    child_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("children.id"), nullable=False)
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cases.id"))
    intervention_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("interventions.id"))
    achieved_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("outcomes"),
        Index("ix_outcomes_child_id", "child_id"),
        Index("ix_outcomes_case_id", "case_id"),
    )
