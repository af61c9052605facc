"""Backups through the operator's commands: `registry backup create` dumps a seeded registry, `registry backup
restore` brings it back into a new database on the same server with every row, grant, policy and the audit
chain as they were, and the API serves from the restored database at once."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL

from registry.app import create_app
from registry.auth.tokens import TokenService
from registry.config import Settings
from registry.db.backup import BackupError, ensure_app_role
from registry.db.migrate import migrate
from registry.db.queries.audit import verify_chain
from registry.db.seed.demo import seed_demo
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from registry.identity_numbers import load_vault
from tests.conftest import APP_ROLE, GraphQLClient, bearer, execute_admin, gid, make_settings, user_token
from tests.factories import make_child, make_small_tree, name_child

KNOWN_CASE = """query($id: ID!) { node(id: $id) { ... on Case { caseNumber kind stage
  jurisdiction { code } child { fullName identityNumber } } } }"""


@pytest.fixture
def settings() -> Settings:
    # No sealer or compactor at work: the source database must not change between the backup and the
    # comparison with what was restored.
    return make_settings(audit_seal_interval_seconds=0, statistics_compact_interval_seconds=0)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def registry(database: URL, *args: str, keys: Path | None = None) -> Ran:
    """Run the ``registry`` command as an operator would, with the database and keys in its environment."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    environment |= {
        "REGISTRY_DATABASE_URL": database.set(drivername="postgresql").render_as_string(hide_password=False),
        "REGISTRY_APP_DB_ROLE": APP_ROLE,
        "REGISTRY_SIGNING_KEYS_DIR": str(keys or make_settings().keys_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


NewDatabase = Callable[[], Awaitable[URL]]


@pytest.fixture
async def new_database_name(server_url: URL) -> AsyncIterator[NewDatabase]:
    """Names of databases that do not exist yet (the restore makes them); dropped after the test."""
    made: list[str] = []

    async def name() -> URL:
        made.append(f"registry_restored_{uuid.uuid4().hex[:12]}")
        return server_url.set(database=made[-1])

    yield name
    for database in made:
        await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def table_digests(database: URL) -> dict[str, tuple[int, str]]:
    """Every table's row count and the md5 of its rows in a fixed order."""
    connection = await connect_owner(database)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        digests = {}
        for (table,) in tables:
            row = await connection.fetchrow(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                f' AS digest FROM "{table}" t'
            )
            assert row is not None
            digests[table] = (row["n"], row["digest"])
        return digests
    finally:
        await connection.close()


async def security(database: URL) -> dict[str, list[tuple[Any, ...]]]:
    """Who may do what: table privileges, row-security switches and policies, function privileges."""
    connection = await connect_owner(database)
    try:
        return {
            "tables": [
                tuple(row)
                for row in await connection.fetch(
                    # An explicit ACL equal to the default is dumped as the default: compare what they mean.
                    "SELECT relname, relkind, relrowsecurity, relforcerowsecurity, coalesce(relacl,"
                    " acldefault((CASE WHEN relkind = 'S' THEN 's' ELSE 'r' END)::\"char\", relowner))::text"
                    " FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname"
                )
            ],
            "policies": [
                tuple(row)
                for row in await connection.fetch(
                    "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check"
                    " FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename, policyname"
                )
            ],
            "functions": [
                tuple(row)
                for row in await connection.fetch(
                    "SELECT p.oid::regprocedure::text, coalesce(p.proacl, acldefault('f', p.proowner))::text"
                    " FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1"
                )
            ],
        }
    finally:
        await connection.close()


async def ask_known_case(settings: Settings, database: URL, case_id: int, username: str) -> dict[str, Any]:
    """The API, started on ``database`` as its login role, answers a signed-in officer about one case."""
    application = create_app(settings, app_url_for(database, settings))
    async with application.router.lifespan_context(application):
        connection = await connect_owner(database)
        try:
            user_id = await connection.fetchval("SELECT id FROM users WHERE username = $1", username)
        finally:
            await connection.close()
        token = user_token(application.state.tokens, user_id)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            data = await GraphQLClient(http).data(KNOWN_CASE, {"id": gid("Case", case_id)}, token=token)
            viewer = await http.post("/graphql", json={"query": "{ viewer { name } }"}, headers=bearer(token))
    assert viewer.json()["data"]["viewer"] == {"name": username}
    node: dict[str, Any] = data["node"]
    return node


async def test_a_seeded_registry_restores_into_a_new_database_row_for_row_and_the_api_serves_it(
    database: URL,
    owner: asyncpg.Connection[Any],
    settings: Settings,
    tokens: TokenService,
    graphql: GraphQLClient,
    new_database_name: NewDatabase,
    tmp_path: Path,
) -> None:
    await seed_demo(owner, identity_numbers=load_vault(settings.keys_dir), scale=0.002, seed=11)
    known = await owner.fetchrow(
        "SELECT c.id, c.case_number, u.username FROM cases c"
        " JOIN child_identities i ON i.child_id = c.child_id AND i.identity_number_ciphertext IS NOT NULL"
        " JOIN jurisdictions d ON c.path <@ d.path AND d.level = 'DISTRICT'"
        " JOIN role_assignments r ON r.jurisdiction_id = d.id AND r.role = 'DISTRICT_OFFICER'"
        " JOIN users u ON u.id = r.user_id"
        " WHERE c.kind <> 'CHILD_IN_CONFLICT_WITH_LAW' ORDER BY c.id LIMIT 1"
    )
    assert known is not None
    # Reads of personal data leave audit rows: some sealed into the chain, the last one not yet.
    officer = await owner.fetchval("SELECT id FROM users WHERE username = $1", known["username"])
    token = user_token(tokens, officer)
    before = await graphql.data(KNOWN_CASE, {"id": gid("Case", known["id"])}, token=token)
    await graphql.data(KNOWN_CASE, {"id": gid("Case", known["id"])}, token=token)
    assert await owner.fetchval("SELECT registry_seal_audit(1000)") == 2
    await graphql.data(KNOWN_CASE, {"id": gid("Case", known["id"])}, token=token)
    source = await table_digests(database)
    assert source["children"][0] > 100
    assert source["case_events"][0] > 1000
    assert source["audit_events"][0] == 3
    archive = tmp_path / "registry.backup"

    made = await registry(database, "backup", "create", "--output", str(archive))

    assert made.code == 0, made.err
    assert archive.stat().st_mode & 0o777 == 0o600
    assert "keys are not in the backup" in made.err
    assert str(make_settings().keys_dir) in made.err

    target = await new_database_name()
    restored = await registry(target, "backup", "restore", "--input", str(archive))

    assert restored.code == 0, restored.err
    assert "keys are not in the backup" in restored.err
    assert "identity numbers are stored under" not in restored.err
    assert await table_digests(target) == source
    assert await security(target) == await security(database)
    connection = await connect_owner(target)
    try:
        chain = await verify_chain(connection)
    finally:
        await connection.close()
    assert (chain.broken_id, chain.sealed, chain.unsealed) == (None, 2, 1)

    answer = await ask_known_case(settings, target, known["id"], known["username"])

    assert answer == before["node"]
    assert answer["caseNumber"] == known["case_number"]
    assert answer["child"]["identityNumber"] is not None


async def test_a_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(
    database: URL, owner: asyncpg.Connection[Any], tmp_path: Path, new_database_name: NewDatabase
) -> None:
    tree = await make_small_tree(owner)
    await name_child(owner, await make_child(owner, tree.lahore_community), "Kept Child")
    archive = tmp_path / "registry.backup"
    made = await registry(database, "backup", "create", "--output", str(archive))
    assert made.code == 0, made.err
    before = await table_digests(database)

    refused = await registry(database, "backup", "restore", "--input", str(archive))

    assert refused.code == 1
    assert f"database {database.database} is not empty" in refused.err
    assert await table_digests(database) == before
    again = await registry(database, "backup", "create", "--output", str(archive))
    assert again.code == 1
    assert "never overwrites" in again.err
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not an archive")
    target = await new_database_name()
    unreadable = await registry(target, "backup", "restore", "--input", str(not_a_backup))
    assert unreadable.code == 1
    assert "is not a backup these tools can read" in unreadable.err


async def test_a_database_owner_without_superuser_rights_backs_up_past_its_own_row_security(
    server_url: URL, tmp_path: Path, new_database_name: NewDatabase
) -> None:
    """As on a managed server: the tables' owner is subject to the row security it forces on them, and its
    own policy must let the dump (and the restore) see every row."""
    role = f"registry_backup_owner_{uuid.uuid4().hex[:8]}"
    source = await new_database_name()
    target = await new_database_name()
    await execute_admin(server_url, f"CREATE ROLE {role} LOGIN PASSWORD 'backup-test'")
    try:
        for database in (source, target):
            await execute_admin(server_url, f'CREATE DATABASE "{database.database}" OWNER {role}')
        as_owner = source.set(username=role, password="backup-test")
        await migrate(as_owner, app_db_role=APP_ROLE)
        connection = await connect_owner(as_owner)
        try:
            assert not await connection.fetchval(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            tree = await make_small_tree(connection)
            vault = load_vault(make_settings().keys_dir)
            for number in ("35202-1234567-1", "42101-7654321-2"):
                child = await make_child(connection, tree.lahore_community)
                await name_child(connection, child, "Owner Test")
                key_id, ciphertext = vault.encrypt(number, child_id=child)
                await connection.execute(
                    "UPDATE child_identities SET identity_number_key_id = $2, identity_number_ciphertext = $3,"
                    " identity_number_blind_index = $4 WHERE child_id = $1",
                    child,
                    key_id,
                    ciphertext,
                    vault.blind_index(number),
                )
        finally:
            await connection.close()
        archive = tmp_path / "registry.backup"

        made = await registry(as_owner, "backup", "create", "--output", str(archive))
        assert made.code == 0, made.err
        restored = await registry(
            target.set(username=role, password="backup-test"),
            "backup",
            "restore",
            "--input",
            str(archive),
            keys=tmp_path / "keys-elsewhere",
        )

        assert restored.code == 0, restored.err
        assert await table_digests(target) == await table_digests(source)
        assert (await table_digests(target))["child_identities"][0] == 2
        # The keys directory given to the restore does not hold the key the numbers are under.
        assert f"identity numbers are stored under {vault.current_key_id}" in restored.err
    finally:
        for database in (source, target):
            await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)')
        await execute_admin(server_url, f"DROP ROLE IF EXISTS {role}")


async def test_the_app_role_is_made_when_missing_and_refused_when_it_could_bypass_row_security(
    server_url: URL,
) -> None:
    missing, bypassing = (f"registry_backup_{what}_{uuid.uuid4().hex[:8]}" for what in ("app", "bypass"))
    await execute_admin(server_url, f"CREATE ROLE {bypassing} LOGIN BYPASSRLS")
    connection = await connect_owner(server_url)
    try:
        await ensure_app_role(connection, missing, "s3cret")
        made = await connection.fetchrow(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolinherit"
            " FROM pg_roles WHERE rolname = $1",
            missing,
        )
        assert made is not None
        assert tuple(made) == (True, False, False, False, False, False)
        await ensure_app_role(connection, missing, None)  # there already: kept as it is
        with pytest.raises(BackupError, match="neither superuser nor BYPASSRLS"):
            await ensure_app_role(connection, bypassing, None)
    finally:
        await connection.execute(f"DROP ROLE IF EXISTS {missing}")
        await connection.execute(f"DROP ROLE IF EXISTS {bypassing}")
        await connection.close()
