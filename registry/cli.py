"""The ``registry`` command line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from registry.config import Settings, get_settings
from registry.db.server import DatabaseUrls, resolve_database

app = typer.Typer(help="Child Protection Registry: API server and operations.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

DEFAULT_SCHEMA_FILE = Path("schema.graphql")
DEMO_SCALE = 0.02


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


def _seed(urls: DatabaseUrls, *, scale: float, seed: int, only_if_empty: bool) -> None:
    from registry.db.seed.demo import is_seeded, seed_demo
    from registry.db.seed.loader import connect_owner

    async def run() -> None:
        connection = await connect_owner(urls.owner)
        try:
            if only_if_empty and await is_seeded(connection):
                typer.echo("Demo data already present; keeping it.")
                return
            summary = await seed_demo(connection, scale=scale, seed=seed)
        finally:
            await connection.close()
        typer.echo(
            f"Seeded demo data at scale {scale} in {summary.seconds:.1f} s: "
            + ", ".join(f"{count:,} {table}" for table, count in summary.counts.items())
        )

    asyncio.run(run())


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
    urls = _prepare_database(get_settings())
    _seed(urls, scale=scale, seed=seed, only_if_empty=False)


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
        _seed(urls, scale=demo_scale, seed=2026, only_if_empty=True)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"Registry API: http://{bind_host}:{bind_port}/graphql")
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


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
