"""Police and detention figures: incidents by and against children, and detained children held apart from
adults. Who may read them, which filters keep an answer from being subtracted from another, and small-cell
protection.

Without exact rights every answer reports cells of one table: the caller's whole statistics scope, down to
the level asked for (to district level and the police stations or institutions below it), by every
dimension grouped or filtered on, protected at every level at once (see ``registry.statistics.tables``).

Offences by children and against children are never added together: direction is part of every cell, and
the two directions are protected as separate tables (no figure anyone is shown sums over direction, so
they share no total a reader could use).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import may_read_statistics, statistics_are_exact, statistics_root
from registry.auth.principal import Principal
from registry.db.models import (
    IncidentDirection,
    Jurisdiction,
    JurisdictionLevel,
    OffenceCategory,
    PlacementKind,
)
from registry.db.models.jurisdictions import LEVEL_DEPTH
from registry.db.queries import incident_statistics as queries
from registry.db.queries.case_statistics import subtree_down_to
from registry.db.queries.incident_statistics import Grouping, PlaceRow
from registry.db.queries.jurisdictions import jurisdiction_by_code
from registry.errors import InvalidInput, NotFound
from registry.statistics import periods, tables
from registry.statistics.periods import Unit
from registry.statistics.suppression import Key

T = TypeVar("T", bound=Hashable)

# Placements that hold a child in detention (the figures' population); shelters and care are not.
DETENTION_KINDS = (
    PlacementKind.ARREST,
    PlacementKind.POLICE_CUSTODY,
    PlacementKind.OBSERVATION_HOME,
    PlacementKind.JUVENILE_REHABILITATION,
    PlacementKind.PRISON,
)


class IncidentDimension(enum.StrEnum):
    OFFENCE = "OFFENCE"
    POLICE_STATION = "POLICE_STATION"


class DetentionDimension(enum.StrEnum):
    KIND = "KIND"
    INSTITUTION = "INSTITUTION"


@dataclass(frozen=True, slots=True)
class StatisticsSubject:
    """The jurisdiction asked about, whether the caller gets exact counts there, and the top of the caller's
    statistics scope above it (where the protected table starts)."""

    jurisdiction: Jurisdiction
    exact: bool
    root_path: str


async def statistics_subject(
    session: AsyncSession, principal: Principal | None, code: str
) -> StatisticsSubject:
    """Figures about a jurisdiction need ``statistics:read`` there; otherwise it is not found."""
    jurisdiction = await jurisdiction_by_code(session, code)
    if jurisdiction is None or principal is None or not may_read_statistics(principal, jurisdiction.path):
        raise NotFound("No such jurisdiction.", field="jurisdiction")
    return StatisticsSubject(
        jurisdiction,
        statistics_are_exact(principal, jurisdiction.path),
        statistics_root(principal, jurisdiction.path),
    )


async def scope_tree(
    session: AsyncSession, subject: StatisticsSubject, finest: JurisdictionLevel, *, field: str
) -> tables.ScopeTree:
    """The caller's whole statistics scope down to ``finest``: the tree every protected table nests in."""
    tables.refuse_below_district(finest, field=field)
    nodes = await subtree_down_to(session, subject.root_path, finest)
    top = next(node for node in nodes if node.path == subject.root_path)
    return tables.ScopeTree(nodes, top.id, finest)


@dataclass(frozen=True, slots=True)
class _Places:
    """Where the counts are grouped: for exact callers under the jurisdiction itself; otherwise under the
    top of the statistics scope (``tree``), down to the level asked for (to district level, and
    institutions below it, when grouped by institution)."""

    counted_under: int
    level: JurisdictionLevel | None  # passed to the function
    tree: tables.ScopeTree | None  # None: exact counts

    def place(self, row: PlaceRow) -> tables.Place:
        assert self.tree is not None
        if row.level is None:
            return self.tree.institution(row.id, row.path)
        return self.tree.jurisdiction(row.id)


async def _plan_places(
    session: AsyncSession,
    subject: StatisticsSubject,
    level: JurisdictionLevel | None,
    *,
    by_institution: bool,
    institution: str,
) -> _Places:
    jurisdiction = subject.jurisdiction
    if level is not None and LEVEL_DEPTH[level] < LEVEL_DEPTH[jurisdiction.level]:
        raise InvalidInput("`level` must be the jurisdiction's own level or below it.", field="level")
    if level is not None and by_institution:
        raise InvalidInput(f"Group by `level` or by {institution}, not both.", field="level")
    if subject.exact:
        below = level is not None and level is not jurisdiction.level
        return _Places(jurisdiction.id, level if below else None, None)
    if by_institution:
        tables.refuse_below_district(jurisdiction.level, field="jurisdiction")
        finest = tables.FINEST
    else:
        finest = level or jurisdiction.level
    tree = await scope_tree(session, subject, finest, field="level" if level is not None else "jurisdiction")
    return _Places(tree.top, finest, tree)


@dataclass(frozen=True, slots=True)
class _Periods:
    unit: Unit | None  # the period the table is grouped by
    first_day: dt.date | None  # the days counted
    last_day: dt.date | None
    report_from: dt.date | None  # the periods reported (None: all)
    report_to: dt.date | None

    def reported(self, period: dt.date | None) -> bool:
        if period is None or self.report_from is None or self.report_to is None:
            return True
        return self.report_from <= period <= self.report_to

    def partition(self, period: dt.date | None) -> dt.date | None:
        """The period a cell's period lies in: periods of different parents share no figure."""
        return (
            periods.parent_start(period, self.unit) if period is not None and self.unit is not None else None
        )


def plan_periods(
    exact: bool, unit: Unit | None, first: dt.date | None, last: dt.date | None, *, field: str
) -> _Periods:
    """Exact callers count any days they like. Without exact rights a filter is one whole calendar period,
    counted from the table of all the periods of its length that lie in the same parent period (the
    quarters of its year, the months of its quarter; all years), and only it is reported."""
    if (first is None) != (last is None):
        raise InvalidInput("Give both the first and the last day.", field=field)
    if first is not None and last is not None and first > last:
        raise InvalidInput("The period ends before it begins.", field=field)
    if exact:
        return _Periods(unit, first, last, None, None)
    filtered: Unit | None = None
    if first is not None and last is not None:
        filtered = periods.whole_period(first, last)
        if filtered is None:
            raise InvalidInput(
                "Statistics with small counts withheld are filtered on one whole calendar month, quarter "
                "or year; group by period instead.",
                field=field,
            )
        if unit is not None and not periods.finer_or_equal(unit, filtered):
            raise InvalidInput("Group by a period no longer than the one filtered on.", field="period")
    table_unit = unit or filtered
    if table_unit is None:
        return _Periods(None, None, None, None, None)
    first_day, last_day = periods.widened(first, last, table_unit)
    return _Periods(table_unit, first_day, last_day, first, last)


@dataclass(frozen=True, slots=True)
class _Category(Generic[T]):
    only: tuple[T, ...] | None  # passed to the function
    pinned: T | None  # without exact rights: the one value reported from the table grouped by it


def plan_category(exact: bool, values: Sequence[T] | None, *, field: str) -> _Category[T]:
    """Exact callers filter on any values. Without exact rights a filter keeps one value (a sum of several
    could be subtracted from a sum of others), reported from the table grouped by that dimension."""
    if values is None:
        return _Category(None, None)
    if not values:
        raise InvalidInput("Give at least one value, or leave the filter out.", field=field)
    if exact:
        return _Category(tuple(values), None)
    if len(set(values)) != 1:
        raise InvalidInput(
            "Statistics with small counts withheld are filtered on one value at a time; group by it instead.",
            field=field,
        )
    return _Category(None, values[0])


def _values(values: Sequence[T] | None, *, field: str) -> tuple[T, ...] | None:
    if values is not None and not values:
        raise InvalidInput("Give at least one value, or leave the filter out.", field=field)
    return tuple(values) if values is not None else None


def _key(place: tables.Place, category: Hashable, period: dt.date | None, grouping: Grouping) -> Key:
    """The cell's coordinates in the protected table: place first, then only the dimensions that vary (a
    constant coordinate would leave a cube no partner there)."""
    key: list[Hashable] = [place]
    if grouping.by_category:
        key.append(category)
    if grouping.unit is not None:
        key.append(period)
    return tuple(key)


def _grouping_field(dimensions: frozenset[Any], level: JurisdictionLevel | None, period: Unit | None) -> str:
    """The argument to blame when a table cannot be protected: the grouping, or else the jurisdiction."""
    return "groupBy" if dimensions or level is not None or period is not None else "jurisdiction"


def _period_of(key: Key, grouping: Grouping) -> dt.date | None:
    if grouping.unit is None:
        return None
    period = key[-1]
    assert period is None or isinstance(period, dt.date)
    return period


# --- incidents ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentStatisticsRequest:
    jurisdiction_code: str
    level: JurisdictionLevel | None = None
    dimensions: frozenset[IncidentDimension] = frozenset()
    period: Unit | None = None
    directions: tuple[IncidentDirection, ...] | None = None
    offences: tuple[OffenceCategory, ...] | None = None
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class IncidentCell:
    jurisdiction_id: int | None  # when grouped by level
    police_station_id: int | None  # when grouped by police station
    direction: IncidentDirection
    offence: OffenceCategory | None
    period: dt.date | None
    count: int | None  # None when withheld


@dataclass(frozen=True, slots=True)
class IncidentStatisticsResult:
    jurisdiction: Jurisdiction
    exact: bool
    threshold: int
    cells: list[IncidentCell]


async def incident_statistics(
    session: AsyncSession,
    principal: Principal | None,
    request: IncidentStatisticsRequest,
    *,
    threshold: int,
    max_cells: int = 20_000,
) -> IncidentStatisticsResult:
    subject = await statistics_subject(session, principal, request.jurisdiction_code)
    by_station = IncidentDimension.POLICE_STATION in request.dimensions
    by_offence = IncidentDimension.OFFENCE in request.dimensions
    spans = plan_periods(
        subject.exact,
        request.period,
        request.occurred_from,
        request.occurred_to,
        field="filter.occurred",
    )
    offences = plan_category(subject.exact, request.offences, field="filter.offences")
    directions = _values(request.directions, field="filter.directions")
    places = await _plan_places(
        session, subject, request.level, by_institution=by_station, institution="police station"
    )
    grouping = Grouping(
        places.counted_under,
        level=places.level,
        by_institution=by_station,
        by_category=by_offence or offences.pinned is not None,
        unit=spans.unit,
        first_day=spans.first_day,
        last_day=spans.last_day,
    )
    rows = await queries.incident_counts(session, grouping, directions=directions, offences=offences.only)

    withheld: set[tuple[IncidentDirection, Key]] = set()
    if places.tree is not None:
        by_direction: dict[IncidentDirection, dict[Key, int]] = defaultdict(dict)
        for row in rows:
            key = _key(places.place(row.place), row.offence, row.period, grouping)
            by_direction[row.direction][key] = row.incidents
        tables.refuse_too_large(len(rows), max_cells)
        for direction, table in by_direction.items():
            hidden = await tables.withheld(
                table,
                tree=places.tree,
                threshold=threshold,
                partition=lambda key: spans.partition(_period_of(key, grouping)),
                field=_grouping_field(request.dimensions, request.level, request.period),
            )
            withheld |= {(direction, key) for key in hidden}

    cells: list[tuple[tuple[str, ...], IncidentCell]] = []
    for row in rows:
        if offences.pinned is not None and row.offence != offences.pinned:
            continue
        if not spans.reported(row.period):
            continue
        count: int | None = row.incidents
        if places.tree is not None:
            place = places.place(row.place)
            if not places.tree.within(place, subject.jurisdiction.id):
                continue
            if (row.direction, _key(place, row.offence, row.period, grouping)) in withheld:
                count = None
        cell = IncidentCell(
            jurisdiction_id=row.place.id if request.level is not None else None,
            police_station_id=row.place.id if by_station else None,
            direction=row.direction,
            offence=row.offence if by_offence else None,
            period=row.period if request.period is not None else None,
            count=count,
        )
        order = (row.direction.value, row.place.code, str(row.offence), str(row.period))
        cells.append((order, cell))
    return IncidentStatisticsResult(
        jurisdiction=subject.jurisdiction,
        exact=subject.exact,
        threshold=threshold,
        cells=[cell for _, cell in sorted(cells, key=lambda item: item[0])],
    )


# --- detentions --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DetentionStatisticsRequest:
    jurisdiction_code: str
    level: JurisdictionLevel | None = None
    dimensions: frozenset[DetentionDimension] = frozenset()
    period: Unit | None = None
    kinds: tuple[PlacementKind, ...] | None = None
    started_from: dt.date | None = None
    started_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class DetentionCell:
    jurisdiction_id: int | None  # when grouped by level
    institution_id: int | None  # when grouped by institution
    kind: PlacementKind | None
    period: dt.date | None
    detentions: int | None  # None when withheld
    segregated: int | None
    segregated_share: float | None


@dataclass(frozen=True, slots=True)
class DetentionStatisticsResult:
    jurisdiction: Jurisdiction
    exact: bool
    threshold: int
    cells: list[DetentionCell]


async def detention_statistics(
    session: AsyncSession,
    principal: Principal | None,
    request: DetentionStatisticsRequest,
    *,
    threshold: int,
    max_cells: int = 20_000,
) -> DetentionStatisticsResult:
    subject = await statistics_subject(session, principal, request.jurisdiction_code)
    if request.kinds is not None and any(kind not in DETENTION_KINDS for kind in request.kinds):
        raise InvalidInput(
            f"Only detention counts here: {', '.join(kind.value for kind in DETENTION_KINDS)}.",
            field="filter.kinds",
        )
    by_institution = DetentionDimension.INSTITUTION in request.dimensions
    by_kind = DetentionDimension.KIND in request.dimensions
    spans = plan_periods(
        subject.exact, request.period, request.started_from, request.started_to, field="filter.started"
    )
    kinds = plan_category(subject.exact, request.kinds, field="filter.kinds")
    places = await _plan_places(
        session, subject, request.level, by_institution=by_institution, institution="institution"
    )
    grouping = Grouping(
        places.counted_under,
        level=places.level,
        by_institution=by_institution,
        by_category=by_kind or kinds.pinned is not None,
        unit=spans.unit,
        first_day=spans.first_day,
        last_day=spans.last_day,
    )
    rows = await queries.detention_counts(session, grouping, kinds=kinds.only)

    hidden_totals: frozenset[Key] = frozenset()
    hidden_apart: frozenset[Key] = frozenset()
    if places.tree is not None:
        totals = {_key(places.place(r.place), r.kind, r.period, grouping): r.detentions for r in rows}
        apart = {_key(places.place(r.place), r.kind, r.period, grouping): r.segregated for r in rows}
        tables.refuse_too_large(2 * len(rows), max_cells)  # the part table: those held apart, and the rest

        def partition(key: Key) -> Hashable:
            return spans.partition(_period_of(key, grouping))

        field = _grouping_field(request.dimensions, request.level, request.period)
        hidden_totals = await tables.withheld(
            totals, tree=places.tree, threshold=threshold, partition=partition, field=field
        )
        hidden_apart = await tables.withheld_part(
            totals, apart, tree=places.tree, threshold=threshold, partition=partition, field=field
        )

    cells: list[tuple[tuple[str, ...], DetentionCell]] = []
    for row in rows:
        if kinds.pinned is not None and row.kind != kinds.pinned:
            continue
        if not spans.reported(row.period):
            continue
        detentions: int | None = row.detentions
        segregated: int | None = row.segregated
        if places.tree is not None:
            place = places.place(row.place)
            if not places.tree.within(place, subject.jurisdiction.id):
                continue
            key = _key(place, row.kind, row.period, grouping)
            detentions = None if key in hidden_totals else detentions
            segregated = None if key in hidden_apart else segregated
        cell = DetentionCell(
            jurisdiction_id=row.place.id if request.level is not None else None,
            institution_id=row.place.id if by_institution else None,
            kind=row.kind if by_kind else None,
            period=row.period if request.period is not None else None,
            detentions=detentions,
            segregated=segregated,
            segregated_share=(
                segregated / detentions if detentions is not None and segregated is not None else None
            ),
        )
        cells.append(((row.place.code, str(row.kind), str(row.period)), cell))
    return DetentionStatisticsResult(
        jurisdiction=subject.jurisdiction,
        exact=subject.exact,
        threshold=threshold,
        cells=[cell for _, cell in sorted(cells, key=lambda item: item[0])],
    )
