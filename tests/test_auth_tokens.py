"""Access tokens: which are accepted, which are refused, and revocation taking effect at once."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from joserfc import jwt

from registry.auth.keys import ALGORITHM, load_signing_keys
from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, bearer, make_settings, user_token
from tests.factories import make_api_client, make_organisation, make_small_tree, make_user

VIEWER = "{ viewer { kind name grants { role permissions jurisdiction { code } } } }"


@pytest.fixture
async def officer(owner: asyncpg.Connection[Any]) -> int:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    return await make_user(
        owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org, username="officer.lahore"
    )


def forged_claims(tokens: TokenService, user_id: int, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": tokens.settings.token_issuer,
        "aud": tokens.settings.token_audience,
        "sub": f"user:{user_id}",
        "client_id": "registry-tests",
        "iat": now,
        "exp": now + 300,
        "jti": "forged-jti",
    }
    return claims | overrides


def sign(tokens: TokenService, claims: dict[str, Any], **header: Any) -> str:
    head = {"alg": ALGORITHM, "typ": "at+jwt", "kid": tokens.keys.signing.kid} | header
    return jwt.encode(head, claims, tokens.keys.signing, algorithms=[ALGORITHM])


async def status_of(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    return response.status_code


async def test_a_valid_token_names_the_viewer_and_their_grants(
    officer: int, tokens: TokenService, graphql: GraphQLClient
) -> None:
    data = await graphql.data(VIEWER, token=user_token(tokens, officer))

    viewer = data["viewer"]
    assert viewer["kind"] == "USER"
    assert viewer["name"] == "officer.lahore"
    assert viewer["grants"][0]["role"] == "DISTRICT_OFFICER"
    assert viewer["grants"][0]["jurisdiction"] == {"code": "PK-PB-LAHORE"}
    assert "pii:read" in viewer["grants"][0]["permissions"]


async def test_without_a_token_the_viewer_is_null(graphql: GraphQLClient) -> None:
    assert (await graphql.data(VIEWER))["viewer"] is None


async def test_a_token_signed_with_another_key_is_refused(
    officer: int, tokens: TokenService, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    stranger = TokenService(make_settings(), load_signing_keys(tmp_path / "other-keys"))
    token, _ = stranger.issue(PrincipalKind.USER, officer, client_id="x", scope="")

    response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_alg_none_is_refused(officer: int, tokens: TokenService, client: httpx.AsyncClient) -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none', 'typ': 'at+jwt'})}.{part(forged_claims(tokens, officer))}."

    assert await status_of(client, unsigned) == 401


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://someone-else.example"},
        {"aud": "urn:another:api"},
        {"exp": int(time.time()) - 120, "iat": int(time.time()) - 900},
        {"sub": "user:999999999"},
        {"sub": "robot:1"},
    ],
    ids=["wrong-issuer", "wrong-audience", "expired", "unknown-user", "unknown-subject-kind"],
)
async def test_tokens_with_bad_claims_are_refused(
    officer: int, tokens: TokenService, client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    assert await status_of(client, sign(tokens, forged_claims(tokens, officer))) == 200
    assert await status_of(client, sign(tokens, forged_claims(tokens, officer, **overrides))) == 401


async def test_a_token_that_is_not_an_access_token_is_refused(
    officer: int, tokens: TokenService, client: httpx.AsyncClient
) -> None:
    assert await status_of(client, sign(tokens, forged_claims(tokens, officer), typ="JWT")) == 401


async def test_a_malformed_authorization_header_is_refused(client: httpx.AsyncClient) -> None:
    for header in ("Bearer", "Basic abc", "Bearer not.a.jwt"):
        response = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_a_disabled_person_is_refused_on_the_next_request(
    officer: int, tokens: TokenService, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    token = user_token(tokens, officer)
    assert await status_of(client, token) == 200

    await owner.execute("UPDATE users SET active = false WHERE id = $1", officer)

    assert await status_of(client, token) == 401


async def test_a_revoked_client_is_refused_on_the_next_request(
    owner: asyncpg.Connection[Any], officer: int, tokens: TokenService, client: httpx.AsyncClient
) -> None:
    org = await owner.fetchval("SELECT organisation_id FROM users WHERE id = $1", officer)
    lahore = await owner.fetchrow("SELECT id, path::text FROM jurisdictions WHERE code = 'PK-PB-LAHORE'")
    assert lahore is not None
    from tests.factories import JurisdictionRow

    where = JurisdictionRow(lahore["id"], "PK-PB-LAHORE", lahore["path"], "DISTRICT")
    client_db_id, client_id = await make_api_client(
        owner, where, organisation_id=org, created_by=officer, scopes=["cases:read"]
    )
    token, _ = tokens.issue(PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope="cases:read")
    assert await status_of(client, token) == 200

    await owner.execute("UPDATE api_clients SET revoked_at = now() WHERE id = $1", client_db_id)

    assert await status_of(client, token) == 401
