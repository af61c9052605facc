"""Inputs and payloads of children: registration, identity corrections, consents."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import relay

from registry.db import models
from registry.schema.children import Child, Consent
from registry.schema.errors import MutationError
from registry.schema.mutations.cases import IDEMPOTENCY_KEY

CORRECTION = "The corrected value; leave out to keep it, null to clear it."


@strawberry.input(description="A parent or other guardian of a child being registered.")
class GuardianInput:
    full_name: str = strawberry.field(description="Full name.")
    relationship: models.GuardianRelationship = strawberry.field(description="Relationship to the child.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    is_primary: bool = strawberry.field(
        default=False, description="The primary guardian (at most one; the first one if none is marked)."
    )
    consents: list[models.ConsentPurpose] = strawberry.field(
        default_factory=list,
        description="What this guardian consents to. A guardian's consent to REGISTRATION is required "
        "when the child has a guardian.",
    )


@strawberry.input(description="A household registered with the child, in the child's jurisdiction.")
class NewHouseholdInput:
    size: int = strawberry.field(description="Number of people in it (1-100).")


@strawberry.input(
    description="A child to register: identity, guardians, household and consents. Give the date of birth "
    "or, when it is not known, the (estimated) birth year; the child must be under 18."
)
class RegisterChildInput:
    jurisdiction_code: str = strawberry.field(description="Where the child lives (a jurisdiction code).")
    sex: models.Sex = strawberry.field(description="Sex as recorded.")
    full_name: str = strawberry.field(description="Full name as commonly written.")
    given_name: str | None = strawberry.field(default=None, description="Given name.")
    family_name: str | None = strawberry.field(default=None, description="Family name.")
    father_name: str | None = strawberry.field(default=None, description="Father's name.")
    date_of_birth: dt.date | None = strawberry.field(default=None, description="Date of birth.")
    date_of_birth_estimated: bool = strawberry.field(
        default=False, description="The date of birth is an estimate."
    )
    birth_year: int | None = strawberry.field(
        default=None, description="Birth year (estimated), when the date of birth is not known."
    )
    identity_number: str | None = strawberry.field(
        default=None,
        description="National registration number (B-Form / CRC); stored encrypted. A number already "
        "registered is refused (CONFLICT).",
    )
    place_of_birth: str | None = strawberry.field(default=None, description="Place of birth.")
    address: str | None = strawberry.field(default=None, description="Address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    guardians: list[GuardianInput] = strawberry.field(
        default_factory=list, description="Parents and other guardians (at most 10)."
    )
    household_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An existing household the child belongs to."
    )
    new_household: NewHouseholdInput | None = strawberry.field(
        default=None, description="A new household to register with the child (instead of `householdId`)."
    )
    child_assents: list[models.ConsentPurpose] = strawberry.field(
        default_factory=list,
        description="What the child assents to. REGISTRATION is required from a child of 12 or older, and "
        "from any child without a guardian.",
    )
    confirm_not_duplicate: bool = strawberry.field(
        default=False,
        description="Register although similar children exist (after DUPLICATE_SUSPECTED, having looked "
        "at the candidates).",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(
    description="A correction of a child's identity, with the reason. What it replaces is kept in the "
    "history of corrections."
)
class CorrectChildIdentityInput:
    child_id: relay.GlobalID = strawberry.field(description="The child.")
    version: int = strawberry.field(
        description="The `version` of the child you read; refused with CONFLICT if it has changed since."
    )
    reason: str = strawberry.field(description="Why the identity is corrected (kept in the history).")
    full_name: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    given_name: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    family_name: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    father_name: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    sex: models.Sex | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    date_of_birth: dt.date | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    date_of_birth_estimated: bool | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    birth_year: int | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    identity_number: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    place_of_birth: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    address: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)
    phone: str | None = strawberry.field(default=strawberry.UNSET, description=CORRECTION)


@strawberry.input(description="A consent given for a child, or the child's assent.")
class RecordConsentInput:
    child_id: relay.GlobalID = strawberry.field(description="The child.")
    purpose: models.ConsentPurpose = strawberry.field(description="What it is given for.")
    given_by: models.ConsentGiver = strawberry.field(description="The child's assent, or a guardian.")
    guardian_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The guardian who gave it (a `Guardian` of the child), for GUARDIAN."
    )
    case_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The case it was sought for, if any."
    )
    given_at: dt.datetime | None = strawberry.field(
        default=None, description="When it was given, if earlier than now (on paper, say)."
    )
    note: str | None = strawberry.field(default=None, description="A note for the cases' history.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input(description="Withdraw a consent. Withdrawal is recorded; the consent is not deleted.")
class WithdrawConsentInput:
    consent_id: relay.GlobalID = strawberry.field(description="The consent (a `Consent`).")
    reason: str | None = strawberry.field(default=None, description="Why, for the cases' history.")


@strawberry.type(description="The registered child.")
class RegisterChildPayload:
    child: Child | None = strawberry.field(description="The child; null when errors are given.")
    candidates: list[Child] = strawberry.field(
        description="Children that may be this one, among those you may see: the close matches of "
        "DUPLICATE_SUSPECTED, or the holder of the identity number of a CONFLICT."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The child after the correction.")
class CorrectChildIdentityPayload:
    child: Child | None = strawberry.field(description="The child; null when errors are given.")
    candidates: list[Child] = strawberry.field(
        description="For a CONFLICT on the identity number: the child holding it, if you may see it."
    )
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The recorded consent.")
class RecordConsentPayload:
    consent: Consent | None = strawberry.field(description="The consent; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="The withdrawn consent.")
class WithdrawConsentPayload:
    consent: Consent | None = strawberry.field(description="The consent; null when errors are given.")
    errors: list[MutationError] = strawberry.field(description="Why nothing was changed.")
