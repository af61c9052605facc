"""Declarative base, naming convention and the columns many tables share."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKeyConstraint, Index, Integer, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from registry.db.types import Ltree

# Stable constraint names, so that migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def pg_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A native PostgreSQL enum whose labels are the Python members' names."""
    return Enum(enum_class, name=name, native_enum=True, create_constraint=False, validate_strings=True)


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class IdMixin:
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)


class VersionedMixin:
    """Optimistic concurrency: every update checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")


class JurisdictionBoundMixin:
    """A record that belongs to one jurisdiction and carries that jurisdiction's path.

    The path is copied so that "inside my subtree" is one GiST-indexed predicate (``path <@ scope``).
    A composite foreign key to ``jurisdictions (id, path)`` with ``ON UPDATE CASCADE`` (see
    :func:`jurisdiction_bound`) keeps the copy equal to the jurisdiction's own path, even when a
    jurisdiction moves in the tree.
    """

    jurisdiction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    path: Mapped[str] = mapped_column(Ltree, nullable=False)


def jurisdiction_bound(table: str) -> tuple[ForeignKeyConstraint, Index]:
    """The table arguments every :class:`JurisdictionBoundMixin` table needs."""
    return (
        ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            onupdate="CASCADE",
            name=f"fk_{table}_jurisdiction_path",
        ),
        Index(f"ix_{table}_path", "path", postgresql_using="gist"),
    )
