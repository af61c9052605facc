"""GraphQL types of the audit trail: who changed or read which record, when. Never personal data: records
are named by type and id, and the fields written or read, not their values."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.organisations import Organisation, load_organisation

if TYPE_CHECKING:
    from registry.schema.context import Context


@strawberry.type(description="A record an audit entry is about.")
class AuditRecord:
    type: str = strawberry.field(description="The table, e.g. `cases`, `children`, `child_identities`.")
    record_id: int | None = strawberry.field(description="The row's id in that table.")
    operation: str | None = strawberry.field(description="insert, update or delete; null for a read.")
    fields: list[str] = strawberry.field(description="The fields written or read (never their values).")

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> AuditRecord:
        return cls(
            type=str(record.get("type")),
            record_id=record.get("id"),
            operation=record.get("op"),
            fields=list(record.get("fields", [])),
        )


@strawberry.type(description="One entry of the tamper-evident audit trail: a change, or personal data read.")
class AuditEvent(relay.Node):
    db_id: relay.NodeID[int]
    occurred_at: dt.datetime = strawberry.field(description="When.")
    action: str = strawberry.field(
        description="The mutation (e.g. `openCase`), or `read:personal-data` for an answer that held some."
    )
    actor_kind: str = strawberry.field(description="USER or CLIENT.")
    actor_name: str | None = strawberry.field(description="The person's username or the client's name.")
    roles: list[str] = strawberry.field(description="The actor's roles (CLIENT for an API client).")
    request_id: str | None = strawberry.field(description="The request it came with.")
    client_address: str | None = strawberry.field(description="The network address the request came from.")
    records: list[AuditRecord] = strawberry.field(description="The records written or read.")
    sealed: bool = strawberry.field(description="Whether it is in the hash chain yet (within seconds).")
    organisation_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.AuditEvent, *, about_child: int | None = None) -> AuditEvent:
        """``about_child``: show only what the entry says of this child (one entry may cover many)."""
        records = [
            record
            for record in row.records
            if about_child is None or (record.get("type") == "children" and record.get("id") == about_child)
        ]
        return cls(
            db_id=row.id,
            occurred_at=row.occurred_at,
            action=row.action,
            actor_kind=row.actor_kind,
            actor_name=row.actor_name,
            roles=list(row.roles),
            request_id=row.request_id,
            client_address=row.client_address,
            records=[AuditRecord.from_json(record) for record in records],
            sealed=row.chain_seq is not None,
            organisation_id=row.organisation_id,
        )

    @strawberry.field(description="The actor's organisation.")
    async def organisation(self, info: strawberry.Info[Context, None]) -> Organisation | None:
        if self.organisation_id is None:
            return None
        return await load_organisation(info, self.organisation_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[AuditEvent | None]:
        from registry.resolvers.audit import audit_events_by_ids

        return await audit_events_by_ids(info, [int(i) for i in node_ids])


@strawberry.input(description="Narrows the audit trail. All given conditions must hold.")
class AuditEventFilter:
    actor: relay.GlobalID | None = strawberry.field(
        default=None, description="Only what this person (`User`) or client (`ApiClient`) did."
    )
    child: relay.GlobalID | None = strawberry.field(
        default=None, description="Only entries about this child (`Child`): changes and reads of its record."
    )
    case: relay.GlobalID | None = strawberry.field(default=None, description="Only entries about this case.")
    actions: list[str] | None = strawberry.field(
        default=None, description="Only these actions (e.g. `transitionCase`, `read:personal-data`)."
    )
    occurred_from: dt.datetime | None = strawberry.field(default=None, description="At or after this time.")
    occurred_before: dt.datetime | None = strawberry.field(default=None, description="Before this time.")
