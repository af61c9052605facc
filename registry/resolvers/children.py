"""Root fields of children."""

from __future__ import annotations

import strawberry

from registry.auth.permissions import Permission
from registry.auth.policy import scope_filter
from registry.db.models import Child as ChildRow
from registry.db.queries import children as queries
from registry.schema.children import Child, ChildFilter
from registry.schema.context import Context
from registry.schema.relay import Connection, connection_from_rows, decode_cursor, page_size


async def children(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    filter: ChildFilter | None = None,
) -> Connection[Child]:
    context = info.context
    size = page_size(first, maximum=context.settings.max_page_size)
    after_id = decode_cursor(after) if after is not None else None
    flt = queries.ChildFilter(
        sexes=filter.sexes or () if filter else (), within_code=filter.within_code if filter else None
    )
    visible = scope_filter(context.principal, Permission.CHILDREN_READ, ChildRow.path)
    rows = await queries.children_page(context.session, visible, flt, limit=size + 1, after_id=after_id)

    async def count() -> int:
        return await queries.count_children(context.session, visible, flt)

    return connection_from_rows(
        [Child.from_row(row) for row in rows],
        size=size,
        key=lambda node: node.db_id,
        after_given=after_id is not None,
        count=count,
    )
