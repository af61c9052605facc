"""Test fixtures: a real PostgreSQL, a migrated template database cloned per test, the app over HTTP.

With ``REGISTRY_TEST_DATABASE_URL`` (an owner/superuser URL of any PostgreSQL 15+ server) the tests create
their databases there; otherwise they start the embedded server under ``.registry/test``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import URL
from strawberry.relay import to_base64

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.config import Settings
from registry.db.migrate import migrate
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for, asyncpg_url, start_embedded_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP_ROLE = "registry_app"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_db_role": APP_ROLE,
        "max_page_size": 100,
        "signing_keys_dir": PROJECT_ROOT / ".registry" / "test" / "keys",
    } | overrides
    return Settings(**values)


async def execute_admin(server: URL, sql: str) -> None:
    connection = await connect_owner(server.set(database="postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> URL:
    """The owner's URL of the test server, without a database."""
    configured = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if configured:
        return asyncpg_url(configured).set(database="postgres")
    return start_embedded_server(PROJECT_ROOT / ".registry" / "test")


@pytest.fixture(scope="session")
async def template_database(server_url: URL) -> AsyncIterator[str]:
    """A database built by the migrations, the template every test database is cloned from."""
    name = f"registry_template_{os.getpid()}"
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}"')
    await execute_admin(server_url, f'CREATE DATABASE "{name}"')
    await migrate(server_url.set(database=name), app_db_role=APP_ROLE)
    # A template must have no open connections when it is cloned.
    yield name
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database(server_url: URL, template_database: str) -> AsyncIterator[URL]:
    """A fresh database for one test, cloned from the migrated template; its owner's URL."""
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    await execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield server_url.set(database=name)
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def owner(database: URL) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A connection as the database owner, for setting up data the way the seed and admins would."""
    connection = await connect_owner(database)
    yield connection
    await connection.close()


@pytest.fixture
def settings() -> Settings:
    return make_settings()


class StatementLog:
    """The SQL statements the app sends, to pin that a query costs a constant number of them."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()


@pytest.fixture
def statements() -> StatementLog:
    return StatementLog()


@pytest.fixture
async def app(database: URL, settings: Settings, statements: StatementLog) -> AsyncIterator[FastAPI]:
    """The app, connected as the app's login role to this test's database."""
    from registry.app import create_app

    application = create_app(settings, app_url_for(database, settings))

    def log_statement(*args: Any) -> None:
        statements.statements.append(str(args[2]))

    def log_driver_statement(query: Any) -> None:
        # Statements sent on the driver's connection directly (:mod:`registry.db.raw`); SQLAlchemy's own go
        # through prepared statements, which the driver does not log. Not counted: transaction control, and
        # the driver's look-up of a type it meets for the first time on a connection (once per connection).
        sql = " ".join(query.query.split())
        if sql.split(" ", 1)[0].rstrip(";").upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
            return
        if "typeinfo_tree" in sql or "'jit'" in sql:
            return
        statements.statements.append(query.query)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(log_driver_statement)

    event.listen(application.state.engine.sync_engine, "before_cursor_execute", log_statement)
    event.listen(application.state.engine.sync_engine, "connect", on_connect)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app through its ASGI interface."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http


@pytest.fixture
def tokens(app: FastAPI) -> TokenService:
    """The app's own token service: tokens it issues are real, signed with the deployment's key."""
    service: TokenService = app.state.tokens
    return service


def user_token(tokens: TokenService, user_id: int) -> str:
    token, _ = tokens.issue(PrincipalKind.USER, user_id, client_id="registry-tests", scope="")
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=bearer(token) if token else {},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.post(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


async def mutate(
    graphql: GraphQLClient, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """Run a one-mutation document with ``variables`` as its ``input``; the mutation's payload."""
    data = await graphql.data(query, {"input": variables}, token=token)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The ``(code, field)`` of each typed error in a mutation payload."""
    return [(error["code"], error["field"]) for error in payload["errors"]]


def gid(type_name: str, row_id: int) -> str:
    """The global ID of a row."""
    return to_base64(type_name, row_id)


@pytest.fixture
def graphql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)
