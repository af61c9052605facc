"""Root fields of the jurisdiction tree."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry

from registry.db.models import JurisdictionLevel
from registry.db.queries import jurisdictions as queries
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction, JurisdictionFilter
from registry.schema.relay import (
    FILTER,
    After,
    Before,
    Connection,
    First,
    Last,
    rows_connection,
    subtree_connection,
)


async def jurisdiction(
    info: strawberry.Info[Context, None],
    code: Annotated[str, strawberry.argument(description="The node's code, e.g. `PK-PB-LAHORE`.")],
) -> Jurisdiction | None:
    row = await queries.jurisdiction_by_code(info.context.session, code)
    return Jurisdiction.from_row(row) if row is not None else None


async def jurisdictions(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[JurisdictionFilter | None, strawberry.argument(description=FILTER)] = None,
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


async def descendants_within(
    info: strawberry.Info[Context, None],
    root: str,
    *,
    level: JurisdictionLevel | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Jurisdiction]:
    """``Jurisdiction.descendants``: one statement for every parent on the page."""
    session = info.context.session
    flt = queries.JurisdictionFilter(level=level)
    return await subtree_connection(
        info,
        root=root,
        variant=("descendants", flt),
        first=first,
        after=after,
        last=last,
        before=before,
        pages=lambda roots, keyset: queries.descendants_pages(session, flt, roots, keyset),
        counts=lambda roots: queries.count_descendants(session, flt, roots),
        wrap=Jurisdiction.from_row,
    )
