"""``caseStatistics``: counts of cases grouped by jurisdiction, period and case dimensions."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry

from registry.db import models
from registry.schema.case_statistics import (
    AGE_BANDS,
    CaseDimension,
    CaseStatistics,
    CaseStatisticsCell,
    CaseStatisticsFilter,
)
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction
from registry.schema.statistics import Disclosure, PeriodUnit
from registry.services import case_statistics as service


async def case_statistics(
    info: strawberry.Info[Context, None],
    jurisdiction: Annotated[
        str,
        strawberry.argument(description="Code of the jurisdiction whose cases are counted (`PK`, `PK-PB`)."),
    ],
    group_by: Annotated[
        list[CaseDimension] | None, strawberry.argument(description="Case dimensions to group by.")
    ] = None,
    level: Annotated[
        models.JurisdictionLevel | None,
        strawberry.argument(
            description="Group by the jurisdiction at this level (at or below `jurisdiction`)."
        ),
    ] = None,
    period: Annotated[
        PeriodUnit | None, strawberry.argument(description="Group by month, quarter or year of opening.")
    ] = None,
    filter: Annotated[
        CaseStatisticsFilter | None, strawberry.argument(description="Which cases to count.")
    ] = None,
) -> CaseStatistics:
    ctx = info.context
    flt = filter or CaseStatisticsFilter()
    # strawberry.enum_value leaves the plain string as the member's value at run time.
    dimensions = service.dimension_order([cast(str, d.value) for d in group_by or ()])
    request = service.CaseStatisticsRequest(
        jurisdiction_code=jurisdiction,
        dimensions=dimensions,
        level=level,
        period=period.value if period is not None else None,
        only=_only(flt),
        opened_from=flt.opened.from_ if flt.opened else None,
        opened_to=flt.opened.to if flt.opened else None,
    )
    result = await service.case_statistics(
        ctx.session,
        ctx.principal,
        request,
        threshold=ctx.settings.statistics_threshold,
        max_cells=ctx.settings.statistics_max_cells,
    )
    return CaseStatistics(
        jurisdiction=Jurisdiction.from_row(result.jurisdiction),
        total=result.total,
        cells=[
            CaseStatisticsCell(
                jurisdiction_id=cell.jurisdiction_id,
                kind=cell.values.get("kind"),
                stage=cell.values.get("stage"),
                risk_level=cell.values.get("risk_level"),
                sex=cell.values.get("sex"),
                age_band=AGE_BANDS[cell.values["age_band"]] if "age_band" in cell.values else None,
                open=cell.values.get("is_open"),
                period=cell.period,
                count=cell.count,
                suppressed=cell.count is None,
            )
            for cell in result.cells
        ],
        disclosure=Disclosure(exact=result.exact, threshold=result.threshold),
    )


def _only(flt: CaseStatisticsFilter) -> dict[str, tuple[Any, ...]]:
    only: dict[str, tuple[Any, ...]] = {}
    for dimension, values in (
        ("kind", flt.kinds),
        ("stage", flt.stages),
        ("risk_level", flt.risk_levels),
        ("sex", flt.sexes),
        (
            "age_band",
            [AGE_BANDS.index(band) for band in flt.age_bands] if flt.age_bands is not None else None,
        ),
    ):
        if values is not None:
            only[dimension] = tuple(
                v.value if hasattr(v, "value") and dimension != "age_band" else v for v in values
            )
    if flt.open is not None:
        only["is_open"] = (flt.open,)
    return only


@strawberry.type
class CaseStatisticsQueries:
    case_statistics: CaseStatistics = strawberry.field(
        resolver=case_statistics,
        description="Counts of cases under a jurisdiction (needs `statistics:read` there), grouped by any of "
        "jurisdiction at a level, kind, stage, risk, sex, age band at opening, open/closed and period of "
        "opening. Exact for callers who may read the cases' personal data across the whole jurisdiction; "
        "for everyone else small counts are withheld (see `disclosure`).",
    )
