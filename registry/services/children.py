"""Children: registration (identity, guardians, household, consents) with duplicate detection, corrections
of identity that keep what they replace, and consents recorded and withdrawn.

Duplicates: the same identity number (compared by its blind index) is the same child, and registration is
refused. A similar name, a birth year within one year and the same district make a *suspected* duplicate:
registration stops and shows the candidates the caller may see, and goes on only when the caller confirms
it is another child. Identity numbers are kept only encrypted (see :mod:`registry.identity_numbers`).

Consent to registration: from a guardian when the child has one, otherwise the child's own assent; and a
child of :data:`ASSENT_AGE` or older must assent as well (the age from which the child's own view is sought,
after the Convention on the Rights of the Child, art. 12, and common child protection practice).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import (
    CaseInCharge,
    can_see_identity,
    cases_open_to,
    child_filter,
    identity_search_filter,
    scope_filter,
)
from registry.auth.principal import Principal
from registry.db.models import (
    Case,
    CaseEventType,
    CaseKind,
    CaseStage,
    Child,
    ChildIdentity,
    ChildIdentityHistory,
    Consent,
    ConsentGiver,
    ConsentPurpose,
    GuardianRelationship,
    Household,
    Sex,
)
from registry.db.queries import cases as case_queries
from registry.db.queries import children as child_queries
from registry.db.queries import consents as consent_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.errors import (
    Conflict,
    ConsentRequired,
    DuplicateSuspected,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from registry.identity_numbers import IdentityNumberVault, normalise_identity_number
from registry.services.audit import note_change
from registry.services.common import Actor, clean_text, expect_version, now, record_case_event, require
from registry.services.idempotency import create_once

# From this age a child's own assent to registration is needed besides a guardian's consent.
ASSENT_AGE = 12
MAX_GUARDIANS = 10
# Suspected duplicates shown at most; the most similar names first.
MAX_CANDIDATES = 10
EARLIEST_BIRTH_DATE = dt.date(1990, 1, 1)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,31}$")
_LIMITS = {
    "fullName": 300,
    "givenName": 150,
    "familyName": 150,
    "fatherName": 300,
    "guardians": 300,
    "placeOfBirth": 200,
    "address": 1000,
    "reason": 4000,
    "note": 4000,
}
_NAMES = frozenset({"fullName", "givenName", "familyName", "fatherName", "guardians"})
_BLIND_INDEX_CONSTRAINT = "uq_child_identities_identity_number_blind_index"


class IdentityNumberTaken(Conflict):
    """The identity number is registered to another child: ``holder`` names that child when the caller
    may see it (it is None otherwise, and the refusal says no more)."""

    def __init__(self, holder: int | None) -> None:
        message = "This identity number is already registered to another child"
        message += "; it is listed in `candidates`." if holder is not None else "."
        super().__init__(message, field="identityNumber")
        self.holder = holder


class Keep(enum.Enum):
    """A correction leaves the field as it is (the field was not given)."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class GuardianEntry:
    full_name: str
    relationship: GuardianRelationship
    phone: str | None = None
    is_primary: bool = False
    # What this guardian consents to.
    consents: tuple[ConsentPurpose, ...] = ()


@dataclass(frozen=True, slots=True)
class Registration:
    """What registering a child records."""

    jurisdiction_code: str
    sex: Sex
    full_name: str
    given_name: str | None = None
    family_name: str | None = None
    father_name: str | None = None
    date_of_birth: dt.date | None = None
    date_of_birth_estimated: bool = False
    birth_year: int | None = None
    identity_number: str | None = None
    place_of_birth: str | None = None
    address: str | None = None
    phone: str | None = None
    guardians: tuple[GuardianEntry, ...] = ()
    household_id: int | None = None
    new_household_size: int | None = None
    # What the child assents to.
    child_assents: tuple[ConsentPurpose, ...] = ()


@dataclass(frozen=True, slots=True)
class IdentityCorrection:
    """The fields to correct; :data:`KEEP` leaves one as it is, None clears an optional one."""

    full_name: str | Keep | None = KEEP
    given_name: str | Keep | None = KEEP
    family_name: str | Keep | None = KEEP
    father_name: str | Keep | None = KEEP
    sex: Sex | Keep | None = KEEP
    date_of_birth: dt.date | Keep | None = KEEP
    date_of_birth_estimated: bool | Keep | None = KEEP
    birth_year: int | Keep | None = KEEP
    identity_number: str | Keep | None = KEEP
    place_of_birth: str | Keep | None = KEEP
    address: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP


# ---------------------------------------------------------------------------------------------------------
# Checks of input


def _text(value: str | None, *, field: str, required: bool = False) -> str | None:
    # Names are compared by similarity: runs of spaces are one space there.
    if field in _NAMES and value is not None:
        value = " ".join(value.split())
    return clean_text(value, field=field, required=required, limit=_LIMITS[field])


def _phone(value: str | None, *, field: str) -> str | None:
    cleaned = value.strip() if value is not None else None
    if not cleaned:
        return None
    if not _PHONE.fullmatch(cleaned):
        raise InvalidInput("A phone number has 5 to 32 digits, spaces, '-', '(' or ')'.", field=field)
    return cleaned


def _years_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - (1 if (on.month, on.day) < (born.month, born.day) else 0)


def _birth(date_of_birth: dt.date | None, birth_year: int | None, registered_on: dt.date) -> tuple[int, int]:
    """``(birth year, age at registration)`` from a date of birth or a (possibly estimated) birth year.
    A birth year alone counts from 1 July, as age bands do; the registry is for children under 18."""
    if date_of_birth is not None:
        if birth_year is not None and birth_year != date_of_birth.year:
            raise InvalidInput("The birth year differs from the date of birth's year.", field="birthYear")
        if date_of_birth > registered_on:
            raise InvalidInput("A date of birth cannot lie in the future.", field="dateOfBirth")
        if date_of_birth < EARLIEST_BIRTH_DATE:
            raise InvalidInput("The registry is for children under 18.", field="dateOfBirth")
        year, age, field = date_of_birth.year, _years_on(date_of_birth, registered_on), "dateOfBirth"
    elif birth_year is not None:
        if birth_year > registered_on.year:
            raise InvalidInput("A birth year cannot lie in the future.", field="birthYear")
        mid_year = dt.date(registered_on.year, 7, 1)
        year, field = birth_year, "birthYear"
        age = max(registered_on.year - birth_year - (1 if registered_on < mid_year else 0), 0)
    else:
        raise InvalidInput(
            "Give the date of birth or, if unknown, the (estimated) birth year.", field="birthYear"
        )
    if age > 17:
        raise InvalidInput(
            "The registry is for children under 18 on the day they are registered.", field=field
        )
    return year, age


def _guardians(entries: Sequence[GuardianEntry]) -> list[GuardianEntry]:
    """Checked and cleaned; the first is primary when none is marked."""
    if len(entries) > MAX_GUARDIANS:
        raise InvalidInput(f"At most {MAX_GUARDIANS} guardians.", field="guardians")
    if sum(entry.is_primary for entry in entries) > 1:
        raise InvalidInput("At most one guardian is primary.", field="guardians")
    cleaned = [
        dataclasses.replace(
            entry,
            full_name=_text(entry.full_name, field="guardians", required=True) or "",
            phone=_phone(entry.phone, field="guardians"),
            consents=tuple(dict.fromkeys(entry.consents)),
        )
        for entry in entries
    ]
    if cleaned and not any(entry.is_primary for entry in cleaned):
        cleaned[0] = dataclasses.replace(cleaned[0], is_primary=True)
    return cleaned


def _require_registration_consent(
    guardians: Sequence[GuardianEntry], child_assents: Sequence[ConsentPurpose], age: int
) -> None:
    if guardians and not any(ConsentPurpose.REGISTRATION in g.consents for g in guardians):
        raise ConsentRequired("A guardian's consent to registration is needed.", field="guardians")
    assented = ConsentPurpose.REGISTRATION in child_assents
    if not guardians and not assented:
        raise ConsentRequired(
            "Without a guardian, the child's own assent to registration is needed.", field="childAssents"
        )
    if age >= ASSENT_AGE and not assented:
        raise ConsentRequired(
            f"A child of {ASSENT_AGE} or older must assent to registration as well.", field="childAssents"
        )


# ---------------------------------------------------------------------------------------------------------
# Shared steps


async def _refuse_taken_identity_number(
    session: AsyncSession, principal: Principal, blind_index: bytes, *, child_id: int | None = None
) -> None:
    """Refuse a number another child holds; name that child only if the caller may see it and search its
    identity (a restricted child's number must not point at it)."""
    holder = await child_queries.identity_number_holder(session, blind_index, excluding_child_id=child_id)
    if holder is None:
        return
    visible = and_(
        child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id),
        identity_search_filter(principal, Child.path, Child.id, Child.identity_restricted),
    )
    seen = await child_queries.children_by_ids(session, visible, [holder])
    raise IdentityNumberTaken(holder if holder in seen else None)


@contextlib.contextmanager
def _identity_number_clash() -> Iterator[None]:
    """Turn a clash on the identity number's unique index (a holder out of the transaction's sight, or a
    concurrent registration) into the refusal it is."""
    try:
        yield
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)
        if constraint == _BLIND_INDEX_CONSTRAINT:
            raise IdentityNumberTaken(None) from None
        raise


async def _flush_identity(session: AsyncSession) -> None:
    with _identity_number_clash():
        await session.flush()


def _identity_snapshot(identity: ChildIdentity | None, child: Child) -> dict[str, Any]:
    """The identity as it is, for the history: the identity number only as its ciphertext and key id."""
    snapshot: dict[str, Any] = {
        "sex": child.sex.value,
        "birth_year": child.birth_year,
        "age_at_registration": child.age_at_registration,
    }
    if identity is None:
        return snapshot
    ciphertext = identity.identity_number_ciphertext
    return snapshot | {
        "full_name": identity.full_name,
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "father_name": identity.father_name,
        "date_of_birth": identity.date_of_birth.isoformat() if identity.date_of_birth else None,
        "date_of_birth_estimated": identity.date_of_birth_estimated,
        "identity_number_ciphertext": base64.b64encode(ciphertext).decode() if ciphertext else None,
        "identity_number_key_id": identity.identity_number_key_id,
        "place_of_birth": identity.place_of_birth,
        "address": identity.address,
        "phone": identity.phone,
    }


async def _record_on_cases(
    session: AsyncSession,
    principal: Principal,
    consent: Consent,
    type: CaseEventType,
    *,
    note: str | None,
) -> list[int]:
    """Note a consent's change on the child's open cases in the principal's writing scope, and on the case
    the consent names (even if that one is closed)."""
    visible = scope_filter(principal, Permission.CHILDREN_WRITE, Case.path)
    cases = (await case_queries.cases_by_child_ids(session, visible, [consent.child_id]))[consent.child_id]
    ids = [case.id for case in cases if case.stage is not CaseStage.CLOSED or case.id == consent.case_id]
    if consent.case_id is not None and consent.case_id not in ids:
        ids.append(consent.case_id)
    data = {"consentId": consent.id, "purpose": consent.purpose.value, "givenBy": consent.given_by.value}
    actor = Actor.of(principal)
    for case_id in sorted(ids):
        await record_case_event(session, case_id, type, actor, data=data, note=note)
    return ids


# ---------------------------------------------------------------------------------------------------------
# Registration


async def register_child(
    session: AsyncSession,
    principal: Principal,
    vault: IdentityNumberVault,
    registration: Registration,
    *,
    confirm_not_duplicate: bool,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Register a child in a jurisdiction where the principal may write children. ``(child id,
    replayed)``. Refused when the identity number is registered already (CONFLICT), when close matches
    exist and are not confirmed as other children (DUPLICATE_SUSPECTED) and when consent is missing."""
    today = now().date()
    r = registration
    full_name = _text(r.full_name, field="fullName", required=True) or ""
    names = {
        "given_name": _text(r.given_name, field="givenName"),
        "family_name": _text(r.family_name, field="familyName"),
        "father_name": _text(r.father_name, field="fatherName"),
        "place_of_birth": _text(r.place_of_birth, field="placeOfBirth"),
        "address": _text(r.address, field="address"),
        "phone": _phone(r.phone, field="phone"),
    }
    birth_year, age = _birth(r.date_of_birth, r.birth_year, today)
    number = normalise_identity_number(r.identity_number) if r.identity_number is not None else None
    blind_index = vault.blind_index(number) if number is not None else None
    guardians = _guardians(r.guardians)
    child_assents = tuple(dict.fromkeys(r.child_assents))
    if r.household_id is not None and r.new_household_size is not None:
        raise InvalidInput("Give an existing household or a new one, not both.", field="newHousehold")
    if r.new_household_size is not None and not 1 <= r.new_household_size <= 100:
        raise InvalidInput("A household has 1 to 100 people.", field="newHousehold")
    _require_registration_consent(guardians, child_assents, age)

    async def create() -> int:
        jurisdiction = await jurisdiction_queries.jurisdiction_by_code(session, r.jurisdiction_code)
        if jurisdiction is None:
            raise NotFound("No such jurisdiction.", field="jurisdictionCode")
        path = jurisdiction.path
        require(principal, Permission.CHILDREN_WRITE, path, what="jurisdiction", field="jurisdictionCode")
        household_id = r.household_id
        if household_id is not None:
            writable = scope_filter(principal, Permission.CHILDREN_WRITE, Household.path)
            if household_id not in await child_queries.households_by_ids(session, writable, [household_id]):
                raise NotFound("No such household.", field="householdId")
        if blind_index is not None:
            await _refuse_taken_identity_number(session, principal, blind_index)
        if not confirm_not_duplicate:
            visible = and_(
                child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id),
                identity_search_filter(principal, Child.path, Child.id, Child.identity_restricted),
            )
            candidates = await child_queries.close_matches(
                session, visible, full_name=full_name, birth_year=birth_year, path=path, limit=MAX_CANDIDATES
            )
            if candidates:
                raise DuplicateSuspected(
                    "Children with a similar name and age are registered nearby: look at `candidates`, and "
                    "send `confirmNotDuplicate: true` if this is another child.",
                    candidates=candidates,
                    field="fullName",
                )
        if r.new_household_size is not None:
            household_id = await child_queries.next_household_id(session)
            session.add(
                Household(
                    id=household_id,
                    reference=f"HH-{today.year}-{household_id:08d}",
                    size=r.new_household_size,
                    registered_on=today,
                    jurisdiction_id=jurisdiction.id,
                    path=path,
                )
            )
            await session.flush()  # no relationship orders the inserts: the household goes first
        # The rows in two statements, out of the ORM's sight: the audit trail is told.
        child_id = await child_queries.insert_child(
            session,
            household_id=household_id,
            sex=r.sex,
            birth_year=birth_year,
            age_at_registration=age,
            registered_on=today,
            jurisdiction_id=jurisdiction.id,
            path=path,
        )
        key_id, ciphertext = vault.encrypt(number, child_id=child_id) if number is not None else (None, None)
        identity = {
            "full_name": full_name,
            "date_of_birth": r.date_of_birth,
            "date_of_birth_estimated": r.date_of_birth_estimated if r.date_of_birth is not None else True,
            "identity_number_ciphertext": ciphertext,
            "identity_number_key_id": key_id,
            "identity_number_blind_index": blind_index,
            **names,
        }
        with _identity_number_clash():
            guardian_ids, consent_ids = await child_queries.insert_identity_guardians_consents(
                session,
                child_id,
                identity,
                [
                    child_queries.NewGuardian(
                        entry.full_name, entry.relationship, entry.phone, entry.is_primary, entry.consents
                    )
                    for entry in guardians
                ],
                child_assents,
                given_at=now(),
                recorded_by_id=Actor.of(principal).user_id,
            )
        written = [("children", child_id), ("child_identities", child_id)]
        written += [("guardians", row_id) for row_id in guardian_ids]
        written += [("consents", row_id) for row_id in consent_ids]
        for table, row_id in written:
            note_change(
                session,
                table,
                row_id,
                fields=[],
                path=path if table == "children" else None,
                child_id=child_id,
                op="insert",
            )
        return child_id

    # The request as the idempotency key remembers it: the number only by its blind index.
    request = dataclasses.asdict(r) | {
        "identity_number": blind_index.hex() if blind_index is not None else None
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="registerChild", request=request, create=create
    )


# ---------------------------------------------------------------------------------------------------------
# Corrections of identity


async def _child_to_correct(session: AsyncSession, principal: Principal, child_id: int) -> Child:
    """A child whose record the principal may write and whose identity they may see; else not found."""
    writable = child_filter(principal, Permission.CHILDREN_WRITE, Child.path, Child.id)
    child = await child_queries.child_for_update(session, writable, child_id)
    if child is None:
        raise NotFound("No such child.", field="childId")
    cases: list[Case] = []
    if child.identity_restricted:
        visible = cases_open_to(principal, Permission.CASES_READ)
        cases = (await case_queries.cases_by_child_ids(session, visible, [child.id]))[child.id]
    in_charge = [
        CaseInCharge(case.path, case.kind is CaseKind.CHILD_IN_CONFLICT_WITH_LAW, case.assigned_to_id)
        for case in cases
    ]
    if not can_see_identity(principal, child.path, restricted=child.identity_restricted, cases=in_charge):
        raise NotFound("No such child.", field="childId")
    return child


async def correct_child_identity(
    session: AsyncSession,
    principal: Principal,
    vault: IdentityNumberVault,
    *,
    child_id: int,
    version: int,
    reason: str,
    correction: IdentityCorrection,
) -> Child:
    """Correct a child's identity. What it replaces is kept in ``child_identity_history`` with the reason
    and who made it; the child's ``version`` moves on."""
    why = _text(reason, field="reason", required=True)
    c = correction
    child = await _child_to_correct(session, principal, child_id)
    expect_version(child.version, version, what="child")
    identity = await child_queries.identity_for_update(session, child.id)
    previous = _identity_snapshot(identity, child)
    identity_version = identity.version if identity is not None else 0
    if identity is None:
        if isinstance(c.full_name, Keep):
            raise InvalidInput("This child has no identity yet: give the full name.", field="fullName")
        identity = ChildIdentity(child_id=child.id, full_name="", date_of_birth_estimated=False)
        session.add(identity)
    changed: list[str] = []

    def put(target: Any, attribute: str, value: Any, field: str) -> None:
        if getattr(target, attribute) != value:
            setattr(target, attribute, value)
            changed.append(field)

    if not isinstance(c.full_name, Keep):
        put(identity, "full_name", _text(c.full_name, field="fullName", required=True), "fullName")
    for attribute, field in (
        ("given_name", "givenName"),
        ("family_name", "familyName"),
        ("father_name", "fatherName"),
        ("place_of_birth", "placeOfBirth"),
        ("address", "address"),
    ):
        value = getattr(c, attribute)
        if not isinstance(value, Keep):
            put(identity, attribute, _text(value, field=field), field)
    if not isinstance(c.phone, Keep):
        put(identity, "phone", _phone(c.phone, field="phone"), "phone")
    if not isinstance(c.sex, Keep):
        if c.sex is None:
            raise InvalidInput("Sex cannot be cleared; use UNKNOWN.", field="sex")
        put(child, "sex", c.sex, "sex")
    if not isinstance(c.date_of_birth_estimated, Keep):
        put(identity, "date_of_birth_estimated", bool(c.date_of_birth_estimated), "dateOfBirthEstimated")
    if not isinstance(c.date_of_birth, Keep) or not isinstance(c.birth_year, Keep):
        date_of_birth = identity.date_of_birth if isinstance(c.date_of_birth, Keep) else c.date_of_birth
        birth_year = None if isinstance(c.birth_year, Keep) else c.birth_year
        if date_of_birth is None and birth_year is None:
            birth_year = child.birth_year
        if date_of_birth is not None and birth_year is None:
            birth_year = date_of_birth.year
        year, age = _birth(date_of_birth, birth_year, child.registered_on)
        put(identity, "date_of_birth", date_of_birth, "dateOfBirth")
        put(child, "birth_year", year, "birthYear")
        put(child, "age_at_registration", age, "birthYear")
    if not isinstance(c.identity_number, Keep):
        number = normalise_identity_number(c.identity_number) if c.identity_number is not None else None
        blind_index = vault.blind_index(number) if number is not None else None
        if blind_index != identity.identity_number_blind_index:
            if blind_index is not None:
                await _refuse_taken_identity_number(session, principal, blind_index, child_id=child.id)
            key_id, ciphertext = (
                vault.encrypt(number, child_id=child.id) if number is not None else (None, None)
            )
            identity.identity_number_key_id = key_id
            identity.identity_number_ciphertext = ciphertext
            identity.identity_number_blind_index = blind_index
            changed.append("identityNumber")
    if not changed:
        raise InvalidInput("Nothing to correct: every value given is the one recorded.", field="childId")
    actor, moment = Actor.of(principal), now()
    session.add(
        ChildIdentityHistory(
            child_id=child.id,
            version=identity_version,
            previous=previous | {"corrected": sorted(set(changed))},
            reason=why,
            changed_by_user_id=actor.user_id,
            changed_by_client_id=actor.client_id,
            changed_at=moment,
        )
    )
    identity.version = identity_version + 1
    identity.updated_at = moment
    child.version += 1
    await _flush_identity(session)
    return child


# ---------------------------------------------------------------------------------------------------------
# Consents


async def record_consent(
    session: AsyncSession,
    principal: Principal,
    *,
    child_id: int,
    purpose: ConsentPurpose,
    given_by: ConsentGiver,
    guardian_id: int | None,
    case_id: int | None,
    given_at: dt.datetime | None,
    note: str | None,
    idempotency_key: str | None,
) -> tuple[int, bool]:
    """Record a consent (or the child's assent) for a child the principal may write; the child's open cases
    get a CONSENT_RECORDED event. ``(consent id, replayed)``."""
    note = _text(note, field="note")
    if given_by is ConsentGiver.GUARDIAN and guardian_id is None:
        raise InvalidInput("A guardian's consent names the guardian.", field="guardianId")
    if given_by is ConsentGiver.CHILD_ASSENT and guardian_id is not None:
        raise InvalidInput("The child's assent names no guardian.", field="guardianId")
    moment = now()
    if given_at is not None and given_at.tzinfo is None:
        raise InvalidInput("Give the time with its offset from UTC.", field="givenAt")
    if given_at is not None and (given_at > moment or given_at.date() < EARLIEST_BIRTH_DATE):
        raise InvalidInput("Consent is recorded once given, not ahead.", field="givenAt")

    async def create() -> int:
        writable = child_filter(principal, Permission.CHILDREN_WRITE, Child.path, Child.id)
        child = (await child_queries.children_by_ids(session, writable, [child_id])).get(child_id)
        if child is None:
            raise NotFound("No such child.", field="childId")
        if guardian_id is not None:
            guardian = (await child_queries.guardians_by_ids(session, [guardian_id])).get(guardian_id)
            if guardian is None or guardian.child_id != child.id:
                raise NotFound("No such guardian of this child.", field="guardianId")
        if case_id is not None:
            visible = cases_open_to(principal, Permission.CASES_READ)
            case = (await case_queries.cases_by_ids(session, visible, [case_id])).get(case_id)
            if case is None or case.child_id != child.id:
                raise NotFound("No such case of this child.", field="caseId")
        held = await consent_queries.consent_in_force(
            session, child.id, purpose, given_by=given_by, guardian_id=guardian_id
        )
        if held is not None:
            raise Conflict(
                "This consent is already recorded and in force; withdraw it first to record it anew.",
                field="purpose",
            )
        actor = Actor.of(principal)
        consent = Consent(
            child_id=child.id,
            case_id=case_id,
            purpose=purpose,
            given_by=given_by,
            guardian_id=guardian_id,
            given_at=given_at or moment,
            recorded_by_id=actor.user_id,
        )
        session.add(consent)
        await session.flush()
        await _record_on_cases(session, principal, consent, CaseEventType.CONSENT_RECORDED, note=note)
        return consent.id

    request = {
        "childId": child_id,
        "purpose": purpose,
        "givenBy": given_by,
        "guardianId": guardian_id,
        "caseId": case_id,
        "givenAt": given_at,
        "note": note,
    }
    return await create_once(
        session, principal, key=idempotency_key, operation="recordConsent", request=request, create=create
    )


async def withdraw_consent(
    session: AsyncSession, principal: Principal, *, consent_id: int, reason: str | None
) -> Consent:
    """Withdraw a consent: recorded, never deleted. Withdrawn data sharing hides the child from API clients,
    and withdrawn data sharing or referral consent stops referrals (see
    :func:`registry.db.queries.consents.sharing_withdrawn`). The child's open cases get a CONSENT_WITHDRAWN
    event."""
    why = _text(reason, field="reason")
    writable = child_filter(principal, Permission.CHILDREN_WRITE, Child.path, Child.id)
    consent = await consent_queries.consent_for_update(session, writable, consent_id)
    if consent is None:
        raise NotFound("No such consent.", field="consentId")
    if consent.withdrawn_at is not None:
        raise InvalidTransition(
            f"This consent was withdrawn already on {consent.withdrawn_at:%Y-%m-%d}.", field="consentId"
        )
    consent.withdrawn_at = max(now(), consent.given_at)
    await session.flush()
    await _record_on_cases(session, principal, consent, CaseEventType.CONSENT_WITHDRAWN, note=why)
    return consent
