"""GraphQL types of programmes: what an organisation runs over an area (drop-in centres, outreach learning,
vocational training, ...). Interventions name the programme they were part of."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.organisations import Organisation, load_organisation

if TYPE_CHECKING:
    from registry.schema.context import Context


@strawberry.type(
    description="A programme run by an organisation over a jurisdiction (its coverage area). Public "
    "administrative data."
)
class Programme(relay.Node):
    db_id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code.")
    name: str = strawberry.field(description="Name.")
    starts_on: dt.date = strawberry.field(description="When it began.")
    ends_on: dt.date | None = strawberry.field(description="When it ends or ended; null if open-ended.")
    organisation_id: strawberry.Private[int]
    jurisdiction_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Programme) -> Programme:
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            organisation_id=row.organisation_id,
            jurisdiction_id=row.jurisdiction_id,
        )

    @strawberry.field(description="The organisation running it.")
    async def organisation(self, info: strawberry.Info[Context, None]) -> Organisation | None:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The area it covers: this jurisdiction and everything below.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Programme | None]:
        loaded = await info.context.loaders.programme_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]
