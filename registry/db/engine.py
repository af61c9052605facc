"""Engines and the one session factory. The API connects as the app role, never as the owner."""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


async def register_codecs(connection: asyncpg.Connection[Any]) -> None:
    """Teach asyncpg the ``ltree`` type, also in its binary form (used by COPY).

    Before the first migration the extension does not exist yet; then there is nothing to teach.
    """
    with contextlib.suppress(ValueError):  # unknown type: the extension is not installed
        await connection.set_type_codec(
            "ltree",
            schema="public",
            encoder=lambda path: b"\x01" + path.encode(),
            decoder=lambda data: data[1:].decode(),
            format="binary",
        )


def create_engine(url: URL, *, pool_size: int = 16, application_name: str = "registry") -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": application_name}},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(register_codecs)

    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
