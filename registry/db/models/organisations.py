"""Organisations: the ministry, provincial departments, police, NGO partners."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import (
    Base,
    IdMixin,
    JurisdictionBoundMixin,
    created_at_column,
    jurisdiction_bound,
    pg_enum,
)


class OrganisationKind(enum.StrEnum):
    MINISTRY = "MINISTRY"
    PROVINCIAL_DEPARTMENT = "PROVINCIAL_DEPARTMENT"
    DISTRICT_OFFICE = "DISTRICT_OFFICE"
    POLICE = "POLICE"
    NGO_PARTNER = "NGO_PARTNER"
    INTERNATIONAL_AGENCY = "INTERNATIONAL_AGENCY"


class Organisation(IdMixin, JurisdictionBoundMixin, Base):
    """Users and API clients belong to one organisation; it works inside its jurisdiction."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[OrganisationKind] = mapped_column(
        pg_enum(OrganisationKind, "organisation_kind"), nullable=False
    )
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = jurisdiction_bound("organisations")
