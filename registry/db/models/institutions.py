"""Institutions: places that serve or hold children."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
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


class InstitutionType(enum.StrEnum):
    POLICE_STATION = "POLICE_STATION"
    # At police level: detained children are kept apart from adults and get psychosocial support.
    CHILD_PROTECTION_CENTRE = "CHILD_PROTECTION_CENTRE"
    OBSERVATION_HOME = "OBSERVATION_HOME"
    JUVENILE_REHABILITATION_CENTRE = "JUVENILE_REHABILITATION_CENTRE"
    PRISON = "PRISON"
    CHILD_PROTECTION_INSTITUTION = "CHILD_PROTECTION_INSTITUTION"
    SHELTER = "SHELTER"
    DROP_IN_CENTRE = "DROP_IN_CENTRE"
    OUTREACH_LEARNING_POINT = "OUTREACH_LEARNING_POINT"
    VOCATIONAL_CENTRE = "VOCATIONAL_CENTRE"
    SCHOOL = "SCHOOL"
    HEALTH_FACILITY = "HEALTH_FACILITY"


class Institution(IdMixin, JurisdictionBoundMixin, VersionedMixin, Base):
    __tablename__ = "institutions"

    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[InstitutionType] = mapped_column(
        pg_enum(InstitutionType, "institution_type"), nullable=False
    )
    organisation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("organisations.id"), nullable=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("institutions"),
        # Lets a row require an institution of one type with a composite foreign key (id, type).
        UniqueConstraint("id", "type", name="uq_institutions_id_type"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_institutions_type_jurisdiction", "type", "jurisdiction_id"),
        Index("ix_institutions_organisation_id", "organisation_id"),
    )
