"""Mutation root fields of case management."""

from __future__ import annotations

import strawberry

from registry.resolvers.mutations import perform
from registry.schema.cases import Case, CaseEvent, load_case
from registry.schema.context import Context
from registry.schema.mutations.cases import (
    AddCaseNoteInput,
    AddCaseNotePayload,
    AssignCaseInput,
    AssignCasePayload,
    OpenCaseInput,
    OpenCasePayload,
    TransitionCaseInput,
    TransitionCasePayload,
)
from registry.schema.relay import database_id
from registry.services import cases as service


async def _case(info: strawberry.Info[Context, None], case_id: int | None) -> Case | None:
    return await load_case(info, case_id)


async def open_case(info: strawberry.Info[Context, None], input: OpenCaseInput) -> OpenCasePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.open_case(
            session,
            principal,
            child_id=database_id(input.child_id, "Child", field="childId"),
            kind=input.kind,
            risk_level=input.risk_level,
            jurisdiction_code=input.jurisdiction_code,
            assigned_to_id=(
                database_id(input.assigned_to, "User", field="assignedTo") if input.assigned_to else None
            ),
            institution_id=(
                database_id(input.institution_id, "Institution", field="institutionId")
                if input.institution_id
                else None
            ),
            note=input.note,
            idempotency_key=input.idempotency_key,
        ),
    )
    case_id = done.result[0] if done.result is not None else None
    return OpenCasePayload(case=await _case(info, case_id), errors=done.errors)


async def transition_case(
    info: strawberry.Info[Context, None], input: TransitionCaseInput
) -> TransitionCasePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.transition_case(
            session,
            principal,
            case_id=database_id(input.case_id, "Case", field="caseId"),
            version=input.version,
            to_stage=input.to_stage,
            reason=input.reason,
            risk_level=input.risk_level,
        ),
    )
    case_id = done.result.id if done.result is not None else None
    return TransitionCasePayload(case=await _case(info, case_id), errors=done.errors)


async def assign_case(info: strawberry.Info[Context, None], input: AssignCaseInput) -> AssignCasePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.assign_case(
            session,
            principal,
            case_id=database_id(input.case_id, "Case", field="caseId"),
            version=input.version,
            user_id=database_id(input.assign_to, "User", field="assignTo"),
        ),
    )
    case_id = done.result.id if done.result is not None else None
    return AssignCasePayload(case=await _case(info, case_id), errors=done.errors)


async def add_case_note(info: strawberry.Info[Context, None], input: AddCaseNoteInput) -> AddCaseNotePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.add_case_note(
            session,
            principal,
            case_id=database_id(input.case_id, "Case", field="caseId"),
            note=input.note,
            idempotency_key=input.idempotency_key,
        ),
    )
    event = None
    if done.result is not None:
        case_id = database_id(input.case_id, "Case", field="caseId")
        case = await _case(info, case_id)
        events = await info.context.loaders.events_of(100).load(case_id) if case is not None else []
        row = next((e for e in events if e.id == done.result[0]), None)
        event = CaseEvent.from_row(row, case.path) if row is not None and case is not None else None
    return AddCaseNotePayload(event=event, errors=done.errors)


@strawberry.type
class CaseMutations:
    open_case: OpenCasePayload = strawberry.mutation(
        resolver=open_case,
        description="Open a case about a child you may see, in a jurisdiction where you may write cases.",
    )
    transition_case: TransitionCasePayload = strawberry.mutation(
        resolver=transition_case, description="Move a case through its workflow (only allowed moves)."
    )
    assign_case: AssignCasePayload = strawberry.mutation(
        resolver=assign_case, description="Assign a case to a caseworker (supervising officers)."
    )
    add_case_note: AddCaseNotePayload = strawberry.mutation(
        resolver=add_case_note, description="Add a note to a case's history."
    )
