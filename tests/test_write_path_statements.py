"""The hot mutations (registerChild, openCase, transitionCase) write their rows in a few statements, out of
the ORM's unit of work: what they write, the history they keep and the audit row that names every row by id
are as before, and the number of statements each sends is pinned."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import asyncpg
import pytest
from strawberry.relay import from_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, StatementLog, gid, mutate, user_token
from tests.factories import World, make_world

REGISTER = """mutation($input: RegisterChildInput!) { registerChild(input: $input) {
  child { id } errors { code field } } }"""
OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  case { id caseNumber version stage } errors { code field } } }"""
TRANSITION = """mutation($input: TransitionCaseInput!) { transitionCase(input: $input) {
  case { id version stage riskLevel } errors { code field } } }"""


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def signed_in(graphql: GraphQLClient, tokens: TokenService, user_id: int) -> str:
    """A token the app has seen once: its principal is known, and scoping costs no statement of its own."""
    token = user_token(tokens, user_id)
    await graphql.data("{ __typename }", token=token)
    return token


async def last_audit(owner: asyncpg.Connection[Any], action: str) -> list[dict[str, Any]]:
    """The records of the newest audit row of ``action``."""
    records = await owner.fetchval(
        "SELECT records FROM audit_events WHERE action = $1 ORDER BY id DESC LIMIT 1", action
    )
    found: list[dict[str, Any]] = json.loads(records) if isinstance(records, str) else records
    return found


async def last_audit_records(owner: asyncpg.Connection[Any], action: str) -> list[tuple[str, int, str]]:
    return [(record["type"], record["id"], record["op"]) for record in await last_audit(owner, action)]


def database_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def test_registering_a_child_writes_identity_guardians_and_consents_in_order_and_audits_each_by_id(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    statements: StatementLog,
) -> None:
    token = await signed_in(graphql, tokens, world.users["lahore_officer"])
    statements.clear()
    payload = await mutate(
        graphql,
        REGISTER,
        {
            "jurisdictionCode": "PK-PB-LAHORE-UC1",
            "sex": "FEMALE",
            "fullName": "Zainab Noor",
            "birthYear": dt.date.today().year - 13,
            "guardians": [
                {"fullName": "Rukhsana Noor", "relationship": "MOTHER", "consents": ["REGISTRATION"]},
                {
                    "fullName": "Imran Noor",
                    "relationship": "FATHER",
                    "isPrimary": True,
                    "consents": ["REGISTRATION", "DATA_SHARING"],
                },
            ],
            "childAssents": ["REGISTRATION"],
            "confirmNotDuplicate": True,
        },
        token,
    )
    assert payload["errors"] == []
    # Authentication and scope, the jurisdiction, the child, its identity with guardians and consents, the
    # audit row; after the commit the scope again and the payload.
    assert len(statements) == 7, statements.statements
    child_id = database_id(payload["child"]["id"])

    guardians = await owner.fetch(
        "SELECT id, full_name, is_primary FROM guardians WHERE child_id = $1 ORDER BY id", child_id
    )
    assert [(g["full_name"], g["is_primary"]) for g in guardians] == [
        ("Rukhsana Noor", False),
        ("Imran Noor", True),
    ]
    mother, father = (g["id"] for g in guardians)
    consents = await owner.fetch(
        "SELECT id, purpose, given_by, guardian_id, recorded_by_id FROM consents WHERE child_id = $1"
        " ORDER BY id",
        child_id,
    )
    assert [(c["purpose"], c["given_by"], c["guardian_id"]) for c in consents] == [
        ("REGISTRATION", "GUARDIAN", mother),
        ("REGISTRATION", "GUARDIAN", father),
        ("DATA_SHARING", "GUARDIAN", father),
        ("REGISTRATION", "CHILD_ASSENT", None),
    ]
    assert {c["recorded_by_id"] for c in consents} == {world.users["lahore_officer"]}
    identity = await owner.fetchrow(
        "SELECT full_name, date_of_birth_estimated FROM child_identities WHERE child_id = $1", child_id
    )
    assert identity is not None
    assert (identity["full_name"], identity["date_of_birth_estimated"]) == ("Zainab Noor", True)

    assert await last_audit_records(owner, "registerChild") == [
        ("children", child_id, "insert"),
        ("child_identities", child_id, "insert"),
        ("guardians", mother, "insert"),
        ("guardians", father, "insert"),
        *(("consents", c["id"], "insert") for c in consents),
    ]


async def test_opening_a_case_numbers_it_by_province_year_and_id_and_audits_its_rows_by_id(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    statements: StatementLog,
) -> None:
    token = await signed_in(graphql, tokens, world.users["lahore_officer"])
    statements.clear()
    payload = await mutate(
        graphql,
        OPEN,
        {
            "childId": gid("Child", world.children["lahore"]),
            "kind": "CHILD_AT_RISK",
            "riskLevel": "MEDIUM",
            "assignedTo": gid("User", world.users["lahore_worker"]),
            "note": "Referred by the school.",
        },
        token,
    )
    assert payload["errors"] == []
    # Authentication and scope, the child, the assignee and their roles, the case, its events, the audit row;
    # after the commit the scope again and the payload.
    assert len(statements) == 9, statements.statements
    case_id = database_id(payload["case"]["id"])
    assert payload["case"]["caseNumber"] == f"PB-{dt.date.today().year}-{case_id:08d}"
    assert (payload["case"]["version"], payload["case"]["stage"]) == (1, "REGISTERED")

    events = await owner.fetch(
        "SELECT id, type, to_stage, data, note, actor_user_id FROM case_events WHERE case_id = $1 ORDER BY id",
        case_id,
    )
    assert [(e["type"], e["to_stage"], e["note"]) for e in events] == [
        ("OPENED", "REGISTERED", "Referred by the school."),
        ("ASSIGNED", None, None),
    ]
    assert json.loads(events[1]["data"]) == {"userId": world.users["lahore_worker"]}
    assert {e["actor_user_id"] for e in events} == {world.users["lahore_officer"]}
    assert await last_audit_records(owner, "openCase") == [
        ("cases", case_id, "insert"),
        *(("case_events", e["id"], "insert") for e in events),
    ]


async def test_closing_with_a_new_risk_records_the_risk_then_the_stage_and_audits_the_fields_changed(
    world: World,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    statements: StatementLog,
) -> None:
    token = await signed_in(graphql, tokens, world.users["lahore_officer"])
    case_id = world.cases["lahore"]
    statements.clear()
    payload = await mutate(
        graphql,
        TRANSITION,
        {
            "caseId": gid("Case", case_id),
            "version": 1,
            "toStage": "CLOSED",
            "reason": "The family moved to Multan.",
            "riskLevel": "LOW",
        },
        token,
    )
    assert payload["errors"] == []
    # Authentication and scope, the case locked, its open transfer (none), the change with its events, the
    # audit row; after the commit the scope again and the payload.
    assert len(statements) == 7, statements.statements
    assert payload["case"] == {
        "id": gid("Case", case_id),
        "version": 2,
        "stage": "CLOSED",
        "riskLevel": "LOW",
    }
    case = await owner.fetchrow("SELECT closed_at, closure_reason FROM cases WHERE id = $1", case_id)
    assert case is not None
    assert case["closed_at"] is not None
    assert case["closure_reason"] == "The family moved to Multan."
    events = await owner.fetch(
        "SELECT id, type, from_stage, to_stage, data, note FROM case_events WHERE case_id = $1"
        " AND type IN ('RISK_CHANGED', 'STAGE_CHANGED') ORDER BY id",
        case_id,
    )
    assert [(e["type"], e["from_stage"], e["to_stage"]) for e in events] == [
        ("RISK_CHANGED", None, None),
        ("STAGE_CHANGED", "REGISTERED", "CLOSED"),
    ]
    assert json.loads(events[0]["data"]) == {"from": "MEDIUM", "to": "LOW"}
    assert json.loads(events[1]["data"]) == {"approvedBy": world.users["lahore_officer"]}
    assert events[1]["note"] == "The family moved to Multan."
    assert await last_audit(owner, "transitionCase") == [
        {
            "type": "cases",
            "id": case_id,
            "op": "update",
            "fields": ["closed_at", "closure_reason", "risk_level", "stage", "updated_at", "version"],
        },
        *({"type": "case_events", "id": e["id"], "op": "insert"} for e in events),
    ]

    reopened = await mutate(
        graphql, TRANSITION, {"caseId": gid("Case", case_id), "version": 2, "toStage": "REOPENED"}, token
    )
    assert reopened["errors"] == []
    assert (reopened["case"]["version"], reopened["case"]["stage"]) == (3, "REOPENED")
    case = await owner.fetchrow("SELECT closed_at, closure_reason FROM cases WHERE id = $1", case_id)
    assert case is not None
    assert (case["closed_at"], case["closure_reason"]) == (None, None)
    [fields] = [r["fields"] for r in await last_audit(owner, "transitionCase") if r["type"] == "cases"]
    assert fields == ["closed_at", "closure_reason", "stage", "updated_at", "version"]


async def test_a_stale_version_changes_nothing_and_leaves_no_event(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    case_id = world.cases["lahore"]
    before = await owner.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", case_id)
    payload = await mutate(
        graphql, TRANSITION, {"caseId": gid("Case", case_id), "version": 7, "toStage": "ASSESSED"}, token
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", "version")]
    assert payload["case"] is None
    assert await owner.fetchval("SELECT version FROM cases WHERE id = $1", case_id) == 1
    assert await owner.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", case_id) == before
