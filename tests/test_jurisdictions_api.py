"""The jurisdiction tree through GraphQL over HTTP."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import GraphQLClient, StatementLog
from tests.factories import make_small_tree

PROVINCES = """
query Provinces($first: Int, $after: String) {
  jurisdictions(first: $first, after: $after, filter: {level: PROVINCIAL}) {
    totalCount
    edges { cursor node { id code name level parent { code } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


async def test_provinces_are_listed_with_their_parent(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)

    data = await graphql.data(PROVINCES)

    connection = data["jurisdictions"]
    assert connection["totalCount"] == 2
    assert [edge["node"]["code"] for edge in connection["edges"]] == ["PK-PB", "PK-SD"]
    assert {edge["node"]["parent"]["code"] for edge in connection["edges"]} == {"PK"}
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "endCursor": connection["edges"][-1]["cursor"],
    }


async def test_pages_follow_each_other_without_gaps_or_repeats(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)
    query = """query($after: String) { jurisdictions(first: 3, after: $after) {
        edges { node { code } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await graphql.data(query, {"after": after}))["jurisdictions"]
        seen += [edge["node"]["code"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == 3
    assert len(seen) == len(set(seen)) == 7


async def test_jurisdiction_by_code_with_children_and_unknown_code(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)
    query = (
        """query($code: String!) { jurisdiction(code: $code) { code level name children { code level } } }"""
    )

    punjab = (await graphql.data(query, {"code": "PK-PB"}))["jurisdiction"]
    missing = (await graphql.data(query, {"code": "PK-XX"}))["jurisdiction"]

    assert punjab["level"] == "PROVINCIAL"
    assert [child["code"] for child in punjab["children"]] == ["PK-PB-LAHORE", "PK-PB-MULTAN"]
    assert missing is None


async def test_filters_by_parent_and_by_subtree(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)
    query = """query($filter: JurisdictionFilter) { jurisdictions(filter: $filter) { edges { node { code } } } }"""

    def codes(data: dict[str, Any]) -> list[str]:
        return [edge["node"]["code"] for edge in data["jurisdictions"]["edges"]]

    children = codes(await graphql.data(query, {"filter": {"parentCode": "PK-PB"}}))
    below = codes(await graphql.data(query, {"filter": {"withinCode": "PK-PB"}}))
    districts_in_sindh = codes(
        await graphql.data(query, {"filter": {"withinCode": "PK-SD", "level": "DISTRICT"}})
    )

    assert children == ["PK-PB-LAHORE", "PK-PB-MULTAN"]
    assert below == ["PK-PB-LAHORE", "PK-PB-MULTAN", "PK-PB-LAHORE-UC1"]
    assert districts_in_sindh == ["PK-SD-KARACHI-SOUTH"]


async def test_node_resolves_a_jurisdiction_by_global_id(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)
    found = await graphql.data('{ jurisdiction(code: "PK-SD") { id } }')
    global_id = found["jurisdiction"]["id"]

    data = await graphql.data(
        "query($id: ID!) { node(id: $id) { id ... on Jurisdiction { code } } }", {"id": global_id}
    )

    assert data["node"] == {"id": global_id, "code": "PK-SD"}


async def test_page_size_above_the_maximum_is_refused_with_a_typed_error(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)

    body = await graphql.post("{ jurisdictions(first: 101) { edges { node { code } } } }")

    assert body["data"] is None
    assert body["errors"][0]["message"] == "`first` must be between 0 and 100."
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "first"}


async def test_a_forged_cursor_is_refused_with_a_typed_error(graphql: GraphQLClient) -> None:
    body = await graphql.post('{ jurisdictions(after: "not-a-cursor") { edges { node { code } } } }')

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "after"}


async def test_a_page_with_parents_and_children_costs_a_constant_number_of_statements(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient, statements: StatementLog
) -> None:
    await make_small_tree(owner)
    query = "{ jurisdictions(first: 50) { edges { node { code parent { code } children { code } } } } }"

    data = await graphql.data(query)

    assert len(data["jurisdictions"]["edges"]) == 7
    # The page, one batch of parents, one batch of children: not one statement per node.
    assert len(statements) == 3, statements.statements


async def test_malformed_unknown_and_missing_ids_are_simply_not_found(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    import base64

    await make_small_tree(owner)
    real = (await graphql.data('{ jurisdiction(code: "PK-PB") { id } }'))["jurisdiction"]["id"]
    ids = [
        "garbage",
        base64.b64encode(b"Nope:1").decode(),
        base64.b64encode(b"Jurisdiction:abc").decode(),
        base64.b64encode(b"Jurisdiction:999999").decode(),
        real,
    ]

    data = await graphql.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})

    assert data["nodes"] == [None, None, None, None, {"id": real}]


async def test_last_and_before_page_backwards_and_meet_the_forward_pages(
    owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    await make_small_tree(owner)
    query = """query($before: String) { jurisdictions(last: 3, before: $before) {
        edges { node { code } } pageInfo { hasNextPage hasPreviousPage startCursor } } }"""
    forward = await graphql.data("{ jurisdictions(first: 50) { edges { node { code } } } }")
    everything = [edge["node"]["code"] for edge in forward["jurisdictions"]["edges"]]

    pages: list[list[str]] = []
    flags: list[tuple[bool, bool]] = []
    before = None
    while True:
        page = (await graphql.data(query, {"before": before}))["jurisdictions"]
        pages.insert(0, [edge["node"]["code"] for edge in page["edges"]])
        flags.append((page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]))
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]

    assert [code for page in pages for code in page] == everything
    assert [len(page) for page in pages] == [1, 3, 3]
    assert flags == [(False, True), (True, True), (True, False)]


async def test_first_and_last_together_are_refused(graphql: GraphQLClient) -> None:
    body = await graphql.post("{ jurisdictions(first: 2, last: 2) { edges { node { code } } } }")

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "last"}
