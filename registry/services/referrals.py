"""Referrals: a case referred for a service to an institution or organisation, answered by its side.

The case's side refers (with ``cases:write`` over the case). The answer (accept, decline, later complete)
comes from the case's side recording it, or from staff with ``cases:write`` over the receiving
institution's jurisdiction. Those staff may lie outside the case's jurisdiction: they then see the referral
(service, reason, status) but never the case or the child, and their answer goes through a database
function that checks their scope and records the case event behind the case's wall. A caseworker works only
the cases assigned to them, so a caseworker's grant does not open referrals to its institutions.

A child whose consent to data sharing or to referral is withdrawn is not referred (``CONSENT_REQUIRED``).
"""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import cases_open_to, referral_filter, scope_filter
from registry.auth.principal import Principal
from registry.db.models import (
    CaseEventType,
    CaseStage,
    Institution,
    InterventionType,
    Referral,
    ReferralStatus,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import consents as consent_queries
from registry.db.queries import institutions as institution_queries
from registry.db.queries import organisations as organisation_queries
from registry.db.queries import referrals as referral_queries
from registry.errors import (
    Conflict,
    ConsentRequired,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RegistryError,
)
from registry.services.audit import note_change
from registry.services.common import Actor, clean_text, expect_version, now, record_case_event
from registry.services.idempotency import create_once


class ReferralResponse(enum.StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"
    COMPLETE = "COMPLETE"


RESPONSE_STATUS: dict[ReferralResponse, ReferralStatus] = {
    ReferralResponse.ACCEPT: ReferralStatus.ACCEPTED,
    ReferralResponse.DECLINE: ReferralStatus.DECLINED,
    ReferralResponse.COMPLETE: ReferralStatus.COMPLETED,
}
# A pending referral is accepted or declined; an accepted one is completed. Declined and completed are final.
ALLOWED_ANSWERS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.PENDING: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.COMPLETED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
}


async def refer_case(
    session: AsyncSession,
    principal: Principal,
    *,
    case_id: int,
    service: InterventionType,
    to_institution_id: int | None,
    to_organisation_id: int | None,
    reason: str,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Refer a case for a service. ``(referral id, replayed)``."""
    text = clean_text(reason, field="reason", required=True)
    if to_institution_id is None and to_organisation_id is None:
        raise InvalidInput("Name the institution or the organisation to refer to.", field="toInstitution")

    async def create() -> int:
        visible = cases_open_to(principal, Permission.CASES_WRITE)
        # Locked: referrals of one case queue here, so two cannot both pass the duplicate check.
        case = await case_queries.case_for_update(session, visible, case_id)
        if case is None:
            raise NotFound("No such case.", field="caseId")
        if case.stage is CaseStage.CLOSED:
            raise InvalidTransition("A closed case is not referred; reopen it first.", field="caseId")
        institution = None
        if to_institution_id is not None:
            institutions = await institution_queries.institutions_by_ids(
                session,
                scope_filter(principal, Permission.JURISDICTIONS_READ, Institution.path),
                [to_institution_id],
            )
            institution = institutions.get(to_institution_id)
            if institution is None:
                raise NotFound("No such institution.", field="toInstitution")
        if to_organisation_id is not None:
            organisations = await organisation_queries.organisations_by_ids(session, [to_organisation_id])
            if to_organisation_id not in organisations:
                raise NotFound("No such organisation.", field="toOrganisation")
            if institution is not None and institution.organisation_id != to_organisation_id:
                raise InvalidInput(
                    "That institution is not run by that organisation.", field="toOrganisation"
                )
        if await consent_queries.sharing_withdrawn(session, case.child_id):
            raise ConsentRequired(
                "Consent to data sharing or referral has been withdrawn for this child (or cannot be "
                "checked from your jurisdiction): record a new consent before referring.",
                field="caseId",
            )
        if await referral_queries.open_referral_exists(
            session,
            case.id,
            service,
            institution_id=to_institution_id,
            organisation_id=to_organisation_id,
        ):
            raise Conflict(
                "This case is already referred there for this service (pending or accepted).",
                field="service",
            )
        actor = Actor.of(principal)
        referral = Referral(
            case_id=case.id,
            service=service,
            to_institution_id=to_institution_id,
            to_organisation_id=to_organisation_id,
            status=ReferralStatus.PENDING,
            reason=text,
            requested_at=now(),
            requested_by_id=actor.user_id,
        )
        session.add(referral)
        await session.flush()
        await record_case_event(
            session,
            case.id,
            CaseEventType.REFERRAL_MADE,
            actor,
            data={
                "referralId": referral.id,
                "service": service.value,
                "toInstitutionId": to_institution_id,
                "toOrganisationId": to_organisation_id,
            },
            note=text,
        )
        return referral.id

    request = {
        "caseId": case_id,
        "service": service,
        "toInstitution": to_institution_id,
        "toOrganisation": to_organisation_id,
        "reason": text,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="referCase", request=request, create=create
    )


async def respond_to_referral(
    session: AsyncSession,
    principal: Principal,
    *,
    referral_id: int,
    version: int,
    response: ReferralResponse,
    outcome: str | None,
) -> int:
    """Accept or decline a pending referral, or complete an accepted one (declining and completing say
    why or what came of it). Returns the referral's id."""
    to_status = RESPONSE_STATUS[response]
    text = clean_text(outcome, field="outcome", required=response is not ReferralResponse.ACCEPT)
    found = await referral_queries.referrals_by_ids(
        session, referral_filter(principal, Permission.CASES_WRITE), [referral_id]
    )
    referral = found.get(referral_id)
    if referral is None:
        raise NotFound("No such referral.", field="referralId")
    expect_version(referral.version, version, what="referral")
    if to_status not in ALLOWED_ANSWERS[referral.status]:
        raise InvalidTransition(
            f"A referral that is {referral.status.value} cannot become {to_status.value}.", field="response"
        )
    actor = Actor.of(principal)
    result = await referral_queries.respond_to_referral(
        session,
        referral_id,
        version=version,
        status=to_status,
        outcome=text,
        at=now(),
        user_id=actor.user_id,
        client_id=actor.client_id,
    )
    raise_unless_done(result, what="referral", field="referralId")
    # Changed inside the database, out of the ORM's sight: into the audit trail by hand.
    note_change(session, "referrals", referral_id, fields=["status", "outcome"], path=None)
    # What this session holds of it is out of date.
    session.expire(referral)
    return referral_id


def raise_unless_done(result: str, *, what: str, field: str) -> None:
    """The typed error for what the database function found under its lock (a concurrent change won)."""
    errors: dict[str, RegistryError] = {
        "NOT_FOUND": NotFound(f"No such {what}.", field=field),
        "CONFLICT": Conflict(
            f"The {what} was changed by someone else; read it again and retry.", field=field
        ),
        "INVALID_TRANSITION": InvalidTransition(f"The {what} has been answered already.", field=field),
    }
    if result in errors:
        raise errors[result]
