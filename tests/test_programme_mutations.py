"""Interventions and outcomes through HTTP with real tokens: for a child or a child's household, under a
case or not. Every refusal is typed and changes nothing; a retry creates nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, codes, gid, mutate, user_token
from tests.factories import World, make_organisation, make_world

RECORD_INTERVENTION = """mutation($input: RecordInterventionInput!) { recordIntervention(input: $input) {
  intervention { type recipient startedOn endedOn completed programme { code } }
  errors { code field message } } }"""
END_INTERVENTION = """mutation($input: EndInterventionInput!) { endIntervention(input: $input) {
  intervention { endedOn completed } errors { code field message } } }"""
RECORD_OUTCOME = """mutation($input: RecordOutcomeInput!) { recordOutcome(input: $input) {
  outcome { type achievedOn } errors { code field message } } }"""
CASE_EVENTS = """query($id: ID!) { node(id: $id) { ... on Case { events { type } } } }"""


@dataclass
class Programmes:
    world: World
    households: dict[str, int]
    programmes: dict[str, int]


@pytest.fixture
async def programmes(owner: asyncpg.Connection[Any]) -> Programmes:
    """The small world; the Lahore child lives in a household; programmes over Punjab (running), over
    Sindh, and one in Punjab that ended in 2025."""
    world = await make_world(owner)
    tree = world.tree
    org = await make_organisation(owner, tree.nation)

    async def household(where: Any, reference: str) -> int:
        row_id: int = await owner.fetchval(
            "INSERT INTO households (reference, size, registered_on, jurisdiction_id, path)"
            " VALUES ($1, 5, DATE '2026-01-01', $2, $3) RETURNING id",
            reference,
            where.id,
            where.path,
        )
        return row_id

    async def programme(where: Any, code: str, starts: str, ends: str | None) -> int:
        row_id: int = await owner.fetchval(
            "INSERT INTO programmes (code, name, organisation_id, starts_on, ends_on, jurisdiction_id, path)"
            " VALUES ($1, $1, $2, $3::text::date, $4::text::date, $5, $6) RETURNING id",
            code,
            org,
            starts,
            ends,
            where.id,
            where.path,
        )
        return row_id

    households = {
        "lahore": await household(tree.lahore_community, "HH-LAHORE"),
        "karachi": await household(tree.karachi, "HH-KARACHI"),
    }
    await owner.execute(
        "UPDATE children SET household_id = $1 WHERE id = $2", households["lahore"], world.children["lahore"]
    )
    programmes = {
        "punjab": await programme(tree.punjab, "PB-CLEAR", "2025-01-01", None),
        "sindh": await programme(tree.sindh, "SD-CLEAR", "2025-01-01", None),
        "ended": await programme(tree.punjab, "PB-OLD", "2024-01-01", "2025-06-30"),
    }
    return Programmes(world, households, programmes)


def token_of(programmes: Programmes, tokens: TokenService, who: str) -> str:
    return user_token(tokens, programmes.world.users[who])


async def snapshot(owner: asyncpg.Connection[Any]) -> dict[str, Any]:
    tables = ("interventions", "outcomes", "case_events", "idempotency_keys")
    counts = {table: await owner.fetchval(f"SELECT count(*) FROM {table}") for table in tables}
    state = await owner.fetch("SELECT id, ended_on, completed FROM interventions ORDER BY id")
    return counts | {"interventions_state": [tuple(row) for row in state]}


def resolve(programmes: Programmes, value: Any) -> Any:
    """``("Child", "lahore")`` → the global ID of that row of the fixture; plain values pass through."""
    if not isinstance(value, tuple):
        return value
    type_name, key = value
    if isinstance(key, int):
        return gid(type_name, key)
    rows = {
        "Child": programmes.world.children,
        "Case": programmes.world.cases,
        "Household": programmes.households,
        "Programme": programmes.programmes,
    }
    return gid(type_name, rows[type_name][key])


def school_input(programmes: Programmes, **changes: Any) -> dict[str, Any]:
    return {
        "type": "FORMAL_SCHOOL_ENROLMENT",
        "recipient": "CHILD",
        "childId": gid("Child", programmes.world.children["lahore"]),
        "programmeId": gid("Programme", programmes.programmes["punjab"]),
        "startedOn": "2026-04-01",
    } | changes


async def test_a_caseworker_records_school_enrolment_under_the_childs_case(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(programmes, tokens, "lahore_worker")
    case_id = gid("Case", programmes.world.cases["lahore"])

    payload = await mutate(graphql, RECORD_INTERVENTION, school_input(programmes, caseId=case_id), token)

    assert payload["errors"] == []
    assert payload["intervention"] == {
        "type": "FORMAL_SCHOOL_ENROLMENT",
        "recipient": "CHILD",
        "startedOn": "2026-04-01",
        "endedOn": None,
        "completed": False,
        "programme": {"code": "PB-CLEAR"},
    }
    row = await owner.fetchrow("SELECT household_id, case_id, recorded_by_id, path::text FROM interventions")
    assert row is not None
    assert tuple(row) == (
        programmes.households["lahore"],  # the child's household, for coverage counts
        programmes.world.cases["lahore"],
        programmes.world.users["lahore_worker"],
        programmes.world.tree.lahore_community.path,
    )
    events = (await graphql.data(CASE_EVENTS, {"id": case_id}, token=token))["node"]["events"]
    assert [event["type"] for event in events] == ["INTERVENTION_RECORDED", "OPENED"]


async def test_an_officer_records_vocational_training_for_a_childs_parent(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    payload = await mutate(
        graphql,
        RECORD_INTERVENTION,
        {
            "type": "VOCATIONAL_TRAINING",
            "recipient": "PARENT",
            "householdId": gid("Household", programmes.households["lahore"]),
            "caseId": gid("Case", programmes.world.cases["lahore"]),
            "startedOn": "2026-02-01",
            "endedOn": "2026-05-31",
            "completed": True,
        },
        token_of(programmes, tokens, "lahore_officer"),
    )

    assert payload["errors"] == []
    assert payload["intervention"]["recipient"] == "PARENT"
    row = await owner.fetchrow("SELECT child_id, household_id, completed FROM interventions")
    assert row is not None
    assert tuple(row) == (None, programmes.households["lahore"], True)


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        # Out of scope, or no right to casework: not found.
        ("karachi_officer", {}, ("NOT_FOUND", "childId")),
        ("lahore_officer", {"childId": ("Child", "karachi")}, ("NOT_FOUND", "childId")),
        ("police", {}, ("NOT_FOUND", "childId")),
        ("analyst", {}, ("NOT_FOUND", "childId")),
        (
            "lahore_officer",
            {"recipient": "HOUSEHOLD", "childId": None, "householdId": ("Household", "karachi")},
            ("NOT_FOUND", "householdId"),
        ),
        ("lahore_officer", {"programmeId": ("Programme", 999_999)}, ("NOT_FOUND", "programmeId")),
        ("lahore_officer", {"institutionId": ("Institution", 999_999)}, ("NOT_FOUND", "institutionId")),
        # A caseworker writes only the cases assigned to them.
        (
            "lahore_worker",
            {"childId": ("Child", "cicl"), "caseId": ("Case", "cicl")},
            ("NOT_FOUND", "caseId"),
        ),
        ("lahore_officer", {"caseId": ("Case", "karachi")}, ("NOT_FOUND", "caseId")),
        # Bad input.
        ("lahore_officer", {"childId": None}, ("VALIDATION", "childId")),
        ("lahore_officer", {"householdId": ("Household", "lahore")}, ("VALIDATION", "householdId")),
        ("lahore_officer", {"recipient": "PARENT"}, ("VALIDATION", "householdId")),
        (
            "lahore_officer",
            {"recipient": "PARENT", "householdId": ("Household", "lahore")},
            ("VALIDATION", "childId"),
        ),
        ("lahore_officer", {"startedOn": "2027-06-01"}, ("VALIDATION", "startedOn")),
        ("lahore_officer", {"endedOn": "2026-03-01"}, ("VALIDATION", "endedOn")),
        ("lahore_officer", {"completed": True}, ("VALIDATION", "endedOn")),
        ("lahore_officer", {"programmeId": ("Programme", "sindh")}, ("VALIDATION", "programmeId")),
        ("lahore_officer", {"programmeId": ("Programme", "ended")}, ("VALIDATION", "startedOn")),
        ("lahore_officer", {"caseId": ("Case", "cicl")}, ("VALIDATION", "caseId")),
        ("lahore_officer", {"childId": ("Household", "lahore")}, ("VALIDATION", "childId")),
        ("lahore_officer", {"idempotencyKey": "short"}, ("VALIDATION", "idempotencyKey")),
    ],
)
async def test_recording_an_intervention_is_refused_with_a_typed_error_and_nothing_is_written(
    programmes: Programmes,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    request = school_input(programmes) | {key: resolve(programmes, value) for key, value in changes.items()}
    before = await snapshot(owner)

    payload = await mutate(graphql, RECORD_INTERVENTION, request, token_of(programmes, tokens, who))

    assert payload["intervention"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


async def test_a_retried_intervention_with_the_same_key_is_recorded_once(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(programmes, tokens, "lahore_officer")
    request = school_input(programmes, idempotencyKey="enrol-lahore-child-2026-04")

    first = await mutate(graphql, RECORD_INTERVENTION, request, token)
    again = await mutate(graphql, RECORD_INTERVENTION, request, token)
    reused = await mutate(graphql, RECORD_INTERVENTION, request | {"type": "LIFE_SKILLS"}, token)

    assert first["errors"] == again["errors"] == []
    assert again["intervention"] == first["intervention"]
    assert await owner.fetchval("SELECT count(*) FROM interventions") == 1
    assert codes(reused) == [("CONFLICT", "idempotencyKey")]


async def recorded_intervention(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> str:
    payload = await mutate(
        graphql, RECORD_INTERVENTION, school_input(programmes), token_of(programmes, tokens, "lahore_officer")
    )
    assert payload["errors"] == []
    return gid("Intervention", await owner.fetchval("SELECT max(id) FROM interventions"))


async def test_an_intervention_ends_once(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(programmes, tokens, "lahore_officer")
    intervention = await recorded_intervention(programmes, tokens, graphql, owner)
    request = {"interventionId": intervention, "endedOn": "2026-07-31", "completed": False}

    ended = await mutate(graphql, END_INTERVENTION, request, token)
    before = await snapshot(owner)
    again = await mutate(graphql, END_INTERVENTION, request | {"completed": True}, token)

    assert ended == {"intervention": {"endedOn": "2026-07-31", "completed": False}, "errors": []}
    assert codes(again) == [("INVALID_TRANSITION", "interventionId")]
    assert await snapshot(owner) == before


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        ("karachi_officer", {}, ("NOT_FOUND", "interventionId")),
        ("police", {}, ("NOT_FOUND", "interventionId")),
        ("lahore_officer", {"endedOn": "2026-03-01"}, ("VALIDATION", "endedOn")),
        ("lahore_officer", {"endedOn": "2027-06-01"}, ("VALIDATION", "endedOn")),
    ],
)
async def test_ending_an_intervention_is_refused_with_a_typed_error_and_nothing_is_changed(
    programmes: Programmes,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    intervention = await recorded_intervention(programmes, tokens, graphql, owner)
    before = await snapshot(owner)

    payload = await mutate(
        graphql,
        END_INTERVENTION,
        {"interventionId": intervention, "endedOn": "2026-07-31", "completed": True} | changes,
        token_of(programmes, tokens, who),
    )

    assert payload["intervention"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


async def test_a_child_mainstreamed_into_school_after_enrolment_is_recorded_under_the_case(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(programmes, tokens, "lahore_worker")
    intervention = await recorded_intervention(programmes, tokens, graphql, owner)
    case_id = gid("Case", programmes.world.cases["lahore"])

    payload = await mutate(
        graphql,
        RECORD_OUTCOME,
        {
            "childId": gid("Child", programmes.world.children["lahore"]),
            "type": "MAINSTREAMED_INTO_FORMAL_SCHOOL",
            "achievedOn": "2026-09-01",
            "interventionId": intervention,
            "caseId": case_id,
        },
        token,
    )

    assert payload == {
        "outcome": {"type": "MAINSTREAMED_INTO_FORMAL_SCHOOL", "achievedOn": "2026-09-01"},
        "errors": [],
    }
    events = (await graphql.data(CASE_EVENTS, {"id": case_id}, token=token))["node"]["events"]
    assert [event["type"] for event in events] == ["OUTCOME_RECORDED", "OPENED"]
    child = await graphql.data(
        "query($id: ID!) { node(id: $id) { ... on Child { outcomes { type } } } }",
        {"id": gid("Child", programmes.world.children["lahore"])},
        token=token,
    )
    assert child["node"]["outcomes"] == [{"type": "MAINSTREAMED_INTO_FORMAL_SCHOOL"}]


@pytest.mark.parametrize(
    ("who", "changes", "expected"),
    [
        ("karachi_officer", {}, ("NOT_FOUND", "childId")),
        ("police", {}, ("NOT_FOUND", "childId")),
        ("lahore_officer", {"childId": ("Child", "karachi")}, ("NOT_FOUND", "childId")),
        ("lahore_officer", {"interventionId": ("Intervention", 999_999)}, ("NOT_FOUND", "interventionId")),
        ("lahore_officer", {"caseId": ("Case", "karachi")}, ("NOT_FOUND", "caseId")),
        ("lahore_officer", {"caseId": ("Case", "cicl")}, ("VALIDATION", "caseId")),
        (
            "lahore_officer",
            {"childId": ("Child", "cicl"), "interventionId": "own"},
            ("VALIDATION", "interventionId"),
        ),
        (
            "lahore_officer",
            {"interventionId": "own", "achievedOn": "2026-03-01"},
            ("VALIDATION", "achievedOn"),
        ),
        ("lahore_officer", {"achievedOn": "2027-06-01"}, ("VALIDATION", "achievedOn")),
        ("lahore_officer", {"idempotencyKey": "short"}, ("VALIDATION", "idempotencyKey")),
    ],
)
async def test_recording_an_outcome_is_refused_with_a_typed_error_and_nothing_is_written(
    programmes: Programmes,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    who: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    intervention = await recorded_intervention(programmes, tokens, graphql, owner)
    resolved = {
        key: intervention if value == "own" else resolve(programmes, value) for key, value in changes.items()
    }
    request = {
        "childId": gid("Child", programmes.world.children["lahore"]),
        "type": "WITHDRAWN_FROM_HAZARDOUS_WORK",
        "achievedOn": "2026-06-01",
    } | resolved
    before = await snapshot(owner)

    payload = await mutate(graphql, RECORD_OUTCOME, request, token_of(programmes, tokens, who))

    assert payload["outcome"] is None
    assert codes(payload) == [expected]
    assert await snapshot(owner) == before


async def test_a_retried_outcome_with_the_same_key_is_recorded_once(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = token_of(programmes, tokens, "lahore_officer")
    request = {
        "childId": gid("Child", programmes.world.children["lahore"]),
        "type": "WITHDRAWN_FROM_HAZARDOUS_WORK",
        "achievedOn": "2026-06-01",
        "idempotencyKey": "withdrawn-lahore-child-2026-06",
    }

    first = await mutate(graphql, RECORD_OUTCOME, request, token)
    again = await mutate(graphql, RECORD_OUTCOME, request, token)

    assert (
        first
        == again
        == {
            "outcome": {"type": "WITHDRAWN_FROM_HAZARDOUS_WORK", "achievedOn": "2026-06-01"},
            "errors": [],
        }
    )
    assert await owner.fetchval("SELECT count(*) FROM outcomes") == 1


async def test_without_a_token_recording_an_outcome_is_refused(
    programmes: Programmes, graphql: GraphQLClient
) -> None:
    payload = await mutate(
        graphql,
        RECORD_OUTCOME,
        {
            "childId": gid("Child", programmes.world.children["lahore"]),
            "type": "FOUND",
            "achievedOn": "2026-06-01",
        },
        None,
    )
    assert codes(payload) == [("UNAUTHENTICATED", None)]


async def test_the_recorded_intervention_has_an_id_to_end_it_by_found_only_inside_scope(
    programmes: Programmes, tokens: TokenService, graphql: GraphQLClient
) -> None:
    worker = token_of(programmes, tokens, "lahore_worker")
    recorded = await graphql.data(
        """mutation($input: RecordInterventionInput!) { recordIntervention(input: $input) {
           intervention { id } errors { code } } }""",
        {"input": school_input(programmes)},
        token=worker,
    )
    intervention_id = recorded["recordIntervention"]["intervention"]["id"]
    lookup = """query($id: ID!) { node(id: $id) { ... on Intervention { type } } }"""
    for who, expected in (
        ("lahore_officer", {"type": "FORMAL_SCHOOL_ENROLMENT"}),
        ("karachi_officer", None),
        ("analyst", None),
    ):
        found = await graphql.data(lookup, {"id": intervention_id}, token=token_of(programmes, tokens, who))
        assert found["node"] == expected, who
    ended = await mutate(
        graphql,
        END_INTERVENTION,
        {"interventionId": intervention_id, "endedOn": "2026-05-01", "completed": True},
        worker,
    )
    assert ended == {"intervention": {"endedOn": "2026-05-01", "completed": True}, "errors": []}
