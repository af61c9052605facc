"""Run Alembic migrations from code: the CLI, the embedded start-up and the tests all come through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(app_db_role: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # Read by the migrations that create and grant to the app's login role.
    config.attributes["app_db_role"] = app_db_role
    return config


async def migrate(
    owner_url: URL,
    *,
    app_db_role: str,
    app_db_password: str | None = None,
    revision: str = "head",
    downgrade: bool = False,
) -> None:
    """Upgrade (or downgrade) the database at ``owner_url`` to ``revision``."""
    config = alembic_config(app_db_role)
    config.attributes["app_db_password"] = app_db_password

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        if downgrade:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    engine = create_async_engine(owner_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()
    finally:
        await engine.dispose()


async def ensure_database(owner_url: URL) -> None:
    """Create the owner URL's database if it does not exist (connecting to ``postgres`` to do so)."""
    maintenance = create_async_engine(owner_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with maintenance.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": owner_url.database}
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(owner_url.database or "")
                await connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        await maintenance.dispose()
