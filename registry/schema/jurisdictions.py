"""GraphQL types of the jurisdiction tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.relay import FILTER, After, Before, Connection, First, Last

if TYPE_CHECKING:
    from registry.schema.cases import Case
    from registry.schema.context import Context
    from registry.schema.institutions import Institution, InstitutionFilter

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
    path: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Jurisdiction) -> Jurisdiction:
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            name_ur=row.name_ur,
            level=row.level,
            parent_id=row.parent_id,
            path=row.path,
        )

    @strawberry.field(description="The nodes above this one, from the nation down (this node excluded).")
    async def ancestors(self, info: strawberry.Info[Context, None]) -> list[Jurisdiction]:
        ids = [int(label) for label in self.path.split(".")[:-1]]
        rows = await info.context.loaders.jurisdiction_by_id.load_many(ids)
        return [Jurisdiction.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="Nodes anywhere below this one, optionally of one level, paged.")
    async def descendants(
        self,
        info: strawberry.Info[Context, None],
        level: Annotated[
            JurisdictionLevel | None, strawberry.argument(description="Only nodes of this level.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Jurisdiction]:
        from registry.resolvers.jurisdictions import descendants_within

        return await descendants_within(
            info, self.path, level=level, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Institutions in this node's subtree that you may see, paged.")
    async def institutions(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            Annotated[InstitutionFilter, strawberry.lazy("registry.schema.institutions")] | None,
            strawberry.argument(description=FILTER),
        ] = None,
    ) -> Connection[Annotated[Institution, strawberry.lazy("registry.schema.institutions")]]:
        from registry.resolvers.institutions import institutions_within

        types = (filter.types if filter else None) or ()
        return await institutions_within(
            info, self.path, types=types, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="Cases in this node's subtree that you may see, newest first, paged.")
    async def cases(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        open: Annotated[
            bool | None, strawberry.argument(description="Only open (true) or closed (false) cases.")
        ] = None,
    ) -> Connection[Annotated[Case, strawberry.lazy("registry.schema.cases")]]:
        from registry.resolvers.cases import cases_within

        return await cases_within(
            info, self.path, open=open, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="The node directly above; null for the nation.")
    async def parent(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        if self.parent_id is None:
            return None
        return await load_jurisdiction(info, self.parent_id)

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


async def load_jurisdiction(
    info: strawberry.Info[Context, None], jurisdiction_id: int
) -> Jurisdiction | None:
    """A jurisdiction by id, batched with every other one the request asks for."""
    row = await info.context.loaders.jurisdiction_by_id.load(jurisdiction_id)
    return Jurisdiction.from_row(row) if row is not None else None
