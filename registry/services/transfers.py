"""Transfers: a case moved to another jurisdiction, asked for by its side and answered by the other.

The sending side (``cases:write`` over the case) requests and may cancel while the request is open; one open
request per case. The receiving side (``cases:write`` over the destination, other than as a caseworker, who
works only cases assigned to them) accepts or rejects. Until it accepts, the receiving side sees the request
but not the case; on accept the case's jurisdiction and path change, it is unassigned (the new side assigns
its own worker) and its version moves on, in one transaction inside the database (see the migration
``0005``), which also moves the child when the child lived in the sending jurisdiction and no other open
case keeps it there. From then on the sending side sees only its request, not the case or its history; the
history itself is kept whole. Records of work already done (interventions, outcomes, placements) stay with
the jurisdiction that did it.
"""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import (
    cases_open_to,
    is_within,
    receiving_filter,
    writable_transfers,
)
from registry.auth.principal import Principal
from registry.db.models import CaseEventType, CaseStage, Transfer, TransferStatus
from registry.db.queries import cases as case_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import transfers as transfer_queries
from registry.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from registry.services.audit import note_change
from registry.services.common import Actor, clean_text, expect_version, now, record_case_event
from registry.services.idempotency import create_once
from registry.services.referrals import raise_unless_done


class TransferResponse(enum.StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


async def request_transfer(
    session: AsyncSession,
    principal: Principal,
    *,
    case_id: int,
    version: int,
    to_jurisdiction_code: str,
    reason: str,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Ask another jurisdiction to take over a case. ``(transfer id, replayed)``."""
    text = clean_text(reason, field="reason", required=True)

    async def create() -> int:
        visible = cases_open_to(principal, Permission.CASES_WRITE)
        # Locked: requests for one case queue here, so the open-request check below holds.
        case = await case_queries.case_for_update(session, visible, case_id)
        if case is None:
            raise NotFound("No such case.", field="caseId")
        expect_version(case.version, version, what="case")
        if case.stage is CaseStage.CLOSED:
            raise InvalidTransition("A closed case is not transferred; reopen it first.", field="caseId")
        target = await jurisdiction_queries.jurisdiction_by_code(session, to_jurisdiction_code)
        if target is None:
            raise NotFound("No such jurisdiction.", field="toJurisdictionCode")
        if is_within(target.path, case.path) or is_within(case.path, target.path):
            raise InvalidInput(
                "A transfer moves a case to a jurisdiction outside its own line: neither inside the "
                "case's jurisdiction nor above it.",
                field="toJurisdictionCode",
            )
        if await transfer_queries.open_transfer_of_case(session, case.id) is not None:
            raise Conflict(
                "This case already has an open transfer request: cancel it or wait for its answer.",
                field="caseId",
            )
        actor = Actor.of(principal)
        transfer = Transfer(
            case_id=case.id,
            from_jurisdiction_id=case.jurisdiction_id,
            from_path=case.path,
            to_jurisdiction_id=target.id,
            to_path=target.path,
            status=TransferStatus.REQUESTED,
            reason=text,
            requested_at=now(),
            requested_by_id=actor.user_id,
        )
        session.add(transfer)
        await session.flush()
        await record_case_event(
            session,
            case.id,
            CaseEventType.TRANSFER_REQUESTED,
            actor,
            data={
                "transferId": transfer.id,
                "toJurisdictionId": target.id,
                "toJurisdictionCode": target.code,
            },
            note=text,
        )
        return transfer.id

    request = {
        "caseId": case_id,
        "version": version,
        "toJurisdictionCode": to_jurisdiction_code,
        "reason": text,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="requestTransfer", request=request, create=create
    )


async def respond_to_transfer(
    session: AsyncSession,
    principal: Principal,
    *,
    transfer_id: int,
    version: int,
    response: TransferResponse,
    note: str | None,
) -> int:
    """The receiving side accepts (the case moves to it) or rejects (saying why). Returns the transfer's
    id."""
    text = clean_text(note, field="note", required=response is TransferResponse.REJECT)
    found = await transfer_queries.transfers_by_ids(session, receiving_filter(principal), [transfer_id])
    transfer = found.get(transfer_id)
    if transfer is None:
        raise NotFound("No such transfer.", field="transferId")
    expect_version(transfer.version, version, what="transfer")
    if transfer.status is not TransferStatus.REQUESTED:
        raise InvalidTransition(
            f"This transfer is {transfer.status.value}: only a requested one is answered.", field="response"
        )
    actor = Actor.of(principal)
    result = await transfer_queries.respond_to_transfer(
        session,
        transfer_id,
        version=version,
        accept=response is TransferResponse.ACCEPT,
        note=text,
        at=now(),
        user_id=actor.user_id,
        client_id=actor.client_id,
    )
    raise_unless_done(result, what="transfer", field="transferId")
    # Changed inside the database, out of the ORM's sight: into the audit trail by hand.
    accepted = response is TransferResponse.ACCEPT
    note_change(session, "transfers", transfer_id, fields=["status"], path=transfer.to_path)
    if accepted:
        note_change(
            session, "cases", transfer.case_id, fields=["jurisdiction_id", "path"], path=transfer.to_path
        )
    # What this session holds of it is out of date.
    session.expire(transfer)
    return transfer_id


async def cancel_transfer(
    session: AsyncSession, principal: Principal, *, transfer_id: int, version: int, reason: str | None
) -> int:
    """The sending side withdraws its open request. Returns the transfer's id."""
    text = clean_text(reason, field="reason")
    transfer = await transfer_queries.transfer_for_update(session, writable_transfers(principal), transfer_id)
    if transfer is None:
        raise NotFound("No such transfer.", field="transferId")
    expect_version(transfer.version, version, what="transfer")
    if transfer.status is not TransferStatus.REQUESTED:
        raise InvalidTransition(
            f"This transfer is {transfer.status.value}: only a requested one is cancelled.",
            field="transferId",
        )
    actor = Actor.of(principal)
    transfer.status = TransferStatus.CANCELLED
    transfer.responded_at = now()
    transfer.responded_by_id = actor.user_id
    transfer.response_note = text
    transfer.version += 1
    await session.flush()
    await record_case_event(
        session,
        transfer.case_id,
        CaseEventType.TRANSFER_CANCELLED,
        actor,
        data={"transferId": transfer.id},
        note=text,
    )
    return transfer.id
