"""Inputs and payloads of case management: open, move through the workflow, assign, annotate."""

from __future__ import annotations

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.cases import Case, CaseEvent
from registry.schema.errors import MutationError

IDEMPOTENCY_KEY = (
    "Any unique string (8-100 characters) chosen by the client; a retry with the same key returns the "
    "first attempt's result instead of creating again."
)
VERSION = "The `version` of the case you read; refused with CONFLICT if it has changed since."


@strawberry.input(description="A new case about a registered child.")
class OpenCaseInput:
    child_id: relay.GlobalID = strawberry.field(description="The child the case is about.")
    kind: models.CaseKind = strawberry.field(description="What kind of concern.")
    risk_level: models.RiskLevel = strawberry.field(description="Risk as first judged.")
    jurisdiction_code: str | None = strawberry.field(
        default=None, description="The jurisdiction that owns the case; default the child's."
    )
    assigned_to: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The caseworker (a `User`); a caseworker opening a case gets it by default.",
    )
    institution_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The institution serving the child for this case, if any."
    )
    note: str | None = strawberry.field(default=None, description="What led to the case.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Move a case to another stage of its workflow.")
class TransitionCaseInput:
    case_id: relay.GlobalID = strawberry.field(description="The case.")
    version: int = strawberry.field(description=VERSION)
    to_stage: models.CaseStage = strawberry.field(
        description="REGISTERED → ASSESSED → CASE_PLAN → IMPLEMENTATION → REVIEW → CLOSED; any open stage "
        "may close; REVIEW may go back to CASE_PLAN or IMPLEMENTATION; CLOSED → REOPENED → ASSESSED or "
        "CASE_PLAN."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why; required to close. Closing a HIGH-risk case needs an officer."
    )
    risk_level: models.RiskLevel | None = strawberry.field(
        default=None, description="A new risk judgement made with this move (an assessment, a review)."
    )


@strawberry.input(description="Give a case to a caseworker (supervising officers only).")
class AssignCaseInput:
    case_id: relay.GlobalID = strawberry.field(description="The case.")
    version: int = strawberry.field(description=VERSION)
    assign_to: relay.GlobalID = strawberry.field(
        description="The caseworker (a `User`) with a casework role over the case's jurisdiction."
    )


@strawberry.input(description="A note in the case's history.")
class AddCaseNoteInput:
    case_id: relay.GlobalID = strawberry.field(description="The case.")
    note: str = strawberry.field(description="The note (kept in the history; readable with `pii:read`).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="The opened case.")
class OpenCasePayload:
    case: Case | None = strawberry.field(description="The case; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The case after the move.")
class TransitionCasePayload:
    case: Case | None = strawberry.field(description="The case; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The case after assignment.")
class AssignCasePayload:
    case: Case | None = strawberry.field(description="The case; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The note added.")
class AddCaseNotePayload:
    event: CaseEvent | None = strawberry.field(description="The history entry; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")
