"""Root fields of children."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy import and_

from registry.auth.permissions import Permission
from registry.auth.policy import child_filter, identity_search_filter
from registry.db.models import Child as ChildRow
from registry.db.models.children import birth_years_in_band
from registry.db.queries import children as queries
from registry.errors import InvalidInput
from registry.schema.children import Child, ChildFilter
from registry.schema.context import Context
from registry.schema.relay import FILTER, After, Before, Connection, First, Last, rows_connection


async def children(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[ChildFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Child]:
    context = info.context
    given = filter or ChildFilter()
    if given.name is not None and not 2 <= len(given.name.strip()) <= 200:
        raise InvalidInput("A name to search needs 2 to 200 characters.", field="name")
    name = given.name.strip() if given.name is not None else None
    today = dt.date.today()
    flt = queries.ChildFilter(
        sexes=given.sexes or (),
        within_code=given.within_code,
        birth_years=[birth_years_in_band(band, today) for band in given.age_bands or ()],
        name=name,
        identity_number_index=(
            context.identity_numbers.blind_index(given.identity_number)
            if given.identity_number is not None
            else None
        ),
    )
    visible = child_filter(context.principal, Permission.CHILDREN_READ, ChildRow.path, ChildRow.id)
    # Searching by identity must not reveal that a child one may not identify exists.
    if name is not None or flt.identity_number_index is not None:
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
