"""The fixed cost of a signed-in request: one statement authenticates it and scopes its transaction, and the
principal this process remembers for a token never outlives a change to its subject."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.db.queries import auth as queries
from tests.conftest import GraphQLClient, StatementLog, bearer, gid, user_token
from tests.factories import World, make_api_client, make_world

VIEWER = "{ viewer { kind grants { role jurisdiction { code } } } }"
CASE = "query($id: ID!) { node(id: $id) { ... on Case { caseNumber } } }"


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def case_seen(graphql: GraphQLClient, token: str, case_id: int) -> bool:
    data = await graphql.data(CASE, {"id": gid("Case", case_id)}, token=token)
    return data["node"] is not None


async def test_a_signed_in_request_costs_one_statement_once_its_token_is_known(
    world: World, tokens: TokenService, graphql: GraphQLClient, statements: StatementLog
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])

    statements.clear()
    await graphql.data("{ __typename }", token=token)
    first = len(statements)
    statements.clear()
    await graphql.data("{ __typename }", token=token)
    again = len(statements)

    # A token new to this process: its subject is read, then its scope set. After that, one statement.
    assert (first, again) == (2, 1), statements.statements


async def test_a_role_removed_after_the_token_was_used_is_gone_on_the_very_next_request(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = world.users["lahore_officer"]
    token = user_token(tokens, officer)
    assert await case_seen(graphql, token, world.cases["lahore"])

    await owner.execute("DELETE FROM role_assignments WHERE user_id = $1", officer)

    assert not await case_seen(graphql, token, world.cases["lahore"])
    assert (await graphql.data(VIEWER, token=token))["viewer"]["grants"] == []


async def test_a_role_moved_elsewhere_moves_the_scope_on_the_very_next_request(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = world.users["lahore_officer"]
    token = user_token(tokens, officer)
    assert await case_seen(graphql, token, world.cases["lahore"])
    assert not await case_seen(graphql, token, world.cases["karachi"])

    karachi = world.tree.karachi
    await owner.execute(
        "UPDATE role_assignments SET jurisdiction_id = $2, path = $3 WHERE user_id = $1",
        officer,
        karachi.id,
        karachi.path,
    )

    assert not await case_seen(graphql, token, world.cases["lahore"])
    assert await case_seen(graphql, token, world.cases["karachi"])


async def test_a_disabled_person_and_a_revoked_token_are_refused_though_known(
    world: World, tokens: TokenService, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    officer, worker = world.users["lahore_officer"], world.users["lahore_worker"]
    disabled, revoked = user_token(tokens, officer), user_token(tokens, worker)
    _, revoked_claims = tokens.issue(PrincipalKind.USER, worker, client_id="registry-tests", scope="")
    for token in (disabled, revoked, disabled, revoked):
        response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
        assert response.status_code == 200

    await owner.execute("UPDATE users SET active = false WHERE id = $1", officer)
    jti = tokens.verify(revoked).jti
    await owner.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, now() + interval '1 hour')", jti
    )

    for token in (disabled, revoked):
        response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
        assert response.status_code == 401
    # The worker's other token still works: revocation is per token.
    other = user_token(tokens, worker)
    assert revoked_claims.jti != jti
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer(other))).status_code == 200


async def test_a_client_loses_what_its_creator_loses_though_its_token_is_known(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = world.users["lahore_officer"]
    organisation = await owner.fetchval("SELECT organisation_id FROM users WHERE id = $1", officer)
    client_db_id, client_id = await make_api_client(
        owner, world.tree.lahore, organisation_id=organisation, created_by=officer, scopes=["cases:read"]
    )
    token, _ = tokens.issue(PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="cases:read")
    assert await case_seen(graphql, token, world.cases["lahore"])

    await owner.execute("DELETE FROM role_assignments WHERE user_id = $1", officer)

    assert not await case_seen(graphql, token, world.cases["lahore"])
    assert (await graphql.data(VIEWER, token=token))["viewer"]["grants"] == []


async def test_people_taking_turns_each_get_their_own_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    lahore = user_token(tokens, world.users["lahore_officer"])
    karachi = user_token(tokens, world.users["karachi_officer"])

    for _ in range(3):
        assert await case_seen(graphql, lahore, world.cases["lahore"])
        assert not await case_seen(graphql, karachi, world.cases["lahore"])
        assert await case_seen(graphql, karachi, world.cases["karachi"])
        assert not await case_seen(graphql, lahore, world.cases["karachi"])


async def test_a_snapshot_that_no_longer_matches_scopes_the_transaction_to_nothing(
    world: World, app: FastAPI
) -> None:
    sessions: async_sessionmaker[AsyncSession] = app.state.sessions
    wide = queries.ScopeSettings(records="{*}", admin="{*}", statistics="{*}")
    async with sessions() as session:
        current = await queries.authenticate_and_scope(
            session,
            PrincipalKind.USER.value,
            subject_id=world.users["lahore_officer"],
            external_subject=None,
            jti="never-issued",
            expected="a snapshot of another time",
            settings=wide,
        )
        scope = await session.scalar(text("SELECT current_setting('registry.scope', true)"))
        cases = await session.scalar(text("SELECT count(*) FROM cases"))

    assert current is not None
    assert not current.scoped
    assert current.snapshot is not None
    assert (scope, cases) == ("", 0)


async def test_answers_are_compact_utf8_json(world: World, client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": '{ jurisdiction(code: "PK") { name } }'})

    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"jurisdiction": {"name": "Pakistan"}}
    assert response.content == orjson.dumps(response.json())
