"""Root fields of cases."""

from __future__ import annotations

import strawberry

from registry.auth.permissions import Permission
from registry.auth.policy import case_filter
from registry.db.models import Case as CaseRow
from registry.db.queries import cases as queries
from registry.schema.cases import Case, CaseFilter
from registry.schema.context import Context
from registry.schema.relay import Connection, connection_from_rows, decode_cursor, page_size


async def cases(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    filter: CaseFilter | None = None,
) -> Connection[Case]:
    context = info.context
    size = page_size(first, maximum=context.settings.max_page_size)
    after_id = decode_cursor(after) if after is not None else None
    flt = queries.CaseFilter(
        kinds=filter.kinds or () if filter else (),
        stages=filter.stages or () if filter else (),
        risk_levels=filter.risk_levels or () if filter else (),
        within_code=filter.within_code if filter else None,
        open=filter.open if filter else None,
        opened_from=filter.opened_from if filter else None,
        opened_before=filter.opened_before if filter else None,
    )
    visible = case_filter(context.principal, Permission.CASES_READ, CaseRow.path, CaseRow.assigned_to_id)
    rows = await queries.cases_page(context.session, visible, flt, limit=size + 1, after_id=after_id)

    async def count() -> int:
        return await queries.count_cases(context.session, visible, flt)

    return connection_from_rows(
        [Case.from_row(row) for row in rows],
        size=size,
        key=lambda node: node.db_id,
        after_given=after_id is not None,
        count=count,
    )
