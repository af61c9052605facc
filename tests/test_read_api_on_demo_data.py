"""The read API over the demo data: nested relations come back complete, as the database has them, for an
officer inside the district, and not at all for one outside."""

from __future__ import annotations

from typing import Any

import asyncpg

from registry.auth.tokens import TokenService
from registry.db.seed.demo import seed_demo
from registry.identity_numbers import load_vault
from tests.conftest import GraphQLClient, make_settings, user_token

QUERY = """query($code: String!) { cases(first: 100, filter: {withinCode: $code}) { edges { node {
  caseNumber referrals { status service } transfers { status fromJurisdiction { code } toJurisdiction { code } }
  child { consents { purpose } interventions { type } outcomes { type } } } } } }"""


async def test_nested_relations_match_the_database(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    await seed_demo(owner, identity_numbers=load_vault(make_settings().keys_dir), scale=0.002, seed=7)
    district = await owner.fetchrow(
        "SELECT j.code, j.id FROM cases c JOIN jurisdictions d ON c.path <@ d.path AND d.level = 'DISTRICT'"
        " JOIN jurisdictions j ON j.id = d.id GROUP BY j.code, j.id ORDER BY count(*) DESC LIMIT 1"
    )
    assert district is not None
    officer = await owner.fetchval(
        "SELECT user_id FROM role_assignments WHERE role = 'DISTRICT_OFFICER' AND jurisdiction_id = $1",
        district["id"],
    )
    stranger = await owner.fetchval(
        "SELECT user_id FROM role_assignments WHERE role = 'DISTRICT_OFFICER' AND jurisdiction_id <> $1 LIMIT 1",
        district["id"],
    )

    data = await graphql.data(QUERY, {"code": district["code"]}, token=user_token(tokens, officer))
    hidden = await graphql.data(QUERY, {"code": district["code"]}, token=user_token(tokens, stranger))

    nodes = [edge["node"] for edge in data["cases"]["edges"]]
    assert nodes, "the busiest district has cases"
    numbers = [node["caseNumber"] for node in nodes]
    expected = await owner.fetchrow(
        """SELECT
             (SELECT count(*) FROM referrals r JOIN cases c ON c.id = r.case_id WHERE c.case_number = ANY($1)),
             (SELECT count(*) FROM consents k JOIN cases c ON c.child_id = k.child_id WHERE c.case_number = ANY($1)),
             (SELECT count(*) FROM outcomes o JOIN cases c ON c.child_id = o.child_id WHERE c.case_number = ANY($1))""",
        numbers,
    )
    assert expected is not None
    assert sum(len(node["referrals"]) for node in nodes) == expected[0]
    assert sum(len(node["child"]["consents"]) for node in nodes) == expected[1]
    assert sum(len(node["child"]["outcomes"]) for node in nodes) == expected[2]
    assert hidden["cases"]["edges"] == []
