"""Subtrees matched by the ids of the path (migration 0011, :func:`registry.auth.policy.in_subtrees`): the
same rows as the ltree scope at every depth, kept right by the database whatever changes a path (a transfer,
a jurisdiction moved), and the pages read through them the pages the ltree answer gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from strawberry.relay import to_base64

from registry.auth.policy import in_subtrees, matches_scope
from registry.auth.tokens import TokenService
from registry.db.models import Case, Child
from tests.conftest import GraphQLClient, user_token
from tests.factories import (
    JurisdictionRow,
    make_case,
    make_child,
    make_jurisdiction,
    make_organisation,
    make_user,
    make_world,
    name_child,
)
from tests.test_children_mutations import client_token, registered, withdraw
from tests.test_transfer_mutations import request, respond


@dataclass(frozen=True)
class DeepTree:
    """PK → Punjab → Lahore division → Lahore → Model Town tehsil → a community (every optional level
    present: depth 6), Punjab → Multan (no division) → a community, and Sindh → Karachi."""

    nodes: dict[str, JurisdictionRow]


@pytest.fixture
async def deep_tree(owner: asyncpg.Connection[Any]) -> DeepTree:
    nodes: dict[str, JurisdictionRow] = {}

    async def add(key: str, code: str, level: str, parent: str | None) -> None:
        nodes[key] = await make_jurisdiction(owner, code, level, parent=nodes[parent] if parent else None)

    await add("nation", "PK", "NATIONAL", None)
    await add("punjab", "PK-PB", "PROVINCIAL", "nation")
    await add("sindh", "PK-SD", "PROVINCIAL", "nation")
    await add("division", "PK-PB-LHRDIV", "DIVISIONAL", "punjab")
    await add("lahore", "PK-PB-LAHORE", "DISTRICT", "division")
    await add("tehsil", "PK-PB-LAHORE-MT", "TEHSIL", "lahore")
    await add("community", "PK-PB-LAHORE-MT-UC1", "COMMUNITY", "tehsil")
    await add("multan", "PK-PB-MULTAN", "DISTRICT", "punjab")
    await add("multan_community", "PK-PB-MULTAN-UC1", "COMMUNITY", "multan")
    await add("karachi", "PK-SD-KARACHI", "DISTRICT", "sindh")
    # Two children with a case each at every node, the national one included.
    for where in nodes.values():
        for _ in range(2):
            await make_case(owner, await make_child(owner, where), where)
    return DeepTree(nodes)


@pytest.fixture
async def engine(database: URL) -> AsyncIterator[AsyncEngine]:
    """The owner's engine (row-level security lets the owner see every row)."""
    engine = create_async_engine(database, poolclass=NullPool)
    yield engine
    await engine.dispose()


async def ids(engine: AsyncEngine, column: Any, where: Any) -> set[int]:
    async with engine.connect() as connection:
        return set((await connection.execute(select(column).where(where))).scalars())


async def test_the_path_ids_select_the_same_rows_as_the_ltree_scope_at_every_depth(
    deep_tree: DeepTree, engine: AsyncEngine
) -> None:
    paths = [node.path for node in deep_tree.nodes.values()]
    root_sets = [[path] for path in paths] + [[a, b] for a in paths for b in paths if a < b]

    for roots in root_sets:
        scope = "{" + ",".join(f"{root}.*" for root in roots) + "}"
        for path, id_column in ((Case.path, Case.id), (Child.path, Child.id)):
            expected = await ids(engine, id_column, matches_scope(path, scope))
            assert expected, roots
            assert await ids(engine, id_column, in_subtrees(path, roots)) == expected, roots


async def test_the_path_ids_follow_a_path_the_database_changes(
    deep_tree: DeepTree, engine: AsyncEngine, owner: asyncpg.Connection[Any]
) -> None:
    # A jurisdiction moved in the tree carries its records' paths along (ON UPDATE CASCADE): their ids too.
    community, multan = deep_tree.nodes["community"], deep_tree.nodes["multan"]
    moved = f"{multan.path}.{community.id}"
    await owner.execute(
        "UPDATE jurisdictions SET parent_id = $2, path = $3 WHERE id = $1", community.id, multan.id, moved
    )
    cases = await owner.fetch(
        "SELECT id, path::text, path_id_2, path_id_3, path_id_4 FROM cases WHERE jurisdiction_id = $1",
        community.id,
    )

    labels = [int(label) for label in moved.split(".")]
    assert [tuple(row.values())[1:] for row in cases] == [(moved, labels[1], labels[2], labels[3])] * 2
    moved_cases = {row["id"] for row in cases}
    assert moved_cases <= await ids(engine, Case.id, in_subtrees(Case.path, [multan.path]))
    assert not moved_cases & await ids(
        engine, Case.id, in_subtrees(Case.path, [deep_tree.nodes["lahore"].path])
    )


CASES = """query($filter: CaseFilter, $first: Int, $after: String, $last: Int, $before: String) {
  cases(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }"""


async def walk(
    graphql: GraphQLClient, token: str, flt: dict[str, Any], *, backwards: bool
) -> tuple[list[str], int]:
    """Every case the filter finds, page by page (2 at a time), newest first; and the total count."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        variables: dict[str, Any] = {"filter": flt}
        variables |= {"last": 2, "before": cursor} if backwards else {"first": 2, "after": cursor}
        connection = (await graphql.data(CASES, variables, token=token))["cases"]
        page = [edge["node"]["id"] for edge in connection["edges"]]
        found = page + found if backwards else found + page
        info = connection["pageInfo"]
        if not (info["hasPreviousPage"] if backwards else info["hasNextPage"]):
            return found, connection["totalCount"]
        cursor = info["startCursor"] if backwards else info["endCursor"]


async def test_pages_of_a_subtree_at_every_depth_are_the_ltree_answer_newest_first_both_ways(
    deep_tree: DeepTree, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    nodes = deep_tree.nodes
    org = await make_organisation(owner, nodes["nation"], kind="MINISTRY")
    readers = {
        "punjab": await make_user(owner, "PROVINCIAL_MANAGER", nodes["punjab"], organisation_id=org),
        "lahore": await make_user(owner, "DISTRICT_OFFICER", nodes["lahore"], organisation_id=org),
        "tehsil": await make_user(owner, "DISTRICT_OFFICER", nodes["tehsil"], organisation_id=org),
    }

    for reader, user in readers.items():
        token = user_token(tokens, user)
        for within in [None, *nodes]:
            flt = {"withinCode": nodes[within].code} if within else {}
            rows = await owner.fetch(
                "SELECT id FROM cases WHERE path <@ $1::ltree AND ($2::ltree IS NULL OR path <@ $2::ltree)"
                " ORDER BY id DESC",
                nodes[reader].path,
                nodes[within].path if within else None,
            )
            expected = [to_base64("Case", row["id"]) for row in rows]
            assert await walk(graphql, token, flt, backwards=False) == (expected, len(expected)), (
                reader,
                within,
            )
            assert await walk(graphql, token, flt, backwards=True) == (expected, len(expected)), (
                reader,
                within,
            )


async def test_a_transferred_case_is_listed_by_its_new_district_and_no_longer_by_the_old(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    world = await make_world(owner)
    org = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["lahore_officer"]
    )
    multan_officer = await make_user(owner, "DISTRICT_OFFICER", world.tree.multan, organisation_id=org)
    lahore, multan = user_token(tokens, world.users["lahore_officer"]), user_token(tokens, multan_officer)
    manager = user_token(tokens, world.users["punjab_manager"])
    case = to_base64("Case", world.cases["lahore"])

    async def listed(token: str, flt: dict[str, Any]) -> bool:
        return case in (await walk(graphql, token, flt, backwards=False))[0]

    assert await listed(lahore, {})
    assert await listed(manager, {"withinCode": "PK-PB-LAHORE"})
    asked = await request(graphql, lahore, case)
    accepted = await respond(graphql, multan, asked["transfer"]["id"], "ACCEPT")
    assert accepted["errors"] == []

    row = await owner.fetchrow(
        "SELECT path::text AS path, path_id_2, path_id_3, path_id_4 FROM cases WHERE id = $1",
        world.cases["lahore"],
    )
    labels = [int(label) for label in world.tree.multan.path.split(".")]
    assert row is not None
    assert dict(row) == {
        "path": world.tree.multan.path,
        "path_id_2": labels[1],
        "path_id_3": labels[2],
        "path_id_4": None,
    }
    assert await listed(multan, {})
    assert await listed(multan, {"withinCode": "PK-PB-MULTAN", "open": True})
    assert await listed(manager, {"withinCode": "PK-PB-MULTAN"})
    assert not await listed(lahore, {})
    assert not await listed(manager, {"withinCode": "PK-PB-LAHORE"})


SEARCH = """query($name: String!, $first: Int) { children(first: $first, filter: {name: $name}) {
  pageInfo { hasNextPage } edges { node { id fullName } } } }"""


async def found(graphql: GraphQLClient, token: str, name: str, first: int = 20) -> list[str]:
    data = await graphql.data(SEARCH, {"name": name, "first": first}, token=token)
    return [edge["node"]["id"] for edge in data["children"]["edges"]]


async def test_a_name_search_pages_the_newest_matching_children_of_the_scope(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    world = await make_world(owner)
    officer = user_token(tokens, world.users["lahore_officer"])
    named = []
    for index in range(7):
        child = await make_child(owner, world.tree.lahore_community)
        await name_child(owner, child, "Muhammad Ali" if index % 2 else f"Zarmina {index}")
        named.append((child, index % 2 == 1))
    elsewhere = await make_child(owner, world.tree.karachi)
    await name_child(owner, elsewhere, "Muhammad Ali")
    matching = [to_base64("Child", child) for child, similar in reversed(named) if similar]

    assert await found(graphql, officer, "Mohammad Ali", first=2) == matching[:2]
    assert await found(graphql, officer, "Mohammad Ali") == matching


async def test_an_api_client_no_longer_finds_by_name_a_child_whose_data_sharing_was_withdrawn(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    world = await make_world(owner)
    officer = user_token(tokens, world.users["lahore_officer"])
    client = await client_token(owner, world, tokens, "children:read pii:read")
    child = await registered(graphql, officer)
    sharing = next(c["id"] for c in child["consents"] if c["purpose"] == "DATA_SHARING")
    assert child["id"] in await found(graphql, client, "Ayesha Bibi")

    assert (await withdraw(graphql, officer, sharing))["errors"] == []

    assert child["id"] not in await found(graphql, client, "Ayesha Bibi")
    assert child["id"] in await found(graphql, officer, "Ayesha Bibi")
