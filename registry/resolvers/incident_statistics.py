"""``incidentStatistics`` and ``detentionStatistics``: police and detention figures."""

from __future__ import annotations

from typing import Annotated

import strawberry

from registry.db import models
from registry.schema.context import Context
from registry.schema.incident_statistics import (
    DetentionStatistics,
    DetentionStatisticsCell,
    DetentionStatisticsFilter,
    IncidentStatistics,
    IncidentStatisticsCell,
    IncidentStatisticsFilter,
)
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.statistics import Disclosure, PeriodUnit
from registry.services import incident_statistics as service
from registry.services.incident_statistics import DetentionDimension, IncidentDimension
from registry.statistics.periods import Unit

Code = Annotated[
    str, strawberry.argument(description="Code of the jurisdiction counted under (`PK`, `PK-PB`, ...).")
]
Level = Annotated[
    models.JurisdictionLevel | None,
    strawberry.argument(description="Group by the jurisdiction at this level (at or below `jurisdiction`)."),
]


def _unit(period: PeriodUnit | None) -> Unit | None:
    return Unit(period.value) if period is not None else None


async def incident_statistics(
    info: strawberry.Info[Context, None],
    jurisdiction: Code,
    group_by: Annotated[
        list[IncidentDimension] | None,
        strawberry.argument(description="Offence, and police station (instead of `level`), to group by."),
    ] = None,
    level: Level = None,
    period: Annotated[
        PeriodUnit | None,
        strawberry.argument(description="Group by month, quarter or year of the day it happened."),
    ] = None,
    filter: Annotated[
        IncidentStatisticsFilter | None, strawberry.argument(description="Which incidents to count.")
    ] = None,
) -> IncidentStatistics:
    context = info.context
    given = filter or IncidentStatisticsFilter()
    request = service.IncidentStatisticsRequest(
        jurisdiction_code=jurisdiction,
        level=level,
        dimensions=frozenset(group_by or ()),
        period=_unit(period),
        directions=tuple(given.directions) if given.directions is not None else None,
        offences=tuple(given.offences) if given.offences is not None else None,
        occurred_from=given.occurred.from_ if given.occurred else None,
        occurred_to=given.occurred.to if given.occurred else None,
    )
    result = await service.incident_statistics(
        context.session,
        context.principal,
        request,
        threshold=context.settings.statistics_threshold,
        max_cells=context.settings.statistics_max_cells,
    )
    return IncidentStatistics(
        jurisdiction=Jurisdiction.from_row(result.jurisdiction),
        cells=[
            IncidentStatisticsCell(
                jurisdiction_id=cell.jurisdiction_id,
                police_station_id=cell.police_station_id,
                direction=cell.direction,
                offence=cell.offence,
                period=cell.period,
                count=cell.count,
                suppressed=cell.count is None,
            )
            for cell in result.cells
        ],
        disclosure=Disclosure(exact=result.exact, threshold=result.threshold),
    )


async def detention_statistics(
    info: strawberry.Info[Context, None],
    jurisdiction: Code,
    group_by: Annotated[
        list[DetentionDimension] | None,
        strawberry.argument(
            description="Kind of detention, and institution (instead of `level`), to group by."
        ),
    ] = None,
    level: Level = None,
    period: Annotated[
        PeriodUnit | None,
        strawberry.argument(description="Group by month, quarter or year in which the detention began."),
    ] = None,
    filter: Annotated[
        DetentionStatisticsFilter | None, strawberry.argument(description="Which detentions to count.")
    ] = None,
) -> DetentionStatistics:
    context = info.context
    given = filter or DetentionStatisticsFilter()
    request = service.DetentionStatisticsRequest(
        jurisdiction_code=jurisdiction,
        level=level,
        dimensions=frozenset(group_by or ()),
        period=_unit(period),
        kinds=tuple(given.kinds) if given.kinds is not None else None,
        started_from=given.started.from_ if given.started else None,
        started_to=given.started.to if given.started else None,
    )
    result = await service.detention_statistics(
        context.session,
        context.principal,
        request,
        threshold=context.settings.statistics_threshold,
        max_cells=context.settings.statistics_max_cells,
    )
    return DetentionStatistics(
        jurisdiction=Jurisdiction.from_row(result.jurisdiction),
        cells=[
            DetentionStatisticsCell(
                jurisdiction_id=cell.jurisdiction_id,
                institution_id=cell.institution_id,
                kind=cell.kind,
                period=cell.period,
                detentions=cell.detentions,
                segregated=cell.segregated,
                segregated_share=cell.segregated_share,
                suppressed=cell.detentions is None or cell.segregated is None,
            )
            for cell in result.cells
        ],
        disclosure=Disclosure(exact=result.exact, threshold=result.threshold),
    )


@strawberry.type
class IncidentStatisticsQueries:
    incident_statistics: IncidentStatistics = strawberry.field(
        resolver=incident_statistics,
        description="Police-station incidents under a jurisdiction (needs `statistics:read` there), offences "
        "by children and against children always counted apart, grouped by any of jurisdiction at a level "
        "or police station, offence, and month, quarter or year of the day it happened. Exact for callers "
        "who may read the records' personal data across the whole jurisdiction; for everyone else small "
        "counts are withheld (see `disclosure`).",
    )
    detention_statistics: DetentionStatistics = strawberry.field(
        resolver=detention_statistics,
        description="Children placed in detention (arrest, police custody, observation home, juvenile "
        "rehabilitation, prison) under a jurisdiction (needs `statistics:read` there), and how many were "
        "held apart from adults, grouped by any of jurisdiction at a level or institution, kind, and month, "
        "quarter or year the detention began (Pakistan time). Exact or protected as `incidentStatistics`.",
    )
