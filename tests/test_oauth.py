"""The authorization server over HTTP: client credentials, authorization code with PKCE, refresh token
rotation, revocation and the JWKS."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import asyncpg
import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import GraphQLClient, bearer
from tests.factories import make_api_client, make_organisation, make_small_tree, make_user

REDIRECT = "http://127.0.0.1:8765/callback"
VIEWER = "{ viewer { kind name grants { permissions jurisdiction { code } } } }"
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    officer: int
    organisation: int
    app_client_id: str
    client_db_id: int
    client_id: str


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = await make_user(
        owner,
        "DISTRICT_OFFICER",
        tree.lahore,
        organisation_id=org,
        username="officer.lahore",
        password=PASSWORD,
    )
    await owner.execute(
        "INSERT INTO oauth_apps (client_id, name, redirect_uris) VALUES ('registry-web', 'Registry web', $1)",
        [REDIRECT],
    )
    client_db_id, client_id = await make_api_client(
        owner,
        tree.lahore,
        organisation_id=org,
        created_by=officer,
        scopes=["cases:read", "children:read"],
        secret="s3cret-value",
    )
    return World(officer, org, "registry-web", client_db_id, client_id)


async def client_credentials(
    client: httpx.AsyncClient, client_id: str, secret: str, **extra: str
) -> httpx.Response:
    return await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", **extra}, auth=(client_id, secret)
    )


async def test_client_credentials_give_a_token_for_the_clients_scopes(
    world: World, client: httpx.AsyncClient, graphql: GraphQLClient
) -> None:
    response = await client_credentials(client, world.client_id, "s3cret-value")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "cases:read children:read"
    viewer = (await graphql.data(VIEWER, token=body["access_token"]))["viewer"]
    assert viewer["kind"] == "CLIENT"
    assert viewer["grants"] == [
        {"permissions": ["cases:read", "children:read"], "jurisdiction": {"code": "PK-PB-LAHORE"}}
    ]


async def test_client_credentials_can_narrow_but_not_widen_scopes(
    world: World, client: httpx.AsyncClient
) -> None:
    narrow = await client_credentials(client, world.client_id, "s3cret-value", scope="cases:read")
    wide = await client_credentials(client, world.client_id, "s3cret-value", scope="cases:read pii:read")

    assert narrow.json()["scope"] == "cases:read"
    assert wide.status_code == 400
    assert wide.json()["error"] == "invalid_scope"


async def test_client_credentials_refuse_a_wrong_secret_unknown_or_revoked_client(
    world: World, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    wrong = await client_credentials(client, world.client_id, "not-the-secret")
    unknown = await client_credentials(client, "no-such-client", "s3cret-value")
    await owner.execute("UPDATE api_clients SET revoked_at = now() WHERE id = $1", world.client_db_id)
    revoked = await client_credentials(client, world.client_id, "s3cret-value")

    for response in (wrong, unknown, revoked):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


async def test_a_client_never_holds_more_than_its_creator_holds_now(
    world: World, client: httpx.AsyncClient, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = (await client_credentials(client, world.client_id, "s3cret-value")).json()["access_token"]
    await owner.execute("DELETE FROM role_assignments WHERE user_id = $1", world.officer)

    viewer = (await graphql.data(VIEWER, token=token))["viewer"]

    assert viewer["grants"] == []


async def test_unsupported_grant_types_and_bodies_are_refused(client: httpx.AsyncClient) -> None:
    password_grant = await client.post("/oauth/token", data={"grant_type": "password", "username": "x"})
    json_body = await client.post("/oauth/token", json={"grant_type": "client_credentials"})

    assert password_grant.json()["error"] == "unsupported_grant_type"
    assert json_body.json()["error"] == "invalid_request"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


async def sign_in(
    client: httpx.AsyncClient, challenge: str, *, password: str = PASSWORD, method: str = "S256"
) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "registry-web",
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": method,
        "state": "xyz",
    }
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code in (200, 303)
    return await client.post(
        "/oauth/authorize", data=params | {"username": "officer.lahore", "password": password}
    )


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


async def exchange(client: httpx.AsyncClient, code: str, verifier: str) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "registry-web",
            "code_verifier": verifier,
        },
    )


async def test_a_person_signs_in_with_pkce_and_gets_tokens(
    world: World, client: httpx.AsyncClient, graphql: GraphQLClient
) -> None:
    verifier, challenge = pkce()

    tokens = (await exchange(client, code_from(await sign_in(client, challenge)), verifier)).json()

    assert tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"].startswith("rt_")
    viewer = (await graphql.data(VIEWER, token=tokens["access_token"]))["viewer"]
    assert (viewer["kind"], viewer["name"]) == ("USER", "officer.lahore")


async def test_a_wrong_password_gives_no_code(world: World, client: httpx.AsyncClient) -> None:
    _, challenge = pkce()

    response = await sign_in(client, challenge, password="wrong password!")

    assert response.status_code == 401
    assert "location" not in response.headers
    assert "Wrong username or password." in response.text


async def test_pkce_misuse_is_refused(world: World, client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    plain = await sign_in(client, verifier, method="plain")
    code = code_from(await sign_in(client, challenge))

    wrong_verifier = await exchange(client, code, pkce()[0])
    replayed_with_right_verifier = await exchange(client, code, verifier)
    no_verifier = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "registry-web",
        },
    )

    assert plain.status_code == 303
    assert parse_qs(urlparse(plain.headers["location"]).query)["error"] == ["invalid_request"]
    assert wrong_verifier.json()["error"] == "invalid_grant"
    # A code is spent by its first use, even a failed one.
    assert replayed_with_right_verifier.json()["error"] == "invalid_grant"
    assert no_verifier.json()["error"] == "invalid_request"


async def test_an_unregistered_redirect_is_never_followed(world: World, client: httpx.AsyncClient) -> None:
    _, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": "registry-web",
        "redirect_uri": "https://evil.example/cb",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }

    page = await client.get("/oauth/authorize", params=params)

    assert page.status_code == 400
    assert "location" not in page.headers


async def test_refresh_tokens_rotate_and_reuse_revokes_the_family(
    world: World, client: httpx.AsyncClient
) -> None:
    verifier, challenge = pkce()
    first = (await exchange(client, code_from(await sign_in(client, challenge)), verifier)).json()

    async def refresh(token: str) -> httpx.Response:
        return await client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "registry-web"},
        )

    second = (await refresh(first["refresh_token"])).json()
    reuse = await refresh(first["refresh_token"])
    after_reuse = await refresh(second["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"]
    assert reuse.json()["error"] == "invalid_grant"
    assert after_reuse.json()["error"] == "invalid_grant"


async def test_revoking_an_access_token_takes_effect_on_the_next_request(
    world: World, client: httpx.AsyncClient
) -> None:
    token = (await client_credentials(client, world.client_id, "s3cret-value")).json()["access_token"]
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))).status_code == 200

    revoked = await client.post(
        "/oauth/revoke", data={"token": token}, auth=(world.client_id, "s3cret-value")
    )

    assert revoked.status_code == 200
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))).status_code == 401


async def test_a_client_cannot_revoke_another_clients_token(
    world: World, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    from tests.factories import JurisdictionRow

    row = await owner.fetchrow("SELECT id, path::text AS path FROM jurisdictions WHERE code = 'PK-PB-LAHORE'")
    assert row is not None
    _, other_id = await make_api_client(
        owner,
        JurisdictionRow(row["id"], "PK-PB-LAHORE", row["path"], "DISTRICT"),
        organisation_id=world.organisation,
        created_by=world.officer,
        scopes=["cases:read"],
        secret="other-secret",
    )
    token = (await client_credentials(client, world.client_id, "s3cret-value")).json()["access_token"]

    attempt = await client.post("/oauth/revoke", data={"token": token}, auth=(other_id, "other-secret"))

    assert attempt.status_code == 400
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))).status_code == 200


async def test_revoking_a_refresh_token_ends_the_session(world: World, client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    tokens = (await exchange(client, code_from(await sign_in(client, challenge)), verifier)).json()

    revoked = await client.post(
        "/oauth/revoke",
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": "registry-web",
        },
    )
    refreshed = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "registry-web",
        },
    )

    assert revoked.status_code == 200
    assert refreshed.json()["error"] == "invalid_grant"


async def test_the_jwks_verifies_issued_tokens(world: World, client: httpx.AsyncClient) -> None:
    token = (await client_credentials(client, world.client_id, "s3cret-value")).json()["access_token"]
    jwks = (await client.get("/.well-known/jwks.json")).json()

    assert all("d" not in key for key in jwks["keys"])
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.claims["client_id"] == world.client_id
