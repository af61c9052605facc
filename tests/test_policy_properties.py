"""Property: for random jurisdiction trees, principals and records, who sees what agrees with a reference
written here from the rules in DESIGN, independently of the policy module — in Python (``can``), in SQL
(``scope_filter``) and in PostgreSQL's row-level security alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import column, select, table
from sqlalchemy.dialects import postgresql

from registry.auth.permissions import Permission
from registry.auth.policy import (
    Assignment,
    can,
    client_principal,
    row_security_scopes,
    scope_filter,
    user_principal,
)
from registry.auth.principal import Principal
from registry.db.models import Role
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import make_settings

# The rules, restated: which roles open individual child records, and which scopes do.
ROLES_READING_CHILDREN = {
    Role.PROVINCIAL_MANAGER,
    Role.DISTRICT_OFFICER,
    Role.CASE_WORKER,
    Role.POLICE_MONITOR,
}
CLIENT_SCOPES = ["children:read", "cases:read", "statistics:read", "pii:read"]


@dataclass(frozen=True)
class World:
    parents: dict[int, int | None]  # node id -> parent id
    children_at: list[int]  # one child record per entry, at that node
    assignments: list[tuple[Role, int]]
    client: tuple[list[str], int] | None  # (scopes, node) of an API client created by the person


def path_of(parents: dict[int, int | None], node: int) -> str:
    labels = []
    current: int | None = node
    while current is not None:
        labels.append(str(current))
        current = parents[current]
    return ".".join(reversed(labels))


def ancestors_or_self(parents: dict[int, int | None], node: int) -> set[int]:
    found = set()
    current: int | None = node
    while current is not None:
        found.add(current)
        current = parents[current]
    return found


def reference_sees_child(world: World, node: int) -> bool:
    """The rule from DESIGN: a record is visible inside the subtree of a role that opens records; a client
    holds its own scopes at its node, and only what its creator holds there."""
    above = ancestors_or_self(world.parents, node)
    if world.client is None:
        return any(role in ROLES_READING_CHILDREN and where in above for role, where in world.assignments)
    scopes, client_node = world.client
    creator_covers = any(
        role in ROLES_READING_CHILDREN and where in ancestors_or_self(world.parents, client_node)
        for role, where in world.assignments
    )
    return "children:read" in scopes and creator_covers and client_node in above


@st.composite
def worlds(draw: st.DrawFn) -> World:
    size = draw(st.integers(min_value=1, max_value=14))
    parents: dict[int, int | None] = {1: None}
    for node in range(2, size + 1):
        parents[node] = draw(st.integers(min_value=1, max_value=node - 1))
    nodes = st.sampled_from(sorted(parents))
    children_at = draw(st.lists(nodes, min_size=0, max_size=12))
    assignments = draw(st.lists(st.tuples(st.sampled_from(list(Role)), nodes), min_size=0, max_size=3))
    client = draw(
        st.none() | st.tuples(st.lists(st.sampled_from(CLIENT_SCOPES), min_size=1, unique=True), nodes)
    )
    return World(parents, children_at, assignments, client)


def principal_for(world: World) -> Principal:
    assignments = [Assignment(role, node, path_of(world.parents, node)) for role, node in world.assignments]
    if world.client is None:
        return user_principal(1, "someone", 1, assignments, token_id=None)
    scopes, node = world.client
    return client_principal(
        1,
        "client",
        1,
        scopes=scopes,
        jurisdiction_id=node,
        path=path_of(world.parents, node),
        created_by_user_id=1,
        creator_assignments=assignments,
        token_scope=None,
        token_id=None,
    )


@pytest.fixture
async def connections(
    database: Any,
) -> AsyncIterator[tuple[asyncpg.Connection[Any], asyncpg.Connection[Any]]]:
    owner = await connect_owner(database)
    app = await connect_owner(app_url_for(database, make_settings()))
    yield owner, app
    await owner.close()
    await app.close()


async def load(owner: asyncpg.Connection[Any], world: World) -> dict[int, int]:
    """Insert the tree and the children; returns child id -> node."""
    await owner.execute("TRUNCATE jurisdictions, children CASCADE")
    for node in sorted(world.parents):
        level = "NATIONAL" if world.parents[node] is None else "COMMUNITY"
        await owner.execute(
            "INSERT INTO jurisdictions (id, code, name, level, parent_id, path) VALUES ($1, $2, $2, $3, $4, $5)",
            node,
            f"PK-N{node}",
            level,
            world.parents[node],
            path_of(world.parents, node),
        )
    located = {}
    for index, node in enumerate(world.children_at, start=1):
        await owner.execute(
            "INSERT INTO children (id, jurisdiction_id, path, sex, birth_year, age_at_registration, registered_on)"
            " VALUES ($1, $2, $3, 'FEMALE', 2014, 11, DATE '2026-01-10')",
            index,
            node,
            path_of(world.parents, node),
        )
        located[index] = node
    return located


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
async def test_every_answer_matches_the_reference(
    connections: tuple[asyncpg.Connection[Any], asyncpg.Connection[Any]], world: World
) -> None:
    owner, app = connections
    located = await load(owner, world)
    principal = principal_for(world)
    expected = {child for child, node in located.items() if reference_sees_child(world, node)}

    # The policy in Python, one record at a time.
    by_can = {
        child
        for child, node in located.items()
        if can(principal, Permission.CHILDREN_READ, path_of(world.parents, node))
    }
    # The policy's SQL predicate, plus row-level security, as the app's role.
    children = table("children", column("id"), column("path"))
    statement = select(children.c.id).where(
        scope_filter(principal, Permission.CHILDREN_READ, children.c.path)
    )
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    scopes = row_security_scopes(principal)
    records, admin = scopes.records, scopes.admin
    async with app.transaction():
        await app.execute(
            "SELECT set_config('registry.scope', $1, true), set_config('registry.admin_scope', $2, true)",
            records or "",
            admin or "",
        )
        by_filter = {row["id"] for row in await app.fetch(sql)}
        by_row_security_alone = {row["id"] for row in await app.fetch("SELECT id FROM children")}

    assert by_can == expected
    assert by_filter == expected
    # The second wall never shows more than the rule allows (it may show the same, never more).
    assert by_row_security_alone <= {
        child
        for child, node in located.items()
        if any(where in ancestors_or_self(world.parents, node) for _, where in world.assignments)
    }
    if world.client is None:
        assert by_row_security_alone == expected
    else:
        client_node = world.client[1]
        assert by_row_security_alone <= {
            child for child, node in located.items() if client_node in ancestors_or_self(world.parents, node)
        }
