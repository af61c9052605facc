"""Cases and children through GraphQL with real tokens: inside scope they are found, outside they are not
found, personal data only with the right to it."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, StatementLog, user_token
from tests.factories import World, make_case, make_child, make_world, name_child

CASES = """query($filter: CaseFilter) { cases(first: 50, filter: $filter) {
  totalCount edges { node { id caseNumber kind stage jurisdiction { code } child { id sex ageBand } } } } }"""
CHILD_IDENTITY = """query($id: ID!) { node(id: $id) { ... on Child { id fullName dateOfBirth } } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def case_numbers(
    graphql: GraphQLClient, token: str | None, flt: dict[str, Any] | None = None
) -> set[str]:
    data = await graphql.data(CASES, {"filter": flt}, token=token)
    return {edge["node"]["caseNumber"] for edge in data["cases"]["edges"]}


def number(case_id: int) -> str:
    return f"C-{case_id}"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lahore_officer", {"lahore", "cicl"}),
        ("punjab_manager", {"lahore", "cicl"}),
        ("karachi_officer", {"karachi"}),
        ("lahore_worker", {"lahore"}),  # own and assigned cases only
        ("other_worker", {"cicl"}),
        ("analyst", set()),  # aggregates only
        ("admin", set()),  # no case content
        ("auditor", set()),
        ("police", set()),  # incidents and placements, not case files
        (None, set()),
    ],
)
async def test_each_role_lists_exactly_the_cases_it_may_see(
    world: World, tokens: TokenService, graphql: GraphQLClient, who: str | None, expected: set[str]
) -> None:
    token = user_token(tokens, world.users[who]) if who else None

    seen = await case_numbers(graphql, token)

    assert seen == {number(world.cases[key]) for key in expected}


async def test_a_case_outside_scope_is_not_found_by_id_and_inside_it_is(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    officer = user_token(tokens, world.users["lahore_officer"])
    ids = {
        key: (await graphql.data(CASES, {"filter": None}, token=user_token(tokens, world.users[owner])))[
            "cases"
        ]["edges"][0]["node"]["id"]
        for key, owner in (("karachi", "karachi_officer"), ("lahore", "lahore_worker"))
    }

    outside = await graphql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": ids["karachi"]}, token=officer
    )
    inside = await graphql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": ids["lahore"]}, token=officer
    )

    assert outside["node"] is None
    assert inside["node"] == {"id": ids["lahore"]}


async def test_filters_narrow_within_what_may_be_seen(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    manager = user_token(tokens, world.users["punjab_manager"])

    cicl = await case_numbers(graphql, manager, {"kinds": ["CHILD_IN_CONFLICT_WITH_LAW"]})
    in_sindh = await case_numbers(graphql, manager, {"withinCode": "PK-SD"})
    closed = await case_numbers(graphql, manager, {"open": False})

    assert cicl == {number(world.cases["cicl"])}
    assert in_sindh == set()  # asking for another subtree does not widen the scope
    assert closed == set()


async def child_global_id(graphql: GraphQLClient, token: str, case_key: str, world: World) -> str:
    data = await graphql.data(CASES, {"filter": None}, token=token)
    for edge in data["cases"]["edges"]:
        if edge["node"]["caseNumber"] == number(world.cases[case_key]):
            child_id: str = edge["node"]["child"]["id"]
            return child_id
    raise AssertionError("case not listed")


async def test_identity_is_shown_with_pii_rights_and_withheld_with_a_typed_error_without(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    worker = user_token(tokens, world.users["lahore_worker"])
    child_id = await child_global_id(graphql, worker, "lahore", world)
    org = await owner.fetchval("SELECT organisation_id FROM users WHERE id = $1", world.users["police"])
    police = user_token(tokens, world.users["police"])

    shown = await graphql.post(CHILD_IDENTITY, {"id": child_id}, token=worker)
    withheld = await graphql.post(CHILD_IDENTITY, {"id": child_id}, token=police)

    assert org is not None
    assert shown["data"]["node"] == {"id": child_id, "fullName": "Child lahore", "dateOfBirth": "2014-03-02"}
    assert "errors" not in shown
    assert withheld["data"]["node"] == {"id": child_id, "fullName": None, "dateOfBirth": None}
    assert {error["extensions"]["code"] for error in withheld["errors"]} == {"PERSONAL_DATA_WITHHELD"}


async def test_identity_of_a_child_in_conflict_with_the_law_only_for_its_worker_and_supervisors(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    assigned = user_token(tokens, world.users["other_worker"])
    child_id = await child_global_id(graphql, assigned, "cicl", world)

    async def name_seen_by(who: str) -> str | None:
        body = await graphql.post(
            CHILD_IDENTITY, {"id": child_id}, token=user_token(tokens, world.users[who])
        )
        node = body["data"]["node"]
        return node["fullName"] if node else "NOT FOUND"

    assert await name_seen_by("other_worker") == "Child cicl"
    assert await name_seen_by("lahore_officer") == "Child cicl"
    assert await name_seen_by("punjab_manager") == "Child cicl"
    assert await name_seen_by("karachi_officer") == "NOT FOUND"


async def test_a_page_of_cases_with_child_and_jurisdiction_costs_a_constant_number_of_statements(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    statements: StatementLog,
    owner: asyncpg.Connection[Any],
) -> None:
    for _ in range(30):
        child = await make_child(owner, world.tree.lahore_community)
        await make_case(owner, child, world.tree.lahore_community)
    manager = user_token(tokens, world.users["punjab_manager"])
    statements.clear()

    data = await graphql.data(
        """{ cases(first: 50) { edges { node { caseNumber jurisdiction { code } child { sex }
             events(last: 20) { type } } } } }""",
        token=manager,
    )

    assert len(data["cases"]["edges"]) == 32
    # authenticate, scope, the page, children, jurisdictions, events: not one per case.
    assert len(statements) == 6, statements.statements


SEARCH = """query($name: String!) { children(filter: {name: $name}) { edges { node { fullName } } } }"""


async def names_found(graphql: GraphQLClient, token: str, name: str) -> list[str]:
    data = await graphql.data(SEARCH, {"name": name}, token=token)
    return sorted(edge["node"]["fullName"] for edge in data["children"]["edges"])


async def test_name_search_tolerates_spelling_variants_within_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    extra = await make_child(owner, world.tree.lahore_community)
    await name_child(owner, extra, "Muhammad Bilal")
    elsewhere = await make_child(owner, world.tree.karachi)
    await name_child(owner, elsewhere, "Muhammad Bilal Khan")
    officer = user_token(tokens, world.users["lahore_officer"])

    assert await names_found(graphql, officer, "Mohammad Bilal") == ["Muhammad Bilal"]
    assert await names_found(graphql, officer, "Zzyzx Qwerty") == []


async def test_name_search_never_reveals_a_restricted_child_to_those_who_may_not_see_it(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    # "Child cicl" is in conflict with the law; its case is assigned to other_worker. (Similar names of
    # other children may match too; what matters is whether this one does.)
    async def finds_it(who: str) -> bool:
        return "Child cicl" in await names_found(graphql, user_token(tokens, world.users[who]), "Child cicl")

    assert await finds_it("lahore_worker") is False
    assert await finds_it("police") is False
    assert await finds_it("karachi_officer") is False
    assert await finds_it("other_worker") is True
    assert await finds_it("lahore_officer") is True
    assert await finds_it("punjab_manager") is True


async def test_a_too_short_search_is_refused_with_a_typed_error(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    body = await graphql.post(SEARCH, {"name": "a"}, token=user_token(tokens, world.users["lahore_officer"]))

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "name"}


async def test_cases_page_backwards_in_the_same_newest_first_order(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    manager = user_token(tokens, world.users["punjab_manager"])
    forward = await graphql.data(
        "{ cases(first: 10) { edges { cursor node { caseNumber } } } }", token=manager
    )
    numbers = [edge["node"]["caseNumber"] for edge in forward["cases"]["edges"]]
    last_cursor = forward["cases"]["edges"][-1]["cursor"]

    backward = await graphql.data(
        "query($before: String) { cases(last: 5, before: $before) { edges { node { caseNumber } } } }",
        {"before": last_cursor},
        token=manager,
    )

    assert [edge["node"]["caseNumber"] for edge in backward["cases"]["edges"]] == numbers[:-1]


async def test_a_jurisdiction_lists_its_ancestors_descendants_and_the_cases_you_may_see(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    query = """query($code: String!) { jurisdiction(code: $code) {
        ancestors { code }
        descendants(level: COMMUNITY) { edges { node { code } } }
        cases { totalCount edges { node { caseNumber } } } } }"""

    as_officer = await graphql.data(
        query, {"code": "PK-PB"}, token=user_token(tokens, world.users["lahore_officer"])
    )
    as_karachi = await graphql.data(
        query, {"code": "PK-PB"}, token=user_token(tokens, world.users["karachi_officer"])
    )

    punjab = as_officer["jurisdiction"]
    assert punjab["ancestors"] == [{"code": "PK"}]
    assert [edge["node"]["code"] for edge in punjab["descendants"]["edges"]] == ["PK-PB-LAHORE-UC1"]
    assert punjab["cases"]["totalCount"] == 2
    # The tree is public; the cases in it are not.
    assert as_karachi["jurisdiction"]["cases"] == {"totalCount": 0, "edges": []}
