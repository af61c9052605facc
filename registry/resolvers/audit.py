"""``auditEvents``: the audit trail, for auditors inside their scope."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy import true

from registry.auth.policy import audit_filter
from registry.db.models import AuditEvent as AuditEventRow
from registry.db.queries import audit as queries
from registry.errors import InvalidInput
from registry.schema.audit import AuditEvent, AuditEventFilter
from registry.schema.context import Context
from registry.schema.relay import (
    FILTER,
    After,
    Before,
    Connection,
    First,
    Last,
    database_id,
    row_id,
    rows_connection,
)

_ACTOR_KINDS = {"User": "USER", "ApiClient": "CLIENT"}


async def audit_events(
    info: strawberry.Info[Context, None],
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: Annotated[AuditEventFilter | None, strawberry.argument(description=FILTER)] = None,
) -> Connection[AuditEvent]:
    context = info.context
    given = filter or AuditEventFilter()
    actor = None
    if given.actor is not None:
        kind = _ACTOR_KINDS.get(given.actor.type_name)
        actor_id = row_id(given.actor.node_id)
        if kind is None or actor_id is None:
            raise InvalidInput("Expected the ID of a User or an ApiClient.", field="actor")
        actor = (kind, actor_id)
    flt = queries.AuditFilter(
        actor=actor,
        child_id=database_id(given.child, "Child", field="child") if given.child else None,
        record=("cases", database_id(given.case, "Case", field="case")) if given.case else None,
        actions=given.actions or (),
        occurred_from=given.occurred_from,
        occurred_before=given.occurred_before,
    )
    visible = audit_filter(context.principal, AuditEventRow.paths)
    return await rows_connection(
        first=first,
        after=after,
        last=last,
        before=before,
        maximum=context.settings.max_page_size,
        page=partial(queries.audit_events_page, context.session, visible, flt),
        count=partial(queries.count_audit_events, context.session, visible, flt),
        wrap=AuditEvent.from_row,
    )


async def audit_events_by_ids(
    info: strawberry.Info[Context, None], ids: list[int]
) -> list[AuditEvent | None]:
    visible = audit_filter(info.context.principal, AuditEventRow.paths)
    found = await queries.audit_events_by_ids(info.context.session, visible, ids)
    return [AuditEvent.from_row(row) if (row := found.get(i)) is not None else None for i in ids]


async def access_log(
    info: strawberry.Info[Context, None], child_id: int, *, first: int | None, after: str | None
) -> Connection[AuditEvent]:
    """``Child.accessLog``: the child is already found visible; row-level security keeps the entries to the
    caller's administrative scope."""
    context = info.context
    flt = queries.AuditFilter(child_id=child_id)
    visible = true()
    return await rows_connection(
        first=first,
        after=after,
        maximum=context.settings.max_page_size,
        page=partial(queries.audit_events_page, context.session, visible, flt),
        count=partial(queries.count_audit_events, context.session, visible, flt),
        wrap=partial(AuditEvent.from_row, about_child=child_id),
    )
