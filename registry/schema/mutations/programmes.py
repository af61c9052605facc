"""Inputs and payloads of programmes: interventions for children and households, and outcomes."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.children import Intervention, Outcome
from registry.schema.errors import MutationError
from registry.schema.mutations.cases import IDEMPOTENCY_KEY


@strawberry.input(
    description="Something done for a child, or for a child's parents or household (needs `cases:write` or "
    "`children:write` over the child or household)."
)
class RecordInterventionInput:
    type: models.InterventionType = strawberry.field(description="What was done.")
    recipient: models.InterventionRecipient = strawberry.field(
        description="CHILD (give `childId`), or PARENT or HOUSEHOLD (give `householdId`)."
    )
    child_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The child, for a CHILD intervention."
    )
    household_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The household, for a PARENT or HOUSEHOLD intervention."
    )
    programme_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The programme it is part of: one covering where the recipient lives, running on "
        "`startedOn`.",
    )
    institution_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The institution delivering it (a school, vocational centre, ...)."
    )
    case_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The case to file it under (one you may write; about the child, or a child of the "
        "household): its history records the intervention.",
    )
    started_on: dt.date = strawberry.field(description="When it began; not in the future.")
    ended_on: dt.date | None = strawberry.field(default=None, description="When it ended, if it has.")
    completed: bool = strawberry.field(
        default=False, description="Whether it was completed (needs `endedOn`)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="The end of an intervention, completed or not (a child who dropped out).")
class EndInterventionInput:
    intervention_id: relay.GlobalID = strawberry.field(description="The intervention (not ended yet).")
    ended_on: dt.date = strawberry.field(description="When it ended; not before it started.")
    completed: bool = strawberry.field(description="Whether the recipient completed it.")


@strawberry.input(
    description="What was achieved for a child (needs `cases:write` or `children:write` over the child)."
)
class RecordOutcomeInput:
    child_id: relay.GlobalID = strawberry.field(description="The child.")
    type: models.OutcomeType = strawberry.field(description="What was achieved.")
    achieved_on: dt.date = strawberry.field(description="When; not in the future.")
    intervention_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The intervention that achieved it: for this child, or for the child's household.",
    )
    case_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The case to file it under (one you may write; about the child): its history records "
        "the outcome.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="The recorded intervention.")
class RecordInterventionPayload:
    intervention: Intervention | None = strawberry.field(
        description="The intervention; null when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The ended intervention.")
class EndInterventionPayload:
    intervention: Intervention | None = strawberry.field(
        description="The intervention; null when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The recorded outcome.")
class RecordOutcomePayload:
    outcome: Outcome | None = strawberry.field(description="The outcome; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")
