"""GraphQL types of programme indicators: the figures field programmes in Pakistan report by hand."""

from __future__ import annotations

import strawberry

from registry.schema.jurisdictions import Jurisdiction
from registry.schema.programmes import Programme
from registry.schema.statistics import Disclosure


@strawberry.type(description="A number of children or households; null when withheld.")
class IndicatorCount:
    value: int | None = strawberry.field(description="The count; null when withheld (`suppressed`).")
    suppressed: bool = strawberry.field(description="The count is withheld to protect small numbers.")

    @classmethod
    def of(cls, value: int | None) -> IndicatorCount:
        return cls(value=value, suppressed=value is None)


@strawberry.type(description="A share from 0 to 1; null when withheld or when there is no one to divide by.")
class IndicatorShare:
    value: float | None = strawberry.field(description="The share; null when withheld or undefined.")
    suppressed: bool = strawberry.field(
        description="The share is withheld because its numerator or its denominator is."
    )

    @classmethod
    def of(cls, value: float | None, *parts: int | None) -> IndicatorShare:
        return cls(value=value, suppressed=any(part is None for part in parts))


@strawberry.type(
    description="What a programme (or every programme) did under one jurisdiction in a period. Children and "
    "households count where they live; an intervention counts when it was active on any day of the period."
)
class ProgrammeIndicators:
    jurisdiction: Jurisdiction = strawberry.field(description="The jurisdiction counted under.")
    programme: Programme | None = strawberry.field(description="The programme; null for all programmes.")
    children_supported: IndicatorCount = strawberry.field(
        description="Children with an intervention to them (not to their family) active in the period."
    )
    children_mainstreamed_into_formal_school: IndicatorCount = strawberry.field(
        description="Of the children supported, those mainstreamed into formal school in the period."
    )
    mainstreamed_share: IndicatorShare = strawberry.field(
        description="`childrenMainstreamedIntoFormalSchool / childrenSupported`."
    )
    children_reached_by_health_education_or_life_skills: IndicatorCount = strawberry.field(
        description="Of the children supported, those with health education or life skills active in the "
        "period."
    )
    households_covered: IndicatorCount = strawberry.field(
        description="Households with a child supported, or with support to a parent or the household active "
        "in the period."
    )
    households_of_supported_children: IndicatorCount = strawberry.field(
        description="Households with a child supported in the period."
    )
    households_with_parent_in_vocational_training: IndicatorCount = strawberry.field(
        description="Of the households of supported children, those with vocational training for a parent "
        "active in the period."
    )
    parents_vocational_skills_share: IndicatorShare = strawberry.field(
        description="`householdsWithParentInVocationalTraining / householdsOfSupportedChildren`."
    )
    villages_covered: int = strawberry.field(
        description="Community-level jurisdictions (villages, union councils, mohallas) where a child or "
        "household counted lives."
    )
    districts_covered: int = strawberry.field(
        description="Districts where a child or household counted lives."
    )
    community_units_covered: int = strawberry.field(
        description="Drop-in centres, outreach learning points and vocational centres in the jurisdiction "
        "that delivered an intervention active in the period."
    )
    disclosure: Disclosure = strawberry.field(description="Whether counts are exact or protected.")
