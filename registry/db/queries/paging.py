"""Keyset paging (no OFFSET): a page is "up to N items after (or before) the item with this id"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Values, and_, cast, column, func, select, true, values
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.types import Text

from registry.db.models import Base
from registry.db.types import Ltree

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=Base)


@dataclass(frozen=True, slots=True)
class Keyset:
    limit: int
    # Ids of the items the page lies after / before, in the list's own order.
    after: int | None = None
    before: int | None = None
    # Take the items closest to ``before`` (the end of the window) rather than to ``after``.
    backwards: bool = False


def apply_keyset(statement: Select[T], id_column: Any, keyset: Keyset, *, descending: bool) -> Select[T]:
    """Restrict and order ``statement`` for one page. With ``backwards`` the rows come in reverse list order;
    :func:`in_list_order` puts them back."""
    if keyset.after is not None:
        statement = statement.where(id_column < keyset.after if descending else id_column > keyset.after)
    if keyset.before is not None:
        statement = statement.where(id_column > keyset.before if descending else id_column < keyset.before)
    ascending = descending == keyset.backwards
    return statement.order_by(id_column.asc() if ascending else id_column.desc()).limit(keyset.limit)


def in_list_order(rows: list[T], keyset: Keyset) -> list[T]:
    return rows[::-1] if keyset.backwards else rows


def _roots_table(roots: Sequence[str]) -> Values:
    return values(column("root", Text()), name="roots").data([(root,) for root in roots])


def _below(path_column: Any, root: Any, *, strictly: bool) -> ColumnElement[bool]:
    inside: ColumnElement[bool] = path_column.op("<@")(cast(root, Ltree()))
    return and_(inside, path_column != cast(root, Ltree())) if strictly else inside


async def pages_within(
    session: AsyncSession,
    statement: Select[Any],
    model: type[ModelT],
    *,
    path_column: Any,
    id_column: Any,
    roots: Sequence[str],
    keyset: Keyset,
    descending: bool,
    strictly_below: bool = False,
) -> dict[str, list[ModelT]]:
    """One page of ``statement`` inside each subtree (root path), for every root in one statement: a
    ``LATERAL`` join runs the page query once per root. Nested lists (each jurisdiction's cases) then cost
    one statement for all parents, not one per parent."""
    table = _roots_table(roots)
    per_root = apply_keyset(
        statement.where(_below(path_column, table.c.root, strictly=strictly_below)),
        id_column,
        keyset,
        descending=descending,
    )
    page = per_root.subquery().lateral()
    rows = await session.execute(select(table.c.root, aliased(model, page)).join(page, true()))
    found: dict[str, list[ModelT]] = {root: [] for root in roots}
    for root, row in rows:
        found[root].append(row)
    return {root: in_list_order(items, keyset) for root, items in found.items()}


async def counts_within(
    session: AsyncSession,
    statement: Select[Any],
    *,
    path_column: Any,
    roots: Sequence[str],
    strictly_below: bool = False,
) -> dict[str, int]:
    """How many rows of ``statement`` lie inside each subtree, for every root in one statement."""
    table = _roots_table(roots)
    counted = (
        statement.where(_below(path_column, table.c.root, strictly=strictly_below))
        .with_only_columns(func.count(), maintain_column_froms=True)
        .scalar_subquery()
    )
    rows = await session.execute(select(table.c.root, counted))
    return {root: int(count) for root, count in rows}
