"""Root fields of institutions and incidents."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated

import strawberry

from registry.auth.permissions import Permission
from registry.auth.policy import scope_filter
from registry.db.models import Incident as IncidentRow
from registry.db.models import Institution as InstitutionRow
from registry.db.models import InstitutionType
from registry.db.queries import incidents as incident_queries
from registry.db.queries import institutions as queries
from registry.schema.context import Context
from registry.schema.incidents import Incident, IncidentFilter
from registry.schema.institutions import Institution, InstitutionFilter
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


async def institutions(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[InstitutionFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Institution]:
    context = info.context
    given = filter or InstitutionFilter()
    flt = queries.InstitutionFilter(types=given.types or (), within_code=given.within_code)
    visible = scope_filter(context.principal, Permission.JURISDICTIONS_READ, InstitutionRow.path)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(queries.institutions_page, context.session, visible, flt),
        count=partial(queries.count_institutions, context.session, visible, flt),
        wrap=Institution.from_row,
    )


async def institutions_within(
    info: strawberry.Info[Context, None],
    root: str,
    *,
    types: Sequence[InstitutionType],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Institution]:
    """``Jurisdiction.institutions``: one statement for every parent on the page."""
    context = info.context
    flt = queries.InstitutionFilter(types=tuple(types))
    visible = scope_filter(context.principal, Permission.JURISDICTIONS_READ, InstitutionRow.path)
    return await subtree_connection(
        info,
        root=root,
        variant=("institutions", flt),
        first=first,
        after=after,
        last=last,
        before=before,
        pages=lambda roots, keyset: queries.institutions_pages_within(
            context.session, visible, flt, roots, keyset
        ),
        counts=lambda roots: queries.count_institutions_within(context.session, visible, flt, roots),
        wrap=Institution.from_row,
    )


async def incidents(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[IncidentFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[Incident]:
    context = info.context
    given = filter or IncidentFilter()
    station_id = None
    if given.police_station is not None:
        station_id = database_id(given.police_station, "Institution", field="policeStation")
    flt = incident_queries.IncidentFilter(
        directions=given.directions or (),
        offences=given.offences or (),
        police_station_id=station_id,
        within_code=given.within_code,
        occurred_from=given.occurred_from,
        occurred_before=given.occurred_before,
    )
    visible = scope_filter(context.principal, Permission.INCIDENTS_READ, IncidentRow.path)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(incident_queries.incidents_page, context.session, visible, flt),
        count=partial(incident_queries.count_incidents, context.session, visible, flt),
        wrap=Incident.from_row,
    )
