"""Case management through HTTP with real tokens: open, move through the workflow, assign, annotate.
Every refusal is typed and changes nothing; concurrent updates and retries lose nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry.relay import from_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, codes, gid, mutate, user_token
from tests.factories import World, make_api_client, make_child, make_world

OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  case { id caseNumber kind stage riskLevel version jurisdiction { code } assignedTo { id }
         events { type toStage } }
  errors { code field message } } }"""
TRANSITION = """mutation($input: TransitionCaseInput!) { transitionCase(input: $input) {
  case { id stage riskLevel version closedAt events { type fromStage toStage note } }
  errors { code field message } } }"""
ASSIGN = """mutation($input: AssignCaseInput!) { assignCase(input: $input) {
  case { version assignedTo { id } } errors { code field message } } }"""
NOTE = """mutation($input: AddCaseNoteInput!) { addCaseNote(input: $input) {
  event { type note actor { id } } errors { code field message } } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


def token_of(world: World, tokens: TokenService, who: str) -> str:
    return user_token(tokens, world.users[who])


async def count(owner: asyncpg.Connection[Any], sql: str, *args: Any) -> int:
    return int(await owner.fetchval(sql, *args))


async def case_state(owner: asyncpg.Connection[Any], case_id: int) -> tuple[Any, ...]:
    row = await owner.fetchrow(
        "SELECT stage, risk_level, version, assigned_to_id, closed_at,"
        " (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) AS events FROM cases c WHERE id = $1",
        case_id,
    )
    assert row is not None
    return tuple(row)


async def test_an_officer_opens_a_case_about_a_child_in_the_district(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    payload = await mutate(
        graphql,
        OPEN,
        {"childId": gid("Child", world.children["lahore"]), "kind": "CHILD_LABOUR", "riskLevel": "MEDIUM"},
        token_of(world, tokens, "lahore_officer"),
    )
    assert payload["errors"] == []
    case = payload["case"]
    assert case["caseNumber"].startswith("PB-")
    assert (case["kind"], case["stage"], case["riskLevel"], case["version"]) == (
        "CHILD_LABOUR",
        "REGISTERED",
        "MEDIUM",
        1,
    )
    assert case["jurisdiction"] == {"code": "PK-PB-LAHORE-UC1"}
    assert case["assignedTo"] is None
    assert case["events"] == [{"type": "OPENED", "toStage": "REGISTERED"}]


async def test_a_caseworkers_new_case_is_assigned_to_them_so_they_can_see_it(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    payload = await mutate(
        graphql,
        OPEN,
        {"childId": gid("Child", world.children["lahore"]), "kind": "CHILD_AT_RISK", "riskLevel": "LOW"},
        token_of(world, tokens, "lahore_worker"),
    )
    assert payload["errors"] == []
    assert payload["case"]["assignedTo"] == {"id": gid("User", world.users["lahore_worker"])}
    assert [event["type"] for event in payload["case"]["events"]] == ["ASSIGNED", "OPENED"]


async def test_a_case_in_conflict_with_the_law_restricts_the_childs_identity(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child = await make_child(owner, world.tree.lahore_community)
    payload = await mutate(
        graphql,
        OPEN,
        {
            "childId": gid("Child", child),
            "kind": "CHILD_IN_CONFLICT_WITH_LAW",
            "riskLevel": "HIGH",
            "assignedTo": gid("User", world.users["lahore_worker"]),
        },
        token_of(world, tokens, "lahore_officer"),
    )
    assert payload["errors"] == []
    assert await owner.fetchval("SELECT identity_restricted FROM children WHERE id = $1", child)


@pytest.mark.parametrize(
    ("who", "child", "extra", "expected"),
    [
        # Outside the officer's district: the child is not found.
        ("karachi_officer", "lahore", {}, ("NOT_FOUND", "childId")),
        # Police monitors may see children but not write cases.
        ("police", "lahore", {}, ("NOT_FOUND", "jurisdictionCode")),
        # A jurisdiction outside one's scope, for a child inside it.
        (
            "lahore_officer",
            "lahore",
            {"jurisdictionCode": "PK-SD-KARACHI-SOUTH"},
            ("NOT_FOUND", "jurisdictionCode"),
        ),
        ("lahore_officer", "lahore", {"jurisdictionCode": "PK-NOWHERE"}, ("NOT_FOUND", "jurisdictionCode")),
        # A caseworker in Karachi cannot be given a Lahore case.
        ("lahore_officer", "lahore", {"assignedTo": "karachi_officer"}, ("NOT_FOUND", "assignedTo")),
        # Nor can an analyst, who works no cases.
        ("punjab_manager", "lahore", {"assignedTo": "analyst"}, ("NOT_FOUND", "assignedTo")),
        ("lahore_officer", "lahore", {"assignedTo": "child"}, ("VALIDATION", "assignedTo")),
        ("lahore_officer", "lahore", {"idempotencyKey": "short"}, ("VALIDATION", "idempotencyKey")),
    ],
)
async def test_opening_a_case_is_refused_with_a_typed_error_and_nothing_is_written(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    child: str,
    extra: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    if extra.get("assignedTo") == "child":
        extra = {"assignedTo": gid("Child", world.children["lahore"])}
    elif "assignedTo" in extra:
        extra = {"assignedTo": gid("User", world.users[extra["assignedTo"]])}
    before = await count(owner, "SELECT count(*) FROM cases") + await count(
        owner, "SELECT count(*) FROM case_events"
    )
    payload = await mutate(
        graphql,
        OPEN,
        {"childId": gid("Child", world.children[child]), "kind": "CHILD_LABOUR", "riskLevel": "LOW", **extra},
        token_of(world, tokens, who),
    )
    assert payload["case"] is None
    assert codes(payload) == [expected]
    after = await count(owner, "SELECT count(*) FROM cases") + await count(
        owner, "SELECT count(*) FROM case_events"
    )
    assert after == before


async def test_without_a_token_a_mutation_is_refused_as_unauthenticated(
    world: World, graphql: GraphQLClient
) -> None:
    payload = await mutate(
        graphql,
        OPEN,
        {"childId": gid("Child", world.children["lahore"]), "kind": "CHILD_LABOUR", "riskLevel": "LOW"},
        None,
    )
    assert codes(payload) == [("UNAUTHENTICATED", None)]


async def test_a_retried_open_with_the_same_key_returns_the_same_case_and_creates_one(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    request = {
        "childId": gid("Child", world.children["lahore"]),
        "kind": "MISSING_CHILD",
        "riskLevel": "HIGH",
        "idempotencyKey": "open-missing-2026-11-23-001",
    }
    before = await count(owner, "SELECT count(*) FROM cases")
    first = await mutate(graphql, OPEN, request, officer)
    again = await mutate(graphql, OPEN, request, officer)
    assert first["errors"] == again["errors"] == []
    assert again["case"]["id"] == first["case"]["id"]
    assert await count(owner, "SELECT count(*) FROM cases") == before + 1
    # Concurrent retries of a new key still make one case.
    racing = {**request, "idempotencyKey": "open-missing-2026-11-23-002"}
    results = await asyncio.gather(*(mutate(graphql, OPEN, racing, officer) for _ in range(3)))
    assert len({result["case"]["id"] for result in results}) == 1
    assert await count(owner, "SELECT count(*) FROM cases") == before + 2
    # The same key for a different request is a client bug, refused rather than answered with the old case.
    different = await mutate(graphql, OPEN, {**request, "riskLevel": "LOW"}, officer)
    assert codes(different) == [("CONFLICT", "idempotencyKey")]
    # Keys belong to their principal: another officer's identical key creates their own case.
    other = await mutate(graphql, OPEN, request, token_of(world, tokens, "punjab_manager"))
    assert other["case"]["id"] != first["case"]["id"]


async def move(
    graphql: GraphQLClient, token: str, case_id: int, version: int, to_stage: str, **extra: Any
) -> dict[str, Any]:
    return await mutate(
        graphql,
        TRANSITION,
        {"caseId": gid("Case", case_id), "version": version, "toStage": to_stage, **extra},
        token,
    )


async def test_a_case_moves_through_its_workflow_and_reopening_keeps_the_history(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    worker = token_of(world, tokens, "lahore_worker")
    case_id = world.cases["lahore"]
    version = 1
    for stage in ("ASSESSED", "CASE_PLAN", "IMPLEMENTATION", "REVIEW", "IMPLEMENTATION", "REVIEW"):
        payload = await move(graphql, worker, case_id, version, stage)
        assert payload["errors"] == [], stage
        version = payload["case"]["version"]
        assert payload["case"]["stage"] == stage
    closed = await move(graphql, worker, case_id, version, "CLOSED", reason="Withdrawn from work, in school")
    assert closed["errors"] == []
    assert closed["case"]["closedAt"] is not None
    reopened = await move(
        graphql, worker, case_id, closed["case"]["version"], "REOPENED", reason="Back at the kiln"
    )
    case = reopened["case"]
    assert (case["stage"], case["closedAt"], case["version"]) == ("REOPENED", None, 9)
    changes = [(e["fromStage"], e["toStage"]) for e in case["events"] if e["type"] == "STAGE_CHANGED"]
    assert changes[:2] == [("CLOSED", "REOPENED"), ("REVIEW", "CLOSED")]
    assert len(changes) == 8
    assert case["events"][0]["note"] == "Back at the kiln"


async def test_moves_the_workflow_does_not_allow_are_refused_and_change_nothing(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token_of(world, tokens, "lahore_officer")
    case_id = world.cases["lahore"]
    before = await case_state(owner, case_id)
    skipping = await move(graphql, officer, case_id, 1, "IMPLEMENTATION")
    assert codes(skipping) == [("INVALID_TRANSITION", "toStage")]
    reopening_an_open_case = await move(graphql, officer, case_id, 1, "REOPENED")
    assert codes(reopening_an_open_case) == [("INVALID_TRANSITION", "toStage")]
    no_reason = await move(graphql, officer, case_id, 1, "CLOSED", reason="  ")
    assert codes(no_reason) == [("VALIDATION", "reason")]
    stale = await move(graphql, officer, case_id, 7, "ASSESSED")
    assert codes(stale) == [("CONFLICT", "version")]
    assert await case_state(owner, case_id) == before


async def test_closing_a_high_risk_case_needs_a_supervising_officer(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    worker = token_of(world, tokens, "lahore_worker")
    case_id = world.cases["lahore"]
    assessed = await move(graphql, worker, case_id, 1, "ASSESSED", riskLevel="HIGH")
    assert assessed["errors"] == []
    assert assessed["case"]["riskLevel"] == "HIGH"
    before = await case_state(owner, case_id)
    refused = await move(graphql, worker, case_id, 2, "CLOSED", reason="Family moved away")
    assert codes(refused) == [("APPROVAL_REQUIRED", "toStage")]
    assert await case_state(owner, case_id) == before
    approved = await move(
        graphql, token_of(world, tokens, "lahore_officer"), case_id, 2, "CLOSED", reason="Family moved away"
    )
    assert approved["errors"] == []
    assert approved["case"]["stage"] == "CLOSED"
    data = await owner.fetchval(
        "SELECT data FROM case_events WHERE case_id = $1 AND to_stage = 'CLOSED'", case_id
    )
    assert f'"approvedBy": {world.users["lahore_officer"]}' in data


@pytest.mark.parametrize("who", ["karachi_officer", "other_worker", "police", "analyst"])
async def test_a_case_out_of_reach_cannot_be_moved_assigned_or_annotated(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any], who: str
) -> None:
    """Karachi is another district; the other worker is not assigned to this case; police and analysts
    do not work cases. All get "not found", and the case is untouched."""
    token = token_of(world, tokens, who)
    case_id = world.cases["lahore"]
    before = await case_state(owner, case_id)
    moved = await move(graphql, token, case_id, 1, "ASSESSED")
    assigned = await mutate(
        graphql,
        ASSIGN,
        {"caseId": gid("Case", case_id), "version": 1, "assignTo": gid("User", world.users["other_worker"])},
        token,
    )
    noted = await mutate(graphql, NOTE, {"caseId": gid("Case", case_id), "note": "Visited"}, token)
    for payload in (moved, assigned, noted):
        assert codes(payload) == [("NOT_FOUND", "caseId")]
    assert await case_state(owner, case_id) == before


async def test_two_concurrent_updates_of_one_case_one_wins_the_other_conflicts_nothing_lost(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    case_id = world.cases["lahore"]
    worker = token_of(world, tokens, "lahore_worker")
    officer = token_of(world, tokens, "lahore_officer")
    results = await asyncio.gather(
        move(graphql, worker, case_id, 1, "ASSESSED", riskLevel="MEDIUM"),
        move(graphql, officer, case_id, 1, "CLOSED", reason="Duplicate of another case"),
    )
    outcomes = sorted(("ok" if not result["errors"] else result["errors"][0]["code"]) for result in results)
    assert outcomes == ["CONFLICT", "ok"]
    winner = next(result for result in results if not result["errors"])
    stage, _, version, _, _, _ = await case_state(owner, case_id)
    assert (stage, version) == (winner["case"]["stage"], 2)
    changes = await count(
        owner, "SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'STAGE_CHANGED'", case_id
    )
    assert changes == 1


async def test_a_supervising_officer_assigns_a_case_to_a_caseworker_there(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    case_id = world.cases["lahore"]
    request = {
        "caseId": gid("Case", case_id),
        "version": 1,
        "assignTo": gid("User", world.users["other_worker"]),
    }
    by_worker = await mutate(graphql, ASSIGN, request, token_of(world, tokens, "lahore_worker"))
    assert codes(by_worker) == [("APPROVAL_REQUIRED", "assignTo")]
    payload = await mutate(graphql, ASSIGN, request, token_of(world, tokens, "lahore_officer"))
    assert payload["errors"] == []
    assert payload["case"] == {"version": 2, "assignedTo": {"id": gid("User", world.users["other_worker"])}}
    # The previous worker no longer sees it; the new one does.
    visible = """query($id: ID!) { node(id: $id) { id } }"""
    gone = await graphql.data(
        visible, {"id": gid("Case", case_id)}, token=token_of(world, tokens, "lahore_worker")
    )
    assert gone["node"] is None
    mine = await graphql.data(
        visible, {"id": gid("Case", case_id)}, token=token_of(world, tokens, "other_worker")
    )
    assert mine["node"] is not None
    elsewhere = {**request, "version": 2, "assignTo": gid("User", world.users["karachi_officer"])}
    refused = await mutate(graphql, ASSIGN, elsewhere, token_of(world, tokens, "lahore_officer"))
    assert codes(refused) == [("NOT_FOUND", "assignTo")]
    assert (
        await owner.fetchval("SELECT assigned_to_id FROM cases WHERE id = $1", case_id)
        == world.users["other_worker"]
    )


async def test_a_note_joins_the_history_and_needs_pii_rights_to_read(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    case_id = world.cases["lahore"]
    request = {
        "caseId": gid("Case", case_id),
        "note": "Met the mother at the kiln",
        "idempotencyKey": "note-0001-abc",
    }
    payload = await mutate(graphql, NOTE, request, token_of(world, tokens, "lahore_worker"))
    assert payload["errors"] == []
    assert payload["event"] == {
        "type": "NOTE_ADDED",
        "note": "Met the mother at the kiln",
        "actor": {"id": gid("User", world.users["lahore_worker"])},
    }
    again = await mutate(graphql, NOTE, request, token_of(world, tokens, "lahore_worker"))
    assert again["errors"] == []
    assert await count(owner, "SELECT count(*) FROM case_events WHERE type = 'NOTE_ADDED'") == 1
    empty = await mutate(
        graphql, NOTE, {"caseId": gid("Case", case_id), "note": " "}, token_of(world, tokens, "lahore_worker")
    )
    assert codes(empty) == [("VALIDATION", "note")]


async def test_a_case_with_an_open_transfer_request_cannot_be_closed(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    case_id = world.cases["lahore"]
    await owner.execute(
        "INSERT INTO transfers (case_id, from_jurisdiction_id, from_path, to_jurisdiction_id, to_path, status,"
        " reason, requested_at) VALUES ($1, $2, $3, $4, $5, 'REQUESTED', 'Family moved to Multan', now())",
        case_id,
        world.tree.lahore_community.id,
        world.tree.lahore_community.path,
        world.tree.multan.id,
        world.tree.multan.path,
    )
    before = await case_state(owner, case_id)
    payload = await move(
        graphql, token_of(world, tokens, "lahore_officer"), case_id, 1, "CLOSED", reason="Moved away"
    )
    assert codes(payload) == [("INVALID_TRANSITION", "toStage")]
    assert await case_state(owner, case_id) == before


async def client_token(
    client: httpx.AsyncClient, owner: asyncpg.Connection[Any], world: World, scopes: list[str]
) -> str:
    """A real client-credentials token of a partner system bound to the Lahore district."""
    organisation = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["lahore_officer"]
    )
    _, client_id = await make_api_client(
        owner,
        world.tree.lahore,
        organisation_id=organisation,
        created_by=world.users["lahore_officer"],
        scopes=scopes,
    )
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "test-secret")
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_partner_system_opens_and_moves_cases_with_its_scopes_and_is_recorded_as_the_actor(
    world: World, graphql: GraphQLClient, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    writer = await client_token(client, owner, world, ["children:read", "cases:read", "cases:write"])
    reader = await client_token(client, owner, world, ["children:read", "cases:read"])
    request = {"childId": gid("Child", world.children["lahore"]), "kind": "CHILD_LABOUR", "riskLevel": "LOW"}

    opened = await mutate(graphql, OPEN, request, writer)
    assert opened["errors"] == []
    case_id = int(from_base64(opened["case"]["id"])[1])
    actors = await owner.fetch(
        "SELECT actor_user_id, actor_client_id FROM case_events WHERE case_id = $1", case_id
    )
    assert [(row["actor_user_id"], row["actor_client_id"] is not None) for row in actors] == [(None, True)]
    moved = await move(graphql, writer, case_id, 1, "ASSESSED")
    assert moved["errors"] == []

    # Without cases:write the same client is refused, and nothing is written.
    before = await case_state(owner, case_id)
    refused_open = await mutate(graphql, OPEN, request, reader)
    refused_move = await move(graphql, reader, case_id, 2, "CASE_PLAN")
    assert codes(refused_open) == [("NOT_FOUND", "jurisdictionCode")]
    assert codes(refused_move) == [("NOT_FOUND", "caseId")]
    assert await case_state(owner, case_id) == before
    # A client never supervises: it cannot close a high-risk case or assign one.
    await move(graphql, writer, case_id, 2, "CASE_PLAN", riskLevel="HIGH")
    closing = await move(graphql, writer, case_id, 3, "CLOSED", reason="Done")
    assert codes(closing) == [("APPROVAL_REQUIRED", "toStage")]
