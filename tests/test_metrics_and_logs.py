"""What operators see: Prometheus metrics at /metrics, JSON logs with the request id and nothing personal."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import URL

from registry.auth.tokens import TokenService
from registry.observability import metrics
from registry.observability.logging import JsonFormatter
from tests.conftest import APP_ROLE, bearer, user_token
from tests.factories import make_small_tree, make_world
from tests.serving import REQUEST_BOUND_SECONDS, post, serving, wait_for_a_blocked_app_query

PROVINCES = "{ jurisdictions(filter: {level: PROVINCIAL}) { edges { node { code } } } }"

Labels = dict[str, str]


def scrape_value(text: str, sample_name: str, labels: Labels | None = None) -> float:
    """One sample of the exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and sample.labels == (labels or {}):
                return float(sample.value)
    return 0.0


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_operations_are_counted_by_known_name_and_unknown_names_stay_out_of_the_labels(
    database: URL,
) -> None:
    metrics.register_operation_names(["MetricsKnownProvinces"])
    latency = "registry_graphql_operation_duration_seconds_count"
    async with serving(database) as (_app, http):
        before = await scrape(http)
        for document in (
            f"query MetricsKnownProvinces {PROVINCES}",
            f"query SomeClientsPrivateName {PROVINCES}",
            PROVINCES,
            "{ noSuchField }",
        ):
            await post(http, document)
        after = await scrape(http)

    def delta(name: str, labels: Labels) -> float:
        return scrape_value(after, name, labels) - scrape_value(before, name, labels)

    assert delta(latency, {"operation": "MetricsKnownProvinces"}) == 1
    assert delta(latency, {"operation": "other"}) == 1
    assert delta(latency, {"operation": "anonymous"}) == 2
    assert "SomeClientsPrivateName" not in after
    assert delta("registry_graphql_errors_total", {"code": "GRAPHQL"}) == 1
    assert (
        delta("registry_http_requests_total", {"route": "/graphql", "method": "POST", "status": "200"}) == 4
    )
    assert delta("registry_http_request_duration_seconds_count", {"route": "/graphql"}) == 4
    # The scrape before was itself counted by the time of the one after.
    assert delta("registry_http_requests_total", {"route": "/metrics", "method": "GET", "status": "200"}) == 1


async def test_unexpected_errors_are_counted_by_their_code(
    database: URL, owner: asyncpg.Connection[Any]
) -> None:
    await owner.execute(f"REVOKE SELECT ON jurisdictions FROM {APP_ROLE}")
    async with serving(database) as (_app, http):
        before = await scrape(http)
        await post(http, PROVINCES)
        after = await scrape(http)

    name, labels = "registry_graphql_errors_total", {"code": "INTERNAL"}
    assert scrape_value(after, name, labels) - scrape_value(before, name, labels) == 1


async def test_the_pool_gauges_show_connections_in_use_while_a_request_waits(
    database: URL, owner: asyncpg.Connection[Any]
) -> None:
    await make_small_tree(owner)
    # No maintenance jobs: they would hold a connection now and then.
    quiet = {"audit_seal_interval_seconds": 0, "statistics_compact_interval_seconds": 0}
    async with serving(database, db_pool_size=7, **quiet) as (_app, http):
        at_rest = await scrape(http)
        async with owner.transaction():
            await owner.execute("LOCK TABLE jurisdictions IN ACCESS EXCLUSIVE MODE")
            waiting = asyncio.create_task(post(http, PROVINCES))
            await wait_for_a_blocked_app_query(database)
            busy = await scrape(http)
        answered = await waiting
        settled = await scrape(http)

    assert answered.status_code == 200
    assert scrape_value(at_rest, "registry_db_pool_size") == 7
    assert scrape_value(at_rest, "registry_db_pool_checked_out") == 0
    assert scrape_value(busy, "registry_db_pool_checked_out") == 1
    assert scrape_value(settled, "registry_db_pool_checked_out") == 0
    assert scrape_value(settled, "registry_db_pool_idle") >= 1


async def test_rate_limit_rejections_are_exposed(database: URL) -> None:
    async with serving(database) as (_app, http):
        before = await scrape(http)
        metrics.record_rate_limit_rejection()
        after = await scrape(http)

    name = "registry_rate_limit_rejections_total"
    assert scrape_value(after, name) - scrape_value(before, name) == 1


# ---------------------------------------------------------------------------------------------------------
# Logs

CHILD_NAME = "Zarmeena Khalilzai"
GUARDIAN_NAME = "Nasreen Khalilzai"
GUARDIAN_PHONE = "0300-7654321"
REGISTER = """mutation($input: RegisterChildInput!) {
  registerChild(input: $input) { child { id fullName } errors { code field message } } }"""


def registration(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "jurisdictionCode": "PK-PB-LAHORE-UC1",
        "sex": "FEMALE",
        "fullName": CHILD_NAME,
        "dateOfBirth": "2018-01-01",
        "guardians": [
            {
                "fullName": GUARDIAN_NAME,
                "relationship": "MOTHER",
                "phone": GUARDIAN_PHONE,
                "consents": ["REGISTRATION", "DATA_SHARING"],
            }
        ],
    }
    return values | overrides


@pytest.fixture
def json_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Every log record at INFO and above, as the deployment writes it: one JSON object a line."""
    caplog.set_level(logging.INFO)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


async def test_logs_are_json_with_the_request_id_and_never_the_token_or_personal_data(
    database: URL,
    owner: asyncpg.Connection[Any],
    tokens: TokenService,
    json_logs: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await make_world(owner)
    token = user_token(tokens, world.users["lahore_officer"])
    # A real fault while the child's identity is being written: the role may not insert identities.
    await owner.execute(f"REVOKE INSERT ON child_identities FROM {APP_ROLE}")

    async with serving(database) as (_app, http):
        failed = await asyncio.wait_for(
            http.post(
                "/graphql",
                json={"query": REGISTER, "variables": {"input": registration()}},
                headers=bearer(token),
            ),
            REQUEST_BOUND_SECONDS,
        )
        # A variable that does not fit its type: its message quotes what was sent, to the client only.
        misfit = await asyncio.wait_for(
            http.post(
                "/graphql",
                json={"query": REGISTER, "variables": {"input": registration(sex=CHILD_NAME)}},
                headers=bearer(token),
            ),
            REQUEST_BOUND_SECONDS,
        )

    (error,) = failed.json()["errors"]
    request_id = failed.headers["X-Request-ID"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert CHILD_NAME in misfit.json()["errors"][0]["message"]

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    this_request = [line for line in lines if line.get("request_id") == request_id]
    unexpected = [line for line in this_request if line["level"] == "ERROR"]
    assert len(unexpected) == 1
    assert "permission denied for table child_identities" in unexpected[0]["exception"]
    assert {"route": "/graphql", "method": "POST", "status": 200}.items() <= next(
        line for line in this_request if line["message"] == "request"
    ).items()
    assert any(line.get("request_id") == misfit.headers["X-Request-ID"] for line in lines)

    for secret in (token, CHILD_NAME, GUARDIAN_NAME, GUARDIAN_PHONE, "Khalilzai", "Bearer"):
        assert secret not in json_logs.getvalue()
        assert secret not in caplog.text
