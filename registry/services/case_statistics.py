"""``caseStatistics``: who may read which counts, which filters they may use, and small-cell protection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import may_read_statistics, statistics_are_exact
from registry.auth.principal import Principal
from registry.db.models import Jurisdiction, JurisdictionLevel
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.db.queries import case_statistics as queries
from registry.db.queries.jurisdictions import jurisdiction_by_code
from registry.errors import InvalidInput, NotFound
from registry.statistics.suppression import UnprotectableError, protect

PERIOD_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}


@dataclass(frozen=True, slots=True)
class CaseStatisticsRequest:
    jurisdiction_code: str
    dimensions: tuple[str, ...]  # of queries.DIMENSIONS
    level: JurisdictionLevel | None = None
    period: str | None = None  # MONTH, QUARTER, YEAR
    only: dict[str, tuple[Any, ...]] | None = None
    opened_from: dt.date | None = None  # first day
    opened_to: dt.date | None = None  # last day


@dataclass(frozen=True, slots=True)
class Cell:
    jurisdiction_id: int | None
    values: dict[str, Any]
    period: dt.date | None
    count: int | None  # None when withheld


@dataclass(frozen=True, slots=True)
class CaseStatisticsResult:
    jurisdiction: Jurisdiction
    exact: bool
    threshold: int
    total: int | None
    cells: list[Cell]


async def case_statistics(
    session: AsyncSession, principal: Principal | None, request: CaseStatisticsRequest, *, threshold: int
) -> CaseStatisticsResult:
    jurisdiction = await jurisdiction_by_code(session, request.jurisdiction_code)
    if jurisdiction is None or not may_read_statistics(principal, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="jurisdiction")
    if request.level is not None and LEVEL_DEPTH[request.level] < LEVEL_DEPTH[jurisdiction.level]:
        raise InvalidInput("`level` must be the jurisdiction's own level or below it.", field="level")
    exact = statistics_are_exact(principal, jurisdiction.path)
    only = request.only or {}
    opened_from, opened_until = _months(request.opened_from, request.opened_to)
    if not exact:
        _refuse_differencing(only, request.opened_from, request.opened_to)
    query = queries.CaseCountQuery(
        within=jurisdiction.path,
        within_level=jurisdiction.level,
        level=request.level,
        dimensions=request.dimensions,
        period=request.period,
        only=dict(only),
        opened_from=opened_from,
        opened_until=opened_until,
    )
    counts = (await queries.count_cases(session, query)).cells
    total = sum(counts.values())
    withheld: frozenset[tuple[Any, ...]] = frozenset()
    if not exact:
        withheld = await _protect(
            session, jurisdiction, request.level, request.period is not None, counts, threshold
        )
    cells = [
        Cell(
            jurisdiction_id=key[0],
            values=dict(
                zip([d for d in queries.DIMENSIONS if d in request.dimensions], key[1:-1], strict=True)
            ),
            period=key[-1],
            count=None if key in withheld else count,
        )
        for key, count in sorted(counts.items(), key=lambda item: [repr(v) for v in item[0]])
    ]
    return CaseStatisticsResult(
        jurisdiction=jurisdiction,
        exact=exact,
        threshold=threshold,
        total=total if exact or total >= threshold or total == 0 else None,
        cells=cells,
    )


async def _protect(
    session: AsyncSession,
    jurisdiction: Jurisdiction,
    level: JurisdictionLevel | None,
    by_period: bool,
    counts: dict[tuple[Any, ...], int],
    threshold: int,
) -> frozenset[tuple[Any, ...]]:
    """The keys to withhold. Along the jurisdiction dimension cells nest in the tree under the requested
    jurisdiction; cases recorded above the grouping level count in a cell of their own under that node."""
    nesting: dict[int, dict[Hashable, Hashable]] | None = None
    # Only the dimensions grouped by: the jurisdiction and period slots are constant otherwise.
    keyed = {_grouped(key, level is not None, by_period): n for key, n in counts.items()}
    if level is not None:
        tree = await queries.subtree_down_to(session, jurisdiction.path, level)
        parents: dict[Hashable, Hashable] = {
            node.id: node.parent_id for node in tree if node.id != jurisdiction.id
        }
        at_level = {node.id for node in tree if node.level is level}
        # A cell of a node above the level holds only the cases not under any node at the level.
        keyed = {(_coordinate(key[0], at_level), *key[1:]): n for key, n in keyed.items()}
        for key in keyed:
            coordinate = key[0]
            if isinstance(coordinate, tuple):
                parents[coordinate] = coordinate[1]
        nesting = {0: parents}
    try:
        withheld = protect(keyed, threshold=threshold, nesting=nesting)
    except UnprotectableError as error:
        raise InvalidInput(str(error), field="groupBy") from error
    return frozenset(key for key, mapped in zip(counts, keyed, strict=True) if mapped in withheld)


def _grouped(key: tuple[Any, ...], by_level: bool, by_period: bool) -> tuple[Any, ...]:
    return key[0 if by_level else 1 : len(key) if by_period else -1]


def _coordinate(node_id: int, at_level: set[int]) -> Hashable:
    return node_id if node_id in at_level else ("own", node_id)


def _months(first_day: dt.date | None, last_day: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """Rollups count by month of opening: a range must start on a month's first day and end on a last."""
    if first_day is not None and first_day.day != 1:
        raise InvalidInput("`opened.from` must be the first day of a month.", field="filter.opened")
    if last_day is None:
        return first_day, None
    following = last_day + dt.timedelta(days=1)
    if following.day != 1:
        raise InvalidInput("`opened.to` must be the last day of a month.", field="filter.opened")
    if first_day is not None and first_day > last_day:
        raise InvalidInput("`opened.from` is after `opened.to`.", field="filter.opened")
    return first_day, following


def _refuse_differencing(
    only: dict[str, tuple[Any, ...]], first_day: dt.date | None, last_day: dt.date | None
) -> None:
    """Without exact rights, one answer minus another must not be a small cell: filters keep one value
    of a dimension (a cell of a coarser grouping), and a period filter is one whole calendar period."""
    for dimension, values in only.items():
        if len(values) != 1:
            raise InvalidInput(
                f"Statistics with small cells withheld filter on one value of `{dimension}` at a time; "
                "group by it instead.",
                field="filter",
            )
    if first_day is None and last_day is None:
        return
    if first_day is None or last_day is None or not _whole_period(first_day, last_day):
        raise InvalidInput(
            "Statistics with small cells withheld filter on one whole month, quarter or year; "
            "group by period instead.",
            field="filter.opened",
        )


def _whole_period(first_day: dt.date, last_day: dt.date) -> bool:
    following = last_day + dt.timedelta(days=1)
    months = (following.year - first_day.year) * 12 + following.month - first_day.month
    return (
        first_day.day == 1
        and following.day == 1
        and months in PERIOD_MONTHS.values()
        and (first_day.month - 1) % months == 0
    )


def dimension_order(dimensions: Sequence[str]) -> tuple[str, ...]:
    return tuple(d for d in queries.DIMENSIONS if d in dimensions)
