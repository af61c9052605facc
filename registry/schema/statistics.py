"""What every kind of figure shares: periods, and how a withheld count is shown."""

from __future__ import annotations

import datetime as dt
import enum

import strawberry


@strawberry.enum(description="A calendar period that figures are grouped by (Pakistan time).")
class PeriodUnit(enum.Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.input(description="A range of days, both ends included.")
class DateRange:
    from_: dt.date = strawberry.field(name="from", description="The first day.")
    to: dt.date = strawberry.field(description="The last day.")


@strawberry.type(
    description="How the figures of an answer were protected. Callers without personal-data rights over "
    "the whole group (national analysts, statistics-only clients) get every count below `threshold` "
    "withheld, together with enough other counts that none can be worked out from totals, sibling cells "
    "or the parent's figure; withheld counts are `null` with `suppressed: true`."
)
class Disclosure:
    exact: bool = strawberry.field(description="True when every count is exact and nothing is withheld.")
    threshold: int = strawberry.field(description="Counts below this are withheld unless `exact`.")
