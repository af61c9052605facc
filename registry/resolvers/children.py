"""Root fields of children."""

from __future__ import annotations

from functools import partial

import strawberry
from sqlalchemy import and_

from registry.auth.permissions import Permission
from registry.auth.policy import identity_search_filter, scope_filter
from registry.db.models import Child as ChildRow
from registry.db.queries import children as queries
from registry.errors import InvalidInput
from registry.schema.children import Child, ChildFilter
from registry.schema.context import Context
from registry.schema.relay import Connection, rows_connection


async def children(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: ChildFilter | None = None,
) -> Connection[Child]:
    context = info.context
    given = filter or ChildFilter()
    if given.name is not None and not 2 <= len(given.name.strip()) <= 200:
        raise InvalidInput("A name to search needs 2 to 200 characters.", field="name")
    name = given.name.strip() if given.name is not None else None
    flt = queries.ChildFilter(sexes=given.sexes or (), within_code=given.within_code, name=name)
    visible = scope_filter(context.principal, Permission.CHILDREN_READ, ChildRow.path)
    if name is not None:
        visible = and_(
            visible,
            identity_search_filter(
                context.principal, ChildRow.path, ChildRow.id, ChildRow.identity_restricted
            ),
        )
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(queries.children_page, context.session, visible, flt),
        count=partial(queries.count_children, context.session, visible, flt),
        wrap=Child.from_row,
    )
