"""Inputs and payloads of referrals (to a service at an institution or organisation) and transfers (of a
case to another jurisdiction)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.cases import Case, Referral, Transfer
from registry.schema.errors import MutationError
from registry.schema.mutations.cases import IDEMPOTENCY_KEY, VERSION
from registry.services.referrals import ReferralResponse
from registry.services.transfers import TransferResponse

strawberry.enum(
    ReferralResponse,
    description="The receiving side's answer: ACCEPT or DECLINE a pending referral; COMPLETE an "
    "accepted one.",
)
strawberry.enum(TransferResponse, description="The receiving side's answer to a transfer request.")

ANSWER_VERSION = "The `version` you read; refused with CONFLICT if it has changed since."


@strawberry.input(description="Refer a case for a service to an institution or an organisation (or both).")
class ReferCaseInput:
    case_id: relay.GlobalID = strawberry.field(description="The case.")
    service: models.InterventionType = strawberry.field(description="The service asked for.")
    to_institution: relay.GlobalID | None = strawberry.field(
        default=None, description="The institution (an `Institution` you may see)."
    )
    to_organisation: relay.GlobalID | None = strawberry.field(
        default=None, description="The organisation; with an institution, the one that runs it."
    )
    reason: str = strawberry.field(description="Why, for the receiving side.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Answer a referral: accept or decline it, or complete an accepted one.")
class RespondToReferralInput:
    referral_id: relay.GlobalID = strawberry.field(description="The referral.")
    version: int = strawberry.field(description=ANSWER_VERSION)
    response: ReferralResponse = strawberry.field(description="The answer.")
    outcome: str | None = strawberry.field(
        default=None, description="What came of it; required to decline or complete."
    )


@strawberry.input(description="Ask another jurisdiction to take over a case.")
class RequestTransferInput:
    case_id: relay.GlobalID = strawberry.field(description="The case.")
    version: int = strawberry.field(description=VERSION)
    to_jurisdiction_code: str = strawberry.field(
        description="The receiving jurisdiction (outside the case's own line: not inside it, not above it)."
    )
    reason: str = strawberry.field(description="Why (the child moved, ...), for the receiving side.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="The receiving side's answer to a transfer request.")
class RespondToTransferInput:
    transfer_id: relay.GlobalID = strawberry.field(description="The transfer.")
    version: int = strawberry.field(description=ANSWER_VERSION)
    response: TransferResponse = strawberry.field(
        description="ACCEPT moves the case to you (unassigned); REJECT leaves it where it is."
    )
    note: str | None = strawberry.field(default=None, description="A note; required to reject.")


@strawberry.input(description="Withdraw an open transfer request (the sending side).")
class CancelTransferInput:
    transfer_id: relay.GlobalID = strawberry.field(description="The transfer.")
    version: int = strawberry.field(description=ANSWER_VERSION)
    reason: str | None = strawberry.field(default=None, description="Why, if you wish.")


@strawberry.type(description="The referral made.")
class ReferCasePayload:
    referral: Referral | None = strawberry.field(description="The referral; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The referral after the answer.")
class RespondToReferralPayload:
    referral: Referral | None = strawberry.field(description="The referral; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The transfer requested.")
class RequestTransferPayload:
    transfer: Transfer | None = strawberry.field(description="The transfer; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The transfer after the answer, and the case as you now see it.")
class RespondToTransferPayload:
    transfer: Transfer | None = strawberry.field(description="The transfer; null when errors are given.")
    case: Case | None = strawberry.field(
        description="The case, now yours when accepted; null when rejected or when errors are given."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The transfer after cancellation.")
class CancelTransferPayload:
    transfer: Transfer | None = strawberry.field(description="The transfer; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")
