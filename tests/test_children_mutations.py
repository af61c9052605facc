"""Registering children, correcting their identity, recording and withdrawing consent: through HTTP with real
tokens. Each refusal changes nothing, a child out of scope is not found, a retried registration creates once,
and withdrawn data sharing hides the child from API clients."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import from_base64, to_base64

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.db.engine import create_engine, create_session_factory
from registry.db.models import ConsentPurpose
from registry.db.queries.consents import consent_withdrawn, sharing_withdrawn
from registry.identity_numbers import load_vault
from tests.conftest import GraphQLClient, make_settings, user_token
from tests.factories import World, make_api_client, make_case, make_child, make_world

VAULT = load_vault(make_settings().keys_dir)
NUMBER = "35202-7654321-3"
TODAY = dt.date.today()

CHILD_FIELDS = """id version sex fullName dateOfBirth identityNumber jurisdiction { code }
  household { id size } guardians { id fullName relationship isPrimary }
  consents { id purpose givenBy withdrawnAt }"""
ERRORS = "errors { code field message }"

REGISTER = f"""mutation($input: RegisterChildInput!) {{ registerChild(input: $input) {{
  child {{ {CHILD_FIELDS} }} candidates {{ id fullName }} {ERRORS} }} }}"""
CORRECT = f"""mutation($input: CorrectChildIdentityInput!) {{ correctChildIdentity(input: $input) {{
  child {{ {CHILD_FIELDS} }} candidates {{ id }} {ERRORS} }} }}"""
RECORD = f"""mutation($input: RecordConsentInput!) {{ recordConsent(input: $input) {{
  consent {{ id purpose givenBy withdrawnAt guardian {{ fullName }} case {{ id }} child {{ id }} }} {ERRORS} }} }}"""
WITHDRAW = f"""mutation($input: WithdrawConsentInput!) {{ withdrawConsent(input: $input) {{
  consent {{ id purpose withdrawnAt }} {ERRORS} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { id } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


def token_of(world: World, tokens: TokenService, who: str) -> str:
    return user_token(tokens, world.users[who])


def born_aged(age: int) -> str:
    """A date of birth that makes the child exactly ``age`` today."""
    return dt.date(TODAY.year - age, 1, 1).isoformat()


def registration(**overrides: Any) -> dict[str, Any]:
    """A registration that works for a Lahore officer: an eight-year-old in a Lahore community with a mother
    who consents to registration and data sharing."""
    values: dict[str, Any] = {
        "jurisdictionCode": "PK-PB-LAHORE-UC1",
        "sex": "FEMALE",
        "fullName": "Ayesha Bibi",
        "givenName": "Ayesha",
        "fatherName": "Muhammad Aslam",
        "dateOfBirth": born_aged(8),
        "identityNumber": NUMBER,
        "placeOfBirth": "Lahore",
        "address": "House 4, Street 9, Shadbagh",
        "phone": "+92 300 1234567",
        "guardians": [
            {
                "fullName": "Nasreen Bibi",
                "relationship": "MOTHER",
                "phone": "0300-7654321",
                "consents": ["REGISTRATION", "DATA_SHARING"],
            }
        ],
        "newHousehold": {"size": 6},
    }
    return values | overrides


async def register(
    graphql: GraphQLClient, token: str, **overrides: Any
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """``(child, errors, candidates)``."""
    data = await graphql.data(REGISTER, {"input": registration(**overrides)}, token=token)
    payload = data["registerChild"]
    return payload["child"], payload["errors"], payload["candidates"]


async def registered(graphql: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    child, errors, _ = await register(graphql, token, **overrides)
    assert errors == []
    assert child is not None
    return child


def db_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def counts(owner: asyncpg.Connection[Any]) -> dict[str, int]:
    tables = ("children", "child_identities", "guardians", "households", "consents", "idempotency_keys")
    return {table: await owner.fetchval(f"SELECT count(*) FROM {table}") for table in tables}


def codes(errors: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(error["code"], error["field"]) for error in errors]


# ---------------------------------------------------------------------------------------------------------
# registerChild


async def test_an_officer_registers_a_child_with_guardians_household_and_consents(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child = await registered(graphql, token_of(world, tokens, "lahore_officer"))

    assert child["fullName"] == "Ayesha Bibi"
    assert child["identityNumber"] == "3520276543213"
    assert child["jurisdiction"] == {"code": "PK-PB-LAHORE-UC1"}
    assert child["version"] == 1
    assert child["household"]["size"] == 6
    assert [(g["fullName"], g["relationship"], g["isPrimary"]) for g in child["guardians"]] == [
        ("Nasreen Bibi", "MOTHER", True)
    ]
    assert {(c["purpose"], c["givenBy"]) for c in child["consents"]} == {
        ("REGISTRATION", "GUARDIAN"),
        ("DATA_SHARING", "GUARDIAN"),
    }
    row = await owner.fetchrow(
        "SELECT c.birth_year, c.age_at_registration, c.path::text AS path, h.path::text AS household_path"
        " FROM children c JOIN households h ON h.id = c.household_id WHERE c.id = $1",
        db_id(child["id"]),
    )
    assert row is not None
    assert (row["birth_year"], row["age_at_registration"]) == (TODAY.year - 8, 8)
    assert row["path"] == row["household_path"] == world.tree.lahore_community.path


async def test_the_identity_number_is_stored_only_encrypted_and_indexed_blind(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child = await registered(graphql, token_of(world, tokens, "lahore_officer"))

    row = await owner.fetchrow("SELECT * FROM child_identities WHERE child_id = $1", db_id(child["id"]))
    assert row is not None
    stored = " ".join(str(value) for value in dict(row).values())
    assert "3520276543213" not in stored
    assert "7654321" not in stored
    assert b"3520276543213" not in row["identity_number_ciphertext"]
    assert row["identity_number_blind_index"] == VAULT.blind_index(NUMBER)
    assert (
        VAULT.decrypt(
            row["identity_number_key_id"], row["identity_number_ciphertext"], child_id=row["child_id"]
        )
        == "3520276543213"
    )


async def test_a_registered_identity_number_is_refused_and_its_holder_shown_only_to_who_may_see_it(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    first = await registered(graphql, token_of(world, tokens, "lahore_officer"))
    before = await counts(owner)

    _, here, seen_here = await register(
        graphql,
        token_of(world, tokens, "punjab_manager"),
        fullName="Zainab Noor",
        identityNumber="3520276543213",
    )
    elsewhere_child, elsewhere, seen_elsewhere = await register(
        graphql,
        token_of(world, tokens, "karachi_officer"),
        jurisdictionCode="PK-SD-KARACHI-SOUTH",
        fullName="Zainab Noor",
    )

    assert codes(here) == [("CONFLICT", "identityNumber")]
    assert [c["id"] for c in seen_here] == [first["id"]]
    # Another province: refused all the same (one child, one number), but nothing points at the holder.
    assert elsewhere_child is None
    assert codes(elsewhere) == [("CONFLICT", "identityNumber")]
    assert seen_elsewhere == []
    assert first["id"] not in elsewhere[0]["message"]
    assert await counts(owner) == before


async def test_a_close_match_needs_confirmation_and_shows_the_candidates(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    first = await registered(graphql, officer, fullName="Muhammad Ali Khan", identityNumber=None)
    before = await counts(owner)
    similar = {"fullName": "Mohammad Ali Khan", "dateOfBirth": born_aged(9), "identityNumber": None}

    child, errors, candidates = await register(graphql, officer, **similar)
    assert child is None
    assert codes(errors) == [("DUPLICATE_SUSPECTED", "fullName")]
    assert candidates == [{"id": first["id"], "fullName": "Muhammad Ali Khan"}]
    assert await counts(owner) == before

    confirmed = await registered(graphql, officer, confirmNotDuplicate=True, **similar)
    assert confirmed["id"] != first["id"]


async def test_similar_children_elsewhere_or_of_another_age_are_no_suspected_duplicates(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    await registered(graphql, token_of(world, tokens, "lahore_officer"), fullName="Muhammad Ali Khan")
    manager = token_of(world, tokens, "punjab_manager")

    in_multan = await registered(
        graphql, manager, jurisdictionCode="PK-PB-MULTAN", fullName="Mohammad Ali Khan", identityNumber=None
    )
    much_older = await registered(
        graphql,
        manager,
        fullName="Mohammad Ali Khan",
        dateOfBirth=born_aged(15),
        identityNumber=None,
        childAssents=["REGISTRATION"],
    )

    assert in_multan["fullName"] == much_older["fullName"] == "Mohammad Ali Khan"


async def test_a_suspected_duplicate_out_of_the_callers_sight_is_not_revealed(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    # A child in conflict with the law: only its case's worker and supervisors may search its name.
    await owner.execute(
        "UPDATE child_identities SET full_name = 'Bilal Ahmed' WHERE child_id = $1", world.children["cicl"]
    )

    # Born the year the factories' children were (2014), so only the name and place decide.
    bilal = {"fullName": "Bilal Ahmed", "dateOfBirth": "2014-06-01", "childAssents": ["REGISTRATION"]}

    child, errors, _ = await register(
        graphql, token_of(world, tokens, "lahore_worker"), identityNumber=None, **bilal
    )
    _, officer_errors, candidates = await register(
        graphql, token_of(world, tokens, "lahore_officer"), identityNumber=None, **bilal
    )

    assert errors == []
    assert child is not None
    assert codes(officer_errors) == [("DUPLICATE_SUSPECTED", "fullName")]
    # The officer supervises the restricted child's case: both Bilals are candidates for them.
    assert {db_id(c["id"]) for c in candidates} == {world.children["cicl"], db_id(child["id"])}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # A guardian, but no guardian's consent to registration.
        (
            {
                "guardians": [
                    {"fullName": "Nasreen Bibi", "relationship": "MOTHER", "consents": ["DATA_SHARING"]}
                ]
            },
            "guardians",
        ),
        # No guardian, and no assent of the child.
        ({"guardians": []}, "childAssents"),
        # Twelve and older: the child's own assent besides the guardian's consent.
        ({"dateOfBirth": born_aged(13)}, "childAssents"),
    ],
)
async def test_registration_without_the_consent_it_needs_is_refused(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await counts(owner)

    child, errors, _ = await register(graphql, token_of(world, tokens, "lahore_officer"), **overrides)

    assert child is None
    assert codes(errors) == [("CONSENT_REQUIRED", field)]
    assert await counts(owner) == before


async def test_a_child_without_guardian_registers_on_its_own_assent_and_an_older_child_with_both(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    officer = token_of(world, tokens, "lahore_officer")

    alone = await registered(
        graphql, officer, guardians=[], childAssents=["REGISTRATION"], identityNumber=None, newHousehold=None
    )
    older = await registered(
        graphql, officer, fullName="Sana Iqbal", dateOfBirth=born_aged(14), childAssents=["REGISTRATION"]
    )

    assert alone["guardians"] == []
    assert alone["household"] is None
    assert [(c["purpose"], c["givenBy"]) for c in alone["consents"]] == [("REGISTRATION", "CHILD_ASSENT")]
    assert {c["givenBy"] for c in older["consents"]} == {"GUARDIAN", "CHILD_ASSENT"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"dateOfBirth": born_aged(18)}, "dateOfBirth"),
        ({"dateOfBirth": None, "birthYear": TODAY.year - 19}, "birthYear"),
        ({"dateOfBirth": None}, "birthYear"),
        ({"dateOfBirth": (TODAY + dt.timedelta(days=3)).isoformat()}, "dateOfBirth"),
        ({"birthYear": TODAY.year - 3}, "birthYear"),  # disagrees with the date of birth
        ({"identityNumber": "12"}, "identityNumber"),
        ({"fullName": "   "}, "fullName"),
        ({"phone": "call me"}, "phone"),
        ({"householdId": to_base64("Household", 1)}, "newHousehold"),
        ({"newHousehold": {"size": 0}}, "newHousehold"),
        ({"householdId": to_base64("Child", 1), "newHousehold": None}, "householdId"),
        (
            {
                "guardians": [
                    {
                        "fullName": "A",
                        "relationship": "MOTHER",
                        "isPrimary": True,
                        "consents": ["REGISTRATION"],
                    },
                    {"fullName": "B", "relationship": "FATHER", "isPrimary": True},
                ]
            },
            "guardians",
        ),
        ({"idempotencyKey": "short"}, "idempotencyKey"),
    ],
)
async def test_invalid_registrations_are_refused_with_the_field_at_fault(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await counts(owner)

    child, errors, _ = await register(graphql, token_of(world, tokens, "lahore_officer"), **overrides)

    assert child is None
    assert codes(errors) == [("VALIDATION", field)]
    assert await counts(owner) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("karachi_officer", "PK-PB-LAHORE-UC1"),  # another province
        ("lahore_worker", "PK-PB-MULTAN"),  # another district
        ("police", "PK-PB-LAHORE-UC1"),  # may read children, not register them
        ("analyst", "PK-PB-LAHORE-UC1"),
        ("lahore_officer", "PK-NOWHERE"),
    ],
)
async def test_registering_where_one_may_not_write_children_is_not_found_and_creates_nothing(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    code: str,
) -> None:
    before = await counts(owner)

    child, errors, _ = await register(graphql, token_of(world, tokens, who), jurisdictionCode=code)

    assert child is None
    assert codes(errors) == [("NOT_FOUND", "jurisdictionCode")]
    assert await counts(owner) == before


async def test_a_child_joins_an_existing_household_only_inside_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    sister = await registered(graphql, token_of(world, tokens, "lahore_officer"))
    household = sister["household"]["id"]
    brother = {"fullName": "Usman Aslam", "sex": "MALE", "identityNumber": None, "newHousehold": None}
    before = await counts(owner)

    _, refused, _ = await register(
        graphql,
        token_of(world, tokens, "karachi_officer"),
        jurisdictionCode="PK-SD-KARACHI-SOUTH",
        householdId=household,
        **brother,
    )
    assert codes(refused) == [("NOT_FOUND", "householdId")]
    assert await counts(owner) == before

    joined = await registered(
        graphql, token_of(world, tokens, "lahore_officer"), householdId=household, **brother
    )
    assert joined["household"]["id"] == household
    members = await graphql.data(
        "query($id: ID!) { node(id: $id) { ... on Household { children { id } } } }",
        {"id": household},
        token=token_of(world, tokens, "lahore_officer"),
    )
    assert {c["id"] for c in members["node"]["children"]} == {sister["id"], joined["id"]}


async def test_a_retried_registration_with_the_same_key_returns_the_same_child_once(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    before = await counts(owner)

    first = await registered(graphql, officer, idempotencyKey="register-ayesha-0001")
    again = await registered(graphql, officer, idempotencyKey="register-ayesha-0001")
    _, clash, _ = await register(
        graphql, officer, idempotencyKey="register-ayesha-0001", fullName="Other Name"
    )

    assert again["id"] == first["id"]
    assert codes(clash) == [("CONFLICT", "idempotencyKey")]
    after = await counts(owner)
    assert after["children"] == before["children"] + 1
    assert after["households"] == before["households"] + 1
    assert after["consents"] == before["consents"] + 2
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1


# ---------------------------------------------------------------------------------------------------------
# correctChildIdentity


async def test_a_correction_keeps_what_it_replaced_with_the_reason(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    child = await registered(graphql, officer)
    old = await owner.fetchrow(
        "SELECT identity_number_ciphertext, identity_number_key_id FROM child_identities WHERE child_id = $1",
        db_id(child["id"]),
    )
    assert old is not None

    data = await graphql.data(
        CORRECT,
        {
            "input": {
                "childId": child["id"],
                "version": child["version"],
                "reason": "Name and B-Form number as on the NADRA certificate",
                "fullName": "Aisha Bibi",
                "identityNumber": "35202-1111111-1",
                "phone": None,
            }
        },
        token=officer,
    )

    payload = data["correctChildIdentity"]
    assert payload["errors"] == []
    assert payload["child"]["fullName"] == "Aisha Bibi"
    assert payload["child"]["identityNumber"] == "3520211111111"
    assert payload["child"]["version"] == child["version"] + 1
    history = await owner.fetch(
        "SELECT version, previous, reason, changed_by_user_id FROM child_identity_history WHERE child_id = $1",
        db_id(child["id"]),
    )
    assert len(history) == 1
    previous = json.loads(history[0]["previous"])
    assert history[0]["version"] == 1
    assert history[0]["reason"] == "Name and B-Form number as on the NADRA certificate"
    assert history[0]["changed_by_user_id"] == world.users["lahore_officer"]
    assert previous["full_name"] == "Ayesha Bibi"
    assert previous["phone"] == "+92 300 1234567"
    assert previous["identity_number_key_id"] == old["identity_number_key_id"]
    assert "3520276543213" not in history[0]["previous"]
    assert previous["corrected"] == ["fullName", "identityNumber", "phone"]
    # The old number is free again; the new one is taken.
    _, errors, _ = await register(graphql, officer, fullName="Someone Else", dateOfBirth=born_aged(3))
    assert errors == []


async def test_a_correction_of_the_date_of_birth_moves_the_birth_year(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    child = await registered(graphql, officer)

    data = await graphql.data(
        CORRECT,
        {
            "input": {
                "childId": child["id"],
                "version": child["version"],
                "reason": "Birth certificate found",
                "dateOfBirth": born_aged(6),
            }
        },
        token=officer,
    )

    assert data["correctChildIdentity"]["errors"] == []
    row = await owner.fetchrow(
        "SELECT birth_year, age_at_registration FROM children WHERE id = $1", db_id(child["id"])
    )
    assert row is not None
    assert tuple(row) == (TODAY.year - 6, 6)


async def correction_errors(
    graphql: GraphQLClient, token: str, child_id: str, **fields: Any
) -> list[tuple[str, str | None]]:
    data = await graphql.data(
        CORRECT,
        {"input": {"childId": child_id, "reason": "Correction", "version": 1} | fields},
        token=token,
    )
    payload = data["correctChildIdentity"]
    assert payload["child"] is None
    return codes(payload["errors"])


async def test_corrections_refused_change_nothing(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    child = await registered(graphql, officer)
    other = await registered(
        graphql, officer, fullName="Farah Naz", identityNumber="4210112345671", dateOfBirth=born_aged(3)
    )
    snapshot = "SELECT c.*, i.* FROM children c JOIN child_identities i ON i.child_id = c.id WHERE c.id = $1"
    before = dict(await owner.fetchrow(snapshot, db_id(child["id"])) or {})
    cid = child["id"]

    assert await correction_errors(graphql, officer, cid, version=7, fullName="X Y") == [
        ("CONFLICT", "version")
    ]
    assert await correction_errors(graphql, officer, cid, identityNumber="42101-1234567-1") == [
        ("CONFLICT", "identityNumber")
    ]
    assert await correction_errors(graphql, officer, cid, fullName="Ayesha  Bibi") == [
        ("VALIDATION", "childId")
    ]
    assert await correction_errors(graphql, officer, cid, reason=" ", fullName="X Y") == [
        ("VALIDATION", "reason")
    ]
    assert await correction_errors(graphql, officer, cid, fullName=None) == [("VALIDATION", "fullName")]
    assert await correction_errors(graphql, officer, cid, dateOfBirth="2001-05-05") == [
        ("VALIDATION", "dateOfBirth")
    ]
    assert await correction_errors(graphql, officer, cid, childId=to_base64("Case", 1), fullName="X Y") == [
        ("VALIDATION", "childId")
    ]
    # Out of scope, without the right to write children, or not in charge of a restricted identity.
    assert await correction_errors(
        graphql, token_of(world, tokens, "karachi_officer"), cid, fullName="X Y"
    ) == [("NOT_FOUND", "childId")]
    assert await correction_errors(graphql, token_of(world, tokens, "police"), cid, fullName="X Y") == [
        ("NOT_FOUND", "childId")
    ]
    cicl = to_base64("Child", world.children["cicl"])
    assert await correction_errors(
        graphql, token_of(world, tokens, "lahore_worker"), cicl, fullName="X Y"
    ) == [("NOT_FOUND", "childId")]
    assert dict(await owner.fetchrow(snapshot, db_id(child["id"])) or {}) == before
    assert await owner.fetchval("SELECT count(*) FROM child_identity_history") == 0
    assert other["id"] != cid


async def test_the_worker_of_a_restricted_childs_case_may_correct_its_identity(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    cicl = to_base64("Child", world.children["cicl"])

    data = await graphql.data(
        CORRECT,
        {"input": {"childId": cicl, "version": 1, "reason": "Spelling", "fullName": "Child C. I. C. L."}},
        token=token_of(world, tokens, "other_worker"),
    )

    assert data["correctChildIdentity"]["errors"] == []
    assert (
        await owner.fetchval(
            "SELECT full_name FROM child_identities WHERE child_id = $1", world.children["cicl"]
        )
        == "Child C. I. C. L."
    )


# ---------------------------------------------------------------------------------------------------------
# recordConsent and withdrawConsent


async def case_events(owner: asyncpg.Connection[Any], case_id: int) -> list[tuple[str, Any]]:
    rows = await owner.fetch(
        "SELECT type::text, data FROM case_events WHERE case_id = $1 AND type::text LIKE 'CONSENT_%' ORDER BY id",
        case_id,
    )
    return [(row["type"], json.loads(row["data"])) for row in rows]


async def guardian_of(owner: asyncpg.Connection[Any], child_id: int, name: str = "Abdul Ghani") -> int:
    guardian_id: int = await owner.fetchval(
        "INSERT INTO guardians (child_id, full_name, relationship, is_primary) VALUES ($1, $2, 'FATHER', true)"
        " RETURNING id",
        child_id,
        name,
    )
    return guardian_id


async def test_a_guardians_consent_is_recorded_and_noted_on_the_childs_open_cases(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child_id, case_id = world.children["lahore"], world.cases["lahore"]
    guardian = await guardian_of(owner, child_id)
    closed = await make_case(owner, child_id, world.tree.lahore_community, stage="CLOSED")

    data = await graphql.data(
        RECORD,
        {
            "input": {
                "childId": to_base64("Child", child_id),
                "purpose": "REFERRAL",
                "givenBy": "GUARDIAN",
                "guardianId": to_base64("Guardian", guardian),
                "caseId": to_base64("Case", case_id),
                "note": "Father agreed at the home visit",
            }
        },
        token=token_of(world, tokens, "lahore_worker"),
    )

    payload = data["recordConsent"]
    assert payload["errors"] == []
    consent = payload["consent"]
    assert (consent["purpose"], consent["withdrawnAt"]) == ("REFERRAL", None)
    assert consent["guardian"] == {"fullName": "Abdul Ghani"}
    assert consent["case"] == {"id": to_base64("Case", case_id)}
    assert consent["child"] == {"id": to_base64("Child", child_id)}
    consent_id = db_id(consent["id"])
    assert await case_events(owner, case_id) == [
        ("CONSENT_RECORDED", {"consentId": consent_id, "purpose": "REFERRAL", "givenBy": "GUARDIAN"})
    ]
    assert await case_events(owner, closed) == []
    found = await graphql.data(
        "query($id: ID!) { node(id: $id) { ... on Consent { id purpose givenBy } } }",
        {"id": consent["id"]},
        token=token_of(world, tokens, "lahore_officer"),
    )
    assert found["node"] == {"id": consent["id"], "purpose": "REFERRAL", "givenBy": "GUARDIAN"}


async def test_a_retried_consent_with_the_same_key_is_recorded_once(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    given = {
        "childId": to_base64("Child", world.children["lahore"]),
        "purpose": "DATA_SHARING",
        "givenBy": "CHILD_ASSENT",
        "idempotencyKey": "assent-lahore-0001",
    }

    first = (await graphql.data(RECORD, {"input": given}, token=officer))["recordConsent"]
    again = (await graphql.data(RECORD, {"input": given}, token=officer))["recordConsent"]
    other = (await graphql.data(RECORD, {"input": given | {"purpose": "REFERRAL"}}, token=officer))[
        "recordConsent"
    ]

    assert first["errors"] == again["errors"] == []
    assert again["consent"]["id"] == first["consent"]["id"]
    assert codes(other["errors"]) == [("CONFLICT", "idempotencyKey")]
    assert (
        await owner.fetchval("SELECT count(*) FROM consents WHERE child_id = $1", world.children["lahore"])
        == 1
    )
    assert len(await case_events(owner, world.cases["lahore"])) == 1


async def test_refused_consents_record_nothing(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    child = to_base64("Child", world.children["lahore"])
    stranger = await guardian_of(owner, world.children["cicl"], "Someone Else")
    await graphql.data(
        RECORD, {"input": {"childId": child, "purpose": "REFERRAL", "givenBy": "CHILD_ASSENT"}}, token=officer
    )
    before = await counts(owner)
    events = await owner.fetchval("SELECT count(*) FROM case_events")

    async def refused(token: str = officer, **fields: Any) -> list[tuple[str, str | None]]:
        given = {"childId": child, "purpose": "DATA_SHARING", "givenBy": "CHILD_ASSENT"} | fields
        payload = (await graphql.data(RECORD, {"input": given}, token=token))["recordConsent"]
        assert payload["consent"] is None
        return codes(payload["errors"])

    assert await refused(givenBy="GUARDIAN") == [("VALIDATION", "guardianId")]
    assert await refused(guardianId=to_base64("Guardian", stranger)) == [("VALIDATION", "guardianId")]
    assert await refused(givenBy="GUARDIAN", guardianId=to_base64("Guardian", stranger)) == [
        ("NOT_FOUND", "guardianId")
    ]
    assert await refused(caseId=to_base64("Case", world.cases["cicl"])) == [("NOT_FOUND", "caseId")]
    assert await refused(givenAt=(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()) == [
        ("VALIDATION", "givenAt")
    ]
    assert await refused(purpose="REFERRAL") == [("CONFLICT", "purpose")]
    assert await refused(token_of(world, tokens, "karachi_officer")) == [("NOT_FOUND", "childId")]
    assert await refused(token_of(world, tokens, "police")) == [("NOT_FOUND", "childId")]
    assert await counts(owner) == before
    assert await owner.fetchval("SELECT count(*) FROM case_events") == events


async def record(graphql: GraphQLClient, token: str, child_id: int, purpose: str) -> str:
    given = {"childId": to_base64("Child", child_id), "purpose": purpose, "givenBy": "CHILD_ASSENT"}
    payload = (await graphql.data(RECORD, {"input": given}, token=token))["recordConsent"]
    assert payload["errors"] == []
    consent_id: str = payload["consent"]["id"]
    return consent_id


async def withdraw(
    graphql: GraphQLClient, token: str, consent_id: str, reason: str | None = None
) -> dict[str, Any]:
    data = await graphql.data(WITHDRAW, {"input": {"consentId": consent_id, "reason": reason}}, token=token)
    payload: dict[str, Any] = data["withdrawConsent"]
    return payload


async def test_a_withdrawal_is_recorded_once_and_noted_on_the_open_cases(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    consent = await record(graphql, officer, world.children["lahore"], "REFERRAL")

    done = await withdraw(graphql, officer, consent, "The family moved away")
    again = await withdraw(graphql, officer, consent)

    assert done["errors"] == []
    assert done["consent"]["withdrawnAt"] is not None
    assert again["consent"] is None
    assert codes(again["errors"]) == [("INVALID_TRANSITION", "consentId")]
    events = await case_events(owner, world.cases["lahore"])
    assert [event for event, _ in events] == ["CONSENT_RECORDED", "CONSENT_WITHDRAWN"]
    note = await owner.fetchval(
        "SELECT note FROM case_events WHERE case_id = $1 AND type = 'CONSENT_WITHDRAWN'",
        world.cases["lahore"],
    )
    assert note == "The family moved away"
    assert await owner.fetchval("SELECT count(*) FROM consents") == 1


async def test_withdrawing_a_consent_out_of_scope_is_not_found_and_changes_nothing(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    consent = await record(
        graphql, token_of(world, tokens, "lahore_officer"), world.children["lahore"], "REFERRAL"
    )

    outside = await withdraw(graphql, token_of(world, tokens, "karachi_officer"), consent)
    reader = await withdraw(graphql, token_of(world, tokens, "police"), consent)
    wrong_type = await withdraw(graphql, token_of(world, tokens, "lahore_officer"), to_base64("Case", 1))
    unknown = await withdraw(graphql, token_of(world, tokens, "lahore_officer"), to_base64("Consent", 999999))

    assert codes(outside["errors"]) == codes(reader["errors"]) == [("NOT_FOUND", "consentId")]
    assert codes(unknown["errors"]) == [("NOT_FOUND", "consentId")]
    assert codes(wrong_type["errors"]) == [("VALIDATION", "consentId")]
    assert await owner.fetchval("SELECT count(*) FROM consents WHERE withdrawn_at IS NOT NULL") == 0
    assert [e for e, _ in await case_events(owner, world.cases["lahore"])] == ["CONSENT_RECORDED"]


# ---------------------------------------------------------------------------------------------------------
# What withdrawal stops


async def client_token(
    owner: asyncpg.Connection[Any], world: World, tokens: TokenService, scopes: str
) -> str:
    """An API client of the Lahore district, created by its officer, holding ``scopes``."""
    organisation = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["lahore_officer"]
    )
    client_db_id, client_id = await make_api_client(
        owner,
        world.tree.lahore,
        organisation_id=organisation,
        created_by=world.users["lahore_officer"],
        scopes=scopes.split(),
    )
    token, _ = tokens.issue(PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope=scopes)
    return token


SEEN = """query($id: ID!, $household: ID!) {
  children(first: 50) { edges { node { id } } }
  node(id: $id) { id }
  household: node(id: $household) { ... on Household { children { id } } } }"""


async def test_withdrawn_data_sharing_hides_the_child_from_api_clients_but_not_from_officers(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    client = await client_token(owner, world, tokens, "children:read")
    child = await registered(graphql, officer)
    sharing = next(c["id"] for c in child["consents"] if c["purpose"] == "DATA_SHARING")
    variables = {"id": child["id"], "household": child["household"]["id"]}

    async def seen_by(token: str) -> tuple[bool, bool, bool]:
        data = await graphql.data(SEEN, variables, token=token)
        listed = child["id"] in {edge["node"]["id"] for edge in data["children"]["edges"]}
        in_household = child["id"] in {c["id"] for c in (data["household"] or {}).get("children", [])}
        return listed, data["node"] is not None, in_household

    assert await seen_by(client) == (True, True, True)
    assert (await graphql.data(NODE, {"id": sharing}, token=client))["node"] == {"id": sharing}

    assert (await withdraw(graphql, officer, sharing))["errors"] == []

    assert await seen_by(client) == (False, False, False)
    assert (await graphql.data(NODE, {"id": sharing}, token=client))["node"] is None
    assert await seen_by(officer) == (True, True, True)
    # Other children stay visible to the client.
    listed = await graphql.data(SEEN, variables, token=client)
    assert to_base64("Child", world.children["lahore"]) in {
        e["node"]["id"] for e in listed["children"]["edges"]
    }


async def test_data_sharing_given_again_after_withdrawal_shares_the_child_again(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    client = await client_token(owner, world, tokens, "children:read")
    child_id = world.children["lahore"]
    global_id = to_base64("Child", child_id)
    first = await record(graphql, officer, child_id, "DATA_SHARING")
    await withdraw(graphql, officer, first)
    assert (await graphql.data(NODE, {"id": global_id}, token=client))["node"] is None

    await record(graphql, officer, child_id, "DATA_SHARING")

    assert (await graphql.data(NODE, {"id": global_id}, token=client))["node"] == {"id": global_id}


@pytest.fixture
async def owner_session(database: URL) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def test_withdrawn_referral_or_sharing_consent_stops_sharing_until_given_again(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    owner_session: AsyncSession,
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    child_id = world.children["lahore"]
    untouched = world.children["karachi"]
    assert not await sharing_withdrawn(owner_session, child_id)

    referral = await record(graphql, officer, child_id, "REFERRAL")
    # Two givers: the guardian's withdrawal counts although the child's assent still stands.
    guardian = await guardian_of(owner, child_id)
    given = {
        "childId": to_base64("Child", child_id),
        "purpose": "REFERRAL",
        "givenBy": "GUARDIAN",
        "guardianId": to_base64("Guardian", guardian),
    }
    by_guardian = (await graphql.data(RECORD, {"input": given}, token=officer))["recordConsent"]["consent"][
        "id"
    ]
    await withdraw(graphql, officer, by_guardian)
    await owner_session.rollback()

    assert await sharing_withdrawn(owner_session, child_id)
    assert await consent_withdrawn(owner_session, child_id, ConsentPurpose.REFERRAL)
    assert not await consent_withdrawn(owner_session, child_id, ConsentPurpose.DATA_SHARING)
    assert not await sharing_withdrawn(owner_session, untouched)

    await withdraw(graphql, officer, referral)
    await record(graphql, officer, child_id, "REFERRAL")
    await owner_session.rollback()

    assert not await sharing_withdrawn(owner_session, child_id)


async def test_an_unnamed_child_can_be_given_its_identity_by_correction(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child_id = await make_child(owner, world.tree.lahore_community, age=5)

    data = await graphql.data(
        CORRECT,
        {
            "input": {
                "childId": to_base64("Child", child_id),
                "version": 1,
                "reason": "Identified",
                "fullName": "Hina",
            }
        },
        token=token_of(world, tokens, "lahore_officer"),
    )

    assert data["correctChildIdentity"]["errors"] == []
    assert data["correctChildIdentity"]["child"]["fullName"] == "Hina"
    previous = await owner.fetchval(
        "SELECT previous FROM child_identity_history WHERE child_id = $1", child_id
    )
    assert '"full_name"' not in previous


async def test_a_guardian_is_found_by_id_only_by_who_may_see_the_childs_identity(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    child = await registered(graphql, token_of(world, tokens, "lahore_officer"))
    guardian = child["guardians"][0]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Guardian { id fullName } } }"

    async def found_by(who: str) -> Any:
        return (await graphql.data(query, {"id": guardian}, token=token_of(world, tokens, who)))["node"]

    assert await found_by("punjab_manager") == {"id": guardian, "fullName": "Nasreen Bibi"}
    assert await found_by("police") is None  # sees the child, not its identity
    assert await found_by("karachi_officer") is None
