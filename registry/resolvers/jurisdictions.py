"""Root fields of the jurisdiction tree."""

from __future__ import annotations

import strawberry

from registry.db.queries import jurisdictions as queries
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction, JurisdictionFilter
from registry.schema.relay import Connection, connection_from_rows, decode_cursor, page_size


async def jurisdiction(info: strawberry.Info[Context, None], code: str) -> Jurisdiction | None:
    row = await queries.jurisdiction_by_code(info.context.session, code)
    return Jurisdiction.from_row(row) if row is not None else None


async def jurisdictions(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    filter: JurisdictionFilter | None = None,
) -> Connection[Jurisdiction]:
    context = info.context
    size = page_size(first, maximum=context.settings.max_page_size)
    after_id = decode_cursor(after) if after is not None else None
    flt = queries.JurisdictionFilter(
        level=filter.level if filter else None,
        parent_code=filter.parent_code if filter else None,
        within_code=filter.within_code if filter else None,
    )
    rows = await queries.jurisdictions_page(context.session, flt, limit=size + 1, after_id=after_id)

    async def count() -> int:
        return await queries.count_jurisdictions(context.session, flt)

    return connection_from_rows(
        [Jurisdiction.from_row(row) for row in rows],
        size=size,
        key=lambda node: node.db_id,
        after_given=after_id is not None,
        count=count,
    )
