"""Referrals through GraphQL with real tokens: the case's side refers, the receiving side answers; staff of
a receiving institution in another district see the referral but never the case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, codes, user_token
from tests.factories import World, make_case, make_institution, make_organisation, make_user, make_world

REFER = """mutation($input: ReferCaseInput!) { referCase(input: $input) {
  referral { id status version service reason toInstitution { id } case { id } }
  errors { code field message } } }"""
RESPOND = """mutation($input: RespondToReferralInput!) { respondToReferral(input: $input) {
  referral { id status version outcome case { id } } errors { code field message } } }"""
REFERRAL = """query($id: ID!) { node(id: $id) { ... on Referral { id status reason case { id } } } }"""


@dataclass
class Places:
    world: World
    org: int
    lahore_shelter: int
    multan_centre: int
    karachi_shelter: int


@pytest.fixture
async def places(owner: asyncpg.Connection[Any]) -> Places:
    world = await make_world(owner)
    org = await make_organisation(owner, world.tree.punjab)
    ministry = await owner.fetchval(
        "SELECT organisation_id FROM users WHERE id = $1", world.users["lahore_officer"]
    )
    world.users["multan_officer"] = await make_user(
        owner, "DISTRICT_OFFICER", world.tree.multan, organisation_id=ministry
    )
    return Places(
        world,
        org,
        await make_institution(owner, world.tree.lahore, type="SHELTER", organisation_id=org),
        await make_institution(owner, world.tree.multan, type="DROP_IN_CENTRE", organisation_id=org),
        await make_institution(owner, world.tree.karachi, type="SHELTER", organisation_id=org),
    )


def token(tokens: TokenService, places: Places, who: str) -> str:
    return user_token(tokens, places.world.users[who])


def case_id(places: Places, key: str = "lahore") -> str:
    return to_base64("Case", places.world.cases[key])


async def refer(
    graphql: GraphQLClient, tok: str, case: str, institution: int | None, **extra: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "caseId": case,
        "service": "PSYCHOSOCIAL_SUPPORT",
        "toInstitution": to_base64("Institution", institution) if institution else None,
        "reason": "needs counselling after rescue",
    }
    payload: dict[str, Any] = (await graphql.data(REFER, {"input": values | extra}, token=tok))["referCase"]
    return payload


async def respond(
    graphql: GraphQLClient,
    tok: str,
    referral: str,
    response: str,
    *,
    version: int = 1,
    outcome: str | None = None,
) -> dict[str, Any]:
    values = {"referralId": referral, "version": version, "response": response, "outcome": outcome}
    payload: dict[str, Any] = (await graphql.data(RESPOND, {"input": values}, token=tok))["respondToReferral"]
    return payload


async def referral_rows(
    owner: asyncpg.Connection[Any], places: Places, key: str = "lahore"
) -> list[dict[str, Any]]:
    rows = await owner.fetch(
        "SELECT id, status::text, version, outcome FROM referrals WHERE case_id = $1 ORDER BY id",
        places.world.cases[key],
    )
    return [dict(row) for row in rows]


async def event_types(owner: asyncpg.Connection[Any], places: Places, key: str = "lahore") -> list[str]:
    rows = await owner.fetch(
        "SELECT type::text FROM case_events WHERE case_id = $1 ORDER BY id", places.world.cases[key]
    )
    return [row["type"] for row in rows]


async def test_a_referral_is_made_accepted_and_completed_with_each_step_in_the_history(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token(tokens, places, "lahore_officer")

    made = await refer(graphql, officer, case_id(places), places.lahore_shelter)
    referral = made["referral"]["id"]
    accepted = await respond(graphql, officer, referral, "ACCEPT")
    completed = await respond(
        graphql, officer, referral, "COMPLETE", version=2, outcome="eight sessions held"
    )

    assert made["errors"] == []
    assert made["referral"]["status"] == "PENDING"
    assert made["referral"]["reason"] == "needs counselling after rescue"
    assert made["referral"]["toInstitution"] == {"id": to_base64("Institution", places.lahore_shelter)}
    assert made["referral"]["case"] == {"id": case_id(places)}
    assert accepted["errors"] == []
    assert (accepted["referral"]["status"], accepted["referral"]["version"]) == ("ACCEPTED", 2)
    assert completed["errors"] == []
    assert completed["referral"]["status"] == "COMPLETED"
    assert completed["referral"]["outcome"] == "eight sessions held"
    assert await event_types(owner, places) == [
        "OPENED",
        "REFERRAL_MADE",
        "REFERRAL_RESPONDED",
        "REFERRAL_RESPONDED",
    ]


async def test_retrying_a_referral_with_the_same_idempotency_key_returns_the_same_referral(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token(tokens, places, "lahore_officer")

    first = await refer(
        graphql, officer, case_id(places), places.lahore_shelter, idempotencyKey="referral-0001"
    )
    retry = await refer(
        graphql, officer, case_id(places), places.lahore_shelter, idempotencyKey="referral-0001"
    )
    misuse = await refer(
        graphql,
        officer,
        case_id(places),
        places.lahore_shelter,
        service="LEGAL_AID",
        idempotencyKey="referral-0001",
    )

    assert first["errors"] == []
    assert retry["errors"] == []
    assert retry["referral"]["id"] == first["referral"]["id"]
    assert codes(misuse) == [("CONFLICT", "idempotencyKey")]
    assert len(await referral_rows(owner, places)) == 1
    assert (await event_types(owner, places)).count("REFERRAL_MADE") == 1


async def test_a_case_outside_scope_is_not_found_and_nothing_is_referred(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    for who in ("karachi_officer", "multan_officer", "other_worker", "police", "analyst"):
        refused = await refer(graphql, token(tokens, places, who), case_id(places), places.lahore_shelter)
        assert codes(refused) == [("NOT_FOUND", "caseId")], who

    assert await referral_rows(owner, places) == []
    assert await event_types(owner, places) == ["OPENED"]


@pytest.mark.parametrize(
    ("institution", "extra", "expected"),
    [
        ("karachi_shelter", {}, [("NOT_FOUND", "toInstitution")]),  # not the district's to see
        (None, {}, [("VALIDATION", "toInstitution")]),
        ("lahore_shelter", {"reason": " "}, [("VALIDATION", "reason")]),
        (
            "lahore_shelter",
            {"toOrganisation": to_base64("Organisation", 999999)},
            [("NOT_FOUND", "toOrganisation")],
        ),
    ],
)
async def test_a_referral_that_cannot_be_made_is_refused_with_its_code_and_changes_nothing(
    places: Places,
    tokens: TokenService,
    graphql: GraphQLClient,
    owner: asyncpg.Connection[Any],
    institution: str | None,
    extra: dict[str, Any],
    expected: list[tuple[str, str | None]],
) -> None:
    target = getattr(places, institution) if institution else None

    refused = await refer(graphql, token(tokens, places, "lahore_officer"), case_id(places), target, **extra)

    assert codes(refused) == expected
    assert refused["referral"] is None
    assert await referral_rows(owner, places) == []


async def test_an_open_referral_for_the_same_service_there_conflicts(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token(tokens, places, "lahore_officer")
    await refer(graphql, officer, case_id(places), places.lahore_shelter)

    twice = await refer(graphql, officer, case_id(places), places.lahore_shelter)
    other_service = await refer(graphql, officer, case_id(places), places.lahore_shelter, service="LEGAL_AID")

    assert codes(twice) == [("CONFLICT", "service")]
    assert other_service["errors"] == []
    assert len(await referral_rows(owner, places)) == 2


async def test_a_closed_case_is_not_referred(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    closed = await make_case(owner, places.world.children["lahore"], places.world.tree.lahore, stage="CLOSED")

    refused = await refer(
        graphql, token(tokens, places, "lahore_officer"), to_base64("Case", closed), places.lahore_shelter
    )

    assert codes(refused) == [("INVALID_TRANSITION", "caseId")]
    assert await owner.fetchval("SELECT count(*) FROM referrals") == 0


async def test_withdrawn_consent_to_data_sharing_stops_referrals(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    given = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    await owner.execute(
        "INSERT INTO consents (child_id, purpose, given_by, given_at, withdrawn_at)"
        " VALUES ($1, 'DATA_SHARING', 'CHILD_ASSENT', $2, $3)",
        places.world.children["lahore"],
        given,
        given + dt.timedelta(days=3),
    )

    refused = await refer(
        graphql, token(tokens, places, "lahore_officer"), case_id(places), places.lahore_shelter
    )

    assert codes(refused) == [("CONSENT_REQUIRED", "caseId")]
    assert await referral_rows(owner, places) == []


async def test_a_child_whose_consents_one_cannot_see_is_not_referred(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    """The case is in Lahore, the child lives in Karachi: row security hides the child's consents from the
    Lahore officer, so a withdrawal could not be seen. What cannot be checked is refused."""
    tree = places.world.tree
    case = await make_case(owner, places.world.children["karachi"], tree.lahore_community)

    refused = await refer(
        graphql, token(tokens, places, "lahore_officer"), to_base64("Case", case), places.lahore_shelter
    )

    assert codes(refused) == [("CONSENT_REQUIRED", "caseId")]
    assert await owner.fetchval("SELECT count(*) FROM referrals WHERE case_id = $1", case) == 0


async def test_answers_follow_the_workflow_and_the_version(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = token(tokens, places, "lahore_officer")
    referral = (await refer(graphql, officer, case_id(places), places.lahore_shelter))["referral"]["id"]

    complete_pending = await respond(graphql, officer, referral, "COMPLETE", outcome="done")
    decline_without_reason = await respond(graphql, officer, referral, "DECLINE")
    stale = await respond(graphql, officer, referral, "ACCEPT", version=4)
    declined = await respond(graphql, officer, referral, "DECLINE", outcome="no places left")
    after_decline = await respond(graphql, officer, referral, "ACCEPT", version=2)

    assert codes(complete_pending) == [("INVALID_TRANSITION", "response")]
    assert codes(decline_without_reason) == [("VALIDATION", "outcome")]
    assert codes(stale) == [("CONFLICT", "version")]
    assert declined["errors"] == []
    assert codes(after_decline) == [("INVALID_TRANSITION", "response")]
    rows = await referral_rows(owner, places)
    assert [(r["status"], r["version"], r["outcome"]) for r in rows] == [("DECLINED", 2, "no places left")]


async def test_a_referral_outside_scope_is_not_found_and_not_answered(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    referral = (
        await refer(graphql, token(tokens, places, "lahore_officer"), case_id(places), places.lahore_shelter)
    )["referral"]["id"]

    for who in ("karachi_officer", "multan_officer", "other_worker"):
        tok = token(tokens, places, who)
        refused = await respond(graphql, tok, referral, "ACCEPT")
        assert codes(refused) == [("NOT_FOUND", "referralId")], who
        assert (await graphql.data(REFERRAL, {"id": referral}, token=tok))["node"] is None

    assert [(r["status"], r["version"]) for r in await referral_rows(owner, places)] == [("PENDING", 1)]
    assert await event_types(owner, places) == ["OPENED", "REFERRAL_MADE"]


async def test_staff_of_a_receiving_institution_in_another_district_see_and_answer_the_referral_not_the_case(
    places: Places, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    # A provincial manager sees both districts' institutions and refers a Lahore case to Multan.
    manager = token(tokens, places, "punjab_manager")
    multan = token(tokens, places, "multan_officer")
    referral = (await refer(graphql, manager, case_id(places), places.multan_centre))["referral"]["id"]

    seen = (await graphql.data(REFERRAL, {"id": referral}, token=multan))["node"]
    accepted = await respond(graphql, multan, referral, "ACCEPT", outcome="place kept from Monday")
    by_karachi = await respond(
        graphql, token(tokens, places, "karachi_officer"), referral, "COMPLETE", version=2, outcome="x"
    )

    assert seen == {
        "id": referral,
        "status": "PENDING",
        "reason": "needs counselling after rescue",
        "case": None,
    }
    assert accepted["errors"] == []
    assert accepted["referral"]["status"] == "ACCEPTED"
    assert accepted["referral"]["case"] is None
    assert (
        await graphql.data("query($id: ID!) { node(id: $id) { id } }", {"id": case_id(places)}, token=multan)
    )["node"] is None
    assert codes(by_karachi) == [("NOT_FOUND", "referralId")]
    assert await event_types(owner, places) == ["OPENED", "REFERRAL_MADE", "REFERRAL_RESPONDED"]
    actor = await owner.fetchval(
        "SELECT actor_user_id FROM case_events WHERE case_id = $1 AND type = 'REFERRAL_RESPONDED'",
        places.world.cases["lahore"],
    )
    assert actor == places.world.users["multan_officer"]
