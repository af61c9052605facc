"""A raw asyncpg connection as the database owner, for bulk loading with COPY."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from registry.db.engine import register_codecs


async def connect_owner(owner_url: URL) -> asyncpg.Connection[Any]:
    dsn = owner_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    await register_codecs(connection)
    return connection
