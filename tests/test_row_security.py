"""Row-level security holds on its own: the app's database role sees nothing outside the scope set for the
transaction, and nothing at all without one, even with no Python filter in the way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import make_settings
from tests.factories import SmallTree, make_child, make_small_tree

SET_SCOPE = "SELECT set_config('registry.scope', $1, true)"


@pytest.fixture
async def tree_with_children(owner: asyncpg.Connection[Any]) -> tuple[SmallTree, dict[str, int]]:
    tree = await make_small_tree(owner)
    children = {
        "lahore": await make_child(owner, tree.lahore),
        "lahore_community": await make_child(owner, tree.lahore_community),
        "multan": await make_child(owner, tree.multan),
        "karachi": await make_child(owner, tree.karachi),
    }
    for child_id in children.values():
        await owner.execute(
            "INSERT INTO child_identities (child_id, full_name) VALUES ($1, $2)",
            child_id,
            f"Child {child_id}",
        )
    return tree, children


@pytest.fixture
async def as_app(database: URL) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect_owner(app_url_for(database, make_settings()))
    yield connection
    await connection.close()


async def visible_children(connection: asyncpg.Connection[Any]) -> set[int]:
    return {row["id"] for row in await connection.fetch("SELECT id FROM children")}


async def test_the_scope_of_the_transaction_limits_every_read(
    tree_with_children: tuple[SmallTree, dict[str, int]], as_app: asyncpg.Connection[Any]
) -> None:
    tree, children = tree_with_children

    async with as_app.transaction():
        await as_app.execute(SET_SCOPE, f"{{{tree.lahore.path}.*}}")
        seen = await visible_children(as_app)
        names = {row["child_id"] for row in await as_app.fetch("SELECT child_id FROM child_identities")}
        counted = await as_app.fetchval("SELECT count(*) FROM children")
        by_id = await as_app.fetchval("SELECT count(*) FROM children WHERE id = $1", children["karachi"])

    assert seen == {children["lahore"], children["lahore_community"]}
    assert names == seen
    assert counted == 2
    assert by_id == 0


async def test_after_the_transaction_the_same_pooled_connection_sees_nothing(
    tree_with_children: tuple[SmallTree, dict[str, int]], as_app: asyncpg.Connection[Any]
) -> None:
    tree, _ = tree_with_children
    async with as_app.transaction():
        await as_app.execute(SET_SCOPE, f"{{{tree.nation.path}.*}}")
        assert len(await visible_children(as_app)) == 4

    # The setting now reads back as '' on this connection: that must mean no rows, not all rows.
    assert await as_app.fetchval("SELECT current_setting('registry.scope', true)") == ""
    assert await visible_children(as_app) == set()
    assert await as_app.fetchval("SELECT count(*) FROM child_identities") == 0


async def test_a_fresh_connection_without_a_scope_sees_no_rows(
    tree_with_children: tuple[SmallTree, dict[str, int]], as_app: asyncpg.Connection[Any]
) -> None:
    for table in (
        "children",
        "child_identities",
        "cases",
        "households",
        "incidents",
        "institutions",
        "users",
    ):
        assert await as_app.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_writes_outside_the_scope_are_refused(
    tree_with_children: tuple[SmallTree, dict[str, int]], as_app: asyncpg.Connection[Any]
) -> None:
    tree, children = tree_with_children
    async with as_app.transaction():
        await as_app.execute(SET_SCOPE, f"{{{tree.lahore.path}.*}}")
        updated = await as_app.execute(
            "UPDATE children SET sex = 'FEMALE' WHERE id = $1", children["karachi"]
        )
        assert updated == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await as_app.execute(
                "INSERT INTO children (jurisdiction_id, path, sex, birth_year, age_at_registration, registered_on)"
                " VALUES ($1, $2, 'MALE', 2014, 12, DATE '2026-01-15')",
                tree.karachi.id,
                tree.karachi.path,
            )


async def test_a_scope_of_two_subtrees_sees_both_and_nothing_else(
    tree_with_children: tuple[SmallTree, dict[str, int]], as_app: asyncpg.Connection[Any]
) -> None:
    tree, children = tree_with_children
    async with as_app.transaction():
        await as_app.execute(SET_SCOPE, f"{{{tree.multan.path}.*,{tree.karachi.path}.*}}")
        seen = await visible_children(as_app)

    assert seen == {children["multan"], children["karachi"]}


async def test_the_app_role_cannot_switch_row_security_off(as_app: asyncpg.Connection[Any]) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("ALTER TABLE children DISABLE ROW LEVEL SECURITY")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("DROP POLICY app_scope ON children")
    await as_app.execute("SET row_security = off")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await as_app.fetch("SELECT id FROM children")
