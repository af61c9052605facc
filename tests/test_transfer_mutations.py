"""Transfers through GraphQL with real tokens: the sending side asks, the receiving side answers, and on
acceptance the case (with its history, and the child when nothing keeps it behind) moves from one
district's sight to the other's at that moment."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, codes, user_token
from tests.factories import World, make_case, make_user, make_world

REQUEST = """mutation($input: RequestTransferInput!) { requestTransfer(input: $input) {
  transfer { id status version reason fromJurisdiction { code } toJurisdiction { code } case { id } }
  errors { code field message } } }"""
RESPOND = """mutation($input: RespondToTransferInput!) { respondToTransfer(input: $input) {
  transfer { id status version responseNote }
  case { id version jurisdiction { code } assignedTo { id } events(last: 10) { type } }
  errors { code field message } } }"""
CANCEL = """mutation($input: CancelTransferInput!) { cancelTransfer(input: $input) {
  transfer { id status version } errors { code field message } } }"""
TRANSFER = """query($id: ID!) { node(id: $id) { ... on Transfer { id status toJurisdiction { code } } } }"""
CASE = """query($id: ID!) { node(id: $id) { ... on Case { id jurisdiction { code } events(last: 10) { type } } } }"""
CHILD = """query($id: ID!) { node(id: $id) { ... on Child { id } } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    world = await make_world(owner)
    org = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["lahore_officer"]
    )
    world.users["multan_officer"] = await make_user(
        owner, "DISTRICT_OFFICER", world.tree.multan, organisation_id=org
    )
    world.users["multan_worker"] = await make_user(
        owner, "CASE_WORKER", world.tree.multan, organisation_id=org
    )
    return world


def case_id(world: World, key: str = "lahore") -> str:
    return to_base64("Case", world.cases[key])


def token(tokens: TokenService, world: World, who: str) -> str:
    return user_token(tokens, world.users[who])


async def request(
    graphql: GraphQLClient, tok: str, case: str, *, to: str = "PK-PB-MULTAN", version: int = 1, **extra: Any
) -> dict[str, Any]:
    variables = {
        "input": {"caseId": case, "version": version, "toJurisdictionCode": to} | {"reason": "moved"}
    }
    variables["input"] |= extra
    data = await graphql.data(REQUEST, variables, token=tok)
    payload: dict[str, Any] = data["requestTransfer"]
    return payload


async def respond(
    graphql: GraphQLClient,
    tok: str,
    transfer: str,
    response: str,
    *,
    version: int = 1,
    note: str | None = None,
) -> dict[str, Any]:
    variables = {"input": {"transferId": transfer, "version": version, "response": response, "note": note}}
    payload: dict[str, Any] = (await graphql.data(RESPOND, variables, token=tok))["respondToTransfer"]
    return payload


async def cancel(graphql: GraphQLClient, tok: str, transfer: str, *, version: int = 1) -> dict[str, Any]:
    variables = {"input": {"transferId": transfer, "version": version, "reason": "family stayed"}}
    payload: dict[str, Any] = (await graphql.data(CANCEL, variables, token=tok))["cancelTransfer"]
    return payload


async def sees(graphql: GraphQLClient, tok: str, query: str, node_id: str) -> bool:
    return (await graphql.data(query, {"id": node_id}, token=tok))["node"] is not None


async def case_row(owner: asyncpg.Connection[Any], world: World, key: str = "lahore") -> dict[str, Any]:
    row = await owner.fetchrow(
        "SELECT c.version, c.path::text AS path, c.assigned_to_id, j.code FROM cases c"
        " JOIN jurisdictions j ON j.id = c.jurisdiction_id WHERE c.id = $1",
        world.cases[key],
    )
    assert row is not None
    return dict(row)


async def transfer_count(owner: asyncpg.Connection[Any], world: World, key: str = "lahore") -> int:
    count: int = await owner.fetchval("SELECT count(*) FROM transfers WHERE case_id = $1", world.cases[key])
    return count


async def test_visibility_moves_from_one_district_to_the_other_at_the_moment_of_acceptance(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    lahore, multan = token(tokens, world, "lahore_officer"), token(tokens, world, "multan_officer")
    child = to_base64("Child", world.children["lahore"])
    asked = await request(graphql, lahore, case_id(world))
    transfer = asked["transfer"]["id"]

    assert asked["errors"] == []
    assert asked["transfer"]["status"] == "REQUESTED"
    assert asked["transfer"]["fromJurisdiction"]["code"] == "PK-PB-LAHORE-UC1"
    assert asked["transfer"]["toJurisdiction"]["code"] == "PK-PB-MULTAN"
    # While open: both sides see the request; only the sending side sees the case and the child.
    assert await sees(graphql, lahore, TRANSFER, transfer)
    assert await sees(graphql, multan, TRANSFER, transfer)
    assert await sees(graphql, lahore, CASE, case_id(world))
    assert not await sees(graphql, multan, CASE, case_id(world))
    assert not await sees(graphql, multan, CHILD, child)
    assert not await sees(graphql, token(tokens, world, "karachi_officer"), TRANSFER, transfer)

    accepted = await respond(graphql, multan, transfer, "ACCEPT", note="worker to be named")

    assert accepted["errors"] == []
    assert accepted["transfer"]["status"] == "ACCEPTED"
    assert accepted["transfer"]["version"] == 2
    assert accepted["case"]["jurisdiction"]["code"] == "PK-PB-MULTAN"
    assert accepted["case"]["assignedTo"] is None  # the new side assigns its own worker
    assert accepted["case"]["version"] == 2
    # History kept whole, and now the receiving side's to read.
    assert accepted["case"]["events"][:3] == [
        {"type": "TRANSFER_ACCEPTED"},
        {"type": "TRANSFER_REQUESTED"},
        {"type": "OPENED"},
    ]
    assert not await sees(graphql, lahore, CASE, case_id(world))
    assert not await sees(graphql, token(tokens, world, "lahore_worker"), CASE, case_id(world))
    assert not await sees(graphql, lahore, CHILD, child)
    assert await sees(graphql, multan, CASE, case_id(world))
    assert await sees(graphql, multan, CHILD, child)
    # The sending side keeps sight of its request, and so where the case went.
    assert await sees(graphql, lahore, TRANSFER, transfer)
    row = await case_row(owner, world)
    assert (row["code"], row["assigned_to_id"], row["version"]) == ("PK-PB-MULTAN", None, 2)
    assert await owner.fetchval(
        "SELECT path::text FROM children WHERE id = $1", world.children["lahore"]
    ) == str(world.tree.multan.path)
    events = await owner.fetch(
        "SELECT type::text, data FROM case_events WHERE case_id = $1 ORDER BY id", world.cases["lahore"]
    )
    assert [e["type"] for e in events] == ["OPENED", "TRANSFER_REQUESTED", "TRANSFER_ACCEPTED"]


async def test_a_child_with_another_open_case_in_the_sending_district_stays_there(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await make_case(owner, world.children["lahore"], world.tree.lahore)
    lahore, multan = token(tokens, world, "lahore_officer"), token(tokens, world, "multan_officer")
    transfer = (await request(graphql, lahore, case_id(world)))["transfer"]["id"]

    accepted = await respond(graphql, multan, transfer, "ACCEPT")

    assert accepted["errors"] == []
    assert (await case_row(owner, world))["code"] == "PK-PB-MULTAN"
    assert await owner.fetchval(
        "SELECT path::text FROM children WHERE id = $1", world.children["lahore"]
    ) == str(world.tree.lahore_community.path)
    assert await sees(graphql, lahore, CHILD, to_base64("Child", world.children["lahore"]))


async def test_a_rejected_transfer_leaves_the_case_where_it_was_and_may_be_asked_again(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    lahore, multan = token(tokens, world, "lahore_officer"), token(tokens, world, "multan_officer")
    transfer = (await request(graphql, lahore, case_id(world)))["transfer"]["id"]

    without_note = await respond(graphql, multan, transfer, "REJECT")
    rejected = await respond(graphql, multan, transfer, "REJECT", note="no capacity this month")
    again = await request(graphql, lahore, case_id(world), to="PK-SD-KARACHI-SOUTH")

    assert codes(without_note) == [("VALIDATION", "note")]
    assert rejected["errors"] == []
    assert rejected["transfer"]["status"] == "REJECTED"
    assert rejected["transfer"]["responseNote"] == "no capacity this month"
    assert rejected["case"] is None  # still not the receiving side's to see
    assert again["errors"] == []
    row = await case_row(owner, world)
    assert (row["code"], row["assigned_to_id"], row["version"]) == (
        "PK-PB-LAHORE-UC1",
        world.users["lahore_worker"],
        1,
    )
    events = (await graphql.data(CASE, {"id": case_id(world)}, token=lahore))["node"]["events"]
    assert [e["type"] for e in events][:3] == [
        "TRANSFER_REQUESTED",
        "TRANSFER_REJECTED",
        "TRANSFER_REQUESTED",
    ]


async def test_retrying_a_request_with_the_same_idempotency_key_returns_the_same_transfer(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    lahore = token(tokens, world, "lahore_officer")

    first = await request(graphql, lahore, case_id(world), idempotencyKey="transfer-0001")
    retry = await request(graphql, lahore, case_id(world), idempotencyKey="transfer-0001")
    misuse = await request(
        graphql, lahore, case_id(world), to="PK-SD-KARACHI-SOUTH", idempotencyKey="transfer-0001"
    )

    assert first["errors"] == []
    assert retry["errors"] == []
    assert retry["transfer"]["id"] == first["transfer"]["id"]
    assert codes(misuse) == [("CONFLICT", "idempotencyKey")]
    assert await transfer_count(owner, world) == 1
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM case_events WHERE case_id = $1 AND type = 'TRANSFER_REQUESTED'",
            world.cases["lahore"],
        )
        == 1
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"version": 7}, [("CONFLICT", "version")]),
        ({"to": "PK-NOWHERE"}, [("NOT_FOUND", "toJurisdictionCode")]),
        ({"to": "PK-PB"}, [("VALIDATION", "toJurisdictionCode")]),  # above the case: not a transfer
        ({"to": "PK-PB-LAHORE-UC1"}, [("VALIDATION", "toJurisdictionCode")]),
        ({"reason": "  "}, [("VALIDATION", "reason")]),
    ],
)
async def test_a_request_that_cannot_be_made_is_refused_with_its_code_and_changes_nothing(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    changes: dict[str, Any],
    expected: list[tuple[str, str | None]],
) -> None:
    lahore = token(tokens, world, "lahore_officer")
    to = changes.pop("to", "PK-PB-MULTAN")

    refused = await request(graphql, lahore, case_id(world), to=to, **changes)

    assert codes(refused) == expected
    assert refused["transfer"] is None
    assert await transfer_count(owner, world) == 0


async def test_one_open_request_per_case(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    lahore = token(tokens, world, "lahore_officer")
    await request(graphql, lahore, case_id(world))

    second = await request(graphql, lahore, case_id(world), to="PK-SD-KARACHI-SOUTH")

    assert codes(second) == [("CONFLICT", "caseId")]
    assert await transfer_count(owner, world) == 1


async def test_a_closed_case_is_not_transferred(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    closed = await make_case(owner, world.children["lahore"], world.tree.lahore, stage="CLOSED")

    refused = await request(graphql, token(tokens, world, "lahore_officer"), to_base64("Case", closed))

    assert codes(refused) == [("INVALID_TRANSITION", "caseId")]
    assert await owner.fetchval("SELECT count(*) FROM transfers") == 0


async def test_a_case_outside_scope_is_not_found_and_nothing_is_requested(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    for who in ("karachi_officer", "multan_officer", "other_worker", "police", "admin"):
        refused = await request(graphql, token(tokens, world, who), case_id(world))
        assert codes(refused) == [("NOT_FOUND", "caseId")], who

    assert await transfer_count(owner, world) == 0
    assert (await case_row(owner, world))["version"] == 1


async def test_only_the_receiving_side_answers_others_find_nothing_and_change_nothing(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    transfer = (await request(graphql, token(tokens, world, "lahore_officer"), case_id(world)))["transfer"][
        "id"
    ]

    # The sending side, another province, and a caseworker of the receiving district (who works only
    # cases assigned to them) cannot accept.
    for who in ("lahore_officer", "karachi_officer", "multan_worker", "lahore_worker"):
        refused = await respond(graphql, token(tokens, world, who), transfer, "ACCEPT")
        assert codes(refused) == [("NOT_FOUND", "transferId")], who

    row = await owner.fetchrow(
        "SELECT status::text, version FROM transfers WHERE case_id = $1", world.cases["lahore"]
    )
    assert row is not None
    assert dict(row) == {"status": "REQUESTED", "version": 1}
    assert (await case_row(owner, world))["code"] == "PK-PB-LAHORE-UC1"


async def test_an_answer_to_an_outdated_version_conflicts_and_a_second_answer_is_an_invalid_transition(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    multan = token(tokens, world, "multan_officer")
    transfer = (await request(graphql, token(tokens, world, "lahore_officer"), case_id(world)))["transfer"][
        "id"
    ]

    stale = await respond(graphql, multan, transfer, "ACCEPT", version=5)
    rejected = await respond(graphql, multan, transfer, "REJECT", note="not ours")
    twice = await respond(graphql, multan, transfer, "ACCEPT", version=2)

    assert codes(stale) == [("CONFLICT", "version")]
    assert rejected["errors"] == []
    assert codes(twice) == [("INVALID_TRANSITION", "response")]
    assert (await case_row(owner, world))["code"] == "PK-PB-LAHORE-UC1"


async def test_the_sending_side_cancels_an_open_request_and_it_can_no_longer_be_answered(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    lahore, multan = token(tokens, world, "lahore_officer"), token(tokens, world, "multan_officer")
    transfer = (await request(graphql, lahore, case_id(world)))["transfer"]["id"]

    by_receiver = await cancel(graphql, multan, transfer)
    stale = await cancel(graphql, lahore, transfer, version=3)
    cancelled = await cancel(graphql, lahore, transfer)
    again = await cancel(graphql, lahore, transfer, version=2)
    answered = await respond(graphql, multan, transfer, "ACCEPT", version=2)

    assert codes(by_receiver) == [("NOT_FOUND", "transferId")]
    assert codes(stale) == [("CONFLICT", "version")]
    assert cancelled["errors"] == []
    assert cancelled["transfer"]["status"] == "CANCELLED"
    assert codes(again) == [("INVALID_TRANSITION", "transferId")]
    assert codes(answered) == [("INVALID_TRANSITION", "response")]
    assert (await case_row(owner, world))["code"] == "PK-PB-LAHORE-UC1"
    events = await owner.fetch(
        "SELECT type::text FROM case_events WHERE case_id = $1 ORDER BY id", world.cases["lahore"]
    )
    assert [e["type"] for e in events] == ["OPENED", "TRANSFER_REQUESTED", "TRANSFER_CANCELLED"]


async def test_the_database_refuses_an_answer_from_outside_the_destination_whatever_the_code_does(
    world: World, owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """The second wall: called directly by the app's role with the sending district's scope, the function
    finds nothing to answer."""
    await request(graphql, token(tokens, world, "lahore_officer"), case_id(world))
    transfer_id = await owner.fetchval("SELECT id FROM transfers WHERE case_id = $1", world.cases["lahore"])
    lahore_scope = "{" + world.tree.lahore.path + ".*}"

    async with owner.transaction():
        await owner.execute("SET LOCAL ROLE registry_app")
        await owner.execute("SELECT set_config('registry.scope', $1, true)", lahore_scope)
        result = await owner.fetchval(
            "SELECT registry_respond_to_transfer($1, 1, true, NULL, now(), NULL, NULL)", transfer_id
        )

    assert result == "NOT_FOUND"
    assert (await case_row(owner, world))["code"] == "PK-PB-LAHORE-UC1"
