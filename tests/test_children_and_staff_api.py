"""Identity numbers, guardians and age bands of children; the staff, organisations and programmes records
point to; case filters by level and assignee. Through HTTP with real tokens, inside and outside scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from registry.db.models.children import AgeBand, age_band, birth_years_in_band
from registry.identity_numbers import IdentityNumberVault, load_vault
from tests.conftest import GraphQLClient, StatementLog, make_settings, user_token
from tests.factories import (
    World,
    make_case,
    make_child,
    make_institution,
    make_organisation,
    make_world,
    name_child,
)

VAULT = load_vault(make_settings().keys_dir)
NUMBER = "35202-1234567-1"


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def give_identity_number(
    owner: asyncpg.Connection[Any], vault: IdentityNumberVault, child_id: int, number: str
) -> None:
    key_id, ciphertext = vault.encrypt(number, child_id=child_id)
    await owner.execute(
        "UPDATE child_identities SET identity_number_ciphertext = $2, identity_number_key_id = $3,"
        " identity_number_blind_index = $4 WHERE child_id = $1",
        child_id,
        ciphertext,
        key_id,
        vault.blind_index(number),
    )


def token_of(world: World, tokens: TokenService, who: str) -> str:
    return user_token(tokens, world.users[who])


FIND_BY_NUMBER = """query($number: String!) { children(filter: {identityNumber: $number}) {
  edges { node { id identityNumber } } } }"""


async def test_an_identity_number_is_found_exactly_and_read_back_only_inside_scope_with_pii_rights(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await give_identity_number(owner, VAULT, world.children["lahore"], NUMBER)
    stored = await owner.fetchval(
        "SELECT identity_number_ciphertext FROM child_identities WHERE child_id = $1",
        world.children["lahore"],
    )
    assert b"3520212345671" not in stored
    assert b"1234567" not in stored

    officer = token_of(world, tokens, "lahore_officer")
    # Separators and spacing do not matter: the blind index is of the normalised number.
    for spelling in (NUMBER, "3520212345671", " 35202 1234567 1 "):
        data = await graphql.data(FIND_BY_NUMBER, {"number": spelling}, token=officer)
        assert [edge["node"]["identityNumber"] for edge in data["children"]["edges"]] == ["3520212345671"]
    other = await graphql.data(FIND_BY_NUMBER, {"number": "35202-1234567-3"}, token=officer)
    assert other["children"]["edges"] == []

    # Outside the district, and without pii:read inside it, the number finds nothing.
    for who in ("karachi_officer", "police", "analyst", "admin"):
        data = await graphql.data(FIND_BY_NUMBER, {"number": NUMBER}, token=token_of(world, tokens, who))
        assert data["children"]["edges"] == [], who


async def test_the_identity_number_of_a_visible_child_is_withheld_without_pii_rights(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await give_identity_number(owner, VAULT, world.children["lahore"], NUMBER)
    child_id = to_base64("Child", world.children["lahore"])
    body = await graphql.post(
        """query($id: ID!) { node(id: $id) { ... on Child { sex identityNumber } } }""",
        {"id": child_id},
        token=token_of(world, tokens, "police"),
    )
    assert body["data"]["node"] == {"sex": "MALE", "identityNumber": None}
    assert [error["extensions"]["code"] for error in body["errors"]] == ["PERSONAL_DATA_WITHHELD"]


async def test_a_restricted_childs_number_finds_it_only_for_its_worker_and_supervisors(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await give_identity_number(owner, VAULT, world.children["cicl"], NUMBER)

    async def found_by(who: str) -> bool:
        data = await graphql.data(FIND_BY_NUMBER, {"number": NUMBER}, token=token_of(world, tokens, who))
        return bool(data["children"]["edges"])

    assert await found_by("other_worker")  # assigned to the case
    assert await found_by("lahore_officer")  # supervises it
    assert not await found_by("lahore_worker")  # same community, not the case's worker


async def test_a_malformed_identity_number_is_refused_with_a_typed_error(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    body = await graphql.post(
        FIND_BY_NUMBER, {"number": "12"}, token=token_of(world, tokens, "lahore_officer")
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "identityNumber"}


def test_a_ciphertext_moved_to_another_child_does_not_decrypt() -> None:
    key_id, ciphertext = VAULT.encrypt(NUMBER, child_id=1)
    assert VAULT.decrypt(key_id, ciphertext, child_id=1) == "3520212345671"
    with pytest.raises(Exception, match=r".*"):
        VAULT.decrypt(key_id, ciphertext, child_id=2)


def test_numbers_encrypted_under_an_old_key_still_decrypt_after_a_new_key_is_added(
    tmp_path: Any,
) -> None:
    from registry.identity_numbers import create_identity_key

    old = load_vault(tmp_path)
    key_id, ciphertext = old.encrypt(NUMBER, child_id=7)
    create_identity_key(tmp_path)
    rotated = load_vault(tmp_path)
    assert rotated.current_key_id != key_id
    assert rotated.decrypt(key_id, ciphertext, child_id=7) == "3520212345671"
    assert rotated.blind_index(NUMBER) == old.blind_index(NUMBER)


async def test_guardians_primary_first_with_pii_rights_and_withheld_without(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child = world.children["lahore"]
    await owner.execute(
        "INSERT INTO guardians (child_id, full_name, relationship, is_primary) VALUES"
        " ($1, 'Nasreen Bibi', 'MOTHER', false), ($1, 'Muhammad Akram', 'FATHER', true)",
        child,
    )
    query = """query($id: ID!) { node(id: $id) { ... on Child { guardians { fullName relationship isPrimary }
      } } }"""
    variables = {"id": to_base64("Child", child)}

    data = await graphql.data(query, variables, token=token_of(world, tokens, "lahore_officer"))
    assert data["node"]["guardians"] == [
        {"fullName": "Muhammad Akram", "relationship": "FATHER", "isPrimary": True},
        {"fullName": "Nasreen Bibi", "relationship": "MOTHER", "isPrimary": False},
    ]
    withheld = await graphql.post(query, variables, token=token_of(world, tokens, "police"))
    assert withheld["errors"][0]["extensions"]["code"] == "PERSONAL_DATA_WITHHELD"
    assert (await graphql.data(query, variables, token=token_of(world, tokens, "karachi_officer")))[
        "node"
    ] is None


async def test_children_are_filtered_by_age_band_within_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    toddler = await make_child(owner, world.tree.lahore_community, age=2)
    far_toddler = await make_child(owner, world.tree.karachi, age=2)
    query = """query($bands: [AgeBand!]) { children(filter: {ageBands: $bands}) {
      edges { node { id ageBand } } } }"""
    officer = token_of(world, tokens, "lahore_officer")

    def ids(data: dict[str, Any]) -> set[str]:
        return {edge["node"]["id"] for edge in data["children"]["edges"]}

    small = await graphql.data(query, {"bands": ["AGE_0_4"]}, token=officer)
    assert ids(small) == {to_base64("Child", toddler)}
    assert to_base64("Child", far_toddler) not in ids(small)
    both = await graphql.data(query, {"bands": ["AGE_0_4", "AGE_10_14"]}, token=officer)
    expected = {toddler, world.children["lahore"], world.children["cicl"]}
    assert ids(both) == {to_base64("Child", child) for child in expected}
    assert {edge["node"]["ageBand"] for edge in both["children"]["edges"]} == {"AGE_0_4", "AGE_10_14"}


@given(
    birth_year=st.integers(min_value=1990, max_value=2030),
    on=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
)
def test_the_birth_years_of_a_band_are_exactly_the_children_in_it(birth_year: int, on: dt.date) -> None:
    for band in AgeBand:
        earliest, latest = birth_years_in_band(band, on)
        inside = (earliest is None or birth_year >= earliest) and (latest is None or birth_year <= latest)
        assert inside == (age_band(birth_year, on) is band)


ASSIGNED = """query($id: ID!) { node(id: $id) { ... on Case { assignedTo { id displayName
  organisation { code kind } roles { role jurisdiction { code } } } } } }"""


async def test_a_case_names_its_worker_to_those_who_may_see_the_case(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    variables = {"id": to_base64("Case", world.cases["lahore"])}
    worker = world.users["lahore_worker"]
    for who in ("lahore_officer", "punjab_manager", "lahore_worker"):
        data = await graphql.data(ASSIGNED, variables, token=token_of(world, tokens, who))
        assert data["node"]["assignedTo"] == {
            "id": to_base64("User", worker),
            "displayName": f"User {worker}",
            "organisation": {"code": data["node"]["assignedTo"]["organisation"]["code"], "kind": "MINISTRY"},
            "roles": [{"role": "CASE_WORKER", "jurisdiction": {"code": "PK-PB-LAHORE-UC1"}}],
        }, who
    for who in ("karachi_officer", "analyst"):
        data = await graphql.data(ASSIGNED, variables, token=token_of(world, tokens, who))
        assert data["node"] is None, who


USER = """query($id: ID!) { node(id: $id) { ... on User { username roles { role } } } }"""


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("lahore_worker", True),  # themselves
        ("lahore_officer", True),  # manages the district the worker is in
        ("punjab_manager", True),
        ("auditor", True),  # audits the whole country
        ("other_worker", True),  # a colleague in the same community
        ("analyst", False),  # aggregates only, no one's record
        ("karachi_officer", False),
    ],
)
async def test_a_person_is_visible_to_themselves_and_those_over_where_they_work(
    world: World, tokens: TokenService, graphql: GraphQLClient, who: str, visible: bool
) -> None:
    data = await graphql.data(
        USER, {"id": to_base64("User", world.users["lahore_worker"])}, token=token_of(world, tokens, who)
    )
    assert (data["node"] is not None) is visible, who
    if data["node"] is not None:
        assert data["node"]["roles"] == [{"role": "CASE_WORKER"}]


async def test_organisations_and_programmes_are_public_reference_data_reached_from_records(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    ngo = await make_organisation(owner, world.tree.punjab)
    centre = await make_institution(owner, world.tree.lahore, type="DROP_IN_CENTRE", organisation_id=ngo)
    programme = await owner.fetchval(
        "INSERT INTO programmes (code, name, organisation_id, starts_on, jurisdiction_id, path)"
        " VALUES ('PB-CL-2024', 'Punjab child labour project', $1, DATE '2024-01-01', $2, $3) RETURNING id",
        ngo,
        world.tree.punjab.id,
        world.tree.punjab.path,
    )
    await owner.execute(
        "INSERT INTO interventions (type, recipient, programme_id, child_id, institution_id, started_on,"
        " jurisdiction_id, path) VALUES ('NON_FORMAL_EDUCATION', 'CHILD', $1, $2, $3, DATE '2026-02-01', $4, $5)",
        programme,
        world.children["lahore"],
        centre,
        world.tree.lahore_community.id,
        world.tree.lahore_community.path,
    )
    query = """query($child: ID!, $centre: ID!) {
      child: node(id: $child) { ... on Child { interventions { type programme { code name
        organisation { id kind } jurisdiction { code } } } } }
      centre: node(id: $centre) { ... on Institution { organisation { id } } } }"""
    variables = {
        "child": to_base64("Child", world.children["lahore"]),
        "centre": to_base64("Institution", centre),
    }
    # The programme covers the province; the district's officer still sees which programme it was.
    data = await graphql.data(query, variables, token=token_of(world, tokens, "lahore_officer"))
    assert data["child"]["interventions"] == [
        {
            "type": "NON_FORMAL_EDUCATION",
            "programme": {
                "code": "PB-CL-2024",
                "name": "Punjab child labour project",
                "organisation": {"id": to_base64("Organisation", ngo), "kind": "NGO_PARTNER"},
                "jurisdiction": {"code": "PK-PB"},
            },
        }
    ]
    assert data["centre"]["organisation"] == {"id": to_base64("Organisation", ngo)}
    # Out of scope: the child and the centre are not found, whatever is public behind them.
    outside = await graphql.data(query, variables, token=token_of(world, tokens, "karachi_officer"))
    assert outside == {"child": None, "centre": None}
    # The reference data itself is public by ID, even to an analyst.
    reference = await graphql.data(
        """query($org: ID!, $programme: ID!) { org: node(id: $org) { ... on Organisation { code } }
           programme: node(id: $programme) { ... on Programme { code } } }""",
        {"org": to_base64("Organisation", ngo), "programme": to_base64("Programme", programme)},
        token=token_of(world, tokens, "analyst"),
    )
    assert reference["programme"] == {"code": "PB-CL-2024"}
    assert reference["org"] is not None


CASES = """query($filter: CaseFilter) { cases(first: 50, filter: $filter) { edges { node { id } } } }"""


async def case_ids(graphql: GraphQLClient, token: str, flt: dict[str, Any]) -> set[str]:
    data = await graphql.data(CASES, {"filter": flt}, token=token)
    return {edge["node"]["id"] for edge in data["cases"]["edges"]}


async def test_cases_filter_by_owning_level_and_by_assignee_within_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    at_district = await make_case(owner, await make_child(owner, world.tree.lahore), world.tree.lahore)
    manager = token_of(world, tokens, "punjab_manager")
    ids = {key: to_base64("Case", case) for key, case in world.cases.items()}

    assert await case_ids(graphql, manager, {"levels": ["DISTRICT"]}) == {to_base64("Case", at_district)}
    assert await case_ids(graphql, manager, {"levels": ["COMMUNITY"]}) == {ids["lahore"], ids["cicl"]}
    worker = to_base64("User", world.users["lahore_worker"])
    assert await case_ids(graphql, manager, {"assignedTo": worker}) == {ids["lahore"]}
    assert await case_ids(graphql, manager, {"unassigned": True}) == {to_base64("Case", at_district)}
    # Naming a person outside one's scope finds nothing more than one may see.
    karachi = token_of(world, tokens, "karachi_officer")
    assert await case_ids(graphql, karachi, {"assignedTo": worker}) == set()

    wrong = await graphql.post(CASES, {"filter": {"assignedTo": to_base64("Child", 1)}}, token=manager)
    assert wrong["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "assignedTo"}


async def test_cases_filter_by_closing_date(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    await owner.execute(
        "UPDATE cases SET stage = 'CLOSED', closed_at = TIMESTAMPTZ '2026-03-10 10:00+05',"
        " closure_reason = 'Reunified' WHERE id = $1",
        world.cases["lahore"],
    )
    manager = token_of(world, tokens, "punjab_manager")
    march = {"closedFrom": "2026-03-01T00:00:00+05:00", "closedBefore": "2026-04-01T00:00:00+05:00"}
    assert await case_ids(graphql, manager, march) == {to_base64("Case", world.cases["lahore"])}
    april = {"closedFrom": "2026-04-01T00:00:00+05:00"}
    assert await case_ids(graphql, manager, april) == set()


async def test_a_page_of_cases_with_its_people_and_places_costs_a_constant_number_of_statements(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    statements: StatementLog,
    owner: asyncpg.Connection[Any],
) -> None:
    query = """{ cases(first: 50) { edges { node { caseNumber jurisdiction { code } institution { name
      organisation { code } } assignedTo { displayName organisation { code } roles { role } }
      child { sex fullName identityNumber guardians { fullName } household { size } } } } } }"""
    manager = token_of(world, tokens, "punjab_manager")

    async def cost() -> int:
        statements.clear()
        await graphql.post(query, token=manager)
        return len(statements)

    org = await make_organisation(owner, world.tree.lahore)

    async def add_cases(count: int) -> None:
        for _ in range(count):
            child = await make_child(owner, world.tree.lahore_community)
            await name_child(owner, child, "Ayesha")
            await give_identity_number(owner, VAULT, child, f"35202-{child:07d}-2")
            worker = world.users["lahore_worker"]
            case = await make_case(owner, child, world.tree.lahore_community, assigned_to=worker)
            centre = await make_institution(owner, world.tree.lahore, type="SHELTER", organisation_id=org)
            await owner.execute("UPDATE cases SET institution_id = $2 WHERE id = $1", case, centre)

    await add_cases(1)
    # A token's first request also derives its principal and sets the scope apart: one statement more.
    await cost()
    few = await cost()
    await add_cases(30)
    many = await cost()
    assert many == few, statements.statements
    # 12 to read the page (authentication and scope in one), 1 to record the personal data it returns.
    assert many <= 13, statements.statements


NESTED = """query($level: JurisdictionLevel, $code: String) {
  jurisdictions(first: 50, filter: {level: $level, withinCode: $code}) { edges { node { code
    cases(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id } } }
    institutions(first: 2) { totalCount edges { node { id } } }
    descendants(first: 2) { totalCount edges { node { code } } } } } } }"""
ONE = """query($code: String!) { jurisdiction(code: $code) { code
    cases(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id } } }
    institutions(first: 2) { totalCount edges { node { id } } }
    descendants(first: 2) { totalCount edges { node { code } } } } }"""


async def test_nested_lists_under_many_jurisdictions_cost_one_statement_each_and_match_one_by_one(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    statements: StatementLog,
    owner: asyncpg.Connection[Any],
) -> None:
    org = await make_organisation(owner, world.tree.punjab)
    for where in (world.tree.lahore, world.tree.lahore_community, world.tree.multan, world.tree.karachi):
        for _ in range(3):
            await make_case(owner, await make_child(owner, where), where)
        await make_institution(owner, where, type="SHELTER", organisation_id=org)
    manager = token_of(world, tokens, "punjab_manager")
    # A token's first request also derives its principal and sets the scope apart: one statement more.
    await graphql.data("{ viewer { name } }", token=manager)

    for level in ("PROVINCIAL", "DISTRICT"):
        statements.clear()
        data = await graphql.data(NESTED, {"level": level}, token=manager)
        # authenticate and scope (one), the list, then a page and a count for each nested list: not per parent.
        assert len(statements) == 8, statements.statements
        nodes = data["jurisdictions"]["edges"]
        assert len(nodes) >= 2
        for edge in nodes:
            alone = await graphql.data(ONE, {"code": edge["node"]["code"]}, token=manager)
            assert edge["node"] == alone["jurisdiction"]
    # Nested under jurisdictions outside the manager's province, nothing of theirs shows.
    sindh = await graphql.data(NESTED, {"level": "DISTRICT", "code": "PK-SD"}, token=manager)
    for edge in sindh["jurisdictions"]["edges"]:
        assert edge["node"]["cases"] == {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "edges": []}
        assert edge["node"]["institutions"] == {"totalCount": 0, "edges": []}
