"""Root fields of cases."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement, not_

from registry.auth.permissions import Permission
from registry.auth.policy import cases_open_to, referral_filter, scope_filter, transfer_filter
from registry.db.models import Institution as InstitutionRow
from registry.db.models import Transfer as TransferRow
from registry.db.queries import cases as queries
from registry.db.queries import referrals as referral_queries
from registry.db.queries import transfers as transfer_queries
from registry.schema.cases import Case, CaseFilter, Referral, ReferralFilter, Transfer, TransferFilter
from registry.schema.context import Context
from registry.schema.relay import (
    FILTER,
    After,
    Before,
    Connection,
    First,
    Last,
    database_id,
    rows_connection,
    subtree_connection,
)


async def cases(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[CaseFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Case]:
    context = info.context
    flt = case_filter(filter)
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


def case_filter(filter: CaseFilter | None) -> queries.CaseFilter:
    """The query's filter from the argument (a malformed `assignedTo` ID is a bad input)."""
    given = filter or CaseFilter()
    return queries.CaseFilter(
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


def _where(condition: ColumnElement[bool], wanted: bool | None) -> ColumnElement[bool] | None:
    if wanted is None:
        return None
    return condition if wanted else not_(condition)


async def transfers(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[TransferFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Transfer]:
    context = info.context
    given = filter or TransferFilter()
    mine = partial(scope_filter, context.principal, Permission.CASES_READ)
    flt = transfer_queries.TransferFilter(
        statuses=given.statuses or (),
        to_within=_where(mine(TransferRow.to_path), given.incoming),
        from_within=_where(mine(TransferRow.from_path), given.outgoing),
    )
    visible = transfer_filter(context.principal, Permission.CASES_READ)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(transfer_queries.transfers_page, context.session, visible, flt),
        count=partial(transfer_queries.count_transfers, context.session, visible, flt),
        wrap=Transfer.from_row,
    )


async def referrals(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[ReferralFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Referral]:
    context = info.context
    given = filter or ReferralFilter()
    institution_id = (
        database_id(given.to_institution, "Institution", field="toInstitution")
        if given.to_institution
        else None
    )
    mine = scope_filter(context.principal, Permission.CASES_READ, InstitutionRow.path)
    flt = referral_queries.ReferralFilter(
        statuses=given.statuses or (),
        to_institution_id=institution_id,
        to_institution_within=_where(mine, given.incoming),
    )
    visible = referral_filter(context.principal, Permission.CASES_READ)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(referral_queries.referrals_page, context.session, visible, flt),
        count=partial(referral_queries.count_referrals, context.session, visible, flt),
        wrap=Referral.from_row,
    )
