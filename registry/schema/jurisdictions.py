"""GraphQL types of the jurisdiction tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from registry.db import models

if TYPE_CHECKING:
    from registry.schema.context import Context

JurisdictionLevel = models.JurisdictionLevel
strawberry.enum(
    JurisdictionLevel,
    description="Levels of the tree, top down. DIVISIONAL and TEHSIL are optional between their neighbours.",
)


@strawberry.type(
    description="A node of the jurisdiction tree: the nation, a province, division, district, "
    "tehsil or community. Public administrative geography, not personal data."
)
class Jurisdiction(relay.Node):
    db_id: relay.NodeID[int]
    code: str = strawberry.field(
        description="Stable code: `PK`, ISO 3166-2 for provinces (`PK-PB`), `PK-KP-PESHAWAR` style below."
    )
    name: str = strawberry.field(description="Name in English.")
    name_ur: str | None = strawberry.field(description="Name in Urdu, where known.")
    level: JurisdictionLevel = strawberry.field(description="Level of this node in the tree.")
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Jurisdiction) -> Jurisdiction:
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            name_ur=row.name_ur,
            level=row.level,
            parent_id=row.parent_id,
        )

    @strawberry.field(description="The node directly above; null for the nation.")
    async def parent(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.jurisdiction_by_id.load(self.parent_id)
        return Jurisdiction.from_row(row) if row is not None else None

    @strawberry.field(description="The nodes directly below, in a stable order.")
    async def children(self, info: strawberry.Info[Context, None]) -> list[Jurisdiction]:
        rows = await info.context.loaders.jurisdictions_by_parent_id.load(self.db_id)
        return [Jurisdiction.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Jurisdiction | None]:
        loaded = await info.context.loaders.jurisdiction_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.input(description="Narrows the list of jurisdictions. All given conditions must hold.")
class JurisdictionFilter:
    level: JurisdictionLevel | None = strawberry.field(default=None, description="Only nodes of this level.")
    parent_code: str | None = strawberry.field(default=None, description="Only the children of this node.")
    within_code: str | None = strawberry.field(
        default=None, description="Only nodes anywhere below this node (not the node itself)."
    )
