"""Programme indicators: the figures field programmes report by hand, straight out of the registry.

Children and households count where they live, once each, so the figures of a jurisdiction's parts add
up to its own. Without exact rights the figures of one jurisdiction are read out of the table of the
caller's whole statistics scope at the jurisdiction's level (for one programme, by programme), protected at
every level of the tree at once (see ``registry.statistics.tables``); a share is withheld whenever its part
or its total is. Counts of places (villages, districts, community units) are not about people and are
exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.principal import Principal
from registry.db.models import Jurisdiction, Programme
from registry.db.queries import programme_indicators as queries
from registry.errors import InvalidInput, NotFound
from registry.services.incident_statistics import StatisticsSubject, scope_tree, statistics_subject
from registry.statistics import periods, tables
from registry.statistics.suppression import Key


@dataclass(frozen=True, slots=True)
class ProgrammeIndicatorsRequest:
    jurisdiction_code: str
    programme_code: str | None
    first_day: dt.date
    last_day: dt.date


@dataclass(frozen=True, slots=True)
class ProgrammeIndicatorsResult:
    """Counts are None when withheld; shares also when there is no one to divide by."""

    jurisdiction: Jurisdiction
    programme: Programme | None
    exact: bool
    threshold: int
    children_supported: int | None
    children_mainstreamed: int | None
    mainstreamed_share: float | None
    children_reached: int | None
    households: int | None
    households_of_supported: int | None
    households_parent_trained: int | None
    parent_training_share: float | None
    villages: int
    community_units: int
    districts: int


def _share(part: int | None, total: int | None) -> float | None:
    return part / total if part is not None and total is not None and total > 0 else None


def _check_period(exact: bool, first: dt.date, last: dt.date) -> None:
    if first > last:
        raise InvalidInput("The period ends before it begins.", field="period")
    if not exact and periods.whole_period(first, last) is None:
        raise InvalidInput(
            "Indicators with small counts withheld are for one whole calendar month, quarter or year.",
            field="period",
        )


async def programme_indicators(
    session: AsyncSession,
    principal: Principal | None,
    request: ProgrammeIndicatorsRequest,
    *,
    threshold: int,
    max_cells: int = 20_000,
) -> ProgrammeIndicatorsResult:
    subject = await statistics_subject(session, principal, request.jurisdiction_code)
    jurisdiction = subject.jurisdiction
    programme: Programme | None = None
    if request.programme_code is not None:
        programme = await queries.programme_by_code(session, request.programme_code)
        if programme is None:
            raise NotFound("No such programme.", field="programme")
    _check_period(subject.exact, request.first_day, request.last_day)
    if subject.exact:
        rows = await queries.programme_indicators(
            session,
            jurisdiction_id=jurisdiction.id,
            level=None,
            programme_id=programme.id if programme is not None else None,
            by_programme=False,
            first_day=request.first_day,
            last_day=request.last_day,
        )
        return _result(subject, programme, threshold, rows[0] if rows else None, {})
    return await _protected(session, subject, programme, request, threshold, max_cells)


async def _protected(
    session: AsyncSession,
    subject: StatisticsSubject,
    programme: Programme | None,
    request: ProgrammeIndicatorsRequest,
    threshold: int,
    max_cells: int,
) -> ProgrammeIndicatorsResult:
    """The jurisdiction's cell of the protected table of the whole statistics scope at its level (one
    programme's: of the table by every programme, whose row totals are all programmes' figures)."""
    jurisdiction = subject.jurisdiction
    tree = await scope_tree(session, subject, jurisdiction.level, field="jurisdiction")
    by_programme = programme is not None
    rows = await queries.programme_indicators(
        session,
        jurisdiction_id=tree.top,
        level=jurisdiction.level,
        programme_id=None,
        by_programme=by_programme,
        first_day=request.first_day,
        last_day=request.last_day,
    )
    tables.refuse_too_large(2 * len(rows), max_cells)  # a part table: a part of a figure, and the rest

    def key_of(row: queries.IndicatorRow) -> Key:
        place = tree.jurisdiction(row.place.id)
        return (place, row.programme_id) if by_programme else (place,)

    by_key = {key_of(row): row for row in rows}
    own = tree.jurisdiction(jurisdiction.id)
    target: Key = (own, programme.id) if programme is not None else (own,)
    row = by_key.get(target)
    if row is None:  # nothing there: zeros are known, nothing to withhold
        return _result(subject, programme, threshold, None, {})

    def table(figure: str) -> dict[Key, int]:
        return {key: int(getattr(r, figure)) for key, r in by_key.items()}

    async def whole(figure: str) -> frozenset[Key]:
        return await tables.withheld(table(figure), tree=tree, threshold=threshold, field="jurisdiction")

    async def part(of: str, figure: str) -> frozenset[Key]:
        return await tables.withheld_part(
            table(of), table(figure), tree=tree, threshold=threshold, field="jurisdiction"
        )

    hidden = {
        "children_supported": await whole("children_supported"),
        "children_mainstreamed": await part("children_supported", "children_mainstreamed"),
        "children_reached": await part("children_supported", "children_reached"),
        "households": await whole("households"),
        # A total of parents trained and a part of the households covered.
        "households_of_supported": await whole("households_of_supported")
        | await part("households", "households_of_supported"),
        "households_parent_trained": await part("households_of_supported", "households_parent_trained"),
    }
    return _result(
        subject,
        programme,
        threshold,
        row,
        {figure: target in keys for figure, keys in hidden.items()},
    )


def _result(
    subject: StatisticsSubject,
    programme: Programme | None,
    threshold: int,
    row: queries.IndicatorRow | None,
    withheld: dict[str, bool],
) -> ProgrammeIndicatorsResult:
    """The figures of ``row`` (None: nothing counted, all zero), ``withheld`` ones as None."""

    def shown(figure: str) -> int | None:
        if withheld.get(figure, False):
            return None
        return int(getattr(row, figure)) if row is not None else 0

    supported, mainstreamed = shown("children_supported"), shown("children_mainstreamed")
    of_supported, trained = shown("households_of_supported"), shown("households_parent_trained")
    return ProgrammeIndicatorsResult(
        jurisdiction=subject.jurisdiction,
        programme=programme,
        exact=subject.exact,
        threshold=threshold,
        children_supported=supported,
        children_mainstreamed=mainstreamed,
        mainstreamed_share=_share(mainstreamed, supported),
        children_reached=shown("children_reached"),
        households=shown("households"),
        households_of_supported=of_supported,
        households_parent_trained=trained,
        parent_training_share=_share(trained, of_supported),
        villages=row.villages if row is not None else 0,
        community_units=row.community_units if row is not None else 0,
        districts=row.districts if row is not None else 0,
    )
