"""Root fields of the jurisdiction tree."""

from __future__ import annotations

import strawberry

from registry.db.queries import jurisdictions as queries
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction, JurisdictionFilter
from registry.schema.relay import Connection, keyset_connection


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
    given = filter or JurisdictionFilter()
    flt = queries.JurisdictionFilter(
        level=given.level, parent_code=given.parent_code, within_code=given.within_code
    )

    async def fetch(limit: int, after_id: int | None) -> list[Jurisdiction]:
        rows = await queries.jurisdictions_page(context.session, flt, limit=limit, after_id=after_id)
        return [Jurisdiction.from_row(row) for row in rows]

    async def count() -> int:
        return await queries.count_jurisdictions(context.session, flt)

    return await keyset_connection(
        first=first,
        after=after,
        maximum=context.settings.max_page_size,
        fetch=fetch,
        count=count,
        key=lambda node: node.db_id,
    )
