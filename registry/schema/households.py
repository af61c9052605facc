"""GraphQL types of households and placements."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.institutions import Institution
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction

if TYPE_CHECKING:
    from registry.schema.children import Child
    from registry.schema.context import Context

strawberry.enum(models.PlacementKind, description="Why and how a child is held or housed.")
strawberry.enum(models.PlacementEndReason, description="How a placement ended.")


@strawberry.type(description="A family unit, for coverage counts and family-level support.")
class Household(relay.Node):
    db_id: relay.NodeID[int]
    size: int = strawberry.field(description="Number of people in the household.")
    registered_on: dt.date = strawberry.field(description="When it was registered.")
    jurisdiction_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Household) -> Household:
        return cls(
            db_id=row.id, size=row.size, registered_on=row.registered_on, jurisdiction_id=row.jurisdiction_id
        )

    @strawberry.field(description="Where the household lives.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @strawberry.field(description="The household's children that you may see.")
    async def children(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[Child, strawberry.lazy("registry.schema.children")]]:
        from registry.schema.children import Child

        rows = await info.context.loaders.children_by_household_id.load(self.db_id)
        return [Child.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Household | None]:
        loaded = await info.context.loaders.household_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.type(
    description="A child held or housed in an institution: arrest, custody, a home or a shelter."
)
class Placement:
    kind: models.PlacementKind = strawberry.field(description="What kind of placement.")
    started_at: dt.datetime = strawberry.field(description="When it began.")
    ended_at: dt.datetime | None = strawberry.field(description="When it ended; null while it lasts.")
    end_reason: models.PlacementEndReason | None = strawberry.field(description="How it ended.")
    segregated_from_adults: bool = strawberry.field(
        description="Whether the child was kept apart from adults."
    )
    psychosocial_support: bool = strawberry.field(
        description="Whether the child received psychosocial support."
    )
    institution_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Placement) -> Placement:
        return cls(
            kind=row.kind,
            started_at=row.started_at,
            ended_at=row.ended_at,
            end_reason=row.end_reason,
            segregated_from_adults=row.segregated_from_adults,
            psychosocial_support=row.psychosocial_support,
            institution_id=row.institution_id,
        )

    @strawberry.field(description="Where the child is or was held or housed.")
    async def institution(self, info: strawberry.Info[Context, None]) -> Institution | None:
        row = await info.context.loaders.institution_by_id.load(self.institution_id)
        return Institution.from_row(row) if row is not None else None
