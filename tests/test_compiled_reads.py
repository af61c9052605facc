"""The compiled read path answers exactly as the resolvers do: the same data, the same errors, the same audit
rows, for random queries over the operations it compiles, random arguments and principals inside and
outside the records' scope, on the demo data. The resolvers are the reference (an app with
``compiled_reads`` off); each query is sent to both apps and the answers compared."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL

from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.db.seed.demo import seed_demo
from registry.db.server import app_url_for
from registry.identity_numbers import load_vault
from registry.observability.metrics import REGISTRY
from registry.schema.relay import encode_cursor
from tests.conftest import StatementLog, bearer, gid, make_settings, user_token
from tests.factories import JurisdictionRow, make_api_client

CASE_LEAVES = [
    "id",
    "caseNumber",
    "kind",
    "stage",
    "riskLevel",
    "version",
    "openedAt",
    "closedAt",
    "__typename",
]
CHILD_LEAVES = ["id", "sex", "registeredOn", "version", "ageBand", "fullName", "dateOfBirth", "__typename"]
INSTITUTION_LEAVES = ["id", "code", "name", "type", "capacity", "active", "version", "__typename"]
EVENT_LEAVES = ["type", "occurredAt", "fromStage", "toStage", "__typename"]
PAGE_INFO = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
STAGES = ["REGISTERED", "ASSESSED", "PLANNED", "IN_SERVICE", "CLOSED", "REOPENED"]
KINDS = ["CHILD_LABOUR", "CHILD_IN_CONFLICT_WITH_LAW", "MISSING", "ABUSE", "AT_RISK"]

Q1 = """query Q1($code: String!) { cases(first: 50, filter: {withinCode: $code, open: true}) {
  edges { node { id caseNumber stage riskLevel openedAt child { sex ageBand fullName }
                 institution { name type } } } } }"""
Q2 = """query Q2($id: ID!) { node(id: $id) { ... on Case { caseNumber stage
  events(last: 20) { type occurredAt } } } }"""


@dataclass
class Demo:
    district: str
    province: str
    other_district: str
    case_ids: list[int]
    tokens: dict[str, str | None]


@pytest.fixture
async def demo(owner: asyncpg.Connection[Any], tokens: TokenService) -> Demo:
    await seed_demo(owner, identity_numbers=load_vault(make_settings().keys_dir), scale=0.003, seed=11)
    busiest = await owner.fetchrow(
        """SELECT d.id, d.code, p.code AS province FROM cases c
           JOIN jurisdictions d ON c.path <@ d.path AND d.level = 'DISTRICT'
           JOIN jurisdictions p ON p.id = d.parent_id
           GROUP BY d.id, d.code, p.code ORDER BY count(*) DESC LIMIT 1"""
    )
    assert busiest is not None
    users = {
        row["role"] + ("" if row["inside"] else ":outside"): row["user_id"]
        for row in await owner.fetch(
            """SELECT DISTINCT ON (a.role, a.jurisdiction_id = $1 OR j.id = (SELECT parent_id FROM
                 jurisdictions WHERE id = $1)) a.role, a.user_id,
                 (a.jurisdiction_id = $1 OR j.id = (SELECT parent_id FROM jurisdictions WHERE id = $1)) AS inside
               FROM role_assignments a JOIN jurisdictions j ON j.id = a.jurisdiction_id
               ORDER BY a.role, a.jurisdiction_id = $1 OR j.id = (SELECT parent_id FROM jurisdictions
                 WHERE id = $1), a.user_id""",
            busiest["id"],
        )
    }
    # A caseworker of the district with an assigned case of a child in conflict with the law, if any.
    worker = await owner.fetchval(
        """SELECT c.assigned_to_id FROM cases c JOIN role_assignments a ON a.user_id = c.assigned_to_id
           WHERE a.role = 'CASE_WORKER' AND c.path <@ (SELECT path FROM jurisdictions WHERE id = $1)
           ORDER BY (c.kind = 'CHILD_IN_CONFLICT_WITH_LAW') DESC, c.id LIMIT 1""",
        busiest["id"],
    )
    other = await owner.fetchval(
        "SELECT code FROM jurisdictions WHERE level = 'DISTRICT' AND id <> $1 ORDER BY code LIMIT 1",
        busiest["id"],
    )
    case_ids = [r["id"] for r in await owner.fetch("SELECT id FROM cases ORDER BY id")]
    principals: dict[str, str | None] = {"anonymous": None}
    for label, user_id in users.items():
        principals[label] = user_token(tokens, user_id)
    if worker is not None:
        principals["worker"] = user_token(tokens, worker)
    # An API client of the district (it never sees restricted identities, nor children whose consent to
    # data sharing is withdrawn: some are, here).
    district = await owner.fetchrow(
        "SELECT id, code, path::text, level::text FROM jurisdictions WHERE id = $1", busiest["id"]
    )
    assert district is not None
    officer = users["DISTRICT_OFFICER"]
    organisation = await owner.fetchval("SELECT organisation_id FROM users WHERE id = $1", officer)
    scopes = ["cases:read", "children:read", "pii:read", "jurisdictions:read"]
    client_db_id, client_id = await make_api_client(
        owner,
        JurisdictionRow(district[0], district[1], district[2], district[3]),
        organisation_id=organisation,
        created_by=officer,
        scopes=scopes,
    )
    principals["client"], _ = tokens.issue(
        PrincipalKind.CLIENT, client_db_id, client_id=client_id, scope=" ".join(scopes)
    )
    await owner.execute(
        """INSERT INTO consents (child_id, purpose, given_by, given_at, withdrawn_at)
           SELECT c.child_id, 'DATA_SHARING', 'CHILD_ASSENT', now() - interval '1 year', now()
           FROM cases c WHERE c.path <@ $1::ltree ORDER BY c.id DESC LIMIT 7""",
        district["path"],
    )
    return Demo(busiest["code"], busiest["province"], other, case_ids, principals)


@pytest.fixture
async def reference(database: URL, statements: StatementLog) -> AsyncIterator[httpx.AsyncClient]:
    """The same API with every query run by the resolvers."""
    from registry.app import create_app

    settings = make_settings(compiled_reads=False)
    application: FastAPI = create_app(settings, app_url_for(database, settings))
    # Both apps verify the same tokens: the test's keys directory is shared.
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            yield http


def compiled_count(path: str = "compiled") -> float:
    return REGISTRY.get_sample_value("registry_compiled_reads_total", {"path": path}) or 0.0


def _normalised(body: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(
        (
            [str(p) for p in error.get("path") or []],
            error["message"],
            (error.get("extensions") or {}).get("code"),
            [(loc["line"], loc["column"]) for loc in error.get("locations") or []],
        )
        for error in body.get("errors") or []
    )
    return {"data": body.get("data"), "errors": errors}


async def _audit_rows(owner: asyncpg.Connection[Any], after: int) -> list[tuple[str, list[str], list[int]]]:
    """The audit rows written since ``after``: action, records (in any order) and children."""
    rows = await owner.fetch(
        """SELECT action, array(SELECT r::text FROM jsonb_array_elements(records) r ORDER BY 1) AS records,
                  child_ids FROM audit_events WHERE id > $1 ORDER BY id""",
        after,
    )
    return [(row["action"], list(row["records"]), sorted(row["child_ids"])) for row in rows]


async def _last_audit_id(owner: asyncpg.Connection[Any]) -> int:
    return int(await owner.fetchval("SELECT coalesce(max(id), 0) FROM audit_events"))


async def both_ways(
    client: httpx.AsyncClient,
    reference: httpx.AsyncClient,
    owner: asyncpg.Connection[Any],
    query: str,
    variables: dict[str, Any],
    token: str | None,
) -> tuple[dict[str, Any], bool]:
    """The compiled answer, after checking it is the resolvers' (data, errors, status, audit rows); and
    whether the compiled path answered it."""
    body = {"query": query, "variables": variables}
    headers = bearer(token) if token else {}
    before = compiled_count() + compiled_count("route")
    start = await _last_audit_id(owner)
    fast = await client.post("/graphql", json=body, headers=headers)
    fast_audit = await _audit_rows(owner, start)
    compiled = compiled_count() + compiled_count("route") > before
    # Sent again, a compiled document takes the compiled route (and must answer the same).
    before_route = compiled_count("route")
    start = await _last_audit_id(owner)
    again = await client.post("/graphql", json=body, headers=headers)
    again_audit = await _audit_rows(owner, start)
    assert (compiled_count("route") > before_route) == compiled, (query, variables)
    start = await _last_audit_id(owner)
    slow = await reference.post("/graphql", json=body, headers=headers)
    slow_audit = await _audit_rows(owner, start)
    for answer, audit in ((fast, fast_audit), (again, again_audit)):
        assert answer.status_code == slow.status_code, (query, variables)
        assert _normalised(answer.json()) == _normalised(slow.json()), (query, variables)
        assert audit == slow_audit, (query, variables)
    found: dict[str, Any] = again.json()
    return found, compiled


# --- random queries ---------------------------------------------------------------------------------------


def _pick(rng: random.Random, names: list[str], alias: bool = True) -> list[str]:
    chosen = rng.sample(names, rng.randint(1, len(names)))
    return [f"a{i}: {name}" if alias and rng.random() < 0.15 else name for i, name in enumerate(chosen)]


def _case_selection(rng: random.Random) -> str:
    parts = _pick(rng, CASE_LEAVES)
    if rng.random() < 0.7:
        parts.append("child { " + " ".join(_pick(rng, CHILD_LEAVES)) + " }")
    if rng.random() < 0.5:
        parts.append("institution { " + " ".join(_pick(rng, INSTITUTION_LEAVES)) + " }")
    if rng.random() < 0.4:
        last = rng.choice(["", "(last: 0)", "(last: 3)", "(last: 20)", "(last: 100)", "(last: 101)"])
        parts.append(f"events{last} {{ " + " ".join(_pick(rng, EVENT_LEAVES)) + " }")
    rng.shuffle(parts)
    if rng.random() < 0.3:
        cut = rng.randint(0, len(parts))
        parts = [*parts[:cut], "... on Case { " + " ".join(parts[cut:] or ["id"]) + " }"]
    if rng.random() < 0.2:
        parts.append("... on Node { id }")
    return " ".join(parts)


def _filter(rng: random.Random, demo: Demo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if rng.random() < 0.7:
        found["withinCode"] = rng.choice([demo.district, demo.province, demo.other_district, "PK", "NOWHERE"])
    if rng.random() < 0.5:
        found["open"] = rng.random() < 0.7
    if rng.random() < 0.3:
        found["stages"] = rng.sample(STAGES, rng.randint(0, 3))
    if rng.random() < 0.3:
        found["kinds"] = rng.sample(KINDS, rng.randint(1, 2))
    if rng.random() < 0.15:
        found["riskLevels"] = rng.sample(["LOW", "MEDIUM", "HIGH"], rng.randint(1, 2))
    if rng.random() < 0.15:
        found["levels"] = rng.sample(["PROVINCIAL", "DISTRICT", "TEHSIL"], rng.randint(1, 2))
    if rng.random() < 0.15:
        found["unassigned"] = rng.random() < 0.5
    if rng.random() < 0.15:
        year = rng.choice([2023, 2024, 2025])
        found[rng.choice(["openedFrom", "openedBefore", "closedFrom", "closedBefore"])] = (
            f"{year}-06-01T00:00:00+00:00"
        )
    if rng.random() < 0.1:
        found["assignedTo"] = rng.choice([gid("User", 1), gid("User", 99999), gid("Case", 1), "bad"])
    return found


def _cases_query(rng: random.Random, demo: Demo) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {}
    arguments: list[str] = []
    backwards = rng.random() < 0.2
    size = rng.choice([0, 1, 5, 20, 50, 100, 101, None])
    if size is not None:
        arguments.append(f"{'last' if backwards else 'first'}: $n")
        variables["n"] = size
    if rng.random() < 0.3:
        cursor = encode_cursor(rng.choice(demo.case_ids)) if rng.random() < 0.9 else "bm90IGEgY3Vyc29y"
        arguments.append(f"{'before' if backwards else 'after'}: $c")
        variables["c"] = cursor
    if rng.random() < 0.8:
        arguments.append("filter: $f")
        variables["f"] = _filter(rng, demo)
    parts = []
    if rng.random() < 0.9:
        node = f"node {{ {_case_selection(rng)} }}" if rng.random() < 0.95 else ""
        parts.append("edges { " + " ".join(_pick(rng, ["cursor", "__typename"])) + f" {node} }}")
    if rng.random() < 0.4:
        parts.append("pageInfo { " + " ".join(_pick(rng, PAGE_INFO)) + " }")
    if rng.random() < 0.15:
        parts.append("totalCount")
    if not parts or rng.random() < 0.1:
        parts.append("__typename")
    declared = {"n": "Int", "c": "String", "f": "CaseFilter"}
    header = ", ".join(f"${name}: {declared[name]}" for name in variables)
    args = f"({', '.join(arguments)})" if arguments else ""
    query = f"query{f'({header})' if header else ''} {{ list: cases{args} {{ {' '.join(parts)} }} }}"
    return query, variables


def _node_query(rng: random.Random, demo: Demo) -> tuple[str, dict[str, Any]]:
    choice = rng.random()
    if choice < 0.8:
        node_id = gid("Case", rng.choice(demo.case_ids))
    elif choice < 0.9:
        node_id = gid("Case", max(demo.case_ids) + 1000)
    else:
        node_id = gid("Child", 1)
    selection = _case_selection(rng)
    if rng.random() < 0.3:
        query = f"query($id: ID!) {{ node(id: $id) {{ ...C }} }} fragment C on Case {{ {selection} }}"
    else:
        query = f"query($id: ID!) {{ node(id: $id) {{ __typename ... on Case {{ {selection} }} }} }}"
    return query, {"id": node_id}


async def test_bench_queries_are_compiled_and_answer_as_the_resolvers_do(
    demo: Demo, client: httpx.AsyncClient, reference: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    officer = demo.tokens["DISTRICT_OFFICER"]
    q1, compiled = await both_ways(client, reference, owner, Q1, {"code": demo.district}, officer)
    assert compiled
    assert q1["data"]["cases"]["edges"], "the busiest district has open cases"
    assert all(edge["node"]["child"]["fullName"] for edge in q1["data"]["cases"]["edges"])
    case_id = await owner.fetchval(
        "SELECT c.id FROM cases c JOIN jurisdictions j ON c.path <@ j.path WHERE j.code = $1 ORDER BY c.id LIMIT 1",
        demo.district,
    )
    q2, compiled = await both_ways(client, reference, owner, Q2, {"id": gid("Case", case_id)}, officer)
    assert compiled
    assert q2["data"]["node"]["events"]


async def test_outsiders_get_nothing_through_the_compiled_path(
    demo: Demo, client: httpx.AsyncClient, reference: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    outsider = demo.tokens["DISTRICT_OFFICER:outside"]
    q1, compiled = await both_ways(client, reference, owner, Q1, {"code": demo.district}, outsider)
    assert compiled
    assert q1["data"]["cases"]["edges"] == []
    case_id = await owner.fetchval(
        "SELECT c.id FROM cases c JOIN jurisdictions j ON c.path <@ j.path WHERE j.code = $1 LIMIT 1",
        demo.district,
    )
    for token in (outsider, demo.tokens["anonymous"], demo.tokens.get("NATIONAL_ANALYST")):
        q2, compiled = await both_ways(client, reference, owner, Q2, {"id": gid("Case", case_id)}, token)
        assert compiled
        assert q2["data"]["node"] is None


@pytest.mark.parametrize("seed", range(6))
async def test_random_queries_answer_as_the_resolvers_do(
    seed: int,
    demo: Demo,
    client: httpx.AsyncClient,
    reference: httpx.AsyncClient,
    owner: asyncpg.Connection[Any],
) -> None:
    rng = random.Random(seed)
    compiled = 0
    rounds = 40
    for _ in range(rounds):
        query, variables = (_cases_query if rng.random() < 0.65 else _node_query)(rng, demo)
        label = rng.choice(sorted(demo.tokens))
        _, taken = await both_ways(client, reference, owner, query, variables, demo.tokens[label])
        compiled += taken
    # Many random queries are compiled (the rest have arguments the resolvers refuse, or other types' IDs).
    assert compiled >= rounds // 3
