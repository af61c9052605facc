"""Mutation root fields of referrals and transfers."""

from __future__ import annotations

import strawberry

from registry.resolvers.mutations import perform
from registry.schema.cases import Case, Referral, Transfer
from registry.schema.context import Context
from registry.schema.mutations.referrals import (
    CancelTransferInput,
    CancelTransferPayload,
    ReferCaseInput,
    ReferCasePayload,
    RequestTransferInput,
    RequestTransferPayload,
    RespondToReferralInput,
    RespondToReferralPayload,
    RespondToTransferInput,
    RespondToTransferPayload,
)
from registry.schema.relay import database_id
from registry.services import referrals as referral_service
from registry.services import transfers as transfer_service


async def _referral(info: strawberry.Info[Context, None], referral_id: int | None) -> Referral | None:
    if referral_id is None:
        return None
    found = await Referral.resolve_nodes(info=info, node_ids=[str(referral_id)])
    return found[0]


async def _transfer(info: strawberry.Info[Context, None], transfer_id: int | None) -> Transfer | None:
    if transfer_id is None:
        return None
    found = await Transfer.resolve_nodes(info=info, node_ids=[str(transfer_id)])
    return found[0]


async def refer_case(info: strawberry.Info[Context, None], input: ReferCaseInput) -> ReferCasePayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: referral_service.refer_case(
            session,
            principal,
            case_id=database_id(input.case_id, "Case", field="caseId"),
            service=input.service,
            to_institution_id=(
                database_id(input.to_institution, "Institution", field="toInstitution")
                if input.to_institution
                else None
            ),
            to_organisation_id=(
                database_id(input.to_organisation, "Organisation", field="toOrganisation")
                if input.to_organisation
                else None
            ),
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        ),
    )
    referral_id = done.result[0] if done.result is not None else None
    return ReferCasePayload(referral=await _referral(info, referral_id), errors=done.errors)


async def respond_to_referral(
    info: strawberry.Info[Context, None], input: RespondToReferralInput
) -> RespondToReferralPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: referral_service.respond_to_referral(
            session,
            principal,
            referral_id=database_id(input.referral_id, "Referral", field="referralId"),
            version=input.version,
            response=input.response,
            outcome=input.outcome,
        ),
    )
    return RespondToReferralPayload(referral=await _referral(info, done.result), errors=done.errors)


async def request_transfer(
    info: strawberry.Info[Context, None], input: RequestTransferInput
) -> RequestTransferPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: transfer_service.request_transfer(
            session,
            principal,
            case_id=database_id(input.case_id, "Case", field="caseId"),
            version=input.version,
            to_jurisdiction_code=input.to_jurisdiction_code,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        ),
    )
    transfer_id = done.result[0] if done.result is not None else None
    return RequestTransferPayload(transfer=await _transfer(info, transfer_id), errors=done.errors)


async def respond_to_transfer(
    info: strawberry.Info[Context, None], input: RespondToTransferInput
) -> RespondToTransferPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: transfer_service.respond_to_transfer(
            session,
            principal,
            transfer_id=database_id(input.transfer_id, "Transfer", field="transferId"),
            version=input.version,
            response=input.response,
            note=input.note,
        ),
    )
    transfer = await _transfer(info, done.result)
    case = None
    if transfer is not None:
        row = await info.context.loaders.case_by_id.load(transfer.case_id)
        case = Case.from_row(row) if row is not None else None
    return RespondToTransferPayload(transfer=transfer, case=case, errors=done.errors)


async def cancel_transfer(
    info: strawberry.Info[Context, None], input: CancelTransferInput
) -> CancelTransferPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: transfer_service.cancel_transfer(
            session,
            principal,
            transfer_id=database_id(input.transfer_id, "Transfer", field="transferId"),
            version=input.version,
            reason=input.reason,
        ),
    )
    return CancelTransferPayload(transfer=await _transfer(info, done.result), errors=done.errors)


@strawberry.type
class ReferralMutations:
    refer_case: ReferCasePayload = strawberry.mutation(
        resolver=refer_case,
        description="Refer a case you may write for a service to an institution or organisation.",
    )
    respond_to_referral: RespondToReferralPayload = strawberry.mutation(
        resolver=respond_to_referral,
        description="Answer a referral: its case's side, or staff over the receiving institution.",
    )


@strawberry.type
class TransferMutations:
    request_transfer: RequestTransferPayload = strawberry.mutation(
        resolver=request_transfer,
        description="Ask another jurisdiction to take over a case you may write (one open request per case).",
    )
    respond_to_transfer: RespondToTransferPayload = strawberry.mutation(
        resolver=respond_to_transfer,
        description="Accept (the case moves to you, unassigned) or reject a transfer to your jurisdiction.",
    )
    cancel_transfer: CancelTransferPayload = strawberry.mutation(
        resolver=cancel_transfer, description="Withdraw an open transfer request of a case you may write."
    )
