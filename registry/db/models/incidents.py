"""Police-station monitoring: incidents by and against children, and placements in custody or care."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    text,
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
from registry.db.models.institutions import InstitutionType


class IncidentDirection(enum.StrEnum):
    """Kept apart in every list and statistic."""

    BY_CHILD = "BY_CHILD"  # an offence the child is accused of
    AGAINST_CHILD = "AGAINST_CHILD"  # an offence committed against the child


class OffenceCategory(enum.StrEnum):
    THEFT = "THEFT"
    ROBBERY = "ROBBERY"
    ASSAULT = "ASSAULT"
    HOMICIDE = "HOMICIDE"
    DRUG_OFFENCE = "DRUG_OFFENCE"
    SEXUAL_ABUSE = "SEXUAL_ABUSE"
    PHYSICAL_ABUSE = "PHYSICAL_ABUSE"
    KIDNAPPING_ABDUCTION = "KIDNAPPING_ABDUCTION"
    TRAFFICKING = "TRAFFICKING"
    CHILD_MARRIAGE = "CHILD_MARRIAGE"
    LABOUR_EXPLOITATION = "LABOUR_EXPLOITATION"
    BEGGING_EXPLOITATION = "BEGGING_EXPLOITATION"
    CYBER_CRIME = "CYBER_CRIME"
    PUBLIC_ORDER = "PUBLIC_ORDER"
    OTHER = "OTHER"


class Incident(IdMixin, JurisdictionBoundMixin, VersionedMixin, Base):
    """An offence by or against a child, recorded at a police station (jurisdiction = the station's)."""

    __tablename__ = "incidents"

    police_station_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Always POLICE_STATION: with the composite foreign key it makes the database refuse other institutions.
    station_type: Mapped[InstitutionType] = mapped_column(
        pg_enum(InstitutionType, "institution_type"), nullable=False, server_default="POLICE_STATION"
    )
    direction: Mapped[IncidentDirection] = mapped_column(
        pg_enum(IncidentDirection, "incident_direction"), nullable=False
    )
    offence: Mapped[OffenceCategory] = mapped_column(
        pg_enum(OffenceCategory, "offence_category"), nullable=False
    )
    # The legal provision as written in the First Information Report, e.g. "PPC 379".
    offence_section: Mapped[str | None] = mapped_column(String(64))
    fir_number: Mapped[str | None] = mapped_column(String(64))
    child_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("children.id"))
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cases.id"))
    occurred_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("incidents"),
        ForeignKeyConstraint(
            ["police_station_id", "station_type"],
            ["institutions.id", "institutions.type"],
            name="fk_incidents_police_station",
        ),
        CheckConstraint("station_type = 'POLICE_STATION'", name="at_police_station"),
        Index("ix_incidents_station_direction_date", "police_station_id", "direction", "occurred_on"),
        Index("ix_incidents_child_id", "child_id", postgresql_where=text("child_id IS NOT NULL")),
        Index("ix_incidents_case_id", "case_id", postgresql_where=text("case_id IS NOT NULL")),
        Index("ix_incidents_occurred_on", "occurred_on"),
    )


class PlacementKind(enum.StrEnum):
    ARREST = "ARREST"
    POLICE_CUSTODY = "POLICE_CUSTODY"
    CHILD_PROTECTION_CENTRE = "CHILD_PROTECTION_CENTRE"
    OBSERVATION_HOME = "OBSERVATION_HOME"
    JUVENILE_REHABILITATION = "JUVENILE_REHABILITATION"
    PRISON = "PRISON"
    SHELTER = "SHELTER"
    ALTERNATIVE_CARE = "ALTERNATIVE_CARE"


class PlacementEndReason(enum.StrEnum):
    RELEASED_ON_BAIL = "RELEASED_ON_BAIL"
    RELEASED_TO_FAMILY = "RELEASED_TO_FAMILY"
    DIVERTED = "DIVERTED"
    ACQUITTED = "ACQUITTED"
    SENTENCE_COMPLETED = "SENTENCE_COMPLETED"
    TRANSFERRED = "TRANSFERRED"
    OTHER = "OTHER"


class Placement(IdMixin, JurisdictionBoundMixin, VersionedMixin, Base):
    """A child held or housed in an institution; the jurisdiction is the institution's."""

    __tablename__ = "placements"

    child_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("children.id"), nullable=False)
    case_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cases.id"))
    institution_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("institutions.id"), nullable=False)
    kind: Mapped[PlacementKind] = mapped_column(pg_enum(PlacementKind, "placement_kind"), nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[PlacementEndReason | None] = mapped_column(
        pg_enum(PlacementEndReason, "placement_end_reason")
    )
    segregated_from_adults: Mapped[bool] = mapped_column(Boolean, nullable=False)
    psychosocial_support: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    recorded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        *jurisdiction_bound("placements"),
        CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ends_after_start"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="end_has_reason"),
        Index("ix_placements_child_id", "child_id"),
        Index("ix_placements_institution_open", "institution_id", postgresql_where=text("ended_at IS NULL")),
        Index("ix_placements_case_id", "case_id", postgresql_where=text("case_id IS NOT NULL")),
    )
