"""The audit trail: every change and every answer with personal data leaves a row in its own transaction,
the chain shows any tampering, the app's role can only append, and auditors read it inside their scope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import APP_ROLE, GraphQLClient, make_settings, user_token
from tests.factories import World, make_organisation, make_user, make_world

OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) { case { id } errors { code } } }"""
NAME = """query($id: ID!) { node(id: $id) { ... on Child { sex fullName } } }"""
SEX = """query($id: ID!) { node(id: $id) { ... on Child { sex } } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    world = await make_world(owner)
    await owner.execute(
        "UPDATE child_identities SET full_name = 'Ayesha Bibi' WHERE child_id = $1",
        world.children["lahore"],
    )
    return world


def registry(database: URL, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env |= {
        "REGISTRY_DATABASE_URL": database.set(drivername="postgresql").render_as_string(hide_password=False),
        "REGISTRY_APP_DB_ROLE": APP_ROLE,
        "REGISTRY_SIGNING_KEYS_DIR": str(make_settings().keys_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def open_case(graphql: GraphQLClient, token: str, child_id: int) -> dict[str, Any]:
    variables = {
        "input": {"childId": to_base64("Child", child_id), "kind": "CHILD_LABOUR", "riskLevel": "LOW"}
    }
    payload: dict[str, Any] = (await graphql.data(OPEN, variables, token=token))["openCase"]
    return payload


async def audit_rows(owner: asyncpg.Connection[Any]) -> list[asyncpg.Record]:
    return await owner.fetch("SELECT * FROM audit_events ORDER BY id")


async def test_a_change_is_recorded_with_who_what_and_which_records_and_no_personal_data(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = world.users["lahore_officer"]
    payload = await open_case(graphql, user_token(tokens, officer), world.children["lahore"])
    assert payload["errors"] == []

    [row] = await audit_rows(owner)
    assert (row["action"], row["actor_kind"], row["actor_id"]) == ("openCase", "USER", officer)
    assert row["roles"] == ["DISTRICT_OFFICER"]
    assert row["request_id"]
    assert row["client_address"]
    records = json.loads(row["records"]) if isinstance(row["records"], str) else row["records"]
    assert {(record["type"], record["op"]) for record in records} == {
        ("cases", "insert"),
        ("case_events", "insert"),
    }
    assert row["child_ids"] == [world.children["lahore"]]
    assert row["paths"] == [world.tree.lahore_community.path]
    assert "Ayesha" not in json.dumps(records)


async def test_an_answer_with_personal_data_is_recorded_and_one_without_is_not(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = user_token(tokens, world.users["lahore_officer"])
    child = {"id": to_base64("Child", world.children["lahore"])}

    await graphql.data(SEX, child, token=officer)
    assert await audit_rows(owner) == []
    named = await graphql.data(NAME, child, token=officer)
    assert named["node"]["fullName"] == "Ayesha Bibi"

    [row] = await audit_rows(owner)
    assert row["action"] == "read:personal-data"
    assert row["child_ids"] == [world.children["lahore"]]
    assert "Ayesha" not in str(dict(row))
    # Withheld personal data was not shown, so it is not recorded either.
    await graphql.post(NAME, child, token=user_token(tokens, world.users["police"]))
    assert len(await audit_rows(owner)) == 1


async def test_when_the_audit_row_cannot_be_written_nothing_is_changed_or_shown(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await owner.execute(f"REVOKE INSERT ON audit_events FROM {APP_ROLE}")
    officer = user_token(tokens, world.users["lahore_officer"])
    cases_before = await owner.fetchval("SELECT count(*) FROM cases")

    changed = await graphql.post(
        OPEN,
        {
            "input": {
                "childId": to_base64("Child", world.children["lahore"]),
                "kind": "CHILD_LABOUR",
                "riskLevel": "LOW",
            }
        },
        token=officer,
    )
    shown = await graphql.post(NAME, {"id": to_base64("Child", world.children["lahore"])}, token=officer)

    assert changed["data"] is None
    assert await owner.fetchval("SELECT count(*) FROM cases") == cases_before
    assert shown["data"] is None
    assert "Ayesha" not in json.dumps(shown)
    assert shown["errors"][0]["message"].startswith("Unexpected error")


async def test_the_apps_role_can_only_append_to_the_audit_trail(
    world: World, tokens: TokenService, graphql: GraphQLClient, database: URL
) -> None:
    await open_case(graphql, user_token(tokens, world.users["lahore_officer"]), world.children["lahore"])
    app = await connect_owner(app_url_for(database, make_settings()))
    try:
        for statement in (
            "UPDATE audit_events SET action = 'nothing'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute(statement)
    finally:
        await app.close()


async def make_chain(world: World, tokens: TokenService, graphql: GraphQLClient, database: URL) -> None:
    officer = user_token(tokens, world.users["lahore_officer"])
    for _ in range(4):
        await open_case(graphql, officer, world.children["lahore"])
    sealed = registry(database, "audit", "seal")
    assert sealed.returncode == 0, sealed.stderr
    assert "Sealed 4 audit rows" in sealed.stdout


async def test_an_intact_chain_verifies(
    world: World, tokens: TokenService, graphql: GraphQLClient, database: URL, owner: asyncpg.Connection[Any]
) -> None:
    await make_chain(world, tokens, graphql, database)
    await open_case(graphql, user_token(tokens, world.users["lahore_officer"]), world.children["lahore"])

    verified = registry(database, "audit", "verify")

    assert verified.returncode == 0, verified.stderr
    assert "4 sealed rows verified; 1 not sealed yet" in verified.stdout


TAMPERING = {
    "a changed row": ("UPDATE audit_events SET action = 'nothing' WHERE chain_seq = 2", 2),
    "a deleted row": ("DELETE FROM audit_events WHERE chain_seq = 2", 3),
    "two rows swapped": (
        "UPDATE audit_events SET chain_seq = -2 WHERE chain_seq = 2;"
        " UPDATE audit_events SET chain_seq = 2 WHERE chain_seq = 3;"
        " UPDATE audit_events SET chain_seq = 3 WHERE chain_seq = -2",
        3,
    ),
    "a forged row": (
        "INSERT INTO audit_events (actor_kind, actor_id, action, chain_seq, prev_hash, hash)"
        " SELECT 'USER', 1, 'openCase', 5, hash, sha256('forged'::bytea) FROM audit_events WHERE chain_seq = 4",
        -1,
    ),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
async def test_tampering_by_the_database_owner_is_reported_at_the_first_broken_row(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    database: URL,
    owner: asyncpg.Connection[Any],
    tampering: str,
) -> None:
    await make_chain(world, tokens, graphql, database)
    statement, position = TAMPERING[tampering]
    expected = await owner.fetchval("SELECT id FROM audit_events WHERE chain_seq = $1", position)
    await owner.execute("SET session_replication_role = replica")  # as an owner could; no trigger stops it
    await owner.execute(statement)
    if expected is None:  # the forged row itself
        expected = await owner.fetchval("SELECT id FROM audit_events WHERE chain_seq = 5")

    verified = registry(database, "audit", "verify")

    assert verified.returncode == 1
    assert f"BROKEN at audit row {expected}:" in verified.stderr


async def test_auditors_read_the_trail_inside_their_scope_and_others_not_at_all(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await open_case(graphql, user_token(tokens, world.users["lahore_officer"]), world.children["lahore"])
    await open_case(graphql, user_token(tokens, world.users["karachi_officer"]), world.children["karachi"])
    org = await make_organisation(owner, world.tree.sindh)
    sindh_auditor = await make_user(owner, "AUDITOR", world.tree.sindh, organisation_id=org)
    query = """query($filter: AuditEventFilter) { auditEvents(filter: $filter) { totalCount
      edges { node { action actorName records { type fields } sealed } } } }"""

    async def seen(who: int, flt: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        data = await graphql.data(query, {"filter": flt}, token=user_token(tokens, who))
        return [edge["node"] for edge in data["auditEvents"]["edges"]]

    assert len(await seen(world.users["auditor"])) == 2
    assert len(await seen(sindh_auditor)) == 1
    officer = to_base64("User", world.users["lahore_officer"])
    assert [event["action"] for event in await seen(world.users["auditor"], {"actor": officer})] == [
        "openCase"
    ]
    child = to_base64("Child", world.children["karachi"])
    assert len(await seen(world.users["auditor"], {"child": child})) == 1
    for outsider in ("lahore_officer", "analyst", "admin", "punjab_manager"):
        assert await seen(world.users[outsider]) == [], outsider


async def test_a_childs_record_shows_who_was_shown_its_personal_data(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    child = {"id": to_base64("Child", world.children["lahore"])}
    await graphql.data(NAME, child, token=user_token(tokens, world.users["punjab_manager"]))
    log = """query($id: ID!) { node(id: $id) { ... on Child { accessLog { edges { node {
      action actorName roles records { type recordId fields } } } } } } }"""

    data = await graphql.data(log, child, token=user_token(tokens, world.users["lahore_officer"]))

    entries = [edge["node"] for edge in data["node"]["accessLog"]["edges"]]
    manager = entries[-1]
    assert (manager["action"], manager["roles"]) == ("read:personal-data", ["PROVINCIAL_MANAGER"])
    assert manager["records"] == [
        {"type": "children", "recordId": world.children["lahore"], "fields": ["identity"]}
    ]
    outside = await graphql.data(log, child, token=user_token(tokens, world.users["karachi_officer"]))
    assert outside["node"] is None
