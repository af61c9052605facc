"""GraphQL types of police and detention figures: incidents by and against children (never added
together), and detained children held apart from adults."""

from __future__ import annotations

import datetime as dt

import strawberry

from registry.auth.policy import statistics_label_filter
from registry.db import models
from registry.db.queries import institutions as institution_queries
from registry.schema import households as _households  # noqa: F401 - registers PlacementKind
from registry.schema import incidents as _incidents  # noqa: F401 - registers the incident enums
from registry.schema.context import Context
from registry.schema.institutions import Institution
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.statistics import DateRange, Disclosure
from registry.services.incident_statistics import DetentionDimension, IncidentDimension

strawberry.enum(
    IncidentDimension,
    description="What incidents can be counted by besides direction (always), jurisdiction (`level`) and "
    "period: `OFFENCE`, or `POLICE_STATION` (instead of `level`).",
)
strawberry.enum(
    DetentionDimension,
    description="What detentions can be counted by besides jurisdiction (`level`) and period: `KIND` of "
    "placement, or `INSTITUTION` (instead of `level`).",
)


async def load_labelled_institution(
    info: strawberry.Info[Context, None], institution_id: int | None
) -> Institution | None:
    """The institution a figure is about, for whoever may read that figure (see
    :func:`registry.auth.policy.statistics_label_filter`), batched per request."""
    if institution_id is None:
        return None
    context = info.context
    visible = statistics_label_filter(context.principal, models.Institution.path)
    loader = context.loaders.variant(
        ("statistics_labels",),
        lambda ids: institution_queries.institutions_by_ids(context.session, visible, ids),
        None,
    )
    row = await loader.load(institution_id)
    return Institution.from_row(row) if row is not None else None


@strawberry.input(
    description="Which incidents to count. Without exact rights (see `disclosure`): one offence at most and "
    "one whole calendar month, quarter or year."
)
class IncidentStatisticsFilter:
    directions: list[models.IncidentDirection] | None = strawberry.field(
        default=None, description="Only these directions (each is still counted apart)."
    )
    offences: list[models.OffenceCategory] | None = strawberry.field(
        default=None, description="Only these offences."
    )
    occurred: DateRange | None = strawberry.field(
        default=None, description="Only incidents that happened on these days."
    )


@strawberry.type(
    description="The number of incidents of one direction with one combination of the grouped values."
)
class IncidentStatisticsCell:
    jurisdiction_id: strawberry.Private[int | None]
    police_station_id: strawberry.Private[int | None]
    direction: models.IncidentDirection = strawberry.field(
        description="By the child or against the child: always part of a cell, never added together."
    )
    offence: models.OffenceCategory | None = strawberry.field(description="When grouped by offence.")
    period: dt.date | None = strawberry.field(description="First day of the period, when grouped by one.")
    count: int | None = strawberry.field(description="Null when withheld (`suppressed`).")
    suppressed: bool = strawberry.field(description="The count is withheld to protect small numbers.")

    @strawberry.field(
        description="When grouped by `level`: the jurisdiction at that level; a node above it holds the "
        "incidents recorded above that level."
    )
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        if self.jurisdiction_id is None:
            return None
        return await load_jurisdiction(info, self.jurisdiction_id)

    @strawberry.field(description="When grouped by police station: the station.")
    async def police_station(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_labelled_institution(info, self.police_station_id)


@strawberry.type(description="Counts of police-station incidents about children under one jurisdiction.")
class IncidentStatistics:
    jurisdiction: Jurisdiction = strawberry.field(description="The jurisdiction counted under.")
    cells: list[IncidentStatisticsCell] = strawberry.field(
        description="One cell per direction and combination that has incidents; combinations without "
        "incidents are absent."
    )
    disclosure: Disclosure = strawberry.field(description="Whether counts are exact or protected.")


@strawberry.input(
    description="Which detentions to count. Without exact rights (see `disclosure`): one kind at most and "
    "one whole calendar month, quarter or year."
)
class DetentionStatisticsFilter:
    kinds: list[models.PlacementKind] | None = strawberry.field(
        default=None,
        description="Only these kinds of detention (ARREST, POLICE_CUSTODY, OBSERVATION_HOME, "
        "JUVENILE_REHABILITATION, PRISON).",
    )
    started: DateRange | None = strawberry.field(
        default=None, description="Only detentions that began on these days (Pakistan time)."
    )


@strawberry.type(
    description="Detentions with one combination of the grouped values, and how many held the child apart "
    "from adults."
)
class DetentionStatisticsCell:
    jurisdiction_id: strawberry.Private[int | None]
    institution_id: strawberry.Private[int | None]
    kind: models.PlacementKind | None = strawberry.field(description="When grouped by kind.")
    period: dt.date | None = strawberry.field(
        description="First day of the period (Pakistan time), when grouped by one."
    )
    detentions: int | None = strawberry.field(
        description="Placements in detention that began (each arrest, custody, home or prison placement of "
        "a child counts once); null when withheld."
    )
    segregated: int | None = strawberry.field(
        description="Of those, the ones that held the child apart from adults; null when withheld."
    )
    segregated_share: float | None = strawberry.field(
        description="`segregated / detentions`, from 0 to 1; null when either is withheld."
    )
    suppressed: bool = strawberry.field(description="Some figure of this cell is withheld.")

    @strawberry.field(
        description="When grouped by `level`: the jurisdiction at that level; a node above it holds the "
        "detentions recorded above that level."
    )
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        if self.jurisdiction_id is None:
            return None
        return await load_jurisdiction(info, self.jurisdiction_id)

    @strawberry.field(description="When grouped by institution: where the child was held.")
    async def institution(self, info: strawberry.Info[Context, None]) -> Institution | None:
        return await load_labelled_institution(info, self.institution_id)


@strawberry.type(description="Detained children held apart from adults, under one jurisdiction.")
class DetentionStatistics:
    jurisdiction: Jurisdiction = strawberry.field(description="The jurisdiction counted under.")
    cells: list[DetentionStatisticsCell] = strawberry.field(
        description="One cell per combination that has detentions; combinations without are absent."
    )
    disclosure: Disclosure = strawberry.field(description="Whether counts are exact or protected.")
