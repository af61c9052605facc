"""Counts of cases, grouped, with small cells withheld for callers without personal-data rights."""

from __future__ import annotations

import datetime as dt
import enum

import strawberry

from registry.db import models
from registry.schema.context import Context
from registry.schema.jurisdictions import Jurisdiction, load_jurisdiction
from registry.schema.statistics import DateRange, Disclosure

AGE_BANDS = list(models.AgeBand)


@strawberry.enum(description="What cases can be counted by, besides jurisdiction and period.")
class CaseDimension(enum.Enum):
    KIND = strawberry.enum_value("kind", description="The kind of protection concern.")
    STAGE = strawberry.enum_value("stage", description="Where the case stands.")
    RISK_LEVEL = strawberry.enum_value("risk_level", description="The assessed risk.")
    SEX = strawberry.enum_value("sex", description="The child's sex as recorded.")
    AGE_BAND = strawberry.enum_value("age_band", description="The child's age when the case opened.")
    OPEN = strawberry.enum_value("is_open", description="Open (any stage but CLOSED) or closed.")


@strawberry.input(description="Which cases to count. Without exact rights, one value per list at most.")
class CaseStatisticsFilter:
    kinds: list[models.CaseKind] | None = strawberry.field(default=None, description="Only these kinds.")
    stages: list[models.CaseStage] | None = strawberry.field(default=None, description="Only these stages.")
    risk_levels: list[models.RiskLevel] | None = strawberry.field(
        default=None, description="Only these risk levels."
    )
    sexes: list[models.Sex] | None = strawberry.field(default=None, description="Only these sexes.")
    age_bands: list[models.AgeBand] | None = strawberry.field(
        default=None, description="The child's age band when the case opened."
    )
    open: bool | None = strawberry.field(default=None, description="Only open, or only closed, cases.")
    opened: DateRange | None = strawberry.field(
        default=None,
        description="Cases opened in these whole months (Pakistan time). Without exact rights: one whole "
        "month, quarter or year.",
    )


@strawberry.type(description="The number of cases with one combination of the grouped values.")
class CaseStatisticsCell:
    jurisdiction_id: strawberry.Private[int | None]
    kind: models.CaseKind | None = strawberry.field(description="When grouped by kind.")
    stage: models.CaseStage | None = strawberry.field(description="When grouped by stage.")
    risk_level: models.RiskLevel | None = strawberry.field(description="When grouped by risk.")
    sex: models.Sex | None = strawberry.field(description="When grouped by sex.")
    age_band: models.AgeBand | None = strawberry.field(description="Age band when the case opened.")
    open: bool | None = strawberry.field(description="When grouped by open/closed: true for open cases.")
    period: dt.date | None = strawberry.field(description="First day of the period, when grouped by one.")
    count: int | None = strawberry.field(description="Null when withheld (`suppressed`).")
    suppressed: bool = strawberry.field(description="The count is withheld to protect small numbers.")

    @strawberry.field(
        description="The jurisdiction at the grouping level; a node above it holds the cases recorded above "
        "that level (or where the tree has no node at that level)."
    )
    async def jurisdiction(self, info: strawberry.Info[Context, None]) -> Jurisdiction | None:
        if self.jurisdiction_id is None:
            return None
        return await load_jurisdiction(info, self.jurisdiction_id)


@strawberry.type(description="Counts of cases under one jurisdiction.")
class CaseStatistics:
    jurisdiction: Jurisdiction = strawberry.field(description="Whose cases are counted.")
    total: int | None = strawberry.field(description="All cases counted; null when withheld.")
    cells: list[CaseStatisticsCell] = strawberry.field(
        description="One cell per combination that has cases; combinations without cases are absent."
    )
    disclosure: Disclosure = strawberry.field(description="Whether counts are exact or protected.")
