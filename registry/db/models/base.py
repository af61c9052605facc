"""Declarative base, naming convention and the columns many tables share."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Computed,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    func,
)
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


# The depths of a path whose ids :class:`PathIdsMixin` keeps: the province (2) and the two levels below it
# (a division or district, then a district, tehsil or community: DIVISIONAL and TEHSIL are optional).
PATH_ID_DEPTHS = (2, 3, 4)


def path_id_expression(depth: int) -> str:
    """SQL of the id in the ``depth``-th label of ``path`` (labels are the ids of the jurisdictions from the
    root down), NULL for a shorter path."""
    return f"CASE WHEN nlevel(path) >= {depth} THEN ltree2text(subpath(path, {depth - 1}, 1))::bigint END"


class PathIdsMixin:
    """The ids of the jurisdictions at depths 2, 3 and 4 of a :class:`JurisdictionBoundMixin` record's path,
    kept by PostgreSQL from ``path`` (generated columns, migration 0011).

    "Inside the subtree of the node with id 67 at depth 4" is ``path_id_4 = 67``, the same rows as
    ``path <@ '1.2.14.67'`` (a path is the chain of its ancestors' ids). Under row-level security the
    planner may use only leakproof operators as index conditions and with statistics: bigint equality is
    one, ltree's operators are not (it guesses 1 % for each). Hot lists read their page in id order from a
    btree on ``(path_id_N, id)`` (see :func:`registry.auth.policy.in_subtrees`).
    """

    path_id_2: Mapped[int | None] = mapped_column(BigInteger, Computed(path_id_expression(2), persisted=True))
    path_id_3: Mapped[int | None] = mapped_column(BigInteger, Computed(path_id_expression(3), persisted=True))
    path_id_4: Mapped[int | None] = mapped_column(BigInteger, Computed(path_id_expression(4), persisted=True))


def path_id_columns(path_column: Any) -> dict[int, Any] | None:
    """The :class:`PathIdsMixin` columns, by depth, of the entity (or alias) whose ``path`` attribute
    ``path_column`` is; None for any other column."""
    owner = getattr(path_column, "class_", None)
    if owner is None or getattr(path_column, "key", None) != "path":
        return None
    columns = {depth: getattr(owner, f"path_id_{depth}", None) for depth in PATH_ID_DEPTHS}
    return {depth: column for depth, column in columns.items() if column is not None} or None
