"""Police-station monitoring through HTTP with real tokens: incidents by and against children, placements
in custody or care and their end. Every refusal is typed and changes nothing; a retry creates nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, codes, gid, mutate, user_token
from tests.factories import World, make_child, make_institution, make_organisation, make_user, make_world

RECORD_INCIDENT = """mutation($input: RecordIncidentInput!) { recordIncident(input: $input) {
  incident { id direction offence offenceSection occurredOn version policeStation { id }
             jurisdiction { code } child { id } case { id } }
  errors { code field message } } }"""
RECORD_PLACEMENT = """mutation($input: RecordPlacementInput!) { recordPlacement(input: $input) {
  placement { id kind startedAt endedAt endReason segregatedFromAdults psychosocialSupport version
              institution { id } jurisdiction { code } child { id } }
  errors { code field message } } }"""
END_PLACEMENT = """mutation($input: EndPlacementInput!) { endPlacement(input: $input) {
  placement { id endedAt endReason version } outcome { type achievedOn }
  errors { code field message } } }"""
INCIDENTS = """query($filter: IncidentFilter) { incidents(first: 50, filter: $filter) {
  edges { node { id direction offence } } } }"""
CASE_EVENTS = """query($id: ID!) { node(id: $id) { ... on Case { events { type } } } }"""

STARTED = "2026-03-01T10:00:00+05:00"


@dataclass
class Police:
    world: World
    users: dict[str, int]
    places: dict[str, int]


@pytest.fixture
async def police(owner: asyncpg.Connection[Any]) -> Police:
    """The small world, with places in Lahore and Karachi, a police monitor in Sindh, and a Lahore
    officer who also monitors the district's police stations (so may file incidents under cases)."""
    world = await make_world(owner)
    tree = world.tree
    org = await make_organisation(owner, tree.nation, kind="POLICE")

    async def place(where: Any, type: str) -> int:
        return await make_institution(owner, where, type=type, organisation_id=org)

    places = {
        "lahore_station": await place(tree.lahore, "POLICE_STATION"),
        "lahore_cpc": await place(tree.lahore, "CHILD_PROTECTION_CENTRE"),
        "lahore_shelter": await place(tree.lahore, "SHELTER"),
        "lahore_rehabilitation": await place(tree.lahore, "JUVENILE_REHABILITATION_CENTRE"),
        "karachi_station": await place(tree.karachi, "POLICE_STATION"),
    }
    users = dict(world.users)
    users["sindh_police"] = await make_user(owner, "POLICE_MONITOR", tree.sindh, organisation_id=org)
    users["officer_and_police"] = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    await owner.execute(
        "INSERT INTO role_assignments (user_id, role, jurisdiction_id, path) VALUES ($1, 'POLICE_MONITOR', $2, $3)",
        users["officer_and_police"],
        tree.lahore.id,
        tree.lahore.path,
    )
    return Police(world, users, places)


def token_of(police: Police, tokens: TokenService, who: str) -> str:
    return user_token(tokens, police.users[who])


async def snapshot(owner: asyncpg.Connection[Any]) -> dict[str, Any]:
    """Everything these mutations may write, to show that a refusal wrote nothing."""
    tables = ("incidents", "placements", "outcomes", "case_events", "idempotency_keys")
    counts = {table: await owner.fetchval(f"SELECT count(*) FROM {table}") for table in tables}
    placements = await owner.fetch("SELECT id, ended_at, end_reason, version FROM placements ORDER BY id")
    restricted = await owner.fetch("SELECT id FROM children WHERE identity_restricted ORDER BY id")
    return counts | {
        "placements_state": [tuple(r) for r in placements],
        "restricted": [r[0] for r in restricted],
    }


def incident_input(police: Police, **changes: Any) -> dict[str, Any]:
    return {
        "policeStationId": gid("Institution", police.places["lahore_station"]),
        "direction": "BY_CHILD",
        "offence": "THEFT",
        "offenceSection": "PPC 379",
        "firNumber": "FIR-112/2026",
        "occurredOn": "2026-03-01",
        "childId": gid("Child", police.world.children["lahore"]),
    } | changes


def placement_input(police: Police, **changes: Any) -> dict[str, Any]:
    return {
        "childId": gid("Child", police.world.children["lahore"]),
        "institutionId": gid("Institution", police.places["lahore_station"]),
        "kind": "POLICE_CUSTODY",
        "startedAt": STARTED,
        "segregatedFromAdults": True,
        "psychosocialSupport": False,
    } | changes


# Incidents


async def test_a_police_monitor_records_an_offence_by_a_child_at_a_station_in_the_province(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    payload = await mutate(
        graphql, RECORD_INCIDENT, incident_input(police), token_of(police, tokens, "police")
    )

    assert payload["errors"] == []
    incident = payload["incident"]
    assert {
        key: incident[key] for key in ("direction", "offence", "offenceSection", "occurredOn", "version")
    } == {
        "direction": "BY_CHILD",
        "offence": "THEFT",
        "offenceSection": "PPC 379",
        "occurredOn": "2026-03-01",
        "version": 1,
    }
    assert incident["policeStation"] == {"id": gid("Institution", police.places["lahore_station"])}
    assert incident["jurisdiction"] == {"code": "PK-PB-LAHORE"}
    assert incident["child"] == {"id": gid("Child", police.world.children["lahore"])}
    row = await owner.fetchrow("SELECT fir_number, recorded_by_id, path::text FROM incidents")
    assert row is not None
    assert tuple(row) == ("FIR-112/2026", police.users["police"], police.world.tree.lahore.path)
    # Accused of an offence: juvenile justice law now restricts who may see the child's identity.
    assert await owner.fetchval(
        "SELECT identity_restricted FROM children WHERE id = $1", police.world.children["lahore"]
    )


async def test_an_offence_against_a_child_does_not_restrict_the_childs_identity(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    payload = await mutate(
        graphql,
        RECORD_INCIDENT,
        incident_input(police, direction="AGAINST_CHILD", offence="PHYSICAL_ABUSE", offenceSection=None),
        token_of(police, tokens, "police"),
    )

    assert payload["errors"] == []
    assert not await owner.fetchval(
        "SELECT identity_restricted FROM children WHERE id = $1", police.world.children["lahore"]
    )


async def test_incidents_by_and_against_children_stay_apart_after_recording(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = token_of(police, tokens, "police")
    by_child = await mutate(graphql, RECORD_INCIDENT, incident_input(police), token)
    against = await mutate(
        graphql,
        RECORD_INCIDENT,
        incident_input(police, direction="AGAINST_CHILD", offence="LABOUR_EXPLOITATION"),
        token,
    )

    async def listed(direction: str) -> list[str]:
        data = await graphql.data(INCIDENTS, {"filter": {"directions": [direction]}}, token=token)
        return [edge["node"]["id"] for edge in data["incidents"]["edges"]]

    assert await listed("BY_CHILD") == [by_child["incident"]["id"]]
    assert await listed("AGAINST_CHILD") == [against["incident"]["id"]]


async def test_an_incident_filed_under_a_case_is_recorded_in_its_history(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = token_of(police, tokens, "officer_and_police")
    case_id = gid("Case", police.world.cases["lahore"])

    payload = await mutate(
        graphql,
        RECORD_INCIDENT,
        incident_input(
            police, direction="AGAINST_CHILD", offence="LABOUR_EXPLOITATION", childId=None, caseId=case_id
        ),
        token,
    )

    assert payload["errors"] == []
    assert payload["incident"]["case"] == {"id": case_id}
    # The child is the case's.
    assert payload["incident"]["child"] == {"id": gid("Child", police.world.children["lahore"])}
    events = (await graphql.data(CASE_EVENTS, {"id": case_id}, token=token))["node"]["events"]
    assert [event["type"] for event in events] == ["INCIDENT_RECORDED", "OPENED"]


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        # Outside the principal's province: the station is not found.
        ("police", {"policeStationId": ("Institution", "karachi_station")}, ("NOT_FOUND", "policeStationId")),
        ("sindh_police", {}, ("NOT_FOUND", "policeStationId")),
        # Caseworkers do not record incidents (district officers do); analysts see no records at all.
        ("lahore_worker", {}, ("NOT_FOUND", "policeStationId")),
        ("analyst", {}, ("NOT_FOUND", "policeStationId")),
        ("police", {"policeStationId": ("Institution", 999_999)}, ("NOT_FOUND", "policeStationId")),
        # A child or a case out of sight; the police do not write case files.
        ("police", {"childId": ("Child", "karachi")}, ("NOT_FOUND", "childId")),
        ("police", {"caseId": ("Case", "lahore")}, ("NOT_FOUND", "caseId")),
        ("officer_and_police", {"caseId": ("Case", "karachi")}, ("NOT_FOUND", "caseId")),
        # Bad input.
        ("police", {"policeStationId": ("Institution", "lahore_shelter")}, ("VALIDATION", "policeStationId")),
        ("police", {"policeStationId": ("Child", "lahore")}, ("VALIDATION", "policeStationId")),
        ("police", {"occurredOn": "2027-06-01"}, ("VALIDATION", "occurredOn")),
        ("police", {"offenceSection": "x" * 65}, ("VALIDATION", "offenceSection")),
        ("police", {"firNumber": "x" * 65}, ("VALIDATION", "firNumber")),
        ("officer_and_police", {"caseId": ("Case", "cicl")}, ("VALIDATION", "caseId")),
        ("police", {"idempotencyKey": "short"}, ("VALIDATION", "idempotencyKey")),
    ],
)
async def test_recording_an_incident_is_refused_with_a_typed_error_and_nothing_is_written(
    police: Police,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    resolved = {key: resolve(police, value) for key, value in changes.items()}
    before = await snapshot(owner)

    payload = await mutate(
        graphql, RECORD_INCIDENT, incident_input(police, **resolved), token_of(police, tokens, who)
    )

    assert payload["incident"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


def resolve(police: Police, value: Any) -> Any:
    """``("Child", "lahore")`` → the global ID of the world's Lahore child; plain values pass through."""
    if not isinstance(value, tuple):
        return value
    type_name, key = value
    if isinstance(key, int):
        return gid(type_name, key)
    rows = {"Institution": police.places, "Child": police.world.children, "Case": police.world.cases}
    return gid(type_name, rows[type_name][key])


async def test_a_retried_incident_with_the_same_key_is_recorded_once(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "police")
    request = incident_input(police, idempotencyKey="incident-2026-03-01-lahore-1")

    first = await mutate(graphql, RECORD_INCIDENT, request, token)
    again = await mutate(graphql, RECORD_INCIDENT, request, token)
    reused = await mutate(graphql, RECORD_INCIDENT, request | {"offence": "ROBBERY"}, token)

    assert first["errors"] == again["errors"] == []
    assert again["incident"]["id"] == first["incident"]["id"]
    assert await owner.fetchval("SELECT count(*) FROM incidents") == 1
    assert codes(reused) == [("CONFLICT", "idempotencyKey")]


async def test_without_a_token_recording_an_incident_is_refused(
    police: Police, graphql: GraphQLClient
) -> None:
    payload = await mutate(graphql, RECORD_INCIDENT, incident_input(police), None)
    assert codes(payload) == [("UNAUTHENTICATED", None)]


# Placements


async def test_a_police_monitor_records_police_custody_kept_apart_from_adults(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    payload = await mutate(
        graphql, RECORD_PLACEMENT, placement_input(police), token_of(police, tokens, "police")
    )

    assert payload["errors"] == []
    placement = payload["placement"]
    assert placement["kind"] == "POLICE_CUSTODY"
    assert placement["startedAt"] == "2026-03-01T05:00:00+00:00"
    assert (placement["endedAt"], placement["endReason"], placement["version"]) == (None, None, 1)
    assert (placement["segregatedFromAdults"], placement["psychosocialSupport"]) == (True, False)
    assert placement["institution"] == {"id": gid("Institution", police.places["lahore_station"])}
    assert placement["jurisdiction"] == {"code": "PK-PB-LAHORE"}
    assert placement["child"] == {"id": gid("Child", police.world.children["lahore"])}
    assert await owner.fetchval(
        "SELECT identity_restricted FROM children WHERE id = $1", police.world.children["lahore"]
    )
    # A placement is a node: found by its ID inside the scope, not outside.
    query = "query($id: ID!) { node(id: $id) { ... on Placement { kind } } }"
    inside = await graphql.data(query, {"id": placement["id"]}, token=token_of(police, tokens, "police"))
    outside = await graphql.data(
        query, {"id": placement["id"]}, token=token_of(police, tokens, "sindh_police")
    )
    assert (inside["node"], outside["node"]) == ({"kind": "POLICE_CUSTODY"}, None)


async def test_an_officer_places_a_child_in_a_shelter_under_the_childs_case(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "lahore_officer")
    case_id = gid("Case", police.world.cases["lahore"])

    payload = await mutate(
        graphql,
        RECORD_PLACEMENT,
        placement_input(
            police,
            institutionId=gid("Institution", police.places["lahore_shelter"]),
            kind="SHELTER",
            caseId=case_id,
            psychosocialSupport=True,
        ),
        token,
    )

    assert payload["errors"] == []
    assert payload["placement"]["psychosocialSupport"] is True
    events = (await graphql.data(CASE_EVENTS, {"id": case_id}, token=token))["node"]["events"]
    assert [event["type"] for event in events] == ["PLACEMENT_STARTED", "OPENED"]
    # A shelter is care, not detention: the identity stays as it was.
    assert not await owner.fetchval(
        "SELECT identity_restricted FROM children WHERE id = $1", police.world.children["lahore"]
    )


async def test_juvenile_rehabilitation_fits_a_juvenile_rehabilitation_centre(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    payload = await mutate(
        graphql,
        RECORD_PLACEMENT,
        placement_input(
            police,
            institutionId=gid("Institution", police.places["lahore_rehabilitation"]),
            kind="JUVENILE_REHABILITATION",
        ),
        token_of(police, tokens, "lahore_officer"),
    )

    assert payload["errors"] == []
    assert payload["placement"]["kind"] == "JUVENILE_REHABILITATION"


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        ("sindh_police", {}, ("NOT_FOUND", "institutionId")),
        ("police", {"institutionId": ("Institution", "karachi_station")}, ("NOT_FOUND", "institutionId")),
        # Police custody is for the police and the departments' officers to record, not for caseworkers;
        # a shelter is the social-welfare side's.
        ("lahore_worker", {}, ("NOT_FOUND", "institutionId")),
        (
            "police",
            {"institutionId": ("Institution", "lahore_shelter"), "kind": "SHELTER"},
            ("NOT_FOUND", "institutionId"),
        ),
        ("police", {"childId": ("Child", "karachi")}, ("NOT_FOUND", "childId")),
        ("police", {"caseId": ("Case", "lahore")}, ("NOT_FOUND", "caseId")),
        # A kind that does not fit the institution.
        ("police", {"kind": "CHILD_PROTECTION_CENTRE"}, ("VALIDATION", "kind")),
        (
            "lahore_officer",
            {"institutionId": ("Institution", "lahore_station"), "kind": "SHELTER"},
            ("VALIDATION", "kind"),
        ),
        ("police", {"startedAt": "2027-06-01T10:00:00+05:00"}, ("VALIDATION", "startedAt")),
        ("police", {"startedAt": "2026-03-01T10:00:00"}, ("VALIDATION", "startedAt")),
        ("police", {"childId": ("Case", "lahore")}, ("VALIDATION", "childId")),
        ("officer_and_police", {"caseId": ("Case", "karachi")}, ("NOT_FOUND", "caseId")),
    ],
)
async def test_recording_a_placement_is_refused_with_a_typed_error_and_nothing_is_written(
    police: Police,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    resolved = {key: resolve(police, value) for key, value in changes.items()}
    before = await snapshot(owner)

    payload = await mutate(
        graphql, RECORD_PLACEMENT, placement_input(police, **resolved), token_of(police, tokens, who)
    )

    assert payload["placement"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


async def test_a_child_already_placed_there_is_not_placed_there_again(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "police")
    await mutate(graphql, RECORD_PLACEMENT, placement_input(police), token)
    before = await snapshot(owner)

    again = await mutate(
        graphql, RECORD_PLACEMENT, placement_input(police, startedAt="2026-03-02T10:00:00+05:00"), token
    )

    assert codes(again) == [("CONFLICT", "childId")]
    assert await snapshot(owner) == before


async def test_a_retried_placement_with_the_same_key_is_recorded_once(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "police")
    request = placement_input(police, idempotencyKey="placement-2026-03-01-lahore-1")

    first = await mutate(graphql, RECORD_PLACEMENT, request, token)
    again = await mutate(graphql, RECORD_PLACEMENT, request, token)

    assert first["errors"] == again["errors"] == []
    assert again["placement"]["id"] == first["placement"]["id"]
    assert await owner.fetchval("SELECT count(*) FROM placements") == 1


# Ending a placement


async def placed(
    police: Police, tokens: TokenService, graphql: GraphQLClient, who: str = "police", **changes: Any
) -> dict[str, Any]:
    payload = await mutate(
        graphql, RECORD_PLACEMENT, placement_input(police, **changes), token_of(police, tokens, who)
    )
    assert payload["errors"] == []
    placement: dict[str, Any] = payload["placement"]
    return placement


async def test_a_diverted_child_leaves_custody_diverted_from_the_justice_system(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "officer_and_police")
    case_id = gid("Case", police.world.cases["lahore"])
    placement = await placed(police, tokens, graphql, "officer_and_police", caseId=case_id)

    payload = await mutate(
        graphql,
        END_PLACEMENT,
        {
            "placementId": placement["id"],
            "version": 1,
            "endedAt": "2026-03-02T18:30:00+05:00",
            "endReason": "DIVERTED",
        },
        token,
    )

    assert payload["errors"] == []
    assert payload["placement"] == {
        "id": placement["id"],
        "endedAt": "2026-03-02T13:30:00+00:00",
        "endReason": "DIVERTED",
        "version": 2,
    }
    assert payload["outcome"] == {"type": "DIVERTED_FROM_JUSTICE_SYSTEM", "achievedOn": "2026-03-02"}
    assert await owner.fetchval("SELECT case_id FROM outcomes") == police.world.cases["lahore"]
    events = (await graphql.data(CASE_EVENTS, {"id": case_id}, token=token))["node"]["events"]
    assert sorted(event["type"] for event in events) == [
        "OPENED",
        "OUTCOME_RECORDED",
        "PLACEMENT_ENDED",
        "PLACEMENT_STARTED",
    ]


@pytest.mark.parametrize(
    ("kind", "institution", "reason", "outcome"),
    [
        ("POLICE_CUSTODY", "lahore_station", "RELEASED_ON_BAIL", "RELEASED_FROM_DETENTION"),
        ("POLICE_CUSTODY", "lahore_cpc", "TRANSFERRED", None),
        ("SHELTER", "lahore_shelter", "RELEASED_TO_FAMILY", "REUNIFIED_WITH_FAMILY"),
    ],
)
async def test_the_end_of_a_placement_records_the_outcome_it_achieves(
    police: Police,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    kind: str,
    institution: str,
    reason: str,
    outcome: str | None,
) -> None:
    who = "officer_and_police"
    placement = await placed(
        police, tokens, graphql, who, kind=kind, institutionId=gid("Institution", police.places[institution])
    )

    payload = await mutate(
        graphql,
        END_PLACEMENT,
        {
            "placementId": placement["id"],
            "version": 1,
            "endedAt": "2026-03-05T09:00:00+05:00",
            "endReason": reason,
        },
        token_of(police, tokens, who),
    )

    assert payload["errors"] == []
    assert (payload["outcome"] or {}).get("type") == outcome
    assert await owner.fetchval("SELECT count(*) FROM outcomes") == (1 if outcome else 0)


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        ("sindh_police", {}, ("NOT_FOUND", "placementId")),
        ("lahore_worker", {}, ("NOT_FOUND", "placementId")),  # police custody is not a caseworker's to end
        ("police", {"placementId": ("Placement", 999_999)}, ("NOT_FOUND", "placementId")),
        ("police", {"placementId": ("Incident", 1)}, ("VALIDATION", "placementId")),
        ("police", {"version": 7}, ("CONFLICT", "version")),
        ("police", {"endedAt": "2026-03-01T09:00:00+05:00"}, ("VALIDATION", "endedAt")),
        ("police", {"endedAt": "2027-03-01T09:00:00+05:00"}, ("VALIDATION", "endedAt")),
    ],
)
async def test_ending_a_placement_is_refused_with_a_typed_error_and_nothing_is_changed(
    police: Police,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    placement = await placed(police, tokens, graphql)
    request = {
        "placementId": placement["id"],
        "version": 1,
        "endedAt": "2026-03-02T10:00:00+05:00",
        "endReason": "RELEASED_TO_FAMILY",
    } | {key: resolve(police, value) for key, value in changes.items()}
    before = await snapshot(owner)

    payload = await mutate(graphql, END_PLACEMENT, request, token_of(police, tokens, who))

    assert payload["placement"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


async def test_a_placement_ends_once(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(police, tokens, "police")
    placement = await placed(police, tokens, graphql)
    request = {
        "placementId": placement["id"],
        "version": 1,
        "endedAt": "2026-03-02T10:00:00+05:00",
        "endReason": "RELEASED_TO_FAMILY",
    }
    first = await mutate(graphql, END_PLACEMENT, request, token)
    before = await snapshot(owner)

    again = await mutate(graphql, END_PLACEMENT, request | {"version": 2}, token)

    assert first["errors"] == []
    assert codes(again) == [("INVALID_TRANSITION", "placementId")]
    assert await snapshot(owner) == before


async def test_a_shelter_stay_does_not_end_on_bail(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    placement = await placed(
        police,
        tokens,
        graphql,
        "lahore_officer",
        kind="SHELTER",
        institutionId=gid("Institution", police.places["lahore_shelter"]),
    )
    before = await snapshot(owner)

    payload = await mutate(
        graphql,
        END_PLACEMENT,
        {
            "placementId": placement["id"],
            "version": 1,
            "endedAt": "2026-03-02T10:00:00+05:00",
            "endReason": "RELEASED_ON_BAIL",
        },
        token_of(police, tokens, "lahore_officer"),
    )

    assert codes(payload) == [("VALIDATION", "endReason")]
    assert await snapshot(owner) == before


async def test_a_child_in_another_province_cannot_be_placed_or_seen(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    child = await make_child(owner, police.world.tree.karachi)
    before = await snapshot(owner)

    payload = await mutate(
        graphql,
        RECORD_PLACEMENT,
        placement_input(police, childId=gid("Child", child)),
        token_of(police, tokens, "police"),
    )

    assert codes(payload) == [("NOT_FOUND", "childId")]
    assert await snapshot(owner) == before


async def test_a_district_officer_records_an_incident_at_a_station_in_the_district(
    police: Police, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    """Departments record police-station monitoring too (DESIGN: "record police-station monitoring")."""
    payload = await mutate(
        graphql, RECORD_INCIDENT, incident_input(police), token_of(police, tokens, "lahore_officer")
    )
    assert payload["errors"] == []
    assert await owner.fetchval("SELECT count(*) FROM incidents") == 1
