"""Creating and revoking API clients through GraphQL: never wider than the creator, not found outside scope."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, bearer, user_token
from tests.factories import make_organisation, make_small_tree, make_user

CREATE = """
mutation($input: CreateApiClientInput!) {
  createApiClient(input: $input) {
    apiClient { id clientId name scopes revokedAt jurisdiction { code } }
    clientSecret
    errors { code field message }
  }
}
"""
REVOKE = """
mutation($id: ID!) {
  revokeApiClient(input: {id: $id}) { apiClient { id revokedAt } errors { code field message } }
}
"""


@pytest.fixture
async def people(owner: asyncpg.Connection[Any]) -> dict[str, Any]:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    return {
        "tree": tree,
        "lahore_officer": await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org),
        "karachi_officer": await make_user(owner, "DISTRICT_OFFICER", tree.karachi, organisation_id=org),
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "admin": await make_user(owner, "SYSTEM_ADMIN", tree.nation, organisation_id=org),
    }


async def create(
    graphql: GraphQLClient, token: str, scopes: list[str], code: str = "PK-PB-LAHORE"
) -> dict[str, Any]:
    variables = {"input": {"name": "Partner app", "scopes": scopes, "jurisdictionCode": code}}
    payload: dict[str, Any] = (await graphql.data(CREATE, variables, token=token))["createApiClient"]
    return payload


async def test_an_officer_creates_a_client_that_can_get_tokens(
    people: dict[str, Any], tokens: TokenService, graphql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    payload = await create(graphql, user_token(tokens, people["lahore_officer"]), ["cases:read", "pii:read"])

    assert payload["errors"] == []
    created = payload["apiClient"]
    assert created["scopes"] == ["cases:read", "pii:read"]
    assert created["jurisdiction"] == {"code": "PK-PB-LAHORE"}
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["clientId"], payload["clientSecret"]),
    )
    assert response.status_code == 200


async def test_a_client_cannot_get_scopes_its_creator_lacks(
    people: dict[str, Any], tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    payload = await create(
        graphql, user_token(tokens, people["lahore_officer"]), ["cases:read", "audit:read"]
    )

    assert payload["apiClient"] is None
    assert payload["errors"] == [
        {
            "code": "VALIDATION",
            "field": "scopes",
            "message": "A client cannot hold more than its creator; you do not hold audit:read there.",
        }
    ]
    assert await owner.fetchval("SELECT count(*) FROM api_clients") == 0


async def test_a_client_outside_the_creators_jurisdiction_is_not_found(
    people: dict[str, Any], tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = user_token(tokens, people["lahore_officer"])

    outside = await create(graphql, token, ["cases:read"], code="PK-SD-KARACHI-SOUTH")
    missing = await create(graphql, token, ["cases:read"], code="PK-NOWHERE")

    assert (
        outside["errors"]
        == missing["errors"]
        == [{"code": "NOT_FOUND", "field": "jurisdictionCode", "message": "No such jurisdiction."}]
    )
    assert await owner.fetchval("SELECT count(*) FROM api_clients") == 0


@pytest.mark.parametrize("who", ["analyst", "admin"])
async def test_roles_without_record_access_cannot_mint_record_scopes(
    people: dict[str, Any], tokens: TokenService, graphql: GraphQLClient, who: str
) -> None:
    payload = await create(graphql, user_token(tokens, people[who]), ["children:read"], code="PK")

    assert payload["apiClient"] is None
    assert payload["errors"][0]["code"] in {"VALIDATION", "NOT_FOUND"}


async def test_revoking_a_client_stops_its_tokens_and_outsiders_cannot_find_it(
    people: dict[str, Any], tokens: TokenService, graphql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    officer_token = user_token(tokens, people["lahore_officer"])
    created = await create(graphql, officer_token, ["cases:read"])
    client_id, secret = created["apiClient"]["clientId"], created["clientSecret"]
    access = (
        await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    ).json()["access_token"]
    global_id = created["apiClient"]["id"]

    by_outsider = await graphql.data(
        REVOKE, {"id": global_id}, token=user_token(tokens, people["karachi_officer"])
    )
    seen_by_outsider = await graphql.data(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id},
        token=user_token(tokens, people["karachi_officer"]),
    )
    still_works = await client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=bearer(access))
    by_owner = await graphql.data(REVOKE, {"id": global_id}, token=officer_token)
    after = await client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=bearer(access))

    assert by_outsider["revokeApiClient"]["errors"][0]["code"] == "NOT_FOUND"
    assert seen_by_outsider["node"] is None
    assert still_works.status_code == 200
    assert by_owner["revokeApiClient"]["apiClient"]["revokedAt"] is not None
    assert after.status_code == 401
