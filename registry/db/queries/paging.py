"""Keyset paging (no OFFSET): a page is "up to N items after (or before) the item with this id"."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Values,
    and_,
    bindparam,
    cast,
    column,
    false,
    func,
    select,
    true,
    union_all,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.types import Text

from registry.db import raw
from registry.db.models import Base, Jurisdiction
from registry.db.models.base import path_id_columns
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


# Tables whose pages take their ids first and then read those rows: an index on ``(path_id_N, id)`` covers
# what the page's conditions and row-level security read (migration 0011), so the ids come newest first from
# the index alone and the scan stops at the page's end. Asked for whole rows in one step, the planner would
# cost each row read from the table on the way and rather sort the whole subtree.
PAGED_BY_IDS = frozenset({"cases", "children"})


def apply_keyset(statement: Select[T], id_column: Any, keyset: Keyset, *, descending: bool) -> Select[T]:
    """Restrict and order ``statement`` for one page. With ``backwards`` the rows come in reverse list order;
    :func:`in_list_order` puts them back."""
    if keyset.after is not None:
        statement = statement.where(id_column < keyset.after if descending else id_column > keyset.after)
    if keyset.before is not None:
        statement = statement.where(id_column > keyset.before if descending else id_column < keyset.before)
    ascending = descending == keyset.backwards
    order = id_column.asc() if ascending else id_column.desc()
    page = statement.order_by(order).limit(keyset.limit)
    entity = _whole_entity(statement)
    if entity is None or entity.__table__.name not in PAGED_BY_IDS:
        return page
    # The page's own table is not the enclosing one (correlate_except); anything else it refers to (a
    # lateral root) still is.
    ids = page.with_only_columns(id_column).correlate_except(entity.__table__)
    rows: Select[T] = select(entity).where(id_column.in_(ids)).order_by(order)
    return rows


def _whole_entity(statement: Select[Any]) -> Any:
    """The mapped class ``statement`` selects whole rows of, if it selects just that."""
    columns = statement.column_descriptions
    if len(columns) != 1 or columns[0]["expr"] is not columns[0]["entity"]:
        return None
    entity = columns[0]["entity"]
    return entity if isinstance(entity, type) and hasattr(entity, "__table__") else None


def below_looked_up_root(path_column: Any, root: Any) -> ColumnElement[bool]:
    """``path <@ root`` for a root the statement itself looks up (a ``withinCode`` not resolved beforehand
    by :func:`subtree_path`). Under row-level security the planner guesses that an ltree condition keeps
    1 % of the rows; with the scope's own guess that makes a district inside a province's scope look empty,
    and the planner reads the whole province rather than the newest rows in order. Wrapped in ``coalesce``
    (the same rows: a null is no match either way) it guesses half."""
    inside: ColumnElement[bool] = func.coalesce(path_column.op("<@")(root), false())
    return inside


_SUBTREE_PATH = raw.Statement(
    lambda: select(Jurisdiction.path).where(Jurisdiction.code == bindparam("code", required=False))
)


class _KnownPaths:
    """The paths of the jurisdiction codes looked up in one database (kept per engine). A jurisdiction's
    code and path never change (the app's role may only rename one: migration 0015) and every jurisdiction
    is public, so a path once found holds for every caller, for good; a code not found is looked up again
    next time (it may be created meanwhile). The least recently used are forgotten past ``size``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.paths: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, code: str) -> str | None:
        with self.lock:
            path = self.paths.get(code)
            if path is not None:
                self.paths.move_to_end(code)
            return path

    def put(self, code: str, path: str) -> None:
        with self.lock:
            self.paths[code] = path
            while len(self.paths) > self.size:
                self.paths.popitem(last=False)


_KNOWN_PATHS: weakref.WeakKeyDictionary[object, _KnownPaths] = weakref.WeakKeyDictionary()


async def subtree_path(session: AsyncSession, code: str) -> str | None:
    """The path of the jurisdiction with this code: the root of a ``withinCode`` filter's subtree."""
    known = _KNOWN_PATHS.get(session.bind)
    if known is None:
        known = _KNOWN_PATHS.setdefault(session.bind, _KnownPaths(size=100_000))
    path = known.get(code)
    if path is None:
        path = await _SUBTREE_PATH.scalar(session, {"code": code})
        if path is not None:
            known.put(code, path)
    return path


def in_list_order(rows: list[T], keyset: Keyset) -> list[T]:
    return rows[::-1] if keyset.backwards else rows


def _roots_table(roots: Sequence[str]) -> Values:
    return values(column("root", Text()), name="roots").data([(root,) for root in roots])


def _below(path_column: Any, root: Any, *, strictly: bool) -> ColumnElement[bool]:
    inside: ColumnElement[bool] = path_column.op("<@")(cast(root, Ltree()))
    return and_(inside, path_column != cast(root, Ltree())) if strictly else inside


def _root_groups(
    path_column: Any, roots: Sequence[str], *, strictly: bool
) -> list[tuple[Values, ColumnElement[bool]]]:
    """The roots as ``VALUES`` tables, each with the condition (on its columns) that a row lies below its
    root. Where the path's model keeps the ids of its path (:class:`~registry.db.models.base.PathIdsMixin`),
    roots of one depth share a table and match by those ids, as :func:`registry.auth.policy.in_subtrees`
    does (an index condition under row-level security, where ``path <@ root`` is not); others match by
    ``path <@``."""
    ids = path_id_columns(path_column)
    groups: dict[tuple[int, bool], list[str]] = {}
    by_pattern: list[str] = []
    for root in roots:
        labels = root.split(".")
        depth = min(len(labels), max(ids)) if ids is not None else 0
        if ids is None or depth not in ids or not all(label.isdigit() for label in labels):
            by_pattern.append(root)
        else:
            groups.setdefault((depth, len(labels) > depth), []).append(root)
    found: list[tuple[Values, ColumnElement[bool]]] = []
    if by_pattern:
        table = _roots_table(by_pattern)
        found.append((table, _below(path_column, table.c.root, strictly=strictly)))
    for (depth, deeper), members in groups.items():
        assert ids is not None
        table = values(
            column("root", Text()),
            column("key", BigInteger()),
            column("province", BigInteger()),
            name=f"roots_{depth}{'_below' if deeper else ''}",
        ).data([(root, int(root.split(".")[depth - 1]), int(root.split(".")[1])) for root in members])
        clauses = [ids[depth] == table.c.key]
        if depth == 3:
            clauses.append(ids[2] == table.c.province)  # the key of the index that includes the third id
        if deeper:
            clauses.append(_below(path_column, table.c.root, strictly=False))
        if strictly:
            clauses.append(path_column != cast(table.c.root, Ltree()))
        found.append((table, and_(*clauses)))
    return found


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
    parts = []
    for table, below in _root_groups(path_column, roots, strictly=strictly_below):
        per_root = apply_keyset(statement.where(below), id_column, keyset, descending=descending)
        page = per_root.subquery().lateral()
        parts.append(select(table.c.root, *page.c).select_from(table).join(page, true()))
    combined = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("pages")
    ascending = descending == keyset.backwards
    key = combined.c[id_column.key]
    rows = await session.execute(
        select(combined.c.root, aliased(model, combined)).order_by(
            combined.c.root, key.asc() if ascending else key.desc()
        )
    )
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
    parts = []
    for table, below in _root_groups(path_column, roots, strictly=strictly_below):
        counted = (
            statement.where(below)
            .with_only_columns(func.count(), maintain_column_froms=True)
            .scalar_subquery()
        )
        parts.append(select(table.c.root, counted.label("count")))
    rows = await session.execute(parts[0] if len(parts) == 1 else union_all(*parts))
    return {root: int(count) for root, count in rows}
