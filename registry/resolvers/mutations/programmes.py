"""Mutation root fields of programmes: interventions and outcomes."""

from __future__ import annotations

import strawberry
from strawberry import relay

from registry.auth.permissions import Permission
from registry.auth.policy import scope_filter
from registry.db import models
from registry.db.queries import programmes as queries
from registry.resolvers.mutations import perform
from registry.schema.children import Intervention, Outcome
from registry.schema.context import Context
from registry.schema.mutations.programmes import (
    EndInterventionInput,
    EndInterventionPayload,
    RecordInterventionInput,
    RecordInterventionPayload,
    RecordOutcomeInput,
    RecordOutcomePayload,
)
from registry.schema.relay import database_id
from registry.services import programmes as service


def _optional_id(global_id: relay.GlobalID | None, type_name: str, *, field: str) -> int | None:
    return database_id(global_id, type_name, field=field) if global_id is not None else None


async def _intervention(info: strawberry.Info[Context, None], intervention_id: int) -> Intervention | None:
    # Read back as a child's list of interventions is read: ``children:read`` where it belongs.
    visible = scope_filter(info.context.principal, Permission.CHILDREN_READ, models.Intervention.path)
    found = await queries.interventions_by_ids(info.context.session, visible, [intervention_id])
    row = found.get(intervention_id)
    return Intervention.from_row(row) if row is not None else None


async def _outcome(info: strawberry.Info[Context, None], outcome_id: int) -> Outcome | None:
    visible = scope_filter(info.context.principal, Permission.CHILDREN_READ, models.Outcome.path)
    row = (await queries.outcomes_by_ids(info.context.session, visible, [outcome_id])).get(outcome_id)
    return Outcome.from_row(row) if row is not None else None


async def record_intervention(
    info: strawberry.Info[Context, None], input: RecordInterventionInput
) -> RecordInterventionPayload:
    session = info.context.session

    done = await perform(
        info,
        lambda principal: service.record_intervention(
            session,
            principal,
            type=input.type,
            recipient=input.recipient,
            child_id=_optional_id(input.child_id, "Child", field="childId"),
            household_id=_optional_id(input.household_id, "Household", field="householdId"),
            programme_id=_optional_id(input.programme_id, "Programme", field="programmeId"),
            institution_id=_optional_id(input.institution_id, "Institution", field="institutionId"),
            case_id=_optional_id(input.case_id, "Case", field="caseId"),
            started_on=input.started_on,
            ended_on=input.ended_on,
            completed=input.completed,
            idempotency_key=input.idempotency_key,
        ),
    )
    intervention = await _intervention(info, done.result[0]) if done.result is not None else None
    return RecordInterventionPayload(intervention=intervention, errors=done.errors)


async def end_intervention(
    info: strawberry.Info[Context, None], input: EndInterventionInput
) -> EndInterventionPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.end_intervention(
            session,
            principal,
            intervention_id=database_id(input.intervention_id, "Intervention", field="interventionId"),
            ended_on=input.ended_on,
            completed=input.completed,
        ),
    )
    intervention = await _intervention(info, done.result.id) if done.result is not None else None
    return EndInterventionPayload(intervention=intervention, errors=done.errors)


async def record_outcome(
    info: strawberry.Info[Context, None], input: RecordOutcomeInput
) -> RecordOutcomePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.record_outcome(
            session,
            principal,
            child_id=database_id(input.child_id, "Child", field="childId"),
            type=input.type,
            achieved_on=input.achieved_on,
            intervention_id=_optional_id(input.intervention_id, "Intervention", field="interventionId"),
            case_id=_optional_id(input.case_id, "Case", field="caseId"),
            idempotency_key=input.idempotency_key,
        ),
    )
    outcome = await _outcome(info, done.result[0]) if done.result is not None else None
    return RecordOutcomePayload(outcome=outcome, errors=done.errors)


@strawberry.type
class ProgrammeMutations:
    record_intervention: RecordInterventionPayload = strawberry.mutation(
        resolver=record_intervention,
        description="Record something done for a child, or for a child's parents or household.",
    )
    end_intervention: EndInterventionPayload = strawberry.mutation(
        resolver=end_intervention, description="Record that an intervention ended, completed or not."
    )
    record_outcome: RecordOutcomePayload = strawberry.mutation(
        resolver=record_outcome, description="Record what was achieved for a child."
    )
