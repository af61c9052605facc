"""Engines and the one session factory. The API connects as the app role, never as the owner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

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


def create_engine(
    url: URL,
    *,
    pool_size: int = 16,
    application_name: str = "registry",
    statement_timeout_ms: int | None = None,
    connect_timeout_seconds: float = 60.0,
) -> AsyncEngine:
    """An engine whose failures are safe to log and quick to recover from.

    Statement parameters never appear in errors or logs (they hold personal data). No ping on checkout:
    a connection found dead (a database restart) invalidates the whole pool, so the requests in flight
    then fail with a retryable error and the next ones connect afresh. ``statement_timeout_ms`` is each
    connection's default ``statement_timeout`` (set at connect, so it costs no statement per request).
    """
    server_settings = {"application_name": application_name}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        hide_parameters=True,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout_seconds},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(register_codecs)

    return engine


T = TypeVar("T")


class RequestSession(AsyncSession):
    """The session of one request. Its fields resolve side by side, and graphql-core cancels the others
    when one fails; a statement cancelled halfway makes SQLAlchemy close the connection under the whole
    request (its other statements, its audit row, its commit), and the client gets a 503. So each
    statement runs to its end in a task of its own, whoever awaited it, and the transaction ends only
    once the statements in flight have."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight: set[asyncio.Future[Any]] = set()

    async def _uninterrupted(self, operation: Coroutine[Any, Any, T]) -> T:
        task = asyncio.ensure_future(operation)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    async def settle(self) -> None:
        """Wait for the statements in flight (their failures are their awaiters' to report)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._uninterrupted(super().execute(*args, **kwargs))

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await self._uninterrupted(super().scalar(*args, **kwargs))

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return await self._uninterrupted(super().scalars(*args, **kwargs))

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._uninterrupted(super().get(*args, **kwargs))

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await self._uninterrupted(super().flush(*args, **kwargs))

    async def commit(self) -> None:
        await self.settle()
        await super().commit()

    async def rollback(self) -> None:
        await self.settle()
        await super().rollback()

    async def close(self) -> None:
        await self.settle()
        await super().close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False, autoflush=False)
