"""GraphQL types of institutions: places that serve or hold children."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.organisations import Organisation, load_organisation

if TYPE_CHECKING:
    from registry.schema.context import Context

strawberry.enum(models.InstitutionType, description="What kind of place an institution is.")


@strawberry.type(
    description="A police station, centre, home, shelter, school or health facility in one "
    "jurisdiction, run by an organisation."
)
class Institution(relay.Node):
    db_id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code.")
    name: str = strawberry.field(description="Name.")
    type: models.InstitutionType = strawberry.field(description="What kind of place it is.")
    capacity: int | None = strawberry.field(description="How many children it can serve or hold, if known.")
    active: bool = strawberry.field(description="Whether it is in operation.")
    version: int = strawberry.field(description="Changes with every update; send it back to update safely.")
    jurisdiction_id: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Institution) -> Institution:
        return cls(
            db_id=row.id,
            code=row.code,
            name=row.name,
            type=row.type,
            capacity=row.capacity,
            active=row.active,
            version=row.version,
            jurisdiction_id=row.jurisdiction_id,
            organisation_id=row.organisation_id,
        )

    @strawberry.field(description="The organisation that runs it.")
    async def organisation(self, info: strawberry.Info[Context, None]) -> Organisation | None:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="Where the institution is.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.jurisdiction_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info[Context, None], node_ids: list[str], required: bool = False
    ) -> list[Institution | None]:
        loaded = await info.context.loaders.institution_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.input(description="Narrows the list of institutions. All given conditions must hold.")
class InstitutionFilter:
    types: list[models.InstitutionType] | None = strawberry.field(
        default=None, description="Only these types."
    )
    within_code: str | None = strawberry.field(
        default=None, description="Only institutions in the subtree of this jurisdiction (by code)."
    )


async def load_institution(
    info: strawberry.Info[Context, None], institution_id: int | None
) -> Institution | None:
    """An institution by id if the principal may see it, batched with every other one the request asks for."""
    if institution_id is None:
        return None
    row = await info.context.loaders.institution_by_id.load(institution_id)
    return Institution.from_row(row) if row is not None else None
