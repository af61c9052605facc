"""Rate limits by query cost: each person, API client and anonymous address spends its own budget; over
it, HTTP 429 with ``Retry-After``; every answer says what is left. Buckets are shared through Redis."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.engine import URL

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.config import Settings
from registry.db.server import app_url_for
from registry.limits.rate import InProcessRateLimiter, RateDecision, RedisRateLimiter
from tests.conftest import StatementLog, bearer, make_settings, user_token
from tests.factories import make_api_client, make_organisation, make_small_tree, make_user

# viewer (1) + name (1)
VIEWER = "{ viewer { name } }"
VIEWER_COST = 2
TINY_BUDGET: dict[str, Any] = {"rate_limit_burst": 10, "max_query_cost": 10, "rate_limit_per_second": 1.0}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings() -> Settings:
    return make_settings(**TINY_BUDGET)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    """The app's buckets, in process, on a clock the test moves."""
    clock = Clock()
    app.state.rate_limiter = InProcessRateLimiter(10, 1.0, clock=clock)
    return clock


async def ask(
    http: httpx.AsyncClient, query: str = VIEWER, *, token: str | None = None
) -> tuple[httpx.Response, dict[str, Any]]:
    response = await http.post("/graphql", json={"query": query}, headers=bearer(token) if token else {})
    body: dict[str, Any] = response.json()
    return response, body


async def test_each_answer_reports_its_cost_and_what_is_left(clock: Clock, client: httpx.AsyncClient) -> None:
    reports = [(await ask(client))[1]["extensions"]["rateLimit"] for _ in range(3)]

    assert reports == [
        {"cost": 2, "remaining": 8, "resetSeconds": 2},
        {"cost": 2, "remaining": 6, "resetSeconds": 4},
        {"cost": 2, "remaining": 4, "resetSeconds": 6},
    ]


async def test_over_budget_a_request_gets_429_with_retry_after_and_runs_nothing(
    owner: asyncpg.Connection[Any], clock: Clock, client: httpx.AsyncClient, statements: StatementLog
) -> None:
    await make_small_tree(owner)
    for _ in range(5):
        response, _ = await ask(client)
        assert response.status_code == 200
    statements.clear()

    # jurisdictions (1) + totalCount (1): 2, and none left.
    response, body = await ask(client, "{ jurisdictions { totalCount } }")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfterSeconds": 2}
    assert body["extensions"]["rateLimit"] == {"cost": 2, "remaining": 0, "resetSeconds": 10}
    assert not any("jurisdictions" in statement for statement in statements.statements)


async def test_refusals_are_counted_in_the_metrics(clock: Clock, client: httpx.AsyncClient) -> None:
    def refusals(text: str) -> float:
        line = next(
            line for line in text.splitlines() if line.startswith("registry_rate_limit_rejections_total")
        )
        return float(line.split()[-1])

    before = refusals((await client.get("/metrics")).text)
    statuses = [(await ask(client))[0].status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    assert refusals((await client.get("/metrics")).text) - before == 2


async def test_the_bucket_refills_with_time(clock: Clock, client: httpx.AsyncClient) -> None:
    for _ in range(5):
        await ask(client)
    assert (await ask(client))[0].status_code == 429

    clock.now += 1
    assert (await ask(client))[0].status_code == 429
    clock.now += 1
    response, body = await ask(client)

    assert response.status_code == 200
    assert body["extensions"]["rateLimit"]["remaining"] == 0


async def test_a_refused_request_costs_nothing(clock: Clock, client: httpx.AsyncClient) -> None:
    for _ in range(4):
        await ask(client)
    # Two left; this one costs 4 (jurisdictions, totalCount, viewer, name).
    response, body = await ask(client, "{ jurisdictions { totalCount } viewer { name } }")
    assert response.status_code == 429
    assert body["extensions"]["rateLimit"]["remaining"] == 2

    response, body = await ask(client)

    assert response.status_code == 200
    assert body["extensions"]["rateLimit"]["remaining"] == 0


async def test_people_clients_and_addresses_each_have_their_own_budget(
    owner: asyncpg.Connection[Any],
    app: FastAPI,
    clock: Clock,
    tokens: TokenService,
    client: httpx.AsyncClient,
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    colleague = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    client_db_id, client_id = await make_api_client(
        owner, tree.lahore, organisation_id=org, created_by=officer, scopes=["cases:read"]
    )
    officer_token = user_token(tokens, officer)
    client_token, _ = tokens.issue(
        PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="cases:read"
    )
    # A second token of the same client shares its budget.
    second_client_token, _ = tokens.issue(
        PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="cases:read"
    )
    decisions: list[tuple[str, bool]] = []

    def observe(key: str, decision: RateDecision) -> None:
        decisions.append((key, decision.allowed))

    app.state.rate_limiter.observe(observe)
    for _ in range(5):
        await ask(client, token=officer_token)
    for _ in range(4):
        await ask(client, token=client_token)

    assert (await ask(client, token=officer_token))[0].status_code == 429
    assert (await ask(client, token=second_client_token))[1]["extensions"]["rateLimit"]["remaining"] == 0
    assert (await ask(client, token=user_token(tokens, colleague)))[1]["extensions"]["rateLimit"][
        "remaining"
    ] == 8
    assert (await ask(client))[1]["extensions"]["rateLimit"]["remaining"] == 8
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4000)), base_url="http://registry.test"
    )
    async with elsewhere:
        await ask(elsewhere)
        assert (await ask(elsewhere))[1]["extensions"]["rateLimit"]["remaining"] == 6
    assert (f"user:{officer}", False) in decisions
    assert (f"client:{client_db_id}", True) in decisions
    assert {key for key, _ in decisions} == {
        f"user:{officer}",
        f"client:{client_db_id}",
        f"user:{colleague}",
        "address:127.0.0.1",
        "address:203.0.113.9",
    }


@pytest.mark.parametrize("settings", [make_settings()], ids=["defaults"])
async def test_by_default_the_buckets_are_in_process(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, body = await ask(client)

    assert isinstance(app.state.rate_limiter, InProcessRateLimiter)
    assert body["extensions"]["rateLimit"]["remaining"] == 250_000 - VIEWER_COST


def test_a_budget_smaller_than_the_costliest_query_is_refused_at_start(database: URL) -> None:
    from registry.app import create_app

    settings = make_settings(rate_limit_burst=100, max_query_cost=101)

    with pytest.raises(ValueError, match="rate_limit_burst"):
        create_app(settings, app_url_for(database, settings))


# --- Redis -------------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the test Redis (skipped if there is none), cleaned up after."""
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await redis.ping()
    except Exception as error:
        await redis.aclose()
        pytest.skip(f"no Redis at {REDIS_URL} ({error}); set REGISTRY_TEST_REDIS_URL")
    prefix = f"registry-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture
def redis_settings(redis_prefix: str) -> Settings:
    # One unit refills every 1000 s: nothing refills while the test runs.
    return make_settings(
        redis_url=REDIS_URL,
        redis_key_prefix=redis_prefix,
        rate_limit_burst=10,
        max_query_cost=10,
        rate_limit_per_second=0.001,
    )


@pytest.fixture
async def two_apps(
    database: URL, redis_settings: Settings
) -> AsyncIterator[list[tuple[FastAPI, httpx.AsyncClient]]]:
    """Two API processes (apps) on the same database and the same Redis, each with its HTTP client."""
    from registry.app import create_app

    async with contextlib.AsyncExitStack() as stack:
        pairs = []
        for _ in range(2):
            application = create_app(redis_settings, app_url_for(database, redis_settings))
            await stack.enter_async_context(application.router.lifespan_context(application))
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application), base_url="http://registry.test"
            )
            pairs.append((application, await stack.enter_async_context(http)))
        yield pairs


async def test_two_api_processes_share_a_budget_through_redis(
    two_apps: list[tuple[FastAPI, httpx.AsyncClient]],
) -> None:
    (first_app, first), (_, second) = two_apps
    assert isinstance(first_app.state.rate_limiter, RedisRateLimiter)

    remaining = [
        (await ask(http))[1]["extensions"]["rateLimit"]["remaining"] for http in (first, second, first)
    ]
    assert remaining == [8, 6, 4]
    await ask(second)
    await ask(second)
    response, body = await ask(first)

    assert response.status_code == 429
    # Two units at one every 1000 s.
    assert 1900 < int(response.headers["Retry-After"]) <= 2000
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["extensions"]["rateLimit"]["remaining"] == 0


async def test_without_redis_each_process_counts_on_its_own(
    database: URL, caplog: pytest.LogCaptureFixture
) -> None:
    from registry.app import create_app

    # Nothing listens on port 1: every call to Redis fails at once.
    settings = make_settings(redis_url="redis://127.0.0.1:1/0", **TINY_BUDGET)
    application = create_app(settings, app_url_for(database, settings))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            reports = [(await ask(http))[1]["extensions"]["rateLimit"]["remaining"] for _ in range(2)]

    assert reports == [8, 6]
    assert "Redis is unreachable" in caplog.text
