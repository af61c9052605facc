"""The demo seed: a tiny scale loads in seconds, repeats itself exactly, and fits the schema's rules.

Self-contained on purpose: it makes its own databases on ``REGISTRY_TEST_DATABASE_URL`` or, without it, on a
private embedded server under the system's temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from registry.db.migrate import migrate
from registry.db.seed.demo import (
    DatabaseNotEmptyError,
    SeedSummary,
    _check_foreign_keys,
    is_seeded,
    seed_demo,
)
from registry.db.seed.loader import connect_owner
from registry.db.seed.pakistan import DISTRICTS
from registry.db.server import asyncpg_url, start_embedded_server
from registry.identity_numbers import load_vault
from tests.conftest import make_settings

SCALE = 0.002
SEED = 2026
APP_ROLE = "registry_app"
# Tables the demo leaves empty on purpose: sign-in state and API clients, which need secrets the seed does not
# invent, and the records of API requests (idempotency keys, the audit trail) and of corrections.
# A new table fails the emptiness test until it is filled by the seed or listed here.
# Rollups the database keeps from the seeded cases, not loaded themselves.
FILLED_BY_TRIGGERS = {"case_count_changes"}
NOT_SEEDED = {
    "case_counts",  # filled from the changes by the compactor
    "alembic_version",
    "api_clients",
    "oauth_apps",
    "authorization_codes",
    "refresh_tokens",
    "revoked_tokens",
    "idempotency_keys",
    "child_identity_history",
    "audit_events",
}
# A database owner that is not a superuser, as a deployment on a managed server would have.
PLAIN_OWNER = "registry_seed_test_owner"
PLAIN_OWNER_PASSWORD = "seed-test-owner"
IDENTITY_NUMBERS = load_vault(make_settings().keys_dir)


@pytest.fixture(scope="module")
def seed_server() -> URL:
    """The owner's URL of a server to make databases on (its ``postgres`` database)."""
    configured = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if configured:
        return asyncpg_url(configured).set(database="postgres")
    return start_embedded_server(Path(tempfile.gettempdir()) / "registry-test-seed-demo")


NewDatabase = Callable[..., Awaitable[URL]]


@pytest.fixture(scope="module")
async def new_database(seed_server: URL) -> AsyncIterator[NewDatabase]:
    """Makes migrated, empty databases on demand and drops them all at the end of the module."""
    made: list[str] = []

    async def admin(sql: str) -> None:
        connection = await connect_owner(seed_server)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def make(owner: str | None = None, password: str | None = None) -> URL:
        name = f"registry_seed_test_{uuid.uuid4().hex[:12]}"
        await admin(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
        made.append(name)
        url = seed_server.set(database=name)
        if owner:
            url = url.set(username=owner, password=password)
        await migrate(url, app_db_role=APP_ROLE)
        return url

    yield make
    for name in made:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    # Still owning a database of a concurrent run is the only way this fails; that run drops it.
    with contextlib.suppress(asyncpg.DependentObjectsStillExistError):
        await admin(f"DROP ROLE IF EXISTS {PLAIN_OWNER}")


async def seed_new_database(new_database: NewDatabase) -> tuple[URL, SeedSummary]:
    url = await new_database()
    connection = await connect_owner(url)
    try:
        summary = await seed_demo(connection, identity_numbers=IDENTITY_NUMBERS, scale=SCALE, seed=SEED)
    finally:
        await connection.close()
    return url, summary


@pytest.fixture(scope="module")
async def seeded(new_database: NewDatabase) -> tuple[URL, SeedSummary]:
    return await seed_new_database(new_database)


@pytest.fixture
async def db(seeded: tuple[URL, SeedSummary]) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect_owner(seeded[0])
    yield connection
    await connection.close()


async def table_digests(connection: asyncpg.Connection[Any]) -> dict[str, str]:
    """An md5 of every table's rows in primary-key order. Ciphertexts differ by their random nonces; the
    blind index stands for the number they hold."""
    tables = await connection.fetch(
        """
        SELECT c.relname AS table, string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) AS key
        FROM pg_class c
        JOIN pg_index x ON x.indrelid = c.oid AND x.indisprimary
        CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, i)
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'alembic_version'
        GROUP BY c.relname
        ORDER BY c.relname
        """
    )
    digests: dict[str, str] = {}
    for table, key in tables:
        row = "(to_jsonb(t) - 'identity_number_ciphertext')::text"
        rows = f"SELECT md5(coalesce(string_agg({row}, E'\\n' ORDER BY {key}), '')) FROM \"{table}\" t"
        digests[table] = await connection.fetchval(rows)
    return digests


async def test_seeding_twice_with_the_same_seed_gives_identical_databases(
    seeded: tuple[URL, SeedSummary], new_database: NewDatabase
) -> None:
    again, _ = await seed_new_database(new_database)
    first = await connect_owner(seeded[0])
    second = await connect_owner(again)
    try:
        assert await table_digests(first) == await table_digests(second)
    finally:
        await first.close()
        await second.close()


async def test_a_tiny_scale_loads_in_seconds_and_fills_every_table(
    seeded: tuple[URL, SeedSummary], db: asyncpg.Connection[Any]
) -> None:
    _, summary = seeded
    assert summary.seconds < 15
    tables = {
        row["relname"]
        for row in await db.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        )
    }
    for table in sorted(tables - NOT_SEEDED):
        count = await db.fetchval(f'SELECT count(*) FROM "{table}"')
        assert count > 0, f"{table} is empty: should the demo seed fill it, or is it in NOT_SEEDED?"
        if table not in FILLED_BY_TRIGGERS:
            assert summary.counts[table] == count
    assert await is_seeded(db)


async def test_the_tree_holds_every_real_district_and_invented_places_below(
    db: asyncpg.Connection[Any],
) -> None:
    levels = dict(await db.fetch("SELECT level::text, count(*) FROM jurisdictions GROUP BY level"))
    assert levels["NATIONAL"] == 1
    assert levels["PROVINCIAL"] == 7
    assert levels["DISTRICT"] == len(DISTRICTS)
    assert 2 * len(DISTRICTS) <= levels["TEHSIL"] <= 5 * len(DISTRICTS)
    assert 1000 < sum(levels.values()) < 10_000


async def test_every_district_has_a_police_station(db: asyncpg.Connection[Any]) -> None:
    without = await db.fetch(
        """
        SELECT d.code FROM jurisdictions d
        WHERE d.level = 'DISTRICT' AND NOT EXISTS (
            SELECT 1 FROM institutions i WHERE i.type = 'POLICE_STATION' AND i.path <@ d.path
        )
        """
    )
    assert without == []


async def test_incidents_are_recorded_by_and_against_children(db: asyncpg.Connection[Any]) -> None:
    directions = dict(await db.fetch("SELECT direction::text, count(*) FROM incidents GROUP BY direction"))
    assert directions.keys() == {"BY_CHILD", "AGAINST_CHILD"}
    # Offences children are accused of belong to cases of children in conflict with the law.
    kinds = await db.fetch(
        "SELECT DISTINCT c.kind::text FROM incidents i JOIN cases c ON c.id = i.case_id WHERE i.direction = 'BY_CHILD'"
    )
    assert [row["kind"] for row in kinds] == ["CHILD_IN_CONFLICT_WITH_LAW"]


async def test_children_and_cases_live_at_or_below_a_district(db: asyncpg.Connection[Any]) -> None:
    for table in ("children", "cases"):
        outside = await db.fetchval(
            f"""
            SELECT count(*) FROM {table} r WHERE NOT EXISTS (
                SELECT 1 FROM jurisdictions d WHERE d.level = 'DISTRICT' AND r.path <@ d.path
            )
            """
        )
        assert outside == 0, table
    # A case is owned by the child's community or the tehsil above it.
    assert (
        await db.fetchval(
            "SELECT count(*) FROM cases c JOIN children ch ON ch.id = c.child_id WHERE NOT ch.path <@ c.path"
        )
        == 0
    )


async def test_sample_users_have_stable_names(db: asyncpg.Connection[Any]) -> None:
    roles = dict(
        await db.fetch(
            """
            SELECT u.username, r.role::text FROM users u JOIN role_assignments r ON r.user_id = u.id
            WHERE u.username IN ('admin', 'analyst', 'auditor', 'manager.pb', 'police.sd', 'officer.lahore',
                                 'worker.lahore.1')
            """
        )
    )
    assert roles == {
        "admin": "SYSTEM_ADMIN",
        "analyst": "NATIONAL_ANALYST",
        "auditor": "AUDITOR",
        "manager.pb": "PROVINCIAL_MANAGER",
        "police.sd": "POLICE_MONITOR",
        "officer.lahore": "DISTRICT_OFFICER",
        "worker.lahore.1": "CASE_WORKER",
    }


async def test_seeding_a_database_that_has_data_is_refused(
    seeded: tuple[URL, SeedSummary], db: asyncpg.Connection[Any]
) -> None:
    with pytest.raises(DatabaseNotEmptyError):
        await seed_demo(db, identity_numbers=IDENTITY_NUMBERS, scale=SCALE, seed=SEED + 1)
    assert await db.fetchval("SELECT count(*) FROM cases") == seeded[1].counts["cases"]


async def test_scale_must_be_positive(db: asyncpg.Connection[Any]) -> None:
    with pytest.raises(ValueError, match="scale"):
        await seed_demo(db, identity_numbers=IDENTITY_NUMBERS, scale=0)


async def test_the_set_based_foreign_key_check_finds_a_dangling_reference(
    db: asyncpg.Connection[Any],
) -> None:
    """With per-row checks switched off for speed, the check after the load is what guards the data."""
    if not await db.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        pytest.skip("only a superuser can switch the per-row checks off")
    transaction = db.transaction()
    await transaction.start()
    try:
        await _check_foreign_keys(db)
        await db.execute("SET LOCAL session_replication_role = replica")
        await db.execute("INSERT INTO case_events (case_id, type) VALUES (-1, 'NOTE_ADDED')")
        await db.execute("SET LOCAL session_replication_role = origin")
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="fk_case_events_case_id"):
            await _check_foreign_keys(db)
    finally:
        await transaction.rollback()


async def test_a_database_owner_without_superuser_rights_can_seed(
    seeded: tuple[URL, SeedSummary], seed_server: URL, new_database: NewDatabase
) -> None:
    """Without superuser rights the per-row foreign-key checks stay on, and forced row security is lifted
    for COPY only inside the seeding transaction."""
    admin = await connect_owner(seed_server)
    try:
        if not await admin.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            pytest.skip("creating a login role needs a superuser")
        if not await admin.fetchval("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", PLAIN_OWNER):
            await admin.execute(f"CREATE ROLE {PLAIN_OWNER} LOGIN PASSWORD '{PLAIN_OWNER_PASSWORD}'")
    finally:
        await admin.close()
    url = await new_database(owner=PLAIN_OWNER, password=PLAIN_OWNER_PASSWORD)
    connection = await connect_owner(url)
    try:
        summary = await seed_demo(connection, identity_numbers=IDENTITY_NUMBERS, scale=SCALE, seed=SEED)
        assert summary.counts == seeded[1].counts
        unforced = await connection.fetchval(
            "SELECT count(*) FROM pg_class WHERE relname IN ('children', 'cases') AND NOT relforcerowsecurity"
        )
        assert unforced == 0
    finally:
        await connection.close()
