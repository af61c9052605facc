"""Root fields of the jurisdiction tree."""

from __future__ import annotations

from functools import partial

import strawberry

from registry.db.queries import jurisdictions as queries
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction, JurisdictionFilter
from registry.schema.relay import Connection, rows_connection


async def jurisdiction(info: strawberry.Info[Context, None], code: str) -> Jurisdiction | None:
    row = await queries.jurisdiction_by_code(info.context.session, code)
    return Jurisdiction.from_row(row) if row is not None else None


async def jurisdictions(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: JurisdictionFilter | None = None,
) -> Connection[Jurisdiction]:
    context = info.context
    given = filter or JurisdictionFilter()
    flt = queries.JurisdictionFilter(
        level=given.level, parent_code=given.parent_code, within_code=given.within_code
    )
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(queries.jurisdictions_page, context.session, flt),
        count=partial(queries.count_jurisdictions, context.session, flt),
        wrap=Jurisdiction.from_row,
    )
