"""Programmes: interventions for a child or a household, and the outcomes achieved for a child.

Recording them needs ``cases:write`` or ``children:write`` over the recipient (the child, or the household
for support given to parents or the family). A record belongs to the recipient's jurisdiction, so it counts
where the child or family lives. The case event goes on the case named in the input, and only on it: a
child's other cases may be worked by people who should not learn of this one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import cases_open_to, child_filter, is_within, may_do_casework, scope_filter
from registry.auth.principal import Principal, PrincipalKind
from registry.db.models import (
    Case,
    CaseEventType,
    Child,
    Household,
    Institution,
    Intervention,
    InterventionRecipient,
    InterventionType,
    Outcome,
    OutcomeType,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import children as child_queries
from registry.db.queries import institutions as institution_queries
from registry.db.queries import organisations as organisation_queries
from registry.db.queries import programmes as programme_queries
from registry.errors import InvalidInput, InvalidTransition, NotFound
from registry.services.common import Actor, now, record_case_event
from registry.services.idempotency import create_once

# Dates are local to the field office; the earliest time zone is 14 hours ahead of UTC.
_LOCAL_AHEAD = dt.timedelta(hours=14)
# Client clocks run a little fast or slow.
_CLOCK_SKEW = dt.timedelta(minutes=5)


def not_in_future(value: dt.date, *, field: str) -> None:
    """What is recorded has happened: a date later than today anywhere on Earth is refused."""
    if value > (now() + _LOCAL_AHEAD).date():
        raise InvalidInput("This date is in the future.", field=field)


def moment_not_in_future(value: dt.datetime, *, field: str) -> dt.datetime:
    """A moment with its time zone, not later than now; returned in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("Give the time with its offset, e.g. `2026-03-01T10:00:00+05:00`.", field=field)
    if value > now() + _CLOCK_SKEW:
        raise InvalidInput("This time is in the future.", field=field)
    return value.astimezone(dt.UTC)


def recorded_by(principal: Principal) -> int | None:
    return principal.id if principal.kind is PrincipalKind.USER else None


async def visible_child(session: AsyncSession, principal: Principal, child_id: int) -> Child:
    visible = child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id)
    child = (await child_queries.children_by_ids(session, visible, [child_id])).get(child_id)
    if child is None:
        raise NotFound("No such child.", field="childId")
    return child


async def visible_institution(
    session: AsyncSession, principal: Principal, institution_id: int, *, field: str = "institutionId"
) -> Institution:
    visible = scope_filter(principal, Permission.JURISDICTIONS_READ, Institution.path)
    found = await institution_queries.institutions_by_ids(session, visible, [institution_id])
    institution = found.get(institution_id)
    if institution is None:
        raise NotFound("No such institution.", field=field)
    return institution


async def named_case(
    session: AsyncSession, principal: Principal, case_id: int, *, child_id: int | None
) -> Case:
    """The case a record is filed under: one the principal may write (its history gets an event), about
    ``child_id`` when that is given."""
    visible = cases_open_to(principal, Permission.CASES_WRITE)
    case = (await case_queries.cases_by_ids(session, visible, [case_id])).get(case_id)
    if case is None:
        raise NotFound("No such case.", field="caseId")
    if child_id is not None and case.child_id != child_id:
        raise InvalidInput("This case is about another child.", field="caseId")
    return case


def _require_casework(principal: Principal, path: str, *, what: str, field: str) -> None:
    if not may_do_casework(principal, path):
        raise NotFound(f"No such {what}.", field=field)


async def add_outcome(
    session: AsyncSession,
    principal: Principal,
    *,
    type: OutcomeType,
    child_id: int,
    achieved_on: dt.date,
    case_id: int | None,
    intervention_id: int | None,
    jurisdiction_id: int,
    path: str,
) -> Outcome:
    """Insert an outcome the caller has authorised, and its event on the case if one is named."""
    outcome = Outcome(
        type=type,
        child_id=child_id,
        case_id=case_id,
        intervention_id=intervention_id,
        achieved_on=achieved_on,
        recorded_by_id=recorded_by(principal),
        jurisdiction_id=jurisdiction_id,
        path=path,
    )
    session.add(outcome)
    await session.flush()
    if case_id is not None:
        await record_case_event(
            session,
            case_id,
            CaseEventType.OUTCOME_RECORDED,
            Actor.of(principal),
            data={"outcomeId": outcome.id, "type": type.value, "achievedOn": achieved_on.isoformat()},
        )
    return outcome


async def record_intervention(
    session: AsyncSession,
    principal: Principal,
    *,
    type: InterventionType,
    recipient: InterventionRecipient,
    child_id: int | None,
    household_id: int | None,
    programme_id: int | None,
    institution_id: int | None,
    case_id: int | None,
    started_on: dt.date,
    ended_on: dt.date | None,
    completed: bool,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Record something done for a child (recipient ``CHILD``, name the child) or for a child's family
    (``PARENT`` or ``HOUSEHOLD``, name the household). ``(intervention id, replayed)``."""
    if recipient is InterventionRecipient.CHILD:
        if child_id is None:
            raise InvalidInput("An intervention for a child names the child.", field="childId")
        if household_id is not None:
            raise InvalidInput(
                "An intervention for a child names the child only; the household is the child's.",
                field="householdId",
            )
    else:
        if household_id is None:
            raise InvalidInput(
                f"An intervention for a {recipient.value.lower()} names the household.", field="householdId"
            )
        if child_id is not None:
            raise InvalidInput(
                f"An intervention for a {recipient.value.lower()} names the household, not a child.",
                field="childId",
            )
    not_in_future(started_on, field="startedOn")
    if ended_on is not None:
        not_in_future(ended_on, field="endedOn")
        if ended_on < started_on:
            raise InvalidInput("It cannot end before it started.", field="endedOn")
    if completed and ended_on is None:
        raise InvalidInput("A completed intervention has an end date.", field="endedOn")

    async def create() -> int:
        household: Household | None = None
        child: Child | None = None
        if child_id is not None:
            child = await visible_child(session, principal, child_id)
            _require_casework(principal, child.path, what="child", field="childId")
            jurisdiction_id, path, family = child.jurisdiction_id, child.path, child.household_id
        else:
            assert household_id is not None
            visible = scope_filter(principal, Permission.CHILDREN_READ, Household.path)
            household = (await child_queries.households_by_ids(session, visible, [household_id])).get(
                household_id
            )
            if household is None:
                raise NotFound("No such household.", field="householdId")
            _require_casework(principal, household.path, what="household", field="householdId")
            jurisdiction_id, path, family = household.jurisdiction_id, household.path, household.id
        if programme_id is not None:
            programme = (await organisation_queries.programmes_by_ids(session, [programme_id])).get(
                programme_id
            )
            if programme is None:
                raise NotFound("No such programme.", field="programmeId")
            if not is_within(path, programme.path):
                raise InvalidInput(
                    "The programme does not cover where the recipient lives.", field="programmeId"
                )
            if started_on < programme.starts_on or (
                programme.ends_on is not None and started_on > programme.ends_on
            ):
                raise InvalidInput("The programme was not running on this date.", field="startedOn")
        if institution_id is not None:
            await visible_institution(session, principal, institution_id)
        case: Case | None = None
        if case_id is not None:
            case = await named_case(session, principal, case_id, child_id=child_id)
            if child is None:
                visible_children = child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id)
                about = (await child_queries.children_by_ids(session, visible_children, [case.child_id])).get(
                    case.child_id
                )
                if about is None or about.household_id != family:
                    raise InvalidInput("This case is about a child of another household.", field="caseId")
        intervention = Intervention(
            type=type,
            recipient=recipient,
            programme_id=programme_id,
            child_id=child_id,
            household_id=family,
            case_id=case_id,
            institution_id=institution_id,
            started_on=started_on,
            ended_on=ended_on,
            completed=completed,
            recorded_by_id=recorded_by(principal),
            jurisdiction_id=jurisdiction_id,
            path=path,
        )
        session.add(intervention)
        await session.flush()
        if case is not None:
            await record_case_event(
                session,
                case.id,
                CaseEventType.INTERVENTION_RECORDED,
                Actor.of(principal),
                data={"interventionId": intervention.id, "type": type.value, "recipient": recipient.value},
            )
        return intervention.id

    request = {
        "type": type,
        "recipient": recipient,
        "childId": child_id,
        "householdId": household_id,
        "programmeId": programme_id,
        "institutionId": institution_id,
        "caseId": case_id,
        "startedOn": started_on,
        "endedOn": ended_on,
        "completed": completed,
    }
    return await create_once(
        session,
        principal,
        key=idempotency_key,
        operation="recordIntervention",
        request=request,
        create=create,
    )


async def end_intervention(
    session: AsyncSession, principal: Principal, *, intervention_id: int, ended_on: dt.date, completed: bool
) -> Intervention:
    """Record that an intervention ended, completed or not (a child who dropped out). An intervention ends
    once: ending it again is refused, which also settles two concurrent requests (the row is locked)."""
    visible = scope_filter(principal, Permission.CHILDREN_READ, Intervention.path)
    intervention = await programme_queries.intervention_for_update(session, visible, intervention_id)
    if intervention is None:
        raise NotFound("No such intervention.", field="interventionId")
    _require_casework(principal, intervention.path, what="intervention", field="interventionId")
    if intervention.ended_on is not None:
        raise InvalidTransition(
            f"This intervention ended on {intervention.ended_on.isoformat()}.", field="interventionId"
        )
    not_in_future(ended_on, field="endedOn")
    if ended_on < intervention.started_on:
        raise InvalidInput("It cannot end before it started.", field="endedOn")
    intervention.ended_on, intervention.completed = ended_on, completed
    await session.flush()
    return intervention


async def record_outcome(
    session: AsyncSession,
    principal: Principal,
    *,
    child_id: int,
    type: OutcomeType,
    achieved_on: dt.date,
    intervention_id: int | None,
    case_id: int | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Record what was achieved for a child, optionally as the result of an intervention and under a case.
    ``(outcome id, replayed)``."""
    not_in_future(achieved_on, field="achievedOn")

    async def create() -> int:
        child = await visible_child(session, principal, child_id)
        _require_casework(principal, child.path, what="child", field="childId")
        if intervention_id is not None:
            visible = scope_filter(principal, Permission.CHILDREN_READ, Intervention.path)
            found = await programme_queries.interventions_by_ids(session, visible, [intervention_id])
            intervention = found.get(intervention_id)
            if intervention is None:
                raise NotFound("No such intervention.", field="interventionId")
            for_child = intervention.child_id == child.id or (
                intervention.child_id is None
                and child.household_id is not None
                and intervention.household_id == child.household_id
            )
            if not for_child:
                raise InvalidInput(
                    "This intervention was for another child or household.", field="interventionId"
                )
            if achieved_on < intervention.started_on:
                raise InvalidInput("The outcome cannot precede the intervention.", field="achievedOn")
        if case_id is not None:
            await named_case(session, principal, case_id, child_id=child.id)
        outcome = await add_outcome(
            session,
            principal,
            type=type,
            child_id=child.id,
            achieved_on=achieved_on,
            case_id=case_id,
            intervention_id=intervention_id,
            jurisdiction_id=child.jurisdiction_id,
            path=child.path,
        )
        return outcome.id

    request = {
        "childId": child_id,
        "type": type,
        "achievedOn": achieved_on,
        "interventionId": intervention_id,
        "caseId": case_id,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="recordOutcome", request=request, create=create
    )
