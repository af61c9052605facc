"""Tokens of a trusted external OpenID Connect provider, mapped to registry users by their subject."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from registry.config import Settings
from tests.conftest import bearer, make_settings
from tests.factories import make_organisation, make_small_tree, make_user

ISSUER = "https://login.example.gov.pk"
AUDIENCE = "registry"


@pytest.fixture
def provider_key() -> RSAKey:
    key = RSAKey.generate_key(2048, {"alg": "RS256", "use": "sig"})
    key.ensure_kid()
    return key


@pytest.fixture
def settings(tmp_path: Path, provider_key: RSAKey) -> Settings:
    jwks = tmp_path / "provider-jwks.json"
    jwks.write_text(json.dumps(KeySet([provider_key]).as_dict(private=False)))
    return make_settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=str(jwks))


def provider_token(key: RSAKey, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ext-123", "iat": now, "exp": now + 300} | overrides
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])


@pytest.fixture
async def external_user(owner: asyncpg.Connection[Any]) -> int:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore)
    user = await make_user(owner, "CASE_WORKER", tree.lahore, organisation_id=org, username="worker.ext")
    await owner.execute("UPDATE users SET external_subject = 'ext-123' WHERE id = $1", user)
    return user


async def viewer_status(client: httpx.AsyncClient, token: str) -> tuple[int, Any]:
    response = await client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=bearer(token))
    return response.status_code, response.json() if response.status_code == 200 else None


async def test_a_provider_token_signs_in_the_matching_registry_user(
    external_user: int, provider_key: RSAKey, client: httpx.AsyncClient
) -> None:
    status, body = await viewer_status(client, provider_token(provider_key))

    assert status == 200
    assert body["data"]["viewer"] == {"name": "worker.ext"}


@pytest.mark.parametrize(
    "overrides",
    [{"aud": "another-app"}, {"sub": "ext-unknown"}, {"exp": int(time.time()) - 60}],
    ids=["wrong-audience", "unknown-subject", "expired"],
)
async def test_provider_tokens_with_bad_claims_are_refused(
    external_user: int, provider_key: RSAKey, client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    assert (await viewer_status(client, provider_token(provider_key, **overrides)))[0] == 401


async def test_a_token_claiming_the_provider_but_signed_by_another_key_is_refused(
    external_user: int, client: httpx.AsyncClient
) -> None:
    impostor = RSAKey.generate_key(2048, {"alg": "RS256"})
    impostor.ensure_kid()

    assert (await viewer_status(client, provider_token(impostor)))[0] == 401
