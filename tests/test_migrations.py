"""Alembic builds the schema; downgrade undoes it; the API's role is neither owner nor privileged."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from registry.db.migrate import migrate
from registry.db.models import Base
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import APP_ROLE, make_settings

TABLES = set(Base.metadata.tables)


async def public_tables(connection: asyncpg.Connection[Any]) -> set[str]:
    rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows} - {"alembic_version"}


async def test_downgrade_removes_everything_and_upgrade_rebuilds_it(database: URL) -> None:
    connection = await connect_owner(database)
    try:
        assert await public_tables(connection) == TABLES

        await migrate(database, app_db_role=APP_ROLE, revision="base", downgrade=True)
        assert await public_tables(connection) == set()
        assert await connection.fetchval("SELECT count(*) FROM pg_type WHERE typname = 'case_stage'") == 0

        await migrate(database, app_db_role=APP_ROLE)
        assert await public_tables(connection) == TABLES
    finally:
        await connection.close()


async def test_app_role_is_not_owner_superuser_or_bypassrls(owner: asyncpg.Connection[Any]) -> None:
    role = await owner.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = $1",
        APP_ROLE,
    )
    owners = await owner.fetch("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")

    assert role is not None
    assert dict(role) == {
        "rolsuper": False,
        "rolbypassrls": False,
        "rolcreaterole": False,
        "rolcreatedb": False,
        "rolcanlogin": True,
    }
    assert APP_ROLE not in {row["tableowner"] for row in owners}


@pytest.fixture
async def as_app(database: URL) -> Any:
    settings = make_settings()
    connection = await connect_owner(app_url_for(database, settings))
    yield connection
    await connection.close()


async def test_app_role_cannot_change_or_remove_case_events(as_app: asyncpg.Connection[Any]) -> None:
    assert await as_app.fetchval("SELECT current_user") == APP_ROLE
    for statement in ("UPDATE case_events SET note = 'x'", "DELETE FROM case_events", "TRUNCATE case_events"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_app.execute(statement)


async def test_app_role_cannot_create_or_drop_tables_or_rewrite_migrations(
    as_app: asyncpg.Connection[Any],
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("CREATE TABLE sneaky (id int)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("DROP TABLE cases")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("UPDATE alembic_version SET version_num = 'x'")


async def test_app_role_cannot_delete_cases_or_children(as_app: asyncpg.Connection[Any]) -> None:
    for table in ("cases", "children", "child_identities", "consents", "incidents"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_app.execute(f"DELETE FROM {table}")
