"""Keyset paging (no OFFSET): a page is "up to N items after (or before) the item with this id"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

T = TypeVar("T")


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
