"""The receiving side finds what waits for its answer: root lists of transfers and referrals, each
side seeing its own, nobody else anything."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from strawberry.relay import to_base64

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, user_token
from tests.factories import World, make_institution, make_organisation, make_user, make_world

TRANSFERS = (
    """query($filter: TransferFilter) { transfers(filter: $filter) { totalCount edges { node { id } } } }"""
)
REFERRALS = (
    """query($filter: ReferralFilter) { referrals(filter: $filter) { totalCount edges { node { id } } } }"""
)


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    return await make_world(owner)


async def test_each_side_lists_the_transfers_and_referrals_addressed_to_it(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    org = await make_organisation(owner, world.tree.punjab)
    multan_centre = await make_institution(
        owner, world.tree.multan, type="DROP_IN_CENTRE", organisation_id=org
    )
    multan_officer = await make_user(owner, "DISTRICT_OFFICER", world.tree.multan, organisation_id=org)
    case_id = world.cases["lahore"]
    transfer = await owner.fetchval(
        "INSERT INTO transfers (case_id, from_jurisdiction_id, from_path, to_jurisdiction_id, to_path, status,"
        " reason, requested_at) VALUES ($1, $2, $3, $4, $5, 'REQUESTED', 'Family moved', now()) RETURNING id",
        case_id,
        world.tree.lahore_community.id,
        world.tree.lahore_community.path,
        world.tree.multan.id,
        world.tree.multan.path,
    )
    referral = await owner.fetchval(
        "INSERT INTO referrals (case_id, service, to_institution_id, status, reason, requested_at)"
        " VALUES ($1, 'NON_FORMAL_EDUCATION', $2, 'PENDING', 'Learning centre near the new home', now())"
        " RETURNING id",
        case_id,
        multan_centre,
    )
    transfer_id, referral_id = to_base64("Transfer", transfer), to_base64("Referral", referral)

    async def listed(query: str, who: int, flt: dict[str, Any] | None = None) -> set[str]:
        data = await graphql.data(query, {"filter": flt}, token=user_token(tokens, who))
        found = next(iter(data.values()))
        assert found["totalCount"] == len(found["edges"])
        return {edge["node"]["id"] for edge in found["edges"]}

    lahore, karachi = world.users["lahore_officer"], world.users["karachi_officer"]
    waiting = {"incoming": True, "statuses": ["REQUESTED"]}
    assert await listed(TRANSFERS, multan_officer, waiting) == {transfer_id}
    assert await listed(TRANSFERS, multan_officer, {"outgoing": True}) == set()
    assert await listed(TRANSFERS, lahore, {"outgoing": True}) == {transfer_id}
    assert await listed(TRANSFERS, lahore, waiting) == set()
    assert await listed(TRANSFERS, lahore, {"statuses": ["ACCEPTED"]}) == set()
    assert await listed(TRANSFERS, world.users["lahore_worker"]) == {transfer_id}  # their own case's
    for outsider in (karachi, world.users["other_worker"], world.users["analyst"], world.users["police"]):
        assert await listed(TRANSFERS, outsider) == set()

    pending = {"incoming": True, "statuses": ["PENDING"]}
    assert await listed(REFERRALS, multan_officer, pending) == {referral_id}
    centre = to_base64("Institution", multan_centre)
    assert await listed(REFERRALS, multan_officer, {"toInstitution": centre}) == {referral_id}
    assert await listed(REFERRALS, lahore) == {referral_id}
    assert await listed(REFERRALS, lahore, pending) == set()
    for outsider in (karachi, world.users["other_worker"], world.users["analyst"]):
        assert await listed(REFERRALS, outsider) == set()
    # The Multan side sees the referral, not the case behind it.
    behind = await graphql.data(
        """query($id: ID!) { node(id: $id) { ... on Referral { status case { id } } } }""",
        {"id": referral_id},
        token=user_token(tokens, multan_officer),
    )
    assert behind["node"] == {"status": "PENDING", "case": None}
