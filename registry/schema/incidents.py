"""GraphQL types of police-station incidents: offences by children and against children, kept apart."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.institutions import Institution, load_institution
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction

if TYPE_CHECKING:
    from registry.schema.cases import Case
    from registry.schema.children import Child
    from registry.schema.context import Context

strawberry.enum(models.IncidentDirection, description="An offence by the child, or against the child.")
strawberry.enum(models.OffenceCategory, description="Category of the offence.")


@strawberry.type(description="An offence by or against a child, recorded at a police station.")
class Incident(relay.Node):
    db_id: relay.NodeID[int]
    direction: models.IncidentDirection = strawberry.field(description="By the child, or against the child.")
    offence: models.OffenceCategory = strawberry.field(description="Category of the offence.")
    offence_section: str | None = strawberry.field(description="The legal provision, e.g. `PPC 379`.")
    occurred_on: dt.date = strawberry.field(description="When it happened.")
    version: int = strawberry.field(description="Changes with every update of the incident.")
    row: strawberry.Private[models.Incident]

    @classmethod
    def from_row(cls, row: models.Incident) -> Incident:
        return cls(
            db_id=row.id,
            direction=row.direction,
            offence=row.offence,
            offence_section=row.offence_section,
            occurred_on=row.occurred_on,
            version=row.version,
            row=row,
        )

    @strawberry.field(description="The police station that recorded it.")
    async def police_station(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_institution(info, self.row.police_station_id)

    @strawberry.field(description="The police station's jurisdiction.")
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        return await load_jurisdiction(info, self.row.jurisdiction_id)

    @strawberry.field(description="The child concerned; null if unknown or not yours to see.")
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
    ) -> list[Incident | None]:
        loaded = await info.context.loaders.incident_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(row) if row is not None else None for row in loaded]


@strawberry.input(description="Narrows the list of incidents. All given conditions must hold.")
class IncidentFilter:
    directions: list[models.IncidentDirection] | None = strawberry.field(
        default=None, description="Only these directions."
    )
    offences: list[models.OffenceCategory] | None = strawberry.field(default=None, description="Only these.")
    police_station: relay.GlobalID | None = strawberry.field(
        default=None, description="Only at this station."
    )
    within_code: str | None = strawberry.field(
        default=None, description="Only incidents in the subtree of this jurisdiction (by code)."
    )
    occurred_from: dt.date | None = strawberry.field(default=None, description="On or after this date.")
    occurred_before: dt.date | None = strawberry.field(default=None, description="Before this date.")
