"""Production mode and the HTTP hardening every deployment has: what a client can learn, send and keep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from tests.conftest import APP_ROLE
from tests.factories import make_small_tree
from tests.serving import post, serving

PROVINCES = "{ jurisdictions(filter: {level: PROVINCIAL}) { edges { node { code } } } }"
INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_refused_in_production_with_a_typed_error(database: URL) -> None:
    async with serving(database, env="production") as (_, production):
        refused = await post(production, INTROSPECTION)
    async with serving(database, env="development") as (_, development):
        allowed = await post(development, INTROSPECTION)

    body = refused.json()
    assert body.get("data") is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INTROSPECTION_DISABLED"]
    # The same document, validated in the same process, is still answered in development.
    assert allowed.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "errors" not in allowed.json()


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ jurisdictions { edges { node { nam } } } }", None),
        (
            "query($level: JurisdictionLevel) { jurisdictions(filter: {level: $level}) { totalCount } }",
            {"level": "PROVINCIA"},
        ),
    ],
    ids=["unknown-field", "misspelt-enum-value"],
)
async def test_production_errors_suggest_no_names(
    database: URL, query: str, variables: dict[str, Any] | None
) -> None:
    async with serving(database, env="development") as (_, development):
        helpful = (await post(development, query, variables)).json()["errors"][0]["message"]
    async with serving(database, env="production") as (_, production):
        terse = (await post(production, query, variables)).json()["errors"][0]["message"]

    assert "Did you mean" in helpful
    assert "Did you mean" not in terse
    assert "name" not in terse.replace(helpful.split("Did you mean")[0], "")
    assert terse == helpful.split(" Did you mean")[0]


async def test_the_ide_is_served_only_in_development(database: URL) -> None:
    html = {"Accept": "text/html"}
    async with serving(database, env="development") as (_, development):
        ide = await development.get("/graphql", headers=html)
    async with serving(database, env="production") as (_, production):
        none = await production.get("/graphql", headers=html)

    assert ide.status_code == 200
    assert ide.headers["content-type"].startswith("text/html")
    assert none.status_code == 404
    assert "graphiql" not in none.text.lower()


@pytest.mark.parametrize("env", ["development", "production"])
async def test_an_unexpected_error_shows_only_a_request_id_also_sent_as_a_header(
    database: URL, owner: asyncpg.Connection[Any], env: str
) -> None:
    await make_small_tree(owner)
    # A real fault: the API's role has lost its right to read the table.
    await owner.execute(f"REVOKE SELECT ON jurisdictions FROM {APP_ROLE}")

    async with serving(database, env=env) as (_, http):
        response = await post(http, PROVINCES)

    (error,) = response.json()["errors"]
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert "permission" not in response.text


async def test_an_argument_value_the_schema_cannot_read_is_a_validation_error_not_a_masked_one(
    database: URL,
) -> None:
    async with serving(database) as (_, http):
        response = await post(http, '{ auditEvents(filter: {actor: ""}) { totalCount } }')

    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "VALIDATION"}
    assert "GlobalID" in error["message"]


async def test_request_ids_differ_between_requests(database: URL) -> None:
    async with serving(database) as (_, http):
        first = await post(http, PROVINCES)
        second = await http.get("/healthz")

    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("env", ["development", "production"])
async def test_a_mutation_is_refused_over_get(database: URL, env: str) -> None:
    mutation = 'mutation { revokeApiClient(input: {id: "QXBpQ2xpZW50OjE="}) { errors { code } } }'
    async with serving(database, env=env) as (_, http):
        response = await http.get("/graphql", params={"query": mutation})

    assert 400 <= response.status_code < 500
    assert "revokeApiClient" not in response.text


async def test_a_body_over_the_limit_is_refused_with_413_before_it_runs(database: URL) -> None:
    padding = " " * 4096
    async with serving(database, max_request_body_bytes=2048) as (_, http):
        small = await post(http, PROVINCES)
        declared = await http.post(
            "/graphql",
            content=f'{{"query": "{PROVINCES}{padding}"}}',
            headers={"content-type": "application/json"},
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield f'{{"query": "{PROVINCES}'.encode()
            for _ in range(8):
                yield padding[:1024].encode()
            yield b'"}'

        # No declared length: the limit applies to the bytes as they arrive.
        streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})

    assert small.status_code == 200
    for refused in (declared, streamed):
        assert refused.status_code == 413
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert error["extensions"]["requestId"] == refused.headers["X-Request-ID"]


async def test_cors_is_closed_unless_origins_are_configured(database: URL) -> None:
    preflight = {
        "Origin": "https://dashboard.example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with serving(database) as (_, closed):
        closed_preflight = await closed.options("/graphql", headers=preflight)
        closed_post = await closed.post(
            "/graphql", json={"query": PROVINCES}, headers={"Origin": "https://dashboard.example.org"}
        )
    async with serving(database, cors_allowed_origins="https://dashboard.example.org") as (_, open_):
        allowed = await open_.options("/graphql", headers=preflight)
        other = await open_.options("/graphql", headers=preflight | {"Origin": "https://evil.example"})
        allowed_post = await open_.post(
            "/graphql", json={"query": PROVINCES}, headers={"Origin": "https://dashboard.example.org"}
        )

    assert "access-control-allow-origin" not in closed_preflight.headers
    assert "access-control-allow-origin" not in closed_post.headers
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example.org"
    assert "access-control-allow-origin" not in other.headers
    assert allowed_post.headers["access-control-allow-origin"] == "https://dashboard.example.org"
    assert "X-Request-ID" in allowed_post.headers["access-control-expose-headers"]


@pytest.mark.parametrize("env", ["development", "production"])
async def test_every_answer_carries_the_security_headers(database: URL, env: str) -> None:
    async with serving(database, env=env) as (_, http):
        graphql = await post(http, PROVINCES)
        health = await http.get("/healthz")
        missing = await http.get("/no-such-page")

    for response in (graphql, health, missing):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert ("Strict-Transport-Security" in response.headers) == (env == "production")
    assert graphql.headers["Cache-Control"] == "no-store"


async def test_a_statement_past_the_timeout_gives_a_retryable_timeout_error(
    database: URL, owner: asyncpg.Connection[Any]
) -> None:
    await make_small_tree(owner)
    async with serving(database, statement_timeout_ms=300) as (_, http):
        # Another session holds the table: the API's statement waits until its timeout stops it.
        async with owner.transaction():
            await owner.execute("LOCK TABLE jurisdictions IN ACCESS EXCLUSIVE MODE")
            stopped = await post(http, PROVINCES)
        after = await post(http, PROVINCES)

    assert stopped.status_code == 503
    assert stopped.headers["Retry-After"] == "2"
    (error,) = stopped.json()["errors"]
    assert error["extensions"] == {"code": "TIMEOUT", "requestId": stopped.headers["X-Request-ID"]}
    assert after.status_code == 200
    assert len(after.json()["data"]["jurisdictions"]["edges"]) == 2
