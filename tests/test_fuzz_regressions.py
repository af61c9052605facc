"""Bugs the fuzz test (``test_fuzz.py``) found, each pinned by the smallest request that showed it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, bearer, gid, mutate, user_token
from tests.factories import World, make_world


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


def officer(world: World, tokens: TokenService) -> str:
    return user_token(tokens, world.users["lahore_officer"])


async def test_an_anonymous_request_resolves_root_fields_side_by_side(
    world: World, graphql: GraphQLClient
) -> None:
    """Anonymous requests set no scope, so their session had no connection yet when the root fields
    started: two loaders raced to open one ("This session is provisioning a new connection")."""
    case, child = gid("Case", world.cases["lahore"]), gid("Child", world.children["lahore"])

    data = await graphql.data(f'{{ node(id: "{case}") {{ id }} nodes(ids: ["{child}"]) {{ id }} }}')

    assert data == {"node": None, "nodes": [None]}


@pytest.mark.parametrize("row_id", ["\u00b2", "\u0663", "99999999999999999999", "9223372036854775808"])
async def test_an_id_whose_number_is_no_row_id_is_not_found(
    world: World, tokens: TokenService, graphql: GraphQLClient, row_id: str
) -> None:
    """``str.isdigit`` takes "²" and "٣" (then ``int`` fails), and a number past bigint failed in the
    database: both were unexpected errors."""
    token = officer(world, tokens)
    odd = to_base64("Case", row_id)

    data = await graphql.data(f'{{ node(id: "{odd}") {{ id }} nodes(ids: ["{odd}"]) {{ id }} }}', token=token)
    note = await mutate(
        graphql,
        "mutation($input: AddCaseNoteInput!) { addCaseNote(input: $input) { errors { code field } } }",
        {"caseId": odd, "note": "Visited the family."},
        token,
    )
    revoked = await mutate(
        graphql,
        "mutation($input: RevokeApiClientInput!) { revokeApiClient(input: $input) { errors { code field } } }",
        {"id": to_base64("ApiClient", row_id)},
        token,
    )
    audit = await graphql.post(
        "query($actor: ID) { auditEvents(filter: {actor: $actor}) { totalCount } }",
        {"actor": to_base64("User", row_id)},
        token=user_token(tokens, world.users["auditor"]),
    )

    assert data == {"node": None, "nodes": [None]}
    assert note["errors"] == [{"code": "VALIDATION", "field": "caseId"}]
    assert revoked["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in audit["errors"]] == [
        ("VALIDATION", "actor")
    ]


async def test_a_statement_whose_awaiter_is_cancelled_runs_to_its_end(app: FastAPI) -> None:
    """graphql-core cancels the sibling fields of a field that fails; a statement cancelled halfway made
    SQLAlchemy close the connection under the request, whose next statement then failed."""
    sessions: async_sessionmaker[AsyncSession] = app.state.sessions
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
        slow = asyncio.ensure_future(session.execute(text("SELECT pg_sleep(0.2)")))
        await asyncio.sleep(0.05)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow

        assert await session.scalar(text("SELECT 2")) == 2
        await session.commit()


async def test_a_failing_root_field_leaves_its_siblings_database_work_whole(
    world: World,
    tokens: TokenService,
    client: httpx.AsyncClient,
    graphql: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bad cursor in one root field while another was reading: the reader was cancelled mid-statement,
    the connection closed under the request, and closing its session failed (after the answer, or
    before it: a 503)."""
    caplog.set_level(logging.WARNING)
    token = officer(world, tokens)
    case = gid("Case", world.cases["lahore"])
    query = f'{{ nodes(ids: ["{case}"]) {{ id ... on Case {{ child {{ id }} }} }} cases(before: "bad") {{ totalCount }} }}'

    for _ in range(10):
        response = await client.post("/graphql", json={"query": query}, headers=bearer(token))
        assert response.status_code == 200, response.text
        errors = response.json()["errors"]
        assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in errors] == [
            ("VALIDATION", "before")
        ]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert (await graphql.data("{ cases { totalCount } }", token=token))["cases"]["totalCount"] == 2


async def test_text_with_a_nul_character_is_refused_as_a_bad_input(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    """PostgreSQL's text cannot hold U+0000: the database refused it halfway, an unexpected error."""
    token = officer(world, tokens)
    events_before = await owner.fetchval("SELECT count(*) FROM case_events")

    literal = await graphql.post('{ jurisdiction(code: "PK-PB\\u0000") { id } }', token=token)
    variable = await graphql.post(
        "query($code: String!) { jurisdiction(code: $code) { id } }", {"code": "PK-PB\x00"}, token=token
    )
    note = await graphql.post(
        "mutation($input: AddCaseNoteInput!) { addCaseNote(input: $input) { errors { code } } }",
        {"input": {"caseId": gid("Case", world.cases["lahore"]), "note": "Seen\x00"}},
        token=token,
    )

    for body in (literal, variable, note):
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"]
    assert await owner.fetchval("SELECT count(*) FROM case_events") == events_before


async def test_an_id_that_is_not_a_global_id_is_refused_with_a_typed_error(graphql: GraphQLClient) -> None:
    body = await graphql.post(
        """mutation { endIntervention(input: {interventionId: "not-a-global-id", endedOn: "2026-01-01",
           completed: true}) { errors { code } } }"""
    )
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["VALIDATION"]
    assert "not-a-global-id" in body["errors"][0]["message"]
