"""``programmeIndicators``: the figures field programmes report, per jurisdiction and period."""

from __future__ import annotations

from typing import Annotated

import strawberry

from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.programme_indicators import IndicatorCount, IndicatorShare, ProgrammeIndicators
from registry.schema.programmes import Programme
from registry.schema.statistics import DateRange, Disclosure
from registry.services import programme_indicators as service


async def programme_indicators(
    info: strawberry.Info[Context, None],
    jurisdiction: Annotated[
        str, strawberry.argument(description="Code of the jurisdiction counted under (`PK`, `PK-PB`, ...).")
    ],
    period: Annotated[
        DateRange,
        strawberry.argument(
            description="The days counted. Without exact rights: one whole calendar month, quarter or year."
        ),
    ],
    programme: Annotated[
        str | None,
        strawberry.argument(description="Code of one programme; all programmes when left out."),
    ] = None,
) -> ProgrammeIndicators:
    context = info.context
    request = service.ProgrammeIndicatorsRequest(
        jurisdiction_code=jurisdiction, programme_code=programme, first_day=period.from_, last_day=period.to
    )
    result = await service.programme_indicators(
        context.session,
        context.principal,
        request,
        threshold=context.settings.statistics_threshold,
        max_cells=context.settings.statistics_max_cells,
    )
    return ProgrammeIndicators(
        jurisdiction=Jurisdiction.from_row(result.jurisdiction),
        programme=Programme.from_row(result.programme) if result.programme is not None else None,
        children_supported=IndicatorCount.of(result.children_supported),
        children_mainstreamed_into_formal_school=IndicatorCount.of(result.children_mainstreamed),
        mainstreamed_share=IndicatorShare.of(
            result.mainstreamed_share, result.children_mainstreamed, result.children_supported
        ),
        children_reached_by_health_education_or_life_skills=IndicatorCount.of(result.children_reached),
        households_covered=IndicatorCount.of(result.households),
        households_of_supported_children=IndicatorCount.of(result.households_of_supported),
        households_with_parent_in_vocational_training=IndicatorCount.of(result.households_parent_trained),
        parents_vocational_skills_share=IndicatorShare.of(
            result.parent_training_share, result.households_parent_trained, result.households_of_supported
        ),
        villages_covered=result.villages,
        districts_covered=result.districts,
        community_units_covered=result.community_units,
        disclosure=Disclosure(exact=result.exact, threshold=result.threshold),
    )


@strawberry.type
class ProgrammeIndicatorQueries:
    programme_indicators: ProgrammeIndicators = strawberry.field(
        resolver=programme_indicators,
        description="The indicators field programmes report (children supported, mainstreamed into formal "
        "school, reached by health education or life skills; households, parents given vocational skills; "
        "villages, community units and districts covered) under a jurisdiction in a period, for one "
        "programme or all (needs `statistics:read` there). Exact for callers who may read the records' "
        "personal data across the whole jurisdiction; for everyone else small counts are withheld (see "
        "`disclosure`).",
    )
