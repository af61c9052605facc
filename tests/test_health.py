"""Liveness and readiness."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import URL

from registry.app import create_app
from registry.config import Settings
from registry.db.server import app_url_for


async def test_healthz_and_readyz_answer_when_the_database_is_up(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})


async def test_readyz_fails_while_the_database_is_unreachable(database: URL, settings: Settings) -> None:
    app = create_app(settings, app_url_for(database, settings).set(database="registry_does_not_exist"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            ready = await http.get("/readyz")
            health = await http.get("/healthz")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unreachable"}
    assert health.status_code == 200
