"""Institutions and police-station incidents through GraphQL, inside and outside scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, user_token
from tests.factories import make_child, make_institution, make_organisation, make_small_tree, make_user

INCIDENTS = """query($filter: IncidentFilter) { incidents(first: 50, filter: $filter) {
  totalCount edges { node { id direction offence occurredOn policeStation { name type } jurisdiction { code } } } } }"""


@dataclass
class World:
    users: dict[str, int]
    stations: dict[str, int]


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    stations = {
        "lahore": await make_institution(owner, tree.lahore, type="POLICE_STATION", organisation_id=org),
        "karachi": await make_institution(owner, tree.karachi, type="POLICE_STATION", organisation_id=org),
        "shelter": await make_institution(owner, tree.lahore, type="SHELTER", organisation_id=org),
    }
    insert = (
        "INSERT INTO incidents (police_station_id, direction, offence, occurred_on, child_id, jurisdiction_id, path)"
        " VALUES ($1, $2, $3, DATE '2026-03-01', $4, $5, $6)"
    )
    child = await make_child(owner, tree.lahore)
    await owner.execute(
        insert, stations["lahore"], "BY_CHILD", "THEFT", child, tree.lahore.id, tree.lahore.path
    )
    await owner.execute(
        insert, stations["lahore"], "AGAINST_CHILD", "PHYSICAL_ABUSE", child, tree.lahore.id, tree.lahore.path
    )
    await owner.execute(
        insert, stations["karachi"], "BY_CHILD", "ROBBERY", None, tree.karachi.id, tree.karachi.path
    )
    users = {
        "punjab_police": await make_user(owner, "POLICE_MONITOR", tree.punjab, organisation_id=org),
        "sindh_police": await make_user(owner, "POLICE_MONITOR", tree.sindh, organisation_id=org),
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "auditor": await make_user(owner, "AUDITOR", tree.nation, organisation_id=org),
    }
    return World(users, stations)


async def offences(graphql: GraphQLClient, token: str, flt: dict[str, Any] | None = None) -> list[str]:
    data = await graphql.data(INCIDENTS, {"filter": flt}, token=token)
    return sorted(edge["node"]["offence"] for edge in data["incidents"]["edges"])


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("punjab_police", ["PHYSICAL_ABUSE", "THEFT"]),
        ("sindh_police", ["ROBBERY"]),
        ("analyst", []),
        ("auditor", []),
    ],
)
async def test_incidents_are_seen_inside_the_scope_only(
    world: World, tokens: TokenService, graphql: GraphQLClient, who: str, expected: list[str]
) -> None:
    assert await offences(graphql, user_token(tokens, world.users[who])) == expected


async def test_directions_are_kept_apart_by_the_filter(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["punjab_police"])

    by_child = await offences(graphql, token, {"directions": ["BY_CHILD"]})
    against = await offences(graphql, token, {"directions": ["AGAINST_CHILD"]})

    assert (by_child, against) == (["THEFT"], ["PHYSICAL_ABUSE"])


async def test_an_incident_outside_scope_is_not_found_by_id(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    sindh = user_token(tokens, world.users["sindh_police"])
    karachi_incident = (await graphql.data(INCIDENTS, {"filter": None}, token=sindh))["incidents"]["edges"][0]

    seen_from_punjab = await graphql.data(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": karachi_incident["node"]["id"]},
        token=user_token(tokens, world.users["punjab_police"]),
    )

    assert seen_from_punjab["node"] is None


async def test_institutions_by_type_inside_the_scope(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    query = """query($filter: InstitutionFilter) { institutions(filter: $filter) { edges { node { type
               jurisdiction { code } } } } }"""
    punjab = user_token(tokens, world.users["punjab_police"])

    stations = await graphql.data(query, {"filter": {"types": ["POLICE_STATION"]}}, token=punjab)
    everything = await graphql.data(query, {"filter": None}, token=punjab)
    anonymous = await graphql.data(query, {"filter": None})

    assert [edge["node"]["jurisdiction"]["code"] for edge in stations["institutions"]["edges"]] == [
        "PK-PB-LAHORE"
    ]
    assert sorted(edge["node"]["type"] for edge in everything["institutions"]["edges"]) == [
        "POLICE_STATION",
        "SHELTER",
    ]
    assert anonymous["institutions"]["edges"] == []


async def test_a_childs_household_and_placements_follow_the_scope(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    import datetime as dt

    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    station = await make_institution(owner, tree.lahore, type="POLICE_STATION", organisation_id=org)
    household = await owner.fetchval(
        "INSERT INTO households (reference, size, registered_on, jurisdiction_id, path)"
        " VALUES ('HH-1', 5, DATE '2026-01-01', $1, $2) RETURNING id",
        tree.lahore.id,
        tree.lahore.path,
    )
    child = await make_child(owner, tree.lahore)
    await owner.execute("UPDATE children SET household_id = $1 WHERE id = $2", household, child)
    await owner.execute(
        "INSERT INTO placements (child_id, institution_id, kind, started_at, segregated_from_adults,"
        " jurisdiction_id, path) VALUES ($1, $2, 'POLICE_CUSTODY', $3, false, $4, $5)",
        child,
        station,
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        tree.lahore.id,
        tree.lahore.path,
    )
    officer = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    outsider = await make_user(owner, "DISTRICT_OFFICER", tree.karachi, organisation_id=org)
    query = """{ children { edges { node { household { size children { sex } }
                placements { kind segregatedFromAdults institution { type } } } } } }"""

    inside = await graphql.data(query, token=user_token(tokens, officer))
    outside = await graphql.data(query, token=user_token(tokens, outsider))

    node = inside["children"]["edges"][0]["node"]
    assert node["household"] == {"size": 5, "children": [{"sex": "MALE"}]}
    assert node["placements"] == [
        {"kind": "POLICE_CUSTODY", "segregatedFromAdults": False, "institution": {"type": "POLICE_STATION"}}
    ]
    assert outside["children"]["edges"] == []
