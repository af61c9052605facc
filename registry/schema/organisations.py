"""GraphQL types of organisations: the ministry, departments, police and partner NGOs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction

if TYPE_CHECKING:
    from registry.schema.context import Context

strawberry.enum(models.OrganisationKind, description="What kind of body an organisation is.")


@strawberry.type(
    description="A ministry, department, police force or partner organisation. People and API clients "
    "belong to one; it runs institutions and programmes. Public administrative data."
)
class Organisation(relay.Node):
    db_id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code.")
    name: str = strawberry.field(description="Name.")
    kind: models.OrganisationKind = strawberry.field(description="What kind of body it is.")
    jurisdiction_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Organisation) -> Organisation:
        return cls(
            db_id=row.id, code=row.code, name=row.name, kind=row.kind, jurisdiction_id=row.jurisdiction_id
        )

    @strawberry.field(description="Where it works: its jurisdiction and everything below.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Organisation | None]:
        loaded = await info.context.loaders.organisation_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


async def load_organisation(
    info: strawberry.Info[Context, None], organisation_id: int
) -> Organisation | None:
    row = await info.context.loaders.organisation_by_id.load(organisation_id)
    return Organisation.from_row(row) if row is not None else None
