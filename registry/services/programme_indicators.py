"""Programme indicators: the figures field programmes report by hand, straight out of the registry.

Children and households count where they live, once each, so the figures of a jurisdiction's parts add
up to its own. Without exact rights the figures of one jurisdiction come from the table of it and its
siblings (and, for one programme, of every programme there), protected as a whole, and only its own are
reported; counts of places (villages, districts, community units) are not about people and are exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.principal import Principal
from registry.db.models import Jurisdiction, Programme
from registry.db.queries import programme_indicators as queries
from registry.db.queries.incident_statistics import PlaceRow
from registry.errors import InvalidInput, NotFound
from registry.services.incident_statistics import statistics_subject
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
) -> ProgrammeIndicatorsResult:
    subject = await statistics_subject(session, principal, request.jurisdiction_code)
    jurisdiction = subject.jurisdiction
    programme: Programme | None = None
    if request.programme_code is not None:
        programme = await queries.programme_by_code(session, request.programme_code)
        if programme is None:
            raise NotFound("No such programme.", field="programme")
    _check_period(subject.exact, request.first_day, request.last_day)
    # Without exact rights one programme's figures come from the table of every programme.
    by_programme = not subject.exact and programme is not None
    rows = await queries.programme_indicators(
        session,
        jurisdiction_id=jurisdiction.id,
        siblings=not subject.exact and subject.parent_readable,
        programme_id=programme.id if programme is not None and subject.exact else None,
        by_programme=by_programme,
        first_day=request.first_day,
        last_day=request.last_day,
    )

    def place_of(row: queries.IndicatorRow) -> tables.Place:
        return tables.jurisdiction_place(row.place.id, own=row.place.level is not jurisdiction.level)

    def key_of(row: queries.IndicatorRow) -> Key:
        return (place_of(row), row.programme_id) if by_programme else (place_of(row),)

    by_key = {key_of(row): row for row in rows}
    own_place: tables.Place = ("J", jurisdiction.id)
    target: Key = (own_place, programme.id) if by_programme and programme else (own_place,)
    row = by_key.get(target)
    if row is None:  # nothing there: zeros are known, nothing to withhold
        row = queries.IndicatorRow(
            place=PlaceRow(jurisdiction.id, jurisdiction.code, jurisdiction.path, jurisdiction.level),
            programme_id=programme.id if programme is not None else None,
            children_supported=0,
            children_mainstreamed=0,
            children_reached=0,
            households=0,
            households_of_supported=0,
            households_parent_trained=0,
            villages=0,
            community_units=0,
            districts=0,
        )

    hidden: dict[str, frozenset[Key]] = {}
    if not subject.exact and target in by_key:
        siblings = subject.parent_readable and jurisdiction.parent_id is not None
        top = jurisdiction.parent_id if siblings and jurisdiction.parent_id is not None else jurisdiction.id
        nesting = tables.nesting(((place_of(r), r.place.path) for r in rows), top)

        def table(figure: str) -> dict[Key, int]:
            return {key: int(getattr(r, figure)) for key, r in by_key.items()}

        def whole(figure: str) -> frozenset[Key]:
            return tables.withheld(table(figure), threshold=threshold, nesting=nesting, field="jurisdiction")

        def part(of: str, figure: str) -> frozenset[Key]:
            return tables.withheld_part(
                table(of), table(figure), threshold=threshold, nesting=nesting, field="jurisdiction"
            )

        hidden = {
            "children_supported": whole("children_supported"),
            "children_mainstreamed": part("children_supported", "children_mainstreamed"),
            "children_reached": part("children_supported", "children_reached"),
            "households": whole("households"),
            # A total of parents trained and a part of the households covered.
            "households_of_supported": whole("households_of_supported")
            | part("households", "households_of_supported"),
            "households_parent_trained": part("households_of_supported", "households_parent_trained"),
        }

    def shown(figure: str) -> int | None:
        return None if target in hidden.get(figure, frozenset()) else int(getattr(row, figure))

    supported, mainstreamed = shown("children_supported"), shown("children_mainstreamed")
    of_supported, trained = shown("households_of_supported"), shown("households_parent_trained")
    return ProgrammeIndicatorsResult(
        jurisdiction=jurisdiction,
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
        villages=row.villages,
        community_units=row.community_units,
        districts=row.districts,
    )
