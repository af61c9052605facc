"""Police-station monitoring: incidents by and against children, and placements in custody or care.

Who writes what:
- an incident, and a placement at police level (arrest, police custody, a child protection centre), needs
  ``incidents:write`` over the police station or centre (police monitors hold it);
- any other placement (observation home, juvenile rehabilitation centre, prison, shelter, alternative care)
  is the social-welfare side's and needs ``cases:write`` over the institution.
A record belongs to the institution's jurisdiction. Naming a case adds an event to its history, so the case
must be one the principal may write; the event goes on that case only (a child's other cases may be worked by
people who must not learn that the child is in conflict with the law).

Juvenile justice law forbids disclosing the identity of a child in conflict with the law: an offence the
child is accused of, or a detention, restricts the child's identity as opening such a case does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import POLICE_PLACEMENTS, may_record_placement
from registry.auth.principal import Principal
from registry.db.models import (
    Case,
    CaseEventType,
    Child,
    Incident,
    IncidentDirection,
    InstitutionType,
    OffenceCategory,
    Outcome,
    OutcomeType,
    Placement,
    PlacementEndReason,
    PlacementKind,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import placements as placement_queries
from registry.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from registry.services.common import Actor, clean_text, expect_version, record_case_event, require
from registry.services.idempotency import create_once
from registry.services.programmes import (
    add_outcome,
    moment_not_in_future,
    named_case,
    not_in_future,
    recorded_by,
    visible_child,
    visible_institution,
)

# The columns are 64 characters wide.
MAX_REFERENCE = 64

# Where each kind of placement can be. The enums name the juvenile rehabilitation centre differently.
PLACEMENT_AT: dict[PlacementKind, frozenset[InstitutionType]] = {
    PlacementKind.ARREST: frozenset({InstitutionType.POLICE_STATION}),
    PlacementKind.POLICE_CUSTODY: frozenset(
        {InstitutionType.POLICE_STATION, InstitutionType.CHILD_PROTECTION_CENTRE}
    ),
    PlacementKind.CHILD_PROTECTION_CENTRE: frozenset({InstitutionType.CHILD_PROTECTION_CENTRE}),
    PlacementKind.OBSERVATION_HOME: frozenset({InstitutionType.OBSERVATION_HOME}),
    PlacementKind.JUVENILE_REHABILITATION: frozenset({InstitutionType.JUVENILE_REHABILITATION_CENTRE}),
    PlacementKind.PRISON: frozenset({InstitutionType.PRISON}),
    PlacementKind.SHELTER: frozenset({InstitutionType.SHELTER, InstitutionType.CHILD_PROTECTION_INSTITUTION}),
    PlacementKind.ALTERNATIVE_CARE: frozenset(
        {InstitutionType.CHILD_PROTECTION_INSTITUTION, InstitutionType.SHELTER}
    ),
}
# Deprivation of liberty: the child is in conflict with the law.
DETENTION = POLICE_PLACEMENTS | {
    PlacementKind.OBSERVATION_HOME,
    PlacementKind.JUVENILE_REHABILITATION,
    PlacementKind.PRISON,
}
# Ways a detention ends that do not apply to a shelter or alternative care.
JUSTICE_ENDINGS = frozenset(
    {
        PlacementEndReason.RELEASED_ON_BAIL,
        PlacementEndReason.DIVERTED,
        PlacementEndReason.ACQUITTED,
        PlacementEndReason.SENTENCE_COMPLETED,
    }
)
RELEASES = frozenset(
    {
        PlacementEndReason.RELEASED_ON_BAIL,
        PlacementEndReason.RELEASED_TO_FAMILY,
        PlacementEndReason.ACQUITTED,
        PlacementEndReason.SENTENCE_COMPLETED,
    }
)


def _require_placement_right(
    principal: Principal, kind: PlacementKind, path: str, *, what: str, field: str
) -> None:
    if not may_record_placement(principal, kind, path):
        raise NotFound(f"No such {what}.", field=field)


def outcome_of_ending(kind: PlacementKind, reason: PlacementEndReason) -> OutcomeType | None:
    """The outcome a placement's end achieves for the child, if any (a transfer achieves none)."""
    if reason is PlacementEndReason.DIVERTED:
        return OutcomeType.DIVERTED_FROM_JUSTICE_SYSTEM
    if kind in DETENTION and reason in RELEASES:
        return OutcomeType.RELEASED_FROM_DETENTION
    if kind not in DETENTION and reason is PlacementEndReason.RELEASED_TO_FAMILY:
        return OutcomeType.REUNIFIED_WITH_FAMILY
    return None


def _reference(value: str | None, *, field: str) -> str | None:
    return clean_text(value, field=field, limit=MAX_REFERENCE)


def _restrict_identity(child: Child) -> None:
    if not child.identity_restricted:
        child.identity_restricted = True


async def record_incident(
    session: AsyncSession,
    principal: Principal,
    *,
    police_station_id: int,
    direction: IncidentDirection,
    offence: OffenceCategory,
    offence_section: str | None,
    fir_number: str | None,
    occurred_on: dt.date,
    child_id: int | None,
    case_id: int | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Record an offence by or against a child at a police station. ``(incident id, replayed)``."""
    section = _reference(offence_section, field="offenceSection")
    fir = _reference(fir_number, field="firNumber")
    not_in_future(occurred_on, field="occurredOn")

    async def create() -> int:
        station = await visible_institution(session, principal, police_station_id, field="policeStationId")
        require(
            principal,
            Permission.INCIDENTS_WRITE,
            station.path,
            what="police station",
            field="policeStationId",
        )
        if station.type is not InstitutionType.POLICE_STATION:
            raise InvalidInput(
                f"Incidents are recorded at a police station, not at a {station.type.value}.",
                field="policeStationId",
            )
        case: Case | None = None
        if case_id is not None:
            case = await named_case(session, principal, case_id, child_id=child_id)
        child: Child | None = None
        concerned = child_id if child_id is not None else case.child_id if case is not None else None
        if concerned is not None:
            child = await visible_child(session, principal, concerned)
            if direction is IncidentDirection.BY_CHILD:
                _restrict_identity(child)
        incident = Incident(
            police_station_id=station.id,
            station_type=InstitutionType.POLICE_STATION,
            direction=direction,
            offence=offence,
            offence_section=section,
            fir_number=fir,
            child_id=child.id if child is not None else None,
            case_id=case_id,
            occurred_on=occurred_on,
            recorded_by_id=recorded_by(principal),
            jurisdiction_id=station.jurisdiction_id,
            path=station.path,
            version=1,
        )
        session.add(incident)
        await session.flush()
        if case is not None:
            await record_case_event(
                session,
                case.id,
                CaseEventType.INCIDENT_RECORDED,
                Actor.of(principal),
                data={
                    "incidentId": incident.id,
                    "direction": direction.value,
                    "offence": offence.value,
                    "policeStationId": station.id,
                },
            )
        return incident.id

    request = {
        "policeStationId": police_station_id,
        "direction": direction,
        "offence": offence,
        "offenceSection": section,
        "firNumber": fir,
        "occurredOn": occurred_on,
        "childId": child_id,
        "caseId": case_id,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="recordIncident", request=request, create=create
    )


async def record_placement(
    session: AsyncSession,
    principal: Principal,
    *,
    child_id: int,
    case_id: int | None,
    institution_id: int,
    kind: PlacementKind,
    started_at: dt.datetime,
    segregated_from_adults: bool,
    psychosocial_support: bool,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Record that a child is held or housed in an institution from ``started_at``.
    ``(placement id, replayed)``."""
    started = moment_not_in_future(started_at, field="startedAt")

    async def create() -> int:
        institution = await visible_institution(session, principal, institution_id)
        _require_placement_right(principal, kind, institution.path, what="institution", field="institutionId")
        if institution.type not in PLACEMENT_AT[kind]:
            fits = ", ".join(sorted(PLACEMENT_AT[kind]))
            raise InvalidInput(
                f"A {kind.value} placement is at a {fits}, not at a {institution.type.value}.", field="kind"
            )
        child = await visible_child(session, principal, child_id)
        case = (
            await named_case(session, principal, case_id, child_id=child.id) if case_id is not None else None
        )
        if await placement_queries.open_placement_at(session, child.id, institution.id) is not None:
            raise Conflict(
                "The child is already placed there and the placement has not ended; end it first.",
                field="childId",
            )
        if kind in DETENTION:
            _restrict_identity(child)
        placement = Placement(
            child_id=child.id,
            case_id=case_id,
            institution_id=institution.id,
            kind=kind,
            started_at=started,
            segregated_from_adults=segregated_from_adults,
            psychosocial_support=psychosocial_support,
            recorded_by_id=recorded_by(principal),
            jurisdiction_id=institution.jurisdiction_id,
            path=institution.path,
            version=1,
        )
        session.add(placement)
        await session.flush()
        if case is not None:
            await record_case_event(
                session,
                case.id,
                CaseEventType.PLACEMENT_STARTED,
                Actor.of(principal),
                data={
                    "placementId": placement.id,
                    "kind": kind.value,
                    "institutionId": institution.id,
                    "segregatedFromAdults": segregated_from_adults,
                },
            )
        return placement.id

    request = {
        "childId": child_id,
        "caseId": case_id,
        "institutionId": institution_id,
        "kind": kind,
        "startedAt": started.isoformat(),
        "segregatedFromAdults": segregated_from_adults,
        "psychosocialSupport": psychosocial_support,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="recordPlacement", request=request, create=create
    )


async def end_placement(
    session: AsyncSession,
    principal: Principal,
    *,
    placement_id: int,
    version: int,
    ended_at: dt.datetime,
    end_reason: PlacementEndReason,
) -> tuple[Placement, Outcome | None]:
    """End a placement: released, diverted, acquitted, transferred, ... Where the ending achieves something
    for the child (diverted from the justice system, released from detention, back with the family) the
    outcome is recorded with it."""
    ended = moment_not_in_future(ended_at, field="endedAt")
    placement = await placement_queries.placement_for_update(session, placement_id)
    if placement is None:
        raise NotFound("No such placement.", field="placementId")
    _require_placement_right(principal, placement.kind, placement.path, what="placement", field="placementId")
    expect_version(placement.version, version, what="placement")
    if placement.ended_at is not None:
        raise InvalidTransition("This placement has ended already.", field="placementId")
    if placement.kind not in DETENTION and end_reason in JUSTICE_ENDINGS:
        raise InvalidInput(
            f"A {placement.kind.value} placement does not end by {end_reason.value}.", field="endReason"
        )
    if ended <= placement.started_at:
        raise InvalidInput("A placement ends after it started.", field="endedAt")
    placement.ended_at, placement.end_reason = ended, end_reason
    placement.version += 1
    await session.flush()
    # The case was named by someone who could write it; the history gets the event whenever the case lies
    # in this principal's record scope (row-level security decides; the police do not read case files).
    case_id = placement.case_id
    if case_id is not None and not await case_queries.cases_by_ids(session, true(), [case_id]):
        case_id = None
    if case_id is not None:
        await record_case_event(
            session,
            case_id,
            CaseEventType.PLACEMENT_ENDED,
            Actor.of(principal),
            data={"placementId": placement.id, "endReason": end_reason.value},
        )
    achieved = outcome_of_ending(placement.kind, end_reason)
    outcome = None
    if achieved is not None:
        outcome = await add_outcome(
            session,
            principal,
            type=achieved,
            child_id=placement.child_id,
            achieved_on=ended_at.date(),
            case_id=case_id,
            intervention_id=None,
            jurisdiction_id=placement.jurisdiction_id,
            path=placement.path,
        )
    return placement, outcome
