"""GraphQL types of households and placements."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.auth.permissions import Permission
from registry.auth.policy import scope_filter
from registry.db import models
from registry.db.queries import placements as placement_queries
from registry.schema.institutions import Institution, load_institution
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction

if TYPE_CHECKING:
    from registry.schema.cases import Case
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
class Placement(relay.Node):
    db_id: relay.NodeID[int]
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
    version: int = strawberry.field(
        description="Changes with every update: send it back to change the placement (`endPlacement`)."
    )
    row: strawberry.Private[models.Placement]

    @classmethod
    def from_row(cls, row: models.Placement) -> Placement:
        return cls(
            db_id=row.id,
            kind=row.kind,
            started_at=row.started_at,
            ended_at=row.ended_at,
            end_reason=row.end_reason,
            segregated_from_adults=row.segregated_from_adults,
            psychosocial_support=row.psychosocial_support,
            version=row.version,
            row=row,
        )

    @strawberry.field(description="Where the child is or was held or housed.")
    async def institution(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_institution(info, self.row.institution_id)

    @strawberry.field(description="The institution's jurisdiction, where the placement is counted.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.row.jurisdiction_id)

    @strawberry.field(description="The child placed; null if not yours to see.")
    async def child(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Child, strawberry.lazy("registry.schema.children")] | None:
        from registry.schema.children import load_child

        return await load_child(info, self.row.child_id)

    @strawberry.field(description="The case it belongs to; null if none or not yours to see.")
    async def case(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Case, strawberry.lazy("registry.schema.cases")] | None:
        from registry.schema.cases import load_case

        return await load_case(info, self.row.case_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Placement | None]:
        return [
            cls.from_row(row) if row is not None else None
            for row in await load_placements(info, [int(i) for i in node_ids])
        ]


async def load_placements(
    info: strawberry.Info[Context, None], ids: list[int]
) -> list[models.Placement | None]:
    """Placements by id, in order; None where not found or not the principal's to see (``incidents:read``,
    as a child's list of placements)."""
    context = info.context
    visible = scope_filter(context.principal, Permission.INCIDENTS_READ, models.Placement.path)
    found = await placement_queries.placements_by_ids(context.session, visible, ids)
    return [found.get(placement_id) for placement_id in ids]
