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
    help="Keys of identity numbers. API processes read keys at start: restart them after a change.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
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
    uvicorn.run(
        create_app(settings, urls.app),
        host=bind_host,
        port=bind_port,
        loop="uvloop",
        http="httptools",
        log_level="info",
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


@keys_app.command("add-identity-key")
def keys_add_identity_key() -> None:
    """Add a new encryption key for identity numbers; once API processes restart, new numbers use it."""
    from registry.identity_numbers import create_identity_key, load_vault

    settings = get_settings()
    load_vault(settings.keys_dir)  # the first keys, if this deployment had none yet
    typer.echo(
        f"Added {create_identity_key(settings.keys_dir)}. Restart the API, then run"
        " `registry keys reencrypt-identities` before retiring older keys."
    )


@keys_app.command("reencrypt-identities")
def keys_reencrypt_identities() -> None:
    """Re-encrypt every identity number stored under an older key with the newest key."""
    from registry.db.identity_keys import reencrypt_identity_numbers
    from registry.identity_numbers import load_vault

    settings = get_settings()
    vault = load_vault(settings.keys_dir)
    count = _owner_connection_run(
        _prepare_database(settings), lambda connection: reencrypt_identity_numbers(connection, vault)
    )
    typer.echo(f"Re-encrypted {count} identity numbers under {vault.current_key_id}.")


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
    typer.echo(f"Re-indexed {count} identity numbers with the new index key. Restart the API now.")


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
