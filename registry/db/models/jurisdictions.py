"""The jurisdiction tree: nation, provinces, divisions, districts, tehsils, communities."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import Base, IdMixin, created_at_column, pg_enum
from registry.db.types import Ltree


class JurisdictionLevel(enum.StrEnum):
    """Levels top down. DIVISIONAL and TEHSIL are optional between their neighbours."""

    NATIONAL = "NATIONAL"
    PROVINCIAL = "PROVINCIAL"
    DIVISIONAL = "DIVISIONAL"
    DISTRICT = "DISTRICT"
    TEHSIL = "TEHSIL"
    COMMUNITY = "COMMUNITY"


LEVEL_DEPTH = {level: depth for depth, level in enumerate(JurisdictionLevel)}


class Jurisdiction(IdMixin, Base):
    """A node of the tree. ``path`` is the ids from the root down, e.g. ``1.2.17``."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_ur: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[JurisdictionLevel] = mapped_column(
        pg_enum(JurisdictionLevel, "jurisdiction_level"), nullable=False
    )
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("jurisdictions.id"))
    path: Mapped[str] = mapped_column(Ltree, nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        # Target of every jurisdiction-bound table's (jurisdiction_id, path) foreign key.
        UniqueConstraint("id", "path", name="uq_jurisdictions_id_path"),
        CheckConstraint("(level = 'NATIONAL') = (parent_id IS NULL)", name="root_is_national"),
        CheckConstraint("subpath(path, -1) = id::text::ltree", name="path_ends_with_id"),
        CheckConstraint(r"code ~ '^[A-Z]{2}(-[A-Z0-9]+)*$'", name="code_format"),
        Index("ix_jurisdictions_path_gist", "path", postgresql_using="gist"),
        Index("ix_jurisdictions_parent_id", "parent_id"),
        Index("ix_jurisdictions_level", "level"),
    )
