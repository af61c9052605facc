"""A jurisdiction's code and place never change, so a process remembers where a code is: a list filtered by
a place looks it up once."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from registry.auth.tokens import TokenService
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import GraphQLClient, StatementLog, make_settings, user_token
from tests.factories import World, make_case, make_child, make_jurisdiction, make_world

CASES = "query($code: String!) { cases(first: 5, filter: {withinCode: $code}) { edges { node { id } } } }"


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def test_the_app_role_may_rename_a_jurisdiction_but_not_move_or_recode_it(
    world: World, database: URL
) -> None:
    lahore = world.tree.lahore
    as_app = await connect_owner(app_url_for(database, make_settings()))
    try:
        async with as_app.transaction():
            await as_app.execute(
                "SELECT set_config('registry.admin_scope', $1, true)", f"{{{lahore.path}.*}}"
            )
            renamed = await as_app.execute(
                "UPDATE jurisdictions SET name = 'Lahore City' WHERE id = $1", lahore.id
            )
        for change in ("code = 'PK-ELSEWHERE'", "path = '1.99'", "parent_id = NULL", "level = 'PROVINCIAL'"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_app.execute(f"UPDATE jurisdictions SET {change} WHERE id = $1", lahore.id)
    finally:
        await as_app.close()

    assert renamed == "UPDATE 1"


async def test_a_place_is_looked_up_once_per_process(
    world: World, tokens: TokenService, graphql: GraphQLClient, statements: StatementLog
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    code = {"code": world.tree.lahore.code}
    await graphql.data("{ __typename }", token=token)

    statements.clear()
    first = await graphql.data(CASES, code, token=token)
    looked_up = len(statements)
    statements.clear()
    again = await graphql.data(CASES, code, token=token)

    assert again == first
    assert first["cases"]["edges"]
    assert looked_up == len(statements) + 1, statements.statements


async def test_a_place_created_after_a_miss_is_found(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = user_token(tokens, world.users["punjab_manager"])
    code = {"code": "PK-PB-NEWTOWN"}
    assert (await graphql.data(CASES, code, token=token))["cases"]["edges"] == []

    newtown = await make_jurisdiction(
        owner, code["code"], "DISTRICT", parent=world.tree.punjab, name="Newtown"
    )
    await make_case(owner, await make_child(owner, newtown), newtown)

    found = await graphql.data(CASES, code, token=token)
    assert len(found["cases"]["edges"]) == 1
