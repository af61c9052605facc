"""Root fields of cases."""

from __future__ import annotations

from functools import partial

import strawberry

from registry.auth.permissions import Permission
from registry.auth.policy import cases_open_to
from registry.db.queries import cases as queries
from registry.schema.cases import Case, CaseFilter
from registry.schema.context import Context
from registry.schema.relay import Connection, database_id, rows_connection, subtree_connection


async def cases(
    info: strawberry.Info[Context, None],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: CaseFilter | None = None,
) -> Connection[Case]:
    context = info.context
    given = filter or CaseFilter()
    flt = queries.CaseFilter(
        kinds=given.kinds or (),
        stages=given.stages or (),
        risk_levels=given.risk_levels or (),
        within_code=given.within_code,
        levels=given.levels or (),
        open=given.open,
        assigned_to_id=(
            database_id(given.assigned_to, "User", field="assignedTo") if given.assigned_to else None
        ),
        unassigned=given.unassigned,
        opened_from=given.opened_from,
        opened_before=given.opened_before,
        closed_from=given.closed_from,
        closed_before=given.closed_before,
    )
    visible = cases_open_to(context.principal, Permission.CASES_READ)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(queries.cases_page, context.session, visible, flt),
        count=partial(queries.count_cases, context.session, visible, flt),
        wrap=Case.from_row,
    )


async def cases_within(
    info: strawberry.Info[Context, None],
    root: str,
    *,
    open: bool | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Case]:
    """``Jurisdiction.cases``: one statement for every parent on the page."""
    context = info.context
    flt = queries.CaseFilter(open=open)
    visible = cases_open_to(context.principal, Permission.CASES_READ)
    return await subtree_connection(
        info,
        root=root,
        variant=("cases", flt),
        first=first,
        after=after,
        last=last,
        before=before,
        pages=lambda roots, keyset: queries.cases_pages_within(context.session, visible, flt, roots, keyset),
        counts=lambda roots: queries.count_cases_within(context.session, visible, flt, roots),
        wrap=Case.from_row,
    )
