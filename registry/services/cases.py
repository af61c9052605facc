"""Cases: open, move through the workflow, assign, annotate. Each change bumps ``version`` and appends
its event to the case's history in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import (
    CASEWORK_ROLES,
    cases_open_to,
    child_filter,
    scope_filter,
    supervises,
    user_filter,
    works_cases_only_as_assigned,
)
from registry.auth.principal import Principal
from registry.db.models import Case, CaseEventType, CaseKind, CaseStage, Child, Institution, RiskLevel, User
from registry.db.queries import cases as case_queries
from registry.db.queries import children as child_queries
from registry.db.queries import institutions as institution_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import transfers as transfer_queries
from registry.db.queries import users as user_queries
from registry.errors import ApprovalRequired, InvalidTransition, NotFound
from registry.services.audit import note_change
from registry.services.common import Actor, clean_text, expect_version, now, record_case_event, require
from registry.services.idempotency import create_once

# The workflow. Any open stage may close (a child found, moved away or come of age); a review sends the
# case back to planning or implementation, or closes it; a closed case can only be reopened, and a reopened
# one is assessed or planned again.
ALLOWED_MOVES: dict[CaseStage, frozenset[CaseStage]] = {
    CaseStage.REGISTERED: frozenset({CaseStage.ASSESSED, CaseStage.CLOSED}),
    CaseStage.ASSESSED: frozenset({CaseStage.CASE_PLAN, CaseStage.CLOSED}),
    CaseStage.CASE_PLAN: frozenset({CaseStage.IMPLEMENTATION, CaseStage.CLOSED}),
    CaseStage.IMPLEMENTATION: frozenset({CaseStage.REVIEW, CaseStage.CLOSED}),
    CaseStage.REVIEW: frozenset({CaseStage.CASE_PLAN, CaseStage.IMPLEMENTATION, CaseStage.CLOSED}),
    CaseStage.CLOSED: frozenset({CaseStage.REOPENED}),
    CaseStage.REOPENED: frozenset({CaseStage.ASSESSED, CaseStage.CASE_PLAN, CaseStage.CLOSED}),
}


async def _case_to_change(session: AsyncSession, principal: Principal, case_id: int) -> Case:
    visible = cases_open_to(principal, Permission.CASES_WRITE)
    case = await case_queries.case_for_update(session, visible, case_id)
    if case is None:
        raise NotFound("No such case.", field="caseId")
    return case


async def _assignee(
    session: AsyncSession, principal: Principal, user_id: int, path: str, *, field: str
) -> User:
    """A person who may hold a case at ``path``: visible to the principal, active, with a casework role
    over it."""
    found = await user_queries.users_by_ids(session, user_filter(principal, User.id), [user_id])
    user = found.get(user_id)
    roles = await user_queries.roles_over(session, user_id, path) if user is not None else []
    if user is None or not user.active or not CASEWORK_ROLES.intersection(roles):
        raise NotFound("No such caseworker for this case.", field=field)
    return user


async def open_case(
    session: AsyncSession,
    principal: Principal,
    *,
    child_id: int,
    kind: CaseKind,
    risk_level: RiskLevel,
    jurisdiction_code: str | None,
    assigned_to_id: int | None,
    institution_id: int | None,
    note: str | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Open a case about a child, owned by the child's jurisdiction unless another is named.
    ``(case id, replayed)``."""
    note = clean_text(note, field="note")

    async def create() -> int:
        children = await child_queries.children_by_ids(
            session, child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id), [child_id]
        )
        child = children.get(child_id)
        if child is None:
            raise NotFound("No such child.", field="childId")
        path, jurisdiction_id = child.path, child.jurisdiction_id
        if jurisdiction_code is not None:
            jurisdiction = await jurisdiction_queries.jurisdiction_by_code(session, jurisdiction_code)
            if jurisdiction is None:
                raise NotFound("No such jurisdiction.", field="jurisdictionCode")
            path, jurisdiction_id = jurisdiction.path, jurisdiction.id
        require(principal, Permission.CASES_WRITE, path, what="jurisdiction", field="jurisdictionCode")
        assignee = assigned_to_id
        if assignee is None and works_cases_only_as_assigned(principal, path):
            assignee = principal.id  # a caseworker's new case is their own, or they could not see it
        if assignee is not None:
            await _assignee(session, principal, assignee, path, field="assignedTo")
        if institution_id is not None:
            visible = scope_filter(principal, Permission.JURISDICTIONS_READ, Institution.path)
            found = await institution_queries.institutions_by_ids(session, visible, [institution_id])
            if institution_id not in found:
                raise NotFound("No such institution.", field="institutionId")
        province = path.split(".")[1] if "." in path else path
        if kind is CaseKind.CHILD_IN_CONFLICT_WITH_LAW and not child.identity_restricted:
            # Juvenile justice law: from now on only this case's workers and supervisors see who it is.
            child.identity_restricted = True
        events = [
            case_queries.NewEvent(
                CaseEventType.OPENED,
                to_stage=CaseStage.REGISTERED,
                data={"kind": kind.value, "riskLevel": risk_level.value},
                note=note,
            )
        ]
        if assignee is not None:
            events.append(case_queries.NewEvent(CaseEventType.ASSIGNED, data={"userId": assignee}))
        # The case (its id and number taken in the same statement) and its events, out of the ORM's sight:
        # the audit trail is told.
        case_id, event_ids = await case_queries.insert_case(
            session,
            province_id=int(province),
            child_id=child.id,
            kind=kind,
            risk_level=risk_level,
            assigned_to_id=assignee,
            institution_id=institution_id,
            jurisdiction_id=jurisdiction_id,
            path=path,
            moment=now(),
            actor=_event_actor(principal),
            events=events,
        )
        note_change(session, "cases", case_id, fields=[], path=path, child_id=child.id, op="insert")
        for event_id in event_ids:
            note_change(session, "case_events", event_id, fields=[], path=None, op="insert")
        return case_id

    request = {
        "childId": child_id,
        "kind": kind,
        "riskLevel": risk_level,
        "jurisdictionCode": jurisdiction_code,
        "assignedTo": assigned_to_id,
        "institutionId": institution_id,
        "note": note,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="openCase", request=request, create=create
    )


def _event_actor(principal: Principal) -> case_queries.EventActor:
    actor = Actor.of(principal)
    return case_queries.EventActor(actor.user_id, actor.client_id)


async def transition_case(
    session: AsyncSession,
    principal: Principal,
    *,
    case_id: int,
    version: int,
    to_stage: CaseStage,
    reason: str | None,
    risk_level: RiskLevel | None,
) -> Case:
    """Move a case to its next stage. Closing needs a reason, and closing a high-risk case a supervising
    officer; reopening keeps the history and clears the closure."""
    case = await _case_to_change(session, principal, case_id)
    expect_version(case.version, version, what="case")
    reason = clean_text(reason, field="reason", required=to_stage is CaseStage.CLOSED)
    if to_stage not in ALLOWED_MOVES[case.stage]:
        allowed = ", ".join(sorted(ALLOWED_MOVES[case.stage]))
        raise InvalidTransition(
            f"A case in {case.stage.value} can move to {allowed}, not to {to_stage.value}.", field="toStage"
        )
    closing = to_stage is CaseStage.CLOSED
    if closing and await transfer_queries.open_transfer_of_case(session, case.id) is not None:
        raise InvalidTransition(
            "The case has an open transfer request: cancel it, or let the receiving side answer, first.",
            field="toStage",
        )
    risk = risk_level or case.risk_level
    approved = closing and supervises(principal, case.path)
    if closing and RiskLevel.HIGH in (case.risk_level, risk) and not approved:
        raise ApprovalRequired(
            "Closing a high-risk case needs a district officer's approval: ask one to close it.",
            field="toStage",
        )
    moment = now()
    from_stage = case.stage
    events: list[case_queries.NewEvent] = []
    changed = ["stage", "updated_at", "version"]
    if risk is not case.risk_level:
        events.append(
            case_queries.NewEvent(
                CaseEventType.RISK_CHANGED, data={"from": case.risk_level.value, "to": risk.value}
            )
        )
        changed.append("risk_level")
    closed_at, closure_reason = case.closed_at, case.closure_reason
    if to_stage is CaseStage.CLOSED:
        closed_at, closure_reason = moment, reason
    elif from_stage is CaseStage.CLOSED:
        closed_at, closure_reason = None, None
    if closed_at != case.closed_at:
        changed.append("closed_at")
    if closure_reason != case.closure_reason:
        changed.append("closure_reason")
    events.append(
        case_queries.NewEvent(
            CaseEventType.STAGE_CHANGED,
            from_stage=from_stage,
            to_stage=to_stage,
            data={"approvedBy": principal.id} if to_stage is CaseStage.CLOSED and approved else {},
            note=reason,
        )
    )
    # The change and its events in one statement, out of the ORM's sight: the audit trail is told, and the
    # locked row leaves the session so that whoever reads the case next reads it as it is now.
    event_ids = await case_queries.change_stage(
        session,
        case.id,
        stage=to_stage,
        risk_level=risk,
        closed_at=closed_at,
        closure_reason=closure_reason,
        moment=moment,
        actor=_event_actor(principal),
        events=events,
    )
    session.expunge(case)
    note_change(session, "cases", case.id, fields=sorted(changed), path=case.path, child_id=case.child_id)
    for event_id in event_ids:
        note_change(session, "case_events", event_id, fields=[], path=None, op="insert")
    return case


async def assign_case(
    session: AsyncSession, principal: Principal, *, case_id: int, version: int, user_id: int
) -> Case:
    """Give a case to a caseworker. Supervising officers assign; the assignee must work cases there."""
    case = await _case_to_change(session, principal, case_id)
    expect_version(case.version, version, what="case")
    if not supervises(principal, case.path):
        raise ApprovalRequired("Only a supervising officer may assign cases.", field="assignTo")
    await _assignee(session, principal, user_id, case.path, field="assignTo")
    previous = case.assigned_to_id
    case.assigned_to_id = user_id
    case.version += 1
    case.updated_at = now()
    await session.flush()
    await record_case_event(
        session,
        case.id,
        CaseEventType.ASSIGNED,
        Actor.of(principal),
        data={"userId": user_id, "from": previous},
    )
    return case


async def add_case_note(
    session: AsyncSession, principal: Principal, *, case_id: int, note: str, idempotency_key: str | None
) -> tuple[int, bool]:
    """Append a note to the case's history. ``(event id, replayed)``."""
    text = clean_text(note, field="note", required=True)

    async def create() -> int:
        case = await _case_to_change(session, principal, case_id)
        event = await record_case_event(
            session, case.id, CaseEventType.NOTE_ADDED, Actor.of(principal), note=text
        )
        return event.id

    return await create_once(
        session,
        principal,
        key=idempotency_key,
        operation="addCaseNote",
        request={"caseId": case_id, "note": text},
        create=create,
    )
