"""Administration through GraphQL with real tokens: the jurisdiction tree, organisations, institutions,
people and roles, changed only inside the principal's scope, never beyond what the principal holds, and
outside it not found with nothing changed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from strawberry.relay import to_base64

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, bearer, user_token
from tests.factories import World, make_api_client, make_institution, make_user, make_world

ERRORS = "errors { code field message }"
JURISDICTION = f"jurisdiction {{ id code name nameUr level ancestors {{ code }} }} {ERRORS}"
ORGANISATION = f"organisation {{ id code name kind jurisdiction {{ code }} }} {ERRORS}"
INSTITUTION = (
    f"institution {{ id code name type capacity active organisation {{ code }} jurisdiction {{ code }} }} "
    f"{ERRORS}"
)
USER = (
    f"user {{ id username displayName active organisation {{ code }} roles {{ role jurisdiction {{ code }} }} }} "
    f"{ERRORS}"
)
VIEWER = "{ viewer { name } }"
PASSWORD = "a long enough first password"
REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass
class Admin:
    world: World
    organisation: int
    owner: asyncpg.Connection[Any]
    graphql: GraphQLClient
    tokens: TokenService

    def token(self, who: str) -> str:
        return user_token(self.tokens, self.world.users[who])

    async def mutate(self, name: str, input: dict[str, Any], selection: str, *, who: str) -> dict[str, Any]:
        """The payload of mutation ``name``, run as staff member ``who``."""
        type_name = name[0].upper() + name[1:] + "Input"
        data = await self.graphql.data(
            f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ {selection} }} }}",
            {"input": input},
            token=self.token(who),
        )
        payload: dict[str, Any] = data[name]
        return payload

    async def count(self, table: str) -> int:
        return int(await self.owner.fetchval(f"SELECT count(*) FROM {table}"))


@pytest.fixture
async def admin(owner: asyncpg.Connection[Any], graphql: GraphQLClient, tokens: TokenService) -> Admin:
    world = await make_world(owner)
    organisation = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["admin"]
    )
    # A system administrator of Sindh only, to try Punjab with.
    world.users["sindh_admin"] = await make_user(
        owner, "SYSTEM_ADMIN", world.tree.sindh, organisation_id=organisation
    )
    return Admin(world, organisation, owner, graphql, tokens)


def organisation_id(admin: Admin) -> str:
    return to_base64("Organisation", admin.organisation)


def error(payload: dict[str, Any]) -> tuple[str, str | None]:
    assert len(payload["errors"]) == 1, payload
    found: dict[str, Any] = payload["errors"][0]
    return found["code"], found["field"]


def refused(payload: dict[str, Any], result: str) -> tuple[str, str | None]:
    """The error of a payload that changed nothing."""
    assert payload[result] is None
    return error(payload)


# ---------------------------------------------------------------------------------------- jurisdictions


def district(**overrides: Any) -> dict[str, Any]:
    return {
        "parentCode": "PK-PB",
        "code": "PK-PB-FAISALABAD",
        "name": "Faisalabad",
        "nameUr": "فیصل آباد",
        "level": "DISTRICT",
    } | overrides


async def test_an_administrator_adds_a_district_whose_path_ends_with_its_new_id(admin: Admin) -> None:
    payload = await admin.mutate("createJurisdiction", district(), JURISDICTION, who="admin")

    assert payload["errors"] == []
    node = payload["jurisdiction"]
    assert (node["code"], node["name"], node["nameUr"], node["level"]) == (
        "PK-PB-FAISALABAD",
        "Faisalabad",
        "فیصل آباد",
        "DISTRICT",
    )
    assert [a["code"] for a in node["ancestors"]] == ["PK", "PK-PB"]
    row = await admin.owner.fetchrow(
        "SELECT id, parent_id, path::text AS path FROM jurisdictions WHERE code = 'PK-PB-FAISALABAD'"
    )
    assert row is not None
    assert row["parent_id"] == admin.world.tree.punjab.id
    assert row["path"] == f"{admin.world.tree.punjab.path}.{row['id']}"
    assert node["id"] == to_base64("Jurisdiction", row["id"])


@pytest.mark.parametrize(
    ("parent", "level", "allowed"),
    [
        ("PK-PB", "DIVISIONAL", True),
        ("PK-PB-LAHORE", "TEHSIL", True),
        ("PK-PB-LAHORE", "COMMUNITY", True),  # tehsil is optional
        ("PK-PB", "COMMUNITY", False),  # a district is not
        ("PK-PB", "PROVINCIAL", False),
        ("PK-PB-LAHORE", "PROVINCIAL", False),
        ("PK", "DISTRICT", False),
        ("PK-PB", "NATIONAL", False),
    ],
)
async def test_a_new_node_sits_below_its_parents_level_skipping_only_optional_levels(
    admin: Admin, parent: str, level: str, allowed: bool
) -> None:
    before = await admin.count("jurisdictions")

    payload = await admin.mutate(
        "createJurisdiction",
        district(parentCode=parent, code="PK-NEW", level=level),
        JURISDICTION,
        who="admin",
    )

    if allowed:
        assert payload["errors"] == []
        assert payload["jurisdiction"]["level"] == level
    else:
        assert refused(payload, "jurisdiction") == ("VALIDATION", "level")
        assert await admin.count("jurisdictions") == before


async def test_a_taken_or_malformed_jurisdiction_code_is_refused(admin: Admin) -> None:
    taken = await admin.mutate("createJurisdiction", district(code="PK-PB-MULTAN"), JURISDICTION, who="admin")
    malformed = await admin.mutate(
        "createJurisdiction", district(code="pk-pb-faisalabad"), JURISDICTION, who="admin"
    )
    nameless = await admin.mutate("createJurisdiction", district(name="  "), JURISDICTION, who="admin")

    assert refused(taken, "jurisdiction") == ("CONFLICT", "code")
    assert refused(malformed, "jurisdiction") == ("VALIDATION", "code")
    assert refused(nameless, "jurisdiction") == ("VALIDATION", "name")
    assert await admin.owner.fetchval("SELECT count(*) FROM jurisdictions WHERE code LIKE 'PK-PB-%'") == 3


@pytest.mark.parametrize(
    ("who", "parent"),
    [
        ("sindh_admin", "PK-PB"),  # an administrator of another province
        ("lahore_officer", "PK-PB-LAHORE"),  # manages staff, not the tree
        ("punjab_manager", "PK-PB"),
        ("admin", "PK-NOWHERE"),
    ],
)
async def test_a_node_outside_what_one_manages_is_not_found_and_nothing_is_added(
    admin: Admin, who: str, parent: str
) -> None:
    before = await admin.count("jurisdictions")

    payload = await admin.mutate(
        "createJurisdiction", district(parentCode=parent, level="COMMUNITY"), JURISDICTION, who=who
    )

    assert refused(payload, "jurisdiction") == ("NOT_FOUND", "parentCode")
    assert await admin.count("jurisdictions") == before


async def test_a_retried_creation_with_the_same_key_returns_the_same_node_once(admin: Admin) -> None:
    request = district(idempotencyKey="retry-jurisdiction-1")

    first = await admin.mutate("createJurisdiction", request, JURISDICTION, who="admin")
    again = await admin.mutate("createJurisdiction", request, JURISDICTION, who="admin")
    reused = await admin.mutate(
        "createJurisdiction", request | {"name": "Lyallpur"}, JURISDICTION, who="admin"
    )

    assert first["errors"] == again["errors"] == []
    assert again["jurisdiction"] == first["jurisdiction"]
    assert refused(reused, "jurisdiction") == ("CONFLICT", "idempotencyKey")
    assert (
        await admin.owner.fetchval("SELECT count(*) FROM jurisdictions WHERE code = 'PK-PB-FAISALABAD'") == 1
    )


async def test_an_administrator_renames_a_node_and_clears_its_urdu_name(admin: Admin) -> None:
    await admin.owner.execute("UPDATE jurisdictions SET name_ur = 'ملتان' WHERE code = 'PK-PB-MULTAN'")

    renamed = await admin.mutate(
        "updateJurisdiction", {"code": "PK-PB-MULTAN", "name": "Multan District"}, JURISDICTION, who="admin"
    )
    cleared = await admin.mutate(
        "updateJurisdiction", {"code": "PK-PB-MULTAN", "nameUr": ""}, JURISDICTION, who="admin"
    )
    blank = await admin.mutate(
        "updateJurisdiction", {"code": "PK-PB-MULTAN", "name": " "}, JURISDICTION, who="admin"
    )

    assert (renamed["jurisdiction"]["name"], renamed["jurisdiction"]["nameUr"]) == (
        "Multan District",
        "ملتان",
    )
    assert (cleared["jurisdiction"]["name"], cleared["jurisdiction"]["nameUr"]) == ("Multan District", None)
    assert refused(blank, "jurisdiction") == ("VALIDATION", "name")
    assert (
        await admin.owner.fetchval("SELECT name FROM jurisdictions WHERE code = 'PK-PB-MULTAN'")
        == "Multan District"
    )


@pytest.mark.parametrize(
    ("who", "code"), [("sindh_admin", "PK-PB-MULTAN"), ("lahore_officer", "PK-PB-LAHORE")]
)
async def test_renaming_a_node_one_does_not_manage_is_not_found_and_changes_nothing(
    admin: Admin, who: str, code: str
) -> None:
    payload = await admin.mutate(
        "updateJurisdiction", {"code": code, "name": "Renamed"}, JURISDICTION, who=who
    )

    assert refused(payload, "jurisdiction") == ("NOT_FOUND", "code")
    assert await admin.owner.fetchval("SELECT name FROM jurisdictions WHERE code = $1", code) != "Renamed"


# ---------------------------------------------------------------------------------------- organisations


def organisation(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "NGO-SPARC",
        "name": "SPARC",
        "kind": "NGO_PARTNER",
        "jurisdictionCode": "PK-PB",
    } | overrides


async def test_an_administrator_adds_an_organisation_once_per_key(admin: Admin) -> None:
    request = organisation(idempotencyKey="retry-organisation-1")

    first = await admin.mutate("createOrganisation", request, ORGANISATION, who="admin")
    again = await admin.mutate("createOrganisation", request, ORGANISATION, who="admin")

    assert first["errors"] == []
    assert first["organisation"]["code"] == "NGO-SPARC"
    assert first["organisation"]["kind"] == "NGO_PARTNER"
    assert first["organisation"]["jurisdiction"] == {"code": "PK-PB"}
    assert again["organisation"] == first["organisation"]
    assert await admin.owner.fetchval("SELECT count(*) FROM organisations WHERE code = 'NGO-SPARC'") == 1


async def test_an_organisation_with_a_taken_code_or_no_name_or_out_of_scope_is_refused(admin: Admin) -> None:
    taken = await admin.owner.fetchval("SELECT code FROM organisations WHERE id = $1", admin.organisation)
    before = await admin.count("organisations")

    clash = await admin.mutate("createOrganisation", organisation(code=taken), ORGANISATION, who="admin")
    nameless = await admin.mutate("createOrganisation", organisation(name=""), ORGANISATION, who="admin")
    outside = await admin.mutate("createOrganisation", organisation(), ORGANISATION, who="sindh_admin")
    officer = await admin.mutate(
        "createOrganisation",
        organisation(jurisdictionCode="PK-PB-LAHORE"),
        ORGANISATION,
        who="lahore_officer",
    )

    assert refused(clash, "organisation") == ("CONFLICT", "code")
    assert refused(nameless, "organisation") == ("VALIDATION", "name")
    assert refused(outside, "organisation") == ("NOT_FOUND", "jurisdictionCode")
    assert refused(officer, "organisation") == ("NOT_FOUND", "jurisdictionCode")
    assert await admin.count("organisations") == before


# ----------------------------------------------------------------------------------------- institutions


def institution(admin: Admin, **overrides: Any) -> dict[str, Any]:
    return {
        "code": "PB-LHR-PS-01",
        "name": "Police Station Gulberg",
        "type": "POLICE_STATION",
        "organisationId": organisation_id(admin),
        "jurisdictionCode": "PK-PB-LAHORE",
        "capacity": 12,
    } | overrides


async def test_an_administrator_adds_an_institution_once_per_key(admin: Admin) -> None:
    request = institution(admin, idempotencyKey="retry-institution-1")

    first = await admin.mutate("createInstitution", request, INSTITUTION, who="admin")
    again = await admin.mutate("createInstitution", request, INSTITUTION, who="admin")

    assert first["errors"] == []
    created = first["institution"]
    assert (created["code"], created["type"], created["capacity"], created["active"]) == (
        "PB-LHR-PS-01",
        "POLICE_STATION",
        12,
        True,
    )
    assert created["jurisdiction"] == {"code": "PK-PB-LAHORE"}
    assert again["institution"] == created
    assert await admin.owner.fetchval("SELECT count(*) FROM institutions WHERE code = 'PB-LHR-PS-01'") == 1


async def test_an_institution_is_refused_with_the_field_at_fault(admin: Admin) -> None:
    lahore_ngo = await admin.owner.fetchval(
        "INSERT INTO organisations (code, name, kind, jurisdiction_id, path)"
        " VALUES ('NGO-LHR', 'Lahore NGO', 'NGO_PARTNER', $1, $2) RETURNING id",
        admin.world.tree.lahore.id,
        admin.world.tree.lahore.path,
    )
    existing = await make_institution(
        admin.owner, admin.world.tree.karachi, type="SHELTER", organisation_id=admin.organisation
    )
    taken = await admin.owner.fetchval("SELECT code FROM institutions WHERE id = $1", existing)
    before = await admin.count("institutions")
    cases = {
        "elsewhere": institution(
            admin, organisationId=to_base64("Organisation", lahore_ngo), jurisdictionCode="PK-PB-MULTAN"
        ),
        "unknown": institution(admin, organisationId=to_base64("Organisation", 999_999)),
        "wrong type of ID": institution(admin, organisationId=to_base64("Child", 1)),
        "negative": institution(admin, capacity=-1),
        "taken": institution(admin, code=taken),
        "malformed": institution(admin, code="has spaces"),
    }

    answers = {
        key: error(await admin.mutate("createInstitution", request, INSTITUTION, who="admin"))
        for key, request in cases.items()
    }

    assert answers == {
        "elsewhere": ("VALIDATION", "organisationId"),
        "unknown": ("NOT_FOUND", "organisationId"),
        "wrong type of ID": ("VALIDATION", "organisationId"),
        "negative": ("VALIDATION", "capacity"),
        "taken": ("CONFLICT", "code"),
        "malformed": ("VALIDATION", "code"),
    }
    assert await admin.count("institutions") == before


async def test_an_institution_outside_what_one_manages_is_not_found_and_not_added(admin: Admin) -> None:
    before = await admin.count("institutions")

    payload = await admin.mutate("createInstitution", institution(admin), INSTITUTION, who="sindh_admin")

    assert refused(payload, "institution") == ("NOT_FOUND", "jurisdictionCode")
    assert await admin.count("institutions") == before


async def test_an_administrator_changes_an_institutions_name_capacity_and_activity(admin: Admin) -> None:
    shelter = await make_institution(
        admin.owner, admin.world.tree.lahore, type="SHELTER", organisation_id=admin.organisation
    )
    shelter_id = to_base64("Institution", shelter)

    changed = await admin.mutate(
        "updateInstitution",
        {"id": shelter_id, "version": 1, "name": "Dar-ul-Aman Lahore", "capacity": 40, "active": False},
        INSTITUTION,
        who="admin",
    )
    kept = await admin.mutate(
        "updateInstitution", {"id": shelter_id, "version": 2, "active": True}, INSTITUTION, who="admin"
    )
    negative = await admin.mutate(
        "updateInstitution", {"id": shelter_id, "version": 3, "capacity": -3}, INSTITUTION, who="admin"
    )
    stale = await admin.mutate(
        "updateInstitution", {"id": shelter_id, "version": 1, "capacity": 10}, INSTITUTION, who="admin"
    )

    assert changed["errors"] == []
    assert (changed["institution"]["name"], changed["institution"]["capacity"]) == ("Dar-ul-Aman Lahore", 40)
    assert changed["institution"]["active"] is False
    assert (kept["institution"]["name"], kept["institution"]["capacity"], kept["institution"]["active"]) == (
        "Dar-ul-Aman Lahore",
        40,
        True,
    )
    assert refused(negative, "institution") == ("VALIDATION", "capacity")
    assert refused(stale, "institution") == ("CONFLICT", "version")
    assert await admin.owner.fetchval("SELECT capacity FROM institutions WHERE id = $1", shelter) == 40


@pytest.mark.parametrize("who", ["sindh_admin", "lahore_officer"])
async def test_changing_an_institution_one_does_not_manage_is_not_found_and_changes_nothing(
    admin: Admin, who: str
) -> None:
    shelter = await make_institution(
        admin.owner, admin.world.tree.lahore, type="SHELTER", organisation_id=admin.organisation
    )

    payload = await admin.mutate(
        "updateInstitution",
        {"id": to_base64("Institution", shelter), "version": 1, "capacity": 99, "active": False},
        INSTITUTION,
        who=who,
    )

    assert refused(payload, "institution") == ("NOT_FOUND", "id")
    row = await admin.owner.fetchrow("SELECT capacity, active FROM institutions WHERE id = $1", shelter)
    assert row is not None
    assert (row["capacity"], row["active"]) == (20, True)


# --------------------------------------------------------------------------------------------- people


def person(admin: Admin, **overrides: Any) -> dict[str, Any]:
    return {
        "username": "worker.uc1",
        "displayName": "Ayesha Khan",
        "email": "ayesha@example.org",
        "organisationId": organisation_id(admin),
        "role": "CASE_WORKER",
        "jurisdictionCode": "PK-PB-LAHORE-UC1",
    } | overrides


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    """The authorization code flow with PKCE, as the registry's web app runs it."""
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": "registry-web",
        "redirect_uri": REDIRECT,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    answer = await client.post("/oauth/authorize", data=params | {"username": username, "password": password})
    assert answer.status_code == 303, answer.text
    code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "registry-web",
            "code_verifier": verifier,
        },
    )


async def test_a_district_officer_adds_a_caseworker_who_signs_in_with_the_first_password(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    await admin.owner.execute(
        "INSERT INTO oauth_apps (client_id, name, redirect_uris) VALUES ('registry-web', 'Registry web', $1)",
        [REDIRECT],
    )

    response = await client.post(
        "/graphql",
        json={
            "query": f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER} }} }}",
            "variables": {"input": person(admin, password=PASSWORD)},
        },
        headers=bearer(admin.token("lahore_officer")),
    )

    assert PASSWORD not in response.text
    assert "argon2" not in response.text
    payload = response.json()["data"]["createUser"]
    assert payload["errors"] == []
    created = payload["user"]
    assert (created["username"], created["displayName"], created["active"]) == (
        "worker.uc1",
        "Ayesha Khan",
        True,
    )
    assert created["roles"] == [{"role": "CASE_WORKER", "jurisdiction": {"code": "PK-PB-LAHORE-UC1"}}]
    row = await admin.owner.fetchrow(
        "SELECT id, email, password_hash, version FROM users WHERE username = 'worker.uc1'"
    )
    assert row is not None
    assert created["id"] == to_base64("User", row["id"])
    assert row["email"] == "ayesha@example.org"
    assert row["password_hash"].startswith("$argon2id$")
    signed_in = await sign_in(client, "worker.uc1", PASSWORD)
    assert signed_in.status_code == 200
    viewer = await admin.graphql.data(VIEWER, token=signed_in.json()["access_token"])
    assert viewer["viewer"] == {"name": "worker.uc1"}


async def test_a_retried_user_creation_with_the_same_key_creates_one_person(admin: Admin) -> None:
    request = person(admin, idempotencyKey="retry-user-0001", password=PASSWORD)

    first = await admin.mutate("createUser", request, USER, who="lahore_officer")
    again = await admin.mutate("createUser", request, USER, who="lahore_officer")

    assert first["errors"] == again["errors"] == []
    assert again["user"] == first["user"]
    assert await admin.owner.fetchval("SELECT count(*) FROM users WHERE username = 'worker.uc1'") == 1
    assert (
        await admin.owner.fetchval(
            "SELECT count(*) FROM role_assignments ra JOIN users u ON u.id = ra.user_id WHERE u.username = 'worker.uc1'"
        )
        == 1
    )


@pytest.mark.parametrize(
    ("who", "role", "where", "allowed"),
    [
        ("lahore_officer", "CASE_WORKER", "PK-PB-LAHORE-UC1", True),
        ("lahore_officer", "DISTRICT_OFFICER", "PK-PB-LAHORE", True),
        ("lahore_officer", "PROVINCIAL_MANAGER", "PK-PB-LAHORE", False),
        ("lahore_officer", "SYSTEM_ADMIN", "PK-PB-LAHORE", False),
        ("lahore_officer", "AUDITOR", "PK-PB-LAHORE", False),
        # Officers record police-station monitoring themselves, so may staff it in their district.
        ("lahore_officer", "POLICE_MONITOR", "PK-PB-LAHORE", True),
        ("punjab_manager", "PROVINCIAL_MANAGER", "PK-PB", True),
        ("punjab_manager", "DISTRICT_OFFICER", "PK-PB-MULTAN", True),
        ("punjab_manager", "AUDITOR", "PK-PB", False),
        ("punjab_manager", "SYSTEM_ADMIN", "PK-PB", False),
        ("admin", "AUDITOR", "PK", True),  # a system administrator may give any role
        ("admin", "CASE_WORKER", "PK-PB-LAHORE-UC1", True),
        ("admin", "SYSTEM_ADMIN", "PK-SD", True),
        ("sindh_admin", "PROVINCIAL_MANAGER", "PK-SD", True),
    ],
)
async def test_nobody_gives_a_role_holding_more_than_they_hold_there(
    admin: Admin, who: str, role: str, where: str, allowed: bool
) -> None:
    before = await admin.count("users")

    payload = await admin.mutate(
        "createUser", person(admin, role=role, jurisdictionCode=where), USER, who=who
    )

    if allowed:
        assert payload["errors"] == []
        assert payload["user"]["roles"] == [{"role": role, "jurisdiction": {"code": where}}]
    else:
        assert refused(payload, "user") == ("VALIDATION", "role")
        assert await admin.count("users") == before


@pytest.mark.parametrize(
    ("who", "where"),
    [
        ("lahore_officer", "PK-SD-KARACHI-SOUTH"),
        ("lahore_officer", "PK-PB"),  # above their district
        ("sindh_admin", "PK-PB-LAHORE"),
        ("lahore_worker", "PK-PB-LAHORE-UC1"),  # no users:manage
        ("analyst", "PK"),
        ("lahore_officer", "PK-NOWHERE"),
    ],
)
async def test_adding_a_person_outside_where_one_manages_staff_is_not_found(
    admin: Admin, who: str, where: str
) -> None:
    before = await admin.count("users")

    payload = await admin.mutate("createUser", person(admin, jurisdictionCode=where), USER, who=who)

    assert refused(payload, "user") == ("NOT_FOUND", "jurisdictionCode")
    assert await admin.count("users") == before


async def test_a_person_is_refused_with_the_field_at_fault(admin: Admin) -> None:
    # Usernames are unique across the registry, so one outside the officer's scope clashes too.
    karachi = await admin.owner.fetchval(
        "SELECT username FROM users WHERE id = $1", admin.world.users["karachi_officer"]
    )
    lahore_ngo = await admin.owner.fetchval(
        "INSERT INTO organisations (code, name, kind, jurisdiction_id, path)"
        " VALUES ('NGO-MLT', 'Multan NGO', 'NGO_PARTNER', $1, $2) RETURNING id",
        admin.world.tree.multan.id,
        admin.world.tree.multan.path,
    )
    before = await admin.count("users")
    cases = {
        "taken": person(admin, username=karachi.upper()),
        "malformed": person(admin, username="has space"),
        "short password": person(admin, password="too short"),
        "email": person(admin, email="not an address"),
        "no name": person(admin, displayName=""),
        "unknown organisation": person(admin, organisationId=to_base64("Organisation", 999_999)),
        "organisation elsewhere": person(admin, organisationId=to_base64("Organisation", lahore_ngo)),
    }

    answers = {
        key: error(await admin.mutate("createUser", request, USER, who="lahore_officer"))
        for key, request in cases.items()
    }

    assert answers == {
        "taken": ("CONFLICT", "username"),
        "malformed": ("VALIDATION", "username"),
        "short password": ("VALIDATION", "password"),
        "email": ("VALIDATION", "email"),
        "no name": ("VALIDATION", "displayName"),
        "unknown organisation": ("NOT_FOUND", "organisationId"),
        "organisation elsewhere": ("VALIDATION", "organisationId"),
    }
    assert await admin.count("users") == before


async def test_an_api_client_manages_no_people(admin: Admin, client: httpx.AsyncClient) -> None:
    client_db_id, client_id = await make_api_client(
        admin.owner,
        admin.world.tree.lahore,
        organisation_id=admin.organisation,
        created_by=admin.world.users["lahore_officer"],
        scopes=["users:manage", "cases:read"],
    )
    token, _ = admin.tokens.issue(
        PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="users:manage"
    )
    before = await admin.count("users")

    data = await admin.graphql.data(
        f"mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER} }} }}",
        {"input": person(admin)},
        token=token,
    )

    assert refused(data["createUser"], "user") == ("NOT_FOUND", "jurisdictionCode")
    assert await admin.count("users") == before


async def test_without_a_token_nothing_is_created(admin: Admin) -> None:
    data = await admin.graphql.data(
        f"mutation($input: CreateOrganisationInput!) {{ createOrganisation(input: $input) {{ {ORGANISATION} }} }}",
        {"input": organisation()},
    )

    assert refused(data["createOrganisation"], "organisation") == ("UNAUTHENTICATED", None)


# ---------------------------------------------------------------------------------------------- roles


def user_id(admin: Admin, who: str) -> str:
    return to_base64("User", admin.world.users[who])


async def roles_of(admin: Admin, who: str) -> set[tuple[str, str]]:
    rows = await admin.owner.fetch(
        "SELECT ra.role::text AS role, j.code FROM role_assignments ra JOIN jurisdictions j"
        " ON j.id = ra.jurisdiction_id WHERE ra.user_id = $1",
        admin.world.users[who],
    )
    return {(row["role"], row["code"]) for row in rows}


async def version_of(admin: Admin, who: str) -> int:
    return int(await admin.owner.fetchval("SELECT version FROM users WHERE id = $1", admin.world.users[who]))


async def test_an_officer_gives_and_takes_back_a_role_and_the_version_moves_on(admin: Admin) -> None:
    version = await version_of(admin, "lahore_worker")
    grant = {
        "userId": user_id(admin, "lahore_worker"),
        "role": "CASE_WORKER",
        "jurisdictionCode": "PK-PB-LAHORE",
        "version": version,
    }

    given = await admin.mutate("grantRole", grant, USER, who="lahore_officer")
    stale = await admin.mutate(
        "grantRole", grant | {"jurisdictionCode": "PK-PB-LAHORE-UC1"}, USER, who="lahore_officer"
    )
    twice = await admin.mutate("grantRole", grant | {"version": None}, USER, who="lahore_officer")
    taken_back = await admin.mutate(
        "revokeRole", grant | {"version": version + 1}, USER, who="lahore_officer"
    )

    assert given["errors"] == []
    assert {(r["role"], r["jurisdiction"]["code"]) for r in given["user"]["roles"]} == {
        ("CASE_WORKER", "PK-PB-LAHORE-UC1"),
        ("CASE_WORKER", "PK-PB-LAHORE"),
    }
    assert refused(stale, "user") == ("CONFLICT", "version")
    assert refused(twice, "user") == ("CONFLICT", "role")
    assert taken_back["errors"] == []
    assert taken_back["user"]["roles"] == [
        {"role": "CASE_WORKER", "jurisdiction": {"code": "PK-PB-LAHORE-UC1"}}
    ]
    assert await roles_of(admin, "lahore_worker") == {("CASE_WORKER", "PK-PB-LAHORE-UC1")}
    assert await version_of(admin, "lahore_worker") == version + 2


async def test_a_retried_grant_with_the_same_key_gives_the_role_once(admin: Admin) -> None:
    grant = {
        "userId": user_id(admin, "lahore_worker"),
        "role": "CASE_WORKER",
        "jurisdictionCode": "PK-PB-LAHORE",
        "idempotencyKey": "retry-grant-0001",
    }

    first = await admin.mutate("grantRole", grant, USER, who="lahore_officer")
    again = await admin.mutate("grantRole", grant, USER, who="lahore_officer")

    assert first["errors"] == again["errors"] == []
    assert again["user"] == first["user"]
    assert len(await roles_of(admin, "lahore_worker")) == 2


async def test_roles_beyond_ones_own_are_neither_given_nor_taken_back(admin: Admin) -> None:
    await admin.owner.execute(
        "INSERT INTO role_assignments (user_id, role, jurisdiction_id, path) VALUES ($1, 'AUDITOR', $2, $3)",
        admin.world.users["lahore_worker"],
        admin.world.tree.lahore.id,
        admin.world.tree.lahore.path,
    )
    before = await roles_of(admin, "lahore_worker")
    target = user_id(admin, "lahore_worker")

    escalate = await admin.mutate(
        "grantRole",
        {"userId": target, "role": "PROVINCIAL_MANAGER", "jurisdictionCode": "PK-PB-LAHORE"},
        USER,
        who="lahore_officer",
    )
    demote = await admin.mutate(
        "revokeRole",
        {"userId": target, "role": "AUDITOR", "jurisdictionCode": "PK-PB-LAHORE"},
        USER,
        who="lahore_officer",
    )

    assert refused(escalate, "user") == ("VALIDATION", "role")
    assert refused(demote, "user") == ("VALIDATION", "role")
    assert await roles_of(admin, "lahore_worker") == before


async def test_roles_outside_ones_scope_are_not_found_and_unchanged(admin: Admin) -> None:
    before = {who: await roles_of(admin, who) for who in ("karachi_officer", "lahore_worker")}

    invisible_person = await admin.mutate(
        "grantRole",
        {
            "userId": user_id(admin, "karachi_officer"),
            "role": "CASE_WORKER",
            "jurisdictionCode": "PK-PB-LAHORE",
        },
        USER,
        who="lahore_officer",
    )
    elsewhere = await admin.mutate(
        "grantRole",
        {
            "userId": user_id(admin, "lahore_worker"),
            "role": "CASE_WORKER",
            "jurisdictionCode": "PK-SD-KARACHI-SOUTH",
        },
        USER,
        who="lahore_officer",
    )
    take_back = await admin.mutate(
        "revokeRole",
        {
            "userId": user_id(admin, "lahore_worker"),
            "role": "CASE_WORKER",
            "jurisdictionCode": "PK-PB-LAHORE-UC1",
        },
        USER,
        who="karachi_officer",
    )
    wrong_id = await admin.mutate(
        "grantRole",
        {"userId": to_base64("Case", 1), "role": "CASE_WORKER", "jurisdictionCode": "PK-PB-LAHORE"},
        USER,
        who="lahore_officer",
    )

    assert refused(invisible_person, "user") == ("NOT_FOUND", "userId")
    assert refused(elsewhere, "user") == ("NOT_FOUND", "jurisdictionCode")
    assert refused(take_back, "user") == ("NOT_FOUND", "userId")
    assert refused(wrong_id, "user") == ("VALIDATION", "userId")
    assert {who: await roles_of(admin, who) for who in before} == before


async def test_a_persons_last_role_or_one_they_do_not_hold_is_not_taken_back(admin: Admin) -> None:
    target = user_id(admin, "lahore_worker")

    last = await admin.mutate(
        "revokeRole",
        {"userId": target, "role": "CASE_WORKER", "jurisdictionCode": "PK-PB-LAHORE-UC1"},
        USER,
        who="lahore_officer",
    )
    not_held = await admin.mutate(
        "revokeRole",
        {"userId": target, "role": "CASE_WORKER", "jurisdictionCode": "PK-PB-LAHORE"},
        USER,
        who="lahore_officer",
    )

    assert refused(last, "user") == ("VALIDATION", "role")
    assert refused(not_held, "user") == ("NOT_FOUND", "role")
    assert await roles_of(admin, "lahore_worker") == {("CASE_WORKER", "PK-PB-LAHORE-UC1")}


# ------------------------------------------------------------------------------------------ deactivation


async def test_a_deactivated_persons_token_stops_working_at_once(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    worker_token = admin.token("lahore_worker")
    assert (
        await client.post("/graphql", json={"query": VIEWER}, headers=bearer(worker_token))
    ).status_code == 200

    payload = await admin.mutate(
        "deactivateUser",
        {"userId": user_id(admin, "lahore_worker"), "version": await version_of(admin, "lahore_worker")},
        USER,
        who="lahore_officer",
    )

    version = await version_of(admin, "lahore_worker")
    again = await admin.mutate(
        "deactivateUser", {"userId": user_id(admin, "lahore_worker")}, USER, who="lahore_officer"
    )
    assert payload["errors"] == again["errors"] == []
    assert payload["user"]["active"] is again["user"]["active"] is False
    assert await version_of(admin, "lahore_worker") == version  # a retry changes nothing more
    assert (
        await client.post("/graphql", json={"query": VIEWER}, headers=bearer(worker_token))
    ).status_code == 401
    assert (
        await admin.owner.fetchval(
            "SELECT active FROM users WHERE id = $1", admin.world.users["lahore_worker"]
        )
        is False
    )


async def test_deactivation_is_refused_for_oneself_a_stale_version_and_a_deactivated_persons_roles(
    admin: Admin,
) -> None:
    target = user_id(admin, "lahore_worker")
    version = await version_of(admin, "lahore_worker")

    itself = await admin.mutate(
        "deactivateUser", {"userId": user_id(admin, "lahore_officer")}, USER, who="lahore_officer"
    )
    stale = await admin.mutate(
        "deactivateUser", {"userId": target, "version": version - 1}, USER, who="lahore_officer"
    )
    await admin.mutate("deactivateUser", {"userId": target}, USER, who="lahore_officer")
    grant_after = await admin.mutate(
        "grantRole",
        {"userId": target, "role": "CASE_WORKER", "jurisdictionCode": "PK-PB-LAHORE"},
        USER,
        who="lahore_officer",
    )

    assert refused(itself, "user") == ("VALIDATION", "userId")
    assert refused(stale, "user") == ("CONFLICT", "version")
    assert refused(grant_after, "user") == ("VALIDATION", "userId")
    assert await roles_of(admin, "lahore_worker") == {("CASE_WORKER", "PK-PB-LAHORE-UC1")}


@pytest.mark.parametrize("who", ["karachi_officer", "lahore_worker", "analyst"])
async def test_deactivating_someone_outside_ones_scope_is_not_found_and_they_stay_active(
    admin: Admin, who: str
) -> None:
    payload = await admin.mutate("deactivateUser", {"userId": user_id(admin, "other_worker")}, USER, who=who)

    assert refused(payload, "user") == ("NOT_FOUND", "userId")
    assert (
        await admin.owner.fetchval(
            "SELECT active FROM users WHERE id = $1", admin.world.users["other_worker"]
        )
        is True
    )


async def test_only_someone_managing_all_of_a_persons_roles_deactivates_them(admin: Admin) -> None:
    # A caseworker in Lahore who also works in Multan: the Lahore officer sees them but manages only part.
    await admin.owner.execute(
        "INSERT INTO role_assignments (user_id, role, jurisdiction_id, path) VALUES ($1, 'CASE_WORKER', $2, $3)",
        admin.world.users["other_worker"],
        admin.world.tree.multan.id,
        admin.world.tree.multan.path,
    )
    target = {"userId": user_id(admin, "other_worker")}

    officer = await admin.mutate("deactivateUser", target, USER, who="lahore_officer")
    active_after_officer = await admin.owner.fetchval(
        "SELECT active FROM users WHERE id = $1", admin.world.users["other_worker"]
    )
    manager = await admin.mutate("deactivateUser", target, USER, who="punjab_manager")

    assert refused(officer, "user") == ("NOT_FOUND", "userId")
    assert active_after_officer is True
    assert manager["errors"] == []
    assert manager["user"]["active"] is False
