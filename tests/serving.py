"""The app with chosen settings over HTTP, and a way to see it waiting on a lock: for the hardening,
observability and fault tests."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import URL

from registry.app import create_app
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import APP_ROLE, make_settings

# Bounds against a hang only: every request in these tests answers in well under a second.
REQUEST_BOUND_SECONDS = 30


@asynccontextmanager
async def serving(database: URL, **overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with these settings (over ``make_settings``), started, with a client on its ASGI side."""
    settings = make_settings(**overrides)
    app = create_app(settings, app_url_for(database, settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            yield app, http


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    return await asyncio.wait_for(
        http.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs),
        REQUEST_BOUND_SECONDS,
    )


async def app_backends(database: URL, condition: str) -> int:
    """How many backends of the app's role match ``condition`` (SQL over pg_stat_activity), read on a
    fresh connection: inside a transaction, pg_stat_activity shows the same snapshot every time."""
    watcher = await connect_owner(database)
    try:
        return int(
            await watcher.fetchval(
                f"SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND datname = $2 AND ({condition})",
                APP_ROLE,
                database.database,
            )
        )
    finally:
        await watcher.close()


async def wait_for_a_blocked_app_query(database: URL, *, within: float = 20) -> None:
    """Until a backend of the app's role waits on a lock (polled, bounded against a hang)."""

    await until(lambda: app_backends(database, "wait_event_type = 'Lock'"), within=within)


async def until(
    check: Callable[[], object | Awaitable[object]], *, within: float, every: float = 0.05
) -> None:
    """Poll ``check`` (plain or async) until it is truthy; TimeoutError after ``within`` seconds (a bound
    against a hang, not a timing)."""

    async def poll() -> None:
        while True:
            result = check()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(every)

    await asyncio.wait_for(poll(), within)
