"""The ``registry`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.principal import Principal, PrincipalKind
from registry.config import Settings, get_settings
from registry.db.server import DatabaseUrls, resolve_database

T = TypeVar("T")

app = typer.Typer(help="Child Protection Registry: API server and operations.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
users_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
app.add_typer(users_app, name="users")
clients_app = typer.Typer(help="API clients of third-party systems.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
keys_app = typer.Typer(
    help="Token-signing keys and keys of identity numbers. Running API processes take up a change by"
    " themselves within REGISTRY_KEYS_CHECK_INTERVAL_SECONDS: no restart.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
backup_app = typer.Typer(help="Backups of the database (pg_dump) and restoring them.", no_args_is_help=True)
app.add_typer(backup_app, name="backup")
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
stats_app = typer.Typer(help="Rollup tables behind caseStatistics.", no_args_is_help=True)
app.add_typer(stats_app, name="stats")

DEFAULT_SCHEMA_FILE = Path("schema.graphql")
DEMO_SCALE = 0.02
DEMO_SIGN_IN_HINT = (
    "Demo people, one or more per role: admin, analyst, auditor, manager.pb, police.pb, officer.lahore,\n"
    "worker.lahore.1, ... (officer.<district> and worker.<district>.<n> for every district).\n"
    "Get a token for one:  registry token --user officer.lahore"
)


def _prepare_database(settings: Settings) -> DatabaseUrls:
    """Resolve (and for the embedded server, start) the database, create it if missing, migrate it."""
    from registry.db.migrate import ensure_database, migrate

    urls = resolve_database(settings)
    password = settings.app_db_password.get_secret_value() if settings.app_db_password else None

    async def run() -> None:
        await ensure_database(urls.owner)
        await migrate(urls.owner, app_db_role=settings.app_db_role, app_db_password=password)

    asyncio.run(run())
    return urls


def _seed(settings: Settings, urls: DatabaseUrls, *, scale: float, seed: int, only_if_empty: bool) -> None:
    from registry.db.seed.demo import is_seeded, seed_demo
    from registry.db.seed.loader import connect_owner
    from registry.identity_numbers import load_vault

    async def run() -> None:
        connection = await connect_owner(urls.owner)
        try:
            if only_if_empty and await is_seeded(connection):
                typer.echo("Demo data already present; keeping it.")
                return
            vault = load_vault(settings.keys_dir)
            summary = await seed_demo(connection, identity_numbers=vault, scale=scale, seed=seed)
        finally:
            await connection.close()
        typer.echo(
            f"Seeded demo data at scale {scale} in {summary.seconds:.1f} s: "
            + ", ".join(f"{count:,} {table}" for table, count in summary.counts.items())
        )

    asyncio.run(run())
    typer.echo(DEMO_SIGN_IN_HINT)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic), and the API's login role."""
    _prepare_database(get_settings())
    typer.echo("Database is at the latest schema version.")


@app.command("seed-demo")
def seed_demo(
    scale: Annotated[float, typer.Option(help="1 is ~500k children, 750k cases, 3M case events.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 2026,
) -> None:
    """Load synthetic demo data: Pakistan's real provinces and districts, synthetic people and cases."""
    settings = get_settings()
    _seed(settings, _prepare_database(settings), scale=scale, seed=seed, only_if_empty=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Load demo data first if the database is empty.")] = False,
    demo_scale: Annotated[float, typer.Option(help="Scale of the demo data.")] = DEMO_SCALE,
) -> None:
    """Migrate the database and serve the API (with no REGISTRY_DATABASE_URL: on the embedded server)."""
    import uvicorn

    from registry.app import create_app

    settings = get_settings()
    urls = _prepare_database(settings)
    if demo:
        _seed(settings, urls, scale=demo_scale, seed=2026, only_if_empty=True)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Registry API: http://{bind_host}:{bind_port}/graphql")
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again; with the default handler
    # that would kill the process before its exit handlers run, leaving the embedded PostgreSQL behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # JSON logs, uvicorn's included (it configures none of its own); the app logs one line per request.
    from registry.observability.logging import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings, urls.app),
        host=bind_host,
        port=bind_port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@schema_app.command("export")
def schema_export(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = DEFAULT_SCHEMA_FILE,
) -> None:
    """Write the GraphQL schema (SDL) to a file, for review and for third parties."""
    from registry.schema.builder import build_schema

    output.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"Wrote {output}")


def _owner_session_run(urls: DatabaseUrls, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction as the database owner."""
    from registry.db.engine import create_engine, create_session_factory

    async def run() -> T:
        engine = create_engine(urls.owner, pool_size=1, application_name="registry-cli")
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fail(error: Exception) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Lower-case sign-in name, e.g. officer.lahore")],
    role: Annotated[
        str,
        typer.Option(
            help="NATIONAL_ANALYST, SYSTEM_ADMIN, PROVINCIAL_MANAGER, DISTRICT_OFFICER, "
            "CASE_WORKER, POLICE_MONITOR or AUDITOR"
        ),
    ],
    jurisdiction: Annotated[str, typer.Option(help="Code of the node the role covers, e.g. PK-PB-LAHORE")],
    organisation: Annotated[
        str | None, typer.Option(help="Organisation code (default: nearest above)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read a password for the sign-in page from stdin")
    ] = False,
) -> None:
    """Create a person with one role at a jurisdiction."""
    from registry.auth.users import create_user
    from registry.db.models import Role
    from registry.errors import RegistryError

    try:
        parsed_role = Role(role.upper())
    except ValueError:
        _fail(ValueError(f"unknown role {role}"))
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    urls = _prepare_database(get_settings())

    async def work(session: AsyncSession) -> int:
        user = await create_user(
            session,
            username=username,
            role=parsed_role,
            jurisdiction_code=jurisdiction,
            display_name=name,
            organisation_code=organisation,
            password=password,
        )
        return user.id

    try:
        user_id = _owner_session_run(urls, work)
    except RegistryError as error:
        _fail(error)
    typer.echo(
        json.dumps(
            {"id": user_id, "username": username, "role": parsed_role.value, "jurisdiction": jurisdiction}
        )
    )


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="What the client is")],
    scopes: Annotated[str, typer.Option(help='Space-separated, e.g. "cases:read children:read"')],
    jurisdiction: Annotated[str, typer.Option(help="Code of the jurisdiction the client is bound to")],
    created_by: Annotated[str, typer.Option(help="Username of the person responsible for it")],
) -> None:
    """Create an API client; prints its client id and secret once, as JSON."""
    from registry.auth.clients import create_api_client
    from registry.errors import RegistryError

    urls = _prepare_database(get_settings())

    async def work(session: AsyncSession) -> dict[str, object]:
        creator = await _principal_of(session, created_by)
        created = await create_api_client(
            session, creator, name=name, scopes=scopes, jurisdiction_code=jurisdiction
        )
        return {
            "client_id": created.client.client_id,
            "client_secret": created.secret,
            "scopes": " ".join(created.client.scopes),
            "jurisdiction": jurisdiction,
        }

    try:
        typer.echo(json.dumps(_owner_session_run(urls, work)))
    except RegistryError as error:
        _fail(error)


@clients_app.command("revoke")
def clients_revoke(client_id: Annotated[str, typer.Argument(help="The client's client_id")]) -> None:
    """Revoke an API client at once: its tokens stop working on their next request."""
    from registry.db.queries.users import api_client_by_client_id, mark_api_client_revoked

    urls = _prepare_database(get_settings())

    async def work(session: AsyncSession) -> bool:
        client = await api_client_by_client_id(session, client_id)
        if client is None:
            return False
        await mark_api_client_revoked(session, client.id)
        return True

    if not _owner_session_run(urls, work):
        _fail(LookupError(f"no client {client_id}"))
    typer.echo(json.dumps({"client_id": client_id, "revoked": True}))


def _owner_connection_run(urls: DatabaseUrls, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work`` on a raw connection as the database owner (it manages its own transactions)."""
    from registry.db.seed.loader import connect_owner

    async def run() -> T:
        connection = await connect_owner(urls.owner)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def _wait_for_api_processes(key_file: Path, interval: float) -> None:
    """API processes take up a new key within ``interval`` of its making: wait until they all have."""
    import time

    wait = key_file.stat().st_mtime + interval - time.time()
    if wait > 0:
        typer.echo(f"Waiting {wait:.0f} s for API processes to take up {key_file.stem} ...")
        time.sleep(wait)


@keys_app.command("add-identity-key")
def keys_add_identity_key() -> None:
    """Add a new encryption key for identity numbers; API processes encrypt new numbers with it."""
    from registry.identity_numbers import create_identity_key, load_vault

    settings = get_settings()
    load_vault(settings.keys_dir)  # the first keys, if this deployment had none yet
    typer.echo(
        f"Added {create_identity_key(settings.keys_dir)}. API processes use it within"
        f" {settings.keys_check_interval_seconds:g} s; then run `registry keys reencrypt-identities`"
        " and `registry keys retire-identity-keys`."
    )


@keys_app.command("reencrypt-identities")
def keys_reencrypt_identities(
    batch_size: Annotated[int, typer.Option(min=1, help="Numbers re-encrypted per transaction.")] = 2000,
) -> None:
    """Re-encrypt every identity number stored under an older key with the newest key."""
    from registry.db.identity_keys import reencrypt_identity_numbers
    from registry.identity_numbers import identity_key_files, load_vault

    settings = get_settings()
    vault = load_vault(settings.keys_dir)
    urls = _prepare_database(settings)
    # A process still encrypting with an older key could store a number under it after the run ended.
    _wait_for_api_processes(identity_key_files(settings.keys_dir)[-1], settings.keys_check_interval_seconds)
    count = _owner_connection_run(
        urls, lambda connection: reencrypt_identity_numbers(connection, vault, batch_size=batch_size)
    )
    typer.echo(f"Re-encrypted {count} identity numbers under {vault.current_key_id}.")


@keys_app.command("retire-identity-keys")
def keys_retire_identity_keys() -> None:
    """Remove the identity-number keys older than the newest that no stored number is under any more."""
    from registry.db.identity_keys import identity_keys_in_use
    from registry.identity_numbers import identity_key_files

    settings = get_settings()
    in_use = _owner_connection_run(_prepare_database(settings), identity_keys_in_use)
    kept = []
    for path in identity_key_files(settings.keys_dir)[:-1]:
        if in_use.get(path.stem):
            kept.append(f"{path.stem} ({in_use[path.stem]} numbers)")
        else:
            path.unlink()
            typer.echo(f"Retired {path.stem}.")
    if kept:
        _fail(
            RuntimeError(f"still in use: {', '.join(kept)}; run `registry keys reencrypt-identities` first")
        )


@keys_app.command("rotate-signing-key")
def keys_rotate_signing_key() -> None:
    """Add a new token-signing key: API processes sign with it from their next look at the keys; tokens
    signed with older keys stay valid until they expire."""
    from registry.auth.keys import create_key_file, load_signing_keys

    settings = get_settings()
    load_signing_keys(settings.keys_dir)  # the first key, if this deployment had none yet
    path = create_key_file(settings.keys_dir)
    typer.echo(
        f"Added {path.name}; API processes sign with it within {settings.keys_check_interval_seconds:g} s."
        f" Retire older keys after {_signing_key_retirement_age(settings):.0f} s:"
        " `registry keys retire-signing-key`."
    )


def _signing_key_retirement_age(settings: Settings) -> float:
    """How long an older signing key must stay after a newer one is added: a process may go on signing
    with it until its next look at the keys, and what it signed then stays valid for an access token's
    lifetime; a minute more for clocks that differ."""
    return settings.keys_check_interval_seconds + settings.access_token_ttl_seconds + 60


@keys_app.command("retire-signing-key")
def keys_retire_signing_key(
    force: Annotated[
        bool,
        typer.Option(
            help="Retire older keys now, even though tokens they signed are still valid (a compromised"
            " key): those tokens stop working."
        ),
    ] = False,
) -> None:
    """Remove the signing keys older than the newest once no valid token can have been signed with them."""
    from registry.auth.keys import retire_signing_keys

    settings = get_settings()
    retired = retire_signing_keys(
        settings.keys_dir, min_age=0 if force else _signing_key_retirement_age(settings)
    )
    for path in retired.removed:
        typer.echo(f"Retired {path.name}.")
    if retired.waiting:
        _fail(
            RuntimeError(
                "tokens signed with "
                + ", ".join(
                    f"{path.name} may be valid for {left:.0f} s more" for path, left in retired.waiting
                )
                + "; retire it then (or now with --force, which ends those tokens)"
            )
        )
    if not retired.removed:
        typer.echo("Nothing to retire: only the newest key is left.")


@keys_app.command("rotate-index-key")
def keys_rotate_index_key() -> None:
    """Replace the blind-index key: recompute every index with a new key, then put the key in place."""
    from registry.db.identity_keys import reindex_identity_numbers
    from registry.identity_numbers import load_vault, prepare_index_key, promote_index_key

    settings = get_settings()
    current = load_vault(settings.keys_dir)
    upcoming = prepare_index_key(settings.keys_dir)
    count = _owner_connection_run(
        _prepare_database(settings),
        lambda connection: reindex_identity_numbers(connection, current, upcoming),
    )
    promote_index_key(settings.keys_dir)
    typer.echo(
        f"Re-indexed {count} identity numbers with the new index key; API processes search with it within"
        f" {settings.keys_check_interval_seconds:g} s."
    )


_KEYS_NOT_IN_BACKUP = (
    "The keys are not in the backup. Keep a copy of {keys} (signing-*.pem, identity-*.key, blind-index.key)"
    " apart from it: without identity-*.key and blind-index.key the identity numbers in the backup cannot be"
    " read or searched, and with them next to the backup anyone holding both can read them."
)


@backup_app.command("create")
def backup_create(
    output: Annotated[Path, typer.Option(help="The new backup file (pg_dump custom format).")],
) -> None:
    """Back up the whole database (one consistent snapshot; the API keeps serving). Keys are not in it."""
    from registry.db.backup import BackupError, create_backup

    settings = get_settings()
    urls = resolve_database(settings)
    try:
        report = asyncio.run(create_backup(urls.owner, output))
    except BackupError as error:
        _fail(error)
    typer.echo(
        f"Backed up database {urls.owner.database} (PostgreSQL {report.server_version}) to {report.path}"
        f" ({report.size:,} bytes, pg_dump {report.tool_version})."
    )
    typer.echo("warning: " + _KEYS_NOT_IN_BACKUP.format(keys=settings.keys_dir), err=True)


@backup_app.command("restore")
def backup_restore(
    archive: Annotated[Path, typer.Option("--input", help="A file made by `registry backup create`.")],
) -> None:
    """Restore a backup into a new, empty database, then migrate it and make the API's login role.

    An existing database is never overwritten: restore into another database (REGISTRY_DATABASE_URL) or
    another REGISTRY_DATA_DIR, check it, then point the API at it.
    """
    from registry.db.backup import BackupError, restore_backup

    settings = get_settings()
    urls = resolve_database(settings)
    password = settings.app_db_password.get_secret_value() if settings.app_db_password else None
    try:
        report = asyncio.run(
            restore_backup(
                urls.owner,
                archive,
                app_db_role=settings.app_db_role,
                app_db_password=password,
                keys_dir=settings.keys_dir,
            )
        )
    except BackupError as error:
        _fail(error)
    typer.echo(
        f"Restored {archive} into database {urls.owner.database} (PostgreSQL {report.server_version},"
        f" pg_restore {report.tool_version}); it is at the latest schema version."
    )
    typer.echo("warning: " + _KEYS_NOT_IN_BACKUP.format(keys=settings.keys_dir), err=True)
    if report.missing_identity_keys:
        typer.echo(
            f"warning: identity numbers are stored under {', '.join(report.missing_identity_keys)}, which"
            f" {settings.keys_dir} does not hold: restore those key files from the keys' own backup.",
            err=True,
        )


@audit_app.command("seal")
def audit_seal() -> None:
    """Chain every committed, unsealed audit row now (the API does it every few seconds by itself)."""
    from registry.db.queries.audit import seal

    async def seal_all(session: AsyncSession) -> int:
        total = 0
        while sealed := await seal(session):
            total += sealed
        return total

    total = _owner_session_run(_prepare_database(get_settings()), seal_all)
    typer.echo(f"Sealed {total} audit rows.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit chain, recompute every hash, and name the first row that does not fit."""
    from registry.db.queries.audit import verify_chain

    report = _owner_connection_run(_prepare_database(get_settings()), verify_chain)
    if report.broken_id is not None:
        typer.echo(
            f"BROKEN at audit row {report.broken_id}: {report.problem}"
            f" ({report.sealed} rows before it verified).",
            err=True,
        )
        raise typer.Exit(code=1)
    typer.echo(f"Audit chain intact: {report.sealed} sealed rows verified; {report.unsealed} not sealed yet.")


@stats_app.command("rebuild")
def stats_rebuild() -> None:
    """Recount the case rollups from the cases themselves (after a restore, or to check them)."""
    from registry.db.queries.case_statistics import rebuild_case_counts

    async def rebuild(session: AsyncSession) -> int:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return await rebuild_case_counts(session)

    counted = _owner_session_run(_prepare_database(get_settings()), rebuild)
    typer.echo(f"Rebuilt the case rollups from {counted} cases.")


@stats_app.command("compact")
def stats_compact() -> None:
    """Fold pending statistics changes into the rollups now (the API does it every few seconds)."""
    from registry.db.queries.case_statistics import compact_case_counts

    folded = _owner_session_run(_prepare_database(get_settings()), compact_case_counts)
    typer.echo(f"Folded {folded} pending changes into the case rollups.")


@app.command()
def token(user: Annotated[str, typer.Option(help="Username")]) -> None:
    """Print an access token for a person (for operators and tests); it expires like any other."""
    from registry.auth.keys import load_signing_keys
    from registry.auth.principal import PrincipalKind
    from registry.auth.tokens import TokenService
    from registry.errors import RegistryError

    settings = get_settings()
    urls = _prepare_database(settings)

    async def work(session: AsyncSession) -> int:
        return (await _principal_of(session, user)).id

    try:
        user_id = _owner_session_run(urls, work)
    except RegistryError as error:
        _fail(error)
    tokens = TokenService(settings, load_signing_keys(settings.keys_dir))
    access_token, _ = tokens.issue(PrincipalKind.USER, user_id, client_id="registry-cli", scope="")
    typer.echo(access_token)


async def _principal_of(session: AsyncSession, username: str) -> Principal:
    from registry.auth.request import Unauthenticated, load_principal
    from registry.auth.tokens import AccessToken
    from registry.db.queries.users import user_by_username
    from registry.errors import NotFound

    found = await user_by_username(session, username)
    if found is None:
        raise NotFound(f"no user {username}")
    probe = AccessToken(
        PrincipalKind.USER, found.id, client_id="registry-cli", scope="", jti="", expires_at=0
    )
    try:
        return await load_principal(session, probe)
    except Unauthenticated:
        raise NotFound(f"user {username} is disabled") from None


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
