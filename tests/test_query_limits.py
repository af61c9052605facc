"""Query limits: documents too deep, too wide, too long or too costly are refused before they run, with a
typed error that names the limit; the page size has a hard maximum; batches are refused cleanly."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from graphql import get_introspection_query

from registry.auth.tokens import TokenService
from registry.config import Settings
from tests.conftest import GraphQLClient, StatementLog, make_settings, user_token
from tests.factories import make_organisation, make_small_tree, make_user

SMALL_LIMITS: dict[str, Any] = {
    "max_query_depth": 5,
    "max_query_aliases": 2,
    "max_query_directives": 3,
    "max_query_tokens": 400,
    "max_query_cost": 1000,
}


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    """Small limits, unless a test asks for others (``indirect`` parametrisation)."""
    return make_settings(**getattr(request, "param", SMALL_LIMITS))


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused request, whose data is null."""
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


def touched_jurisdictions(statements: StatementLog) -> bool:
    return any("jurisdictions" in statement for statement in statements.statements)


# jurisdictions(1) edges(2) node(3) parent(4) parent(5) code(6)
TOO_DEEP = "{ jurisdictions { edges { node { parent { parent { code } } } } } }"
DEEP_ENOUGH = "{ jurisdictions { edges { node { parent { code } } } } }"


async def test_a_query_nested_deeper_than_the_limit_is_refused_before_it_runs(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient, statements: StatementLog
) -> None:
    await make_small_tree(owner)
    statements.clear()

    error = refusal(await graphql.post(TOO_DEEP))

    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "depth", "maximum": 5, "actual": 6}
    assert "6 levels deep; at most 5" in error["message"]
    assert not touched_jurisdictions(statements)
    data = await graphql.data(DEEP_ENOUGH)
    assert {
        edge["node"]["parent"]["code"] for edge in data["jurisdictions"]["edges"] if edge["node"]["parent"]
    }
    assert touched_jurisdictions(statements)


async def test_depth_is_counted_through_fragments(graphql: GraphQLClient) -> None:
    query = """{ jurisdictions { ...Page } }
        fragment Page on JurisdictionConnection { edges { node { ...Grandparent } } }
        fragment Grandparent on Jurisdiction { parent { parent { code } } }"""

    error = refusal(await graphql.post(query))

    assert error["extensions"]["limit"] == "depth"
    assert error["extensions"]["actual"] == 6


async def test_more_aliases_than_the_limit_are_refused(graphql: GraphQLClient) -> None:
    two = '{ a: jurisdiction(code: "PK") { code } b: jurisdiction(code: "PK-PB") { code } }'
    three = (
        '{ a: jurisdiction(code: "PK") { code } b: jurisdiction(code: "PK-PB") { code } c: viewer { name } }'
    )

    assert set(await graphql.data(two)) == {"a", "b"}
    error = refusal(await graphql.post(three))
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "aliases", "maximum": 2, "actual": 3}


async def test_more_directives_than_the_limit_are_refused(graphql: GraphQLClient) -> None:
    three = "query($yes: Boolean!) { viewer @include(if: $yes) { name @skip(if: false) kind @include(if: true) } }"
    # Directive overloading: the same directive written over and over on one field.
    many = "query { viewer" + " @include(if: true)" * 20 + " { name } }"

    assert await graphql.data(three, {"yes": True}) == {"viewer": None}
    body = await graphql.post(many)
    assert body["data"] is None
    limit_errors = [e for e in body["errors"] if e.get("extensions", {}).get("code") == "LIMIT_EXCEEDED"]
    assert [e["extensions"] for e in limit_errors] == [
        {"code": "LIMIT_EXCEEDED", "limit": "directives", "maximum": 3, "actual": 20}
    ]


async def test_a_document_with_more_tokens_than_the_limit_is_refused_by_the_parser(
    graphql: GraphQLClient,
) -> None:
    # Each `code` is one token; padding with comments counts too.
    long = "{ jurisdictions { edges { node {" + " code" * 400 + " } } } }"
    padded = "{ viewer { name } }" + "\n# padding" * 400

    for document in (long, padded):
        error = refusal(await graphql.post(document))
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "tokens", "maximum": 400}
        assert "more than 400 tokens" in error["message"]
    assert await graphql.data("{ viewer { name } }") == {"viewer": None}


async def test_fragment_cycles_are_refused_as_invalid(graphql: GraphQLClient) -> None:
    query = """{ ...A }
        fragment A on Query { viewer { name } ...B }
        fragment B on Query { ...A }"""

    body = await graphql.post(query)

    assert body["data"] is None
    assert any("Cannot spread fragment 'A' within itself" in e["message"] for e in body["errors"])
    assert all(e["message"] != "Unexpected error." for e in body["errors"])


async def test_a_fragment_bomb_is_refused_by_its_cost_without_being_walked_through(
    graphql: GraphQLClient,
) -> None:
    # F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^30 fields from a few hundred tokens.
    fragments = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    query = "{ ...F0 }\n" + fragments + "\nfragment F30 on Query { __typename }"

    body = await graphql.post(query)

    # Spreading the same fragment twice at one place is allowed; only the cost stops it.
    error = refusal(body)
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "cost", "maximum": 1000}


# 1 (jurisdictions) + 1 (edges) + outer x (node, code, children + 10 x code) = 2 + 13 x outer.
NESTED = """query($outer: Int) {
  jurisdictions(first: $outer) { edges { node { code children { code } } } } }"""


@pytest.mark.parametrize(
    ("variables", "allowed"),
    [({"outer": 76}, True), ({"outer": 77}, False), ({}, False)],
    ids=["cost-990", "cost-1003", "first-left-out-counts-a-full-page"],
)
async def test_a_query_over_the_cost_limit_is_refused_before_it_runs(
    owner: asyncpg.Connection[Any],
    graphql: GraphQLClient,
    statements: StatementLog,
    variables: dict[str, Any],
    allowed: bool,
) -> None:
    await make_small_tree(owner)
    statements.clear()

    body = await graphql.post(NESTED, variables)

    if allowed:
        assert "errors" not in body, body
        assert body["extensions"]["rateLimit"]["cost"] == 2 + 13 * variables["outer"]
        assert len(body["data"]["jurisdictions"]["edges"]) == 7
    else:
        error = refusal(body)
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "cost", "maximum": 1000}
        assert "more than 1000" in error["message"]
        assert not touched_jurisdictions(statements)


@pytest.mark.parametrize("settings", [SMALL_LIMITS | {"max_query_depth": 7}], indirect=True)
async def test_nested_pages_multiply_their_cost(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = user_token(tokens, await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org))
    nested = """query($outer: Int, $inner: Int) { jurisdictions(first: $outer) { edges { node { code
        cases(first: $inner) { edges { node { caseNumber } } } } } } }"""

    body = await graphql.post(nested, {"outer": 10, "inner": 10}, token=officer)
    # 1 + 1 + 10 x (1 + 1 + 1 + 1 + 10 x (1 + 1)) = 242, under the limit; 40 x 40 pages are not.
    assert "errors" not in body, body["errors"]
    assert body["extensions"]["rateLimit"]["cost"] == 242

    error = refusal(await graphql.post(nested, {"outer": 40, "inner": 40}, token=officer))
    assert error["extensions"]["limit"] == "cost"


async def test_nodes_cost_by_the_number_of_ids(graphql: GraphQLClient) -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = ["SnVyaXNkaWN0aW9uOjE="] * 3

    body = await graphql.post(query, {"ids": ids})

    # nodes (1) + 3 x id
    assert body["extensions"]["rateLimit"]["cost"] == 4


@pytest.mark.parametrize("settings", [{}], indirect=True)
async def test_the_default_limits_refuse_full_pages_inside_full_pages(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = user_token(tokens, await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org))
    query = """{ jurisdictions(first: 100) { edges { node { code
        cases(first: 100) { edges { node { caseNumber stage child { sex ageBand } } } } } } } }"""

    error = refusal(await graphql.post(query, token=officer))

    assert error["extensions"] == {"code": "LIMIT_EXCEEDED", "limit": "cost", "maximum": 25_000}


@pytest.mark.parametrize("settings", [{}], indirect=True)
async def test_the_readme_example_and_the_ide_introspection_pass_the_default_limits(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="DISTRICT_OFFICE")
    officer = user_token(tokens, await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org))
    readme = """{ cases(first: 50, filter: {withinCode: "PK-PB-LAHORE", open: true, kinds: [CHILD_LABOUR]}) {
        totalCount
        edges { node { caseNumber stage riskLevel assignedTo { displayName }
                       child { sex ageBand fullName identityNumber } events(last: 5) { type occurredAt } } }
        pageInfo { hasNextPage endCursor } } }"""

    data = await graphql.data(readme, token=officer)
    introspection = await graphql.data(get_introspection_query(descriptions=True))

    assert data["cases"]["totalCount"] == 0
    assert introspection["__schema"]["queryType"]["name"] == "Query"


async def test_deep_introspection_is_refused(graphql: GraphQLClient) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"

    body = await graphql.post(query)

    assert body["data"] is None
    assert any("Maximum introspection depth exceeded" in e["message"] for e in body["errors"])


@pytest.mark.parametrize("first", [101, 1_000_000, -1])
async def test_a_page_larger_than_the_maximum_is_refused_with_a_typed_error(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient, first: int
) -> None:
    await make_small_tree(owner)

    body = await graphql.post(
        "query($first: Int) { jurisdictions(first: $first) { totalCount } }", {"first": first}
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "first"}
    assert body["errors"][0]["message"] == "`first` must be between 0 and 100."


async def test_a_batch_of_operations_is_refused_with_400(client: httpx.AsyncClient) -> None:
    batch = [{"query": "{ viewer { name } }"}] * 3

    response = await client.post("/graphql", json=batch)

    assert response.status_code == 400
    assert response.text == "Batching is not enabled"
