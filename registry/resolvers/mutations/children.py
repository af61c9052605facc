"""Mutation root fields of children: registration, identity corrections, consents."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from registry.auth.principal import Principal
from registry.errors import DuplicateSuspected, RegistryError
from registry.resolvers.mutations import perform
from registry.schema.children import Child, Consent
from registry.schema.context import Context
from registry.schema.mutations.children import (
    CorrectChildIdentityInput,
    CorrectChildIdentityPayload,
    RecordConsentInput,
    RecordConsentPayload,
    RegisterChildInput,
    RegisterChildPayload,
    WithdrawConsentInput,
    WithdrawConsentPayload,
)
from registry.schema.relay import database_id
from registry.services import children as service


async def _children(info: strawberry.Info[Context, None], ids: list[int]) -> list[Child]:
    rows = await info.context.loaders.child_by_id.load_many(ids)
    return [Child.from_row(row) for row in rows if row is not None]


async def _candidates(info: strawberry.Info[Context, None], error: RegistryError | None) -> list[Child]:
    """The children an error points at, as far as the principal may see them."""
    if isinstance(error, DuplicateSuspected):
        return await _children(info, error.candidates)
    if isinstance(error, service.IdentityNumberTaken) and error.holder is not None:
        return await _children(info, [error.holder])
    return []


def _optional_id(global_id: relay.GlobalID | None, type_name: str, *, field: str) -> int | None:
    return database_id(global_id, type_name, field=field) if global_id is not None else None


def _kept(value: Any) -> Any:
    """An input field left out is kept as it is."""
    return service.KEEP if value is strawberry.UNSET else value


async def register_child(
    info: strawberry.Info[Context, None], input: RegisterChildInput
) -> RegisterChildPayload:
    context = info.context

    async def work(principal: Principal) -> tuple[int, bool]:
        registration = service.Registration(
            jurisdiction_code=input.jurisdiction_code,
            sex=input.sex,
            full_name=input.full_name,
            given_name=input.given_name,
            family_name=input.family_name,
            father_name=input.father_name,
            date_of_birth=input.date_of_birth,
            date_of_birth_estimated=input.date_of_birth_estimated,
            birth_year=input.birth_year,
            identity_number=input.identity_number,
            place_of_birth=input.place_of_birth,
            address=input.address,
            phone=input.phone,
            guardians=tuple(
                service.GuardianEntry(
                    full_name=guardian.full_name,
                    relationship=guardian.relationship,
                    phone=guardian.phone,
                    is_primary=guardian.is_primary,
                    consents=tuple(guardian.consents),
                )
                for guardian in input.guardians
            ),
            household_id=_optional_id(input.household_id, "Household", field="householdId"),
            new_household_size=input.new_household.size if input.new_household is not None else None,
            child_assents=tuple(input.child_assents),
        )
        return await service.register_child(
            context.session,
            principal,
            context.identity_numbers,
            registration,
            confirm_not_duplicate=input.confirm_not_duplicate,
            idempotency_key=input.idempotency_key,
        )

    done = await perform(info, work)
    child = await _children(info, [done.result[0]]) if done.result is not None else []
    return RegisterChildPayload(
        child=child[0] if child else None, candidates=await _candidates(info, done.error), errors=done.errors
    )


async def correct_child_identity(
    info: strawberry.Info[Context, None], input: CorrectChildIdentityInput
) -> CorrectChildIdentityPayload:
    context = info.context
    correction = service.IdentityCorrection(
        full_name=_kept(input.full_name),
        given_name=_kept(input.given_name),
        family_name=_kept(input.family_name),
        father_name=_kept(input.father_name),
        sex=_kept(input.sex),
        date_of_birth=_kept(input.date_of_birth),
        date_of_birth_estimated=_kept(input.date_of_birth_estimated),
        birth_year=_kept(input.birth_year),
        identity_number=_kept(input.identity_number),
        place_of_birth=_kept(input.place_of_birth),
        address=_kept(input.address),
        phone=_kept(input.phone),
    )
    done = await perform(
        info,
        lambda principal: service.correct_child_identity(
            context.session,
            principal,
            context.identity_numbers,
            child_id=database_id(input.child_id, "Child", field="childId"),
            version=input.version,
            reason=input.reason,
            correction=correction,
        ),
    )
    child = await _children(info, [done.result.id]) if done.result is not None else []
    return CorrectChildIdentityPayload(
        child=child[0] if child else None, candidates=await _candidates(info, done.error), errors=done.errors
    )


async def record_consent(
    info: strawberry.Info[Context, None], input: RecordConsentInput
) -> RecordConsentPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.record_consent(
            session,
            principal,
            child_id=database_id(input.child_id, "Child", field="childId"),
            purpose=input.purpose,
            given_by=input.given_by,
            guardian_id=_optional_id(input.guardian_id, "Guardian", field="guardianId"),
            case_id=_optional_id(input.case_id, "Case", field="caseId"),
            given_at=input.given_at,
            note=input.note,
            idempotency_key=input.idempotency_key,
        ),
    )
    row = await info.context.loaders.consent_by_id.load(done.result[0]) if done.result is not None else None
    return RecordConsentPayload(
        consent=Consent.from_row(row) if row is not None else None, errors=done.errors
    )


async def withdraw_consent(
    info: strawberry.Info[Context, None], input: WithdrawConsentInput
) -> WithdrawConsentPayload:
    session = info.context.session
    done = await perform(
        info,
        lambda principal: service.withdraw_consent(
            session,
            principal,
            consent_id=database_id(input.consent_id, "Consent", field="consentId"),
            reason=input.reason,
        ),
    )
    # The row as withdrawn: an API client that withdrew data sharing no longer finds the child by reading.
    consent = Consent.from_row(done.result) if done.result is not None else None
    return WithdrawConsentPayload(consent=consent, errors=done.errors)


@strawberry.type
class ChildMutations:
    register_child: RegisterChildPayload = strawberry.mutation(
        resolver=register_child,
        description="Register a child with identity, guardians, household and consents, in a jurisdiction "
        "where you may write children. Refuses a registered identity number (CONFLICT) and stops at "
        "suspected duplicates (DUPLICATE_SUSPECTED) until confirmed.",
    )
    correct_child_identity: CorrectChildIdentityPayload = strawberry.mutation(
        resolver=correct_child_identity,
        description="Correct a child's identity; the values replaced are kept with the reason.",
    )
    record_consent: RecordConsentPayload = strawberry.mutation(
        resolver=record_consent,
        description="Record a consent or the child's assent; noted on the child's open cases.",
    )
    withdraw_consent: WithdrawConsentPayload = strawberry.mutation(
        resolver=withdraw_consent,
        description="Withdraw a consent. Withdrawn data sharing hides the child from API clients; withdrawn "
        "data sharing or referral consent stops referrals.",
    )
