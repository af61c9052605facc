"""Alembic environment. Runs on a connection handed in by ``registry.db.migrate`` or opens its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from registry.config import get_settings
from registry.db.models import Base
from registry.db.server import resolve_database

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    engine = create_async_engine(resolve_database(get_settings()).owner)
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

handed_in = config.attributes.get("connection")
if handed_in is not None:
    run_on(handed_in)
else:
    asyncio.run(run_standalone())
