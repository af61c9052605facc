"""Root fields of children."""

from __future__ import annotations

import strawberry

from registry.auth.permissions import Permission
from registry.auth.policy import scope_filter
from registry.db.models import Child as ChildRow
from registry.db.queries import children as queries
from registry.schema.children import Child, ChildFilter
from registry.schema.context import Context
from registry.schema.relay import Connection, keyset_connection


async def children(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    filter: ChildFilter | None = None,
) -> Connection[Child]:
    context = info.context
    given = filter or ChildFilter()
    flt = queries.ChildFilter(sexes=given.sexes or (), within_code=given.within_code)
    visible = scope_filter(context.principal, Permission.CHILDREN_READ, ChildRow.path)

    async def fetch(limit: int, after_id: int | None) -> list[Child]:
        rows = await queries.children_page(context.session, visible, flt, limit=limit, after_id=after_id)
        return [Child.from_row(row) for row in rows]

    async def count() -> int:
        return await queries.count_children(context.session, visible, flt)

    return await keyset_connection(
        first=first,
        after=after,
        maximum=context.settings.max_page_size,
        fetch=fetch,
        count=count,
        key=lambda node: node.db_id,
    )
