"""``caseStatistics``: who may read which counts, which filters they may use, and small-cell protection."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import may_read_statistics, statistics_are_exact, statistics_root
from registry.auth.principal import Principal
from registry.db.models import Jurisdiction, JurisdictionLevel
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.db.queries import case_statistics as queries
from registry.db.queries.jurisdictions import jurisdiction_by_code
from registry.errors import InvalidInput, NotFound
from registry.statistics import periods
from registry.statistics.levels import LevelTree
from registry.statistics.suppression import UnprotectableError, protect_lattice_cached


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
    session: AsyncSession,
    principal: Principal | None,
    request: CaseStatisticsRequest,
    *,
    threshold: int,
    max_cells: int = 20_000,
) -> CaseStatisticsResult:
    jurisdiction = await jurisdiction_by_code(session, request.jurisdiction_code)
    if jurisdiction is None or principal is None or not may_read_statistics(principal, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="jurisdiction")
    if request.level is not None and LEVEL_DEPTH[request.level] < LEVEL_DEPTH[jurisdiction.level]:
        raise InvalidInput("`level` must be the jurisdiction's own level or below it.", field="level")
    if statistics_are_exact(principal, jurisdiction.path):
        return await _exact(session, jurisdiction, request, threshold)
    return await _protected(session, principal, jurisdiction, request, threshold, max_cells)


async def _exact(
    session: AsyncSession, jurisdiction: Jurisdiction, request: CaseStatisticsRequest, threshold: int
) -> CaseStatisticsResult:
    """Counts as they are, for a caller who may read every record counted."""
    opened_from, opened_until = _months(request.opened_from, request.opened_to)
    query = queries.CaseCountQuery(
        within=jurisdiction.path,
        within_level=jurisdiction.level,
        level=request.level,
        dimensions=request.dimensions,
        period=request.period,
        only=dict(request.only or {}),
        opened_from=opened_from,
        opened_until=opened_until,
    )
    counts = (await queries.count_cases(session, query)).cells
    cells = [
        Cell(jurisdiction_id=key[0], values=_values(request, key[1:-1]), period=key[-1], count=count)
        for key, count in sorted(counts.items(), key=lambda item: [repr(v) for v in item[0]])
    ]
    return CaseStatisticsResult(jurisdiction, True, threshold, sum(counts.values()), cells)


async def _protected(
    session: AsyncSession,
    principal: Principal,
    jurisdiction: Jurisdiction,
    request: CaseStatisticsRequest,
    threshold: int,
    max_cells: int,
) -> CaseStatisticsResult:
    """Counts with small cells withheld. Neither a filter nor the jurisdiction asked about changes the
    table that is protected: that is the principal's whole statistics scope, down to the level asked for,
    by every dimension grouped or filtered on; an answer reports some of its cells. So no two answers can be
    played against each other (one minus the other, or a district against its province's table)."""
    only = request.only or {}
    filtered_unit = _refuse_differencing(only, request.opened_from, request.opened_to)
    unit = request.period or filtered_unit
    if (
        request.period
        and filtered_unit
        and not periods.finer_or_equal(periods.Unit(request.period), periods.Unit(filtered_unit))
    ):
        raise InvalidInput(
            "Filter on a period at least as long as the one grouped by.", field="filter.opened"
        )
    # Each level's withheld cells depend only on the levels above it, so the table is protected down to
    # the level asked for and no further, and a coarser answer never depends on a finer one.
    finest = request.level or jurisdiction.level
    if LEVEL_DEPTH[finest] > LEVEL_DEPTH[JurisdictionLevel.DISTRICT]:
        raise InvalidInput(
            "Statistics with small cells withheld go down to district level; group at a higher level.",
            field="level",
        )
    top_path = statistics_root(principal, jurisdiction.path)
    nodes = await queries.subtree_down_to(session, top_path, finest)
    top = next(node for node in nodes if node.path == top_path)
    tree = LevelTree(nodes, top.id, finest)
    dimensions = dimension_order({*request.dimensions, *only})
    query = queries.CaseCountQuery(
        within=top.path, within_level=top.level, level=finest, dimensions=dimensions, period=unit
    )
    # Keys: (leaf coordinate, *values of ``dimensions``, period start) — the period only when there is one.
    leaves: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, count in (await queries.count_cases(session, query)).cells.items():
        leaves[(tree.leaf(key[0]), *key[1:-1], *((key[-1],) if unit else ()))] += count
    if len(leaves) > max_cells:
        raise InvalidInput(
            f"These figures would need a table of {len(leaves):,} cells protected; group by fewer "
            "dimensions, a longer period or a higher jurisdiction level.",
            field="groupBy",
        )
    depth = LEVEL_DEPTH[request.level or jurisdiction.level]
    withheld = await _withheld(leaves, tree, threshold)
    wanted = dict(only)
    period_range = (request.opened_from, request.opened_to) if filtered_unit else None
    cells: list[Cell] = []
    for key, count in _at_depth(leaves, tree, depth).items():
        coordinate, values, period = key[0], dict(zip(dimensions, key[1:], strict=False)), None
        if unit:
            period = key[-1]
            if period_range and not period_range[0] <= period <= period_range[1]:
                continue
        if not tree.is_within(coordinate[1], jurisdiction.id):
            continue
        if any(values[dimension] not in allowed for dimension, allowed in wanted.items()):
            continue
        grouped = tuple(values[d] for d in dimensions if d in request.dimensions)
        cells.append(
            Cell(
                jurisdiction_id=coordinate[1] if request.level is not None else None,
                values=_values(request, grouped),
                period=period if request.period else None,
                count=None if key in withheld else count,
            )
        )
    cells.sort(
        key=lambda cell: (
            repr(cell.jurisdiction_id),
            [repr(v) for v in cell.values.values()],
            repr(cell.period),
        )
    )
    total = await _total(leaves, tree, dimensions, only, filtered_unit, request, jurisdiction, threshold)
    return CaseStatisticsResult(jurisdiction, False, threshold, total, cells)


async def _total(
    leaves: dict[tuple[Any, ...], int],
    tree: LevelTree,
    dimensions: tuple[str, ...],
    only: dict[str, tuple[Any, ...]],
    filtered_unit: str | None,
    request: CaseStatisticsRequest,
    jurisdiction: Jurisdiction,
    threshold: int,
) -> int | None:
    """The jurisdiction's figure (within the filters): a cell of the table grouped by the filtered
    dimensions alone, protected like any other."""
    kept = [i for i, d in enumerate(dimensions) if d in only]
    coarse: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, count in leaves.items():
        period = (key[-1],) if filtered_unit else ()
        if filtered_unit and request.period:
            period = (periods.start_of(key[-1], periods.Unit(filtered_unit)),)
        coarse[(key[0], *(key[1 + i] for i in kept), *period)] += count
    withheld = await _withheld(coarse, tree, threshold)
    figure = (
        (LEVEL_DEPTH[jurisdiction.level], jurisdiction.id, False),
        *(only[dimensions[i]][0] for i in kept),
        *((request.opened_from,) if filtered_unit else ()),
    )
    at_level = _at_depth(coarse, tree, LEVEL_DEPTH[jurisdiction.level])
    return None if figure in withheld else at_level.get(figure, 0)


def _at_depth(leaves: dict[tuple[Any, ...], int], tree: LevelTree, depth: int) -> dict[tuple[Any, ...], int]:
    """The leaf cells summed to the coordinates of one level."""
    cells: dict[tuple[Any, ...], int] = defaultdict(int)
    for key, count in leaves.items():
        cells[(tree.coordinate(key[0][1], depth), *key[1:])] += count
    return cells


async def _withheld(
    leaves: dict[tuple[Any, ...], int], tree: LevelTree, threshold: int
) -> frozenset[tuple[Any, ...]]:
    """The keys of ``leaves`` (at every level) to withhold. The table is protected with every coarser
    grouping of it (the same counts by fewer dimensions, each asked for on its own), so that no answer at a
    coarser grouping gives away what this one withholds, or the reverse."""
    cells = {key: count for key, count in leaves.items() if count > 0}
    if not cells:
        return frozenset()
    finest = frozenset(range(1, len(next(iter(cells)))))

    def protect() -> frozenset[tuple[Any, ...]]:
        nesting = cast("dict[Hashable, Hashable]", tree.parents(key[0] for key in cells))
        return protect_lattice_cached(cells, threshold=threshold, nesting={0: nesting})[finest]

    # In a worker thread: a large table takes a while to protect, and other requests keep being served.
    try:
        return await asyncio.to_thread(protect)
    except UnprotectableError as error:
        raise InvalidInput(str(error), field="groupBy") from error


def _values(request: CaseStatisticsRequest, grouped: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(dimension_order(request.dimensions), grouped, strict=True))


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
) -> str | None:
    """Without exact rights, filters keep one value of a dimension, and a period filter is one whole
    calendar period (whose unit is returned): each is a cell of a table that is protected whole."""
    for dimension, values in only.items():
        if len(values) != 1:
            raise InvalidInput(
                f"Statistics with small cells withheld filter on one value of `{dimension}` at a time; "
                "group by it instead.",
                field="filter",
            )
    if first_day is None and last_day is None:
        return None
    unit = None if first_day is None or last_day is None else _whole_period(first_day, last_day)
    if unit is None:
        raise InvalidInput(
            "Statistics with small cells withheld filter on one whole month, quarter or year; "
            "group by period instead.",
            field="filter.opened",
        )
    return unit


def _whole_period(first_day: dt.date, last_day: dt.date) -> str | None:
    unit = periods.whole_period(first_day, last_day)
    return unit.value if unit is not None else None


def dimension_order(dimensions: Iterable[str]) -> tuple[str, ...]:
    dimensions = set(dimensions)
    return tuple(d for d in queries.DIMENSIONS if d in dimensions)
