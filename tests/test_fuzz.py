"""Fuzz test (issue 9): generated valid queries and mutations, with random arguments, as different principals.

hypothesis-graphql writes documents from the schema; the IDs, strings, numbers and dates in their arguments
are drawn partly from the records of a small world spread over several jurisdictions (so the fuzzer names
real cases, children, transfers, codes and cursors, inside and outside each principal's scope) and partly at
random. Every document is posted through the app, as one of seven principals, and every answer must hold:

- no 5xx, and nothing logged as a warning or worse (a failure after the answer was sent shows only there);
- every error is either a document (validation) error or one of ours, carrying one of our ``extensions.code``
  values: a masked "Unexpected error." means an unexpected exception, an error on a path without a code
  means a raw one reached the client, and both fail;
- no record outside the principal's scope: ``id`` is added to every selection of a ``Node`` (so no record
  comes back unnamed), every global ID in the answer is decoded and the record's facts are read from the
  database as its owner; a reference written here from DESIGN and README (not from the policy module)
  decides whether this principal may see it;
- a mutation changes nothing outside the acting principal's writing scope: the rows located outside it
  (by their jurisdiction paths) are the same after as before, except a case (with its child and history)
  that a transfer accepted in this very request moved into the principal's jurisdiction.

Hypothesis's examples share one database per test. Queries change nothing but the audit trail. Successful
random mutations do change the world (a transfer accepted moves a case, a user or child is created): that is
why the reference reads where each record is *now*, rather than where the world put it. What the mutations
must not change is who the principals are: the IDs offered to mutations leave out the principals' own user
and client records, so a random ``grantRole``, ``revokeRole``, ``deactivateUser`` or ``revokeApiClient`` can
never widen, narrow or end a principal, and each principal's reach below stays true for the whole test.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import graphql
import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from registry.auth.tokens import TokenService
from registry.errors import ErrorCode
from registry.schema.builder import build_schema
from registry.schema.relay import encode_cursor
from tests.conftest import bearer, gid, user_token
from tests.factories import (
    JurisdictionRow,
    make_api_client,
    make_case,
    make_child,
    make_institution,
    make_jurisdiction,
    make_organisation,
    make_small_tree,
    make_user,
    name_child,
)

# The schema the app serves (the printed schema.graphql is held equal to it by test_schema_file).
SCHEMA = graphql.build_schema(build_schema().as_str())
NODE_TYPES = frozenset(
    name
    for name, type_ in SCHEMA.type_map.items()
    if isinstance(type_, graphql.GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces)
)
PUBLIC_TYPES = frozenset({"Jurisdiction", "Organisation", "Programme"})  # readable by anyone (DESIGN, RLS)
# Codes that say something went wrong on our side: an unexpected exception (masked), or the database
# failing under a request (a fuzzed document must never get there).
FAILURE_CODES = frozenset({"INTERNAL", "UNAVAILABLE", "TIMEOUT"})
OUR_CODES = frozenset(code.value for code in ErrorCode) - FAILURE_CODES
QUERY_EXAMPLES = 1000
MUTATION_EXAMPLES = 1000


# --- Argument values: real ones from the world, and random ones ------------------------------------------


@dataclass
class Pools:
    """Real values for generated arguments. The strategies index into these lists when they draw, so the
    world made by each test's fixture (with its database's row ids) fills them before the first example."""

    ids: list[str] = field(default_factory=list)
    # The same without the principals' own user and client records (see the module docstring).
    mutation_ids: list[str] = field(default_factory=list)
    # The latter by type, to aim an argument named for a type (``caseId``) at a record of that type.
    by_type: dict[str, list[str]] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # of the jurisdictions


POOLS = Pools()


def pooled(values: list[str]) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=9_999).map(lambda i: values[i % len(values)] if values else "")


def random_global_ids() -> st.SearchStrategy[str]:
    """Well-formed global IDs of any type with odd row ids (huge, negative, non-ASCII digits, empty), and
    plain junk."""
    type_names = st.sampled_from([*sorted(NODE_TYPES), "Node", "Query", "case", ""])
    row_ids = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["", "0", "00012", "1.5", "1e3", " 7", "\u0663", "\u00b2", "\U0001d7d8", "1\x00"]),
        st.text(max_size=12),
    )
    encoded = st.builds(lambda t, i: base64.b64encode(f"{t}:{i}".encode()).decode(), type_names, row_ids)
    return st.one_of(
        encoded, st.text(max_size=20), st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
    )


def id_values(pool: list[str]) -> st.SearchStrategy[graphql.ValueNode]:
    # Mostly real IDs (three in four), so that mutations reach their rules and not only the ID check.
    return st.one_of(pooled(pool), pooled(pool), pooled(pool), random_global_ids()).map(nodes.String)


ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=5)), dt.timezone(dt.timedelta(hours=-3, minutes=-30))]


def date_texts() -> st.SearchStrategy[str]:
    recent = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat)
    return st.one_of(
        recent,
        recent,
        st.dates().map(dt.date.isoformat),  # any year from 1 to 9999
        st.sampled_from(["", "2026-02-30", "2026-13-01", "today", "20260101", "2026-01-01T00:00:00Z"]),
    )


def datetime_texts() -> st.SearchStrategy[str]:
    recent = st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2030, 12, 31),
        timezones=st.sampled_from(ZONES),
    ).map(dt.datetime.isoformat)
    return st.one_of(
        recent,
        recent,
        st.datetimes().map(dt.datetime.isoformat),  # naive, and any year
        st.sampled_from(["", "2026-02-30T10:00:00Z", "now", "2026-01-01", "2026-01-01T25:00:00+05:00"]),
    )


def scalars(id_pool: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Strategies for every scalar of the schema; a new custom scalar fails here until it has one."""
    known = {
        "ID": id_values(id_pool),
        "String": st.one_of(pooled(POOLS.strings), pooled(POOLS.strings), st.text(max_size=40)).map(
            nodes.String
        ),
        # Versions, page sizes and ages are small: favour them, but keep the whole 32-bit range.
        "Int": st.one_of(st.integers(-2, 120), st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
        "Float": st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        "Boolean": st.booleans().map(nodes.Boolean),
        "Date": date_texts().map(nodes.String),
        "DateTime": datetime_texts().map(nodes.String),
    }
    in_schema = {name for name, t in SCHEMA.type_map.items() if isinstance(t, graphql.GraphQLScalarType)}
    missing = in_schema - set(known)
    assert not missing, f"no fuzzing strategy for the scalars {sorted(missing)}"
    return {name: strategy for name, strategy in known.items() if name in in_schema}


# --- Documents: every record named, every payload asked for its errors, arguments aimed ----------------


def _is_node(type_: graphql.GraphQLNamedType | None) -> bool:
    return type_ is not None and (type_.name == "Node" or type_.name in NODE_TYPES)


def _field(name: str, selections: tuple[graphql.SelectionNode, ...] = ()) -> graphql.FieldNode:
    return graphql.FieldNode(
        name=graphql.NameNode(value=name),
        arguments=(),
        directives=(),
        selection_set=graphql.SelectionSetNode(selections=selections) if selections else None,
    )


# Arguments named for a type of record, and those naming a jurisdiction by its code.
AIMED_IDS = {
    "case": "Case",
    "caseId": "Case",
    "child": "Child",
    "childId": "Child",
    "transferId": "Transfer",
    "referralId": "Referral",
    "consentId": "Consent",
    "guardianId": "Guardian",
    "householdId": "Household",
    "programmeId": "Programme",
    "institutionId": "Institution",
    "toInstitution": "Institution",
    "policeStation": "Institution",
    "policeStationId": "Institution",
    "organisationId": "Organisation",
    "toOrganisation": "Organisation",
    "interventionId": "Intervention",
    "placementId": "Placement",
    "userId": "User",
    "assignTo": "User",
    "assignedTo": "User",
    "actor": "User",
}
CODE_ARGUMENTS = frozenset({"code", "jurisdictionCode", "toJurisdictionCode", "parentCode", "withinCode"})


def aimed(name: str, value: graphql.ValueNode) -> graphql.ValueNode:
    """Three in four real values drawn for an argument named for a type, a code or a version are turned
    into one that fits it (a real case's ID for ``caseId``, a code for ``jurisdictionCode``, a version of
    1 to 3), so that mutations get past their first check to the rules behind it. The draw still decides
    which; the rest, and every random value, stay as drawn."""
    if isinstance(value, graphql.StringValueNode):
        target = AIMED_IDS.get(name)
        pool, aims = (
            (POOLS.ids, POOLS.by_type.get(target, []))
            if target
            else (POOLS.strings, POOLS.codes if name in CODE_ARGUMENTS else [])
        )
        index = _index(pool, value.value)
        if aims and index is not None and index % 4 != 3:
            return nodes.String(aims[index % len(aims)])
    if isinstance(value, graphql.IntValueNode) and name == "version" and 0 < int(value.value) <= 120:
        drawn = int(value.value)
        if drawn % 4 != 3:
            return nodes.Int(1 + drawn % 3)
    return value


def _index(pool: list[str], value: str) -> int | None:
    try:
        return pool.index(value)
    except ValueError:
        return None


class _Shape(graphql.Visitor):
    """Names every record (``id`` on each ``Node`` selection), asks every mutation payload for its
    errors, and aims arguments (:func:`aimed`)."""

    def __init__(self, type_info: graphql.TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info

    def enter_selection_set(self, node: graphql.SelectionSetNode, *_: Any) -> graphql.SelectionSetNode | None:
        parent = self.type_info.get_parent_type()
        added: list[graphql.SelectionNode] = []
        if _is_node(parent):
            added.append(_field("id"))
        fields = getattr(parent, "fields", {})
        if "errors" in fields and graphql.get_named_type(fields["errors"].type).name == "MutationError":
            added.append(_field("errors", (_field("code"), _field("field"), _field("message"))))
        if not added:
            return None
        return graphql.SelectionSetNode(selections=(*node.selections, *added))

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> graphql.ArgumentNode | None:
        value = aimed(node.name.value, node.value)
        return None if value is node.value else graphql.ArgumentNode(name=node.name, value=value)

    def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> graphql.ObjectFieldNode | None:
        value = aimed(node.name.value, node.value)
        return None if value is node.value else graphql.ObjectFieldNode(name=node.name, value=value)


def print_for_fuzzing(document: graphql.DocumentNode) -> str:
    type_info = graphql.TypeInfo(SCHEMA)
    shaped = graphql.visit(document, graphql.TypeInfoVisitor(type_info, _Shape(type_info)))
    return graphql.print_ast(shaped)


def query_documents() -> st.SearchStrategy[str]:
    return queries(SCHEMA, custom_scalars=scalars(POOLS.ids), print_ast=print_for_fuzzing)


MUTATION_NAMES = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []


def mutation_documents() -> st.SearchStrategy[str]:
    """One mutation per document, every mutation as often as the others (left to itself the generator
    favours the first fields of the type)."""
    custom = scalars(POOLS.mutation_ids)
    each = [
        mutations(SCHEMA, fields=[name], custom_scalars=custom, print_ast=print_for_fuzzing)
        for name in MUTATION_NAMES
    ]
    return spread(len(each)).flatmap(lambda index: each[index])


def spread(size: int) -> st.SearchStrategy[int]:
    """An index below ``size``, drawn evenly: small integers alone would favour the first ones."""
    return st.integers(min_value=0, max_value=2**32).map(lambda n: n % size)


# --- The world ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What one principal may see and change, restated from DESIGN and README independently of
    ``registry.auth.policy``: subtrees (jurisdiction paths) per kind of record."""

    records: tuple[str, ...] = ()  # children, households, interventions (children:read)
    incidents: tuple[str, ...] = ()  # incidents and placements (incidents:read)
    cases: tuple[str, ...] = ()  # cases; transfers and referrals touching these subtrees
    assigned_cases_only: bool = False  # a caseworker: only the cases assigned to them
    staff: tuple[str, ...] = ()  # people holding a role inside
    clients: tuple[str, ...] = ()  # API clients bound inside (clients:manage)
    institutions: tuple[str, ...] = ()
    audit: tuple[str, ...] = ()  # audit:read
    writes: tuple[str, ...] = ()  # where its mutations may change anything at all
    consented_sharing_only: bool = False  # an API client: never a child whose data sharing was withdrawn
    user_id: int | None = None  # a person sees themselves
    client_row_id: int | None = None  # a client sees itself


@dataclass(frozen=True)
class Principal:
    name: str
    token: str | None
    reach: Reach


@dataclass
class FuzzWorld:
    principals: list[Principal]
    ids: dict[str, str]  # a readable name -> the global ID of a record of the world
    strings: list[str]
    codes: list[str]


def within(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + ".") for root in roots)


async def _insert(owner: asyncpg.Connection[Any], sql: str, *args: Any) -> int:
    row_id: int = await owner.fetchval(sql + " RETURNING id", *args)
    return row_id


async def build_world(
    owner: asyncpg.Connection[Any], tokens: TokenService, http: httpx.AsyncClient
) -> FuzzWorld:
    """PK → Punjab (Lahore → UC1, Multan), Sindh (Karachi South → UC1), with records of every kind in
    each district, a transfer and a referral crossing the provinces, and seven principals."""
    tree = await make_small_tree(owner)
    karachi_uc = await make_jurisdiction(
        owner, "PK-SD-KARACHI-SOUTH-UC1", "COMMUNITY", parent=tree.karachi, name="Karachi UC 1"
    )
    places: dict[str, JurisdictionRow] = {
        "nation": tree.nation,
        "punjab": tree.punjab,
        "sindh": tree.sindh,
        "lahore": tree.lahore,
        "lahore_uc": tree.lahore_community,
        "multan": tree.multan,
        "karachi": tree.karachi,
        "karachi_uc": karachi_uc,
    }
    ids: dict[str, str] = {f"jurisdiction.{key}": gid("Jurisdiction", row.id) for key, row in places.items()}
    ministry = await make_organisation(owner, tree.nation, kind="MINISTRY")
    orgs = {
        "ministry": ministry,
        "punjab": await make_organisation(owner, tree.punjab, kind="PROVINCIAL_DEPARTMENT"),
        "sindh": await make_organisation(owner, tree.sindh, kind="PROVINCIAL_DEPARTMENT"),
        "lahore_ngo": await make_organisation(owner, tree.lahore),
        "karachi_police": await make_organisation(owner, tree.karachi, kind="POLICE"),
    }
    ids |= {f"organisation.{key}": gid("Organisation", row_id) for key, row_id in orgs.items()}

    def person(role: str, where: JurisdictionRow, org: int = ministry) -> Any:
        return make_user(owner, role, where, organisation_id=org)

    users = {
        "caseworker": await person("CASE_WORKER", tree.lahore_community),
        "other_worker": await person("CASE_WORKER", tree.lahore_community),
        "lahore_officer": await person("DISTRICT_OFFICER", tree.lahore),
        "multan_officer": await person("DISTRICT_OFFICER", tree.multan),
        "punjab_manager": await person("PROVINCIAL_MANAGER", tree.punjab),
        "karachi_officer": await person("DISTRICT_OFFICER", tree.karachi, orgs["sindh"]),
        "karachi_worker": await person("CASE_WORKER", karachi_uc, orgs["sindh"]),
        "sindh_manager": await person("PROVINCIAL_MANAGER", tree.sindh, orgs["sindh"]),
        "police_punjab": await person("POLICE_MONITOR", tree.punjab),
        "analyst": await person("NATIONAL_ANALYST", tree.nation),
        "auditor": await person("AUDITOR", tree.nation),
        "admin": await person("SYSTEM_ADMIN", tree.nation),
    }
    ids |= {f"user.{key}": gid("User", row_id) for key, row_id in users.items()}

    institutions = {
        "lahore_station": await make_institution(
            owner, tree.lahore, type="POLICE_STATION", organisation_id=orgs["punjab"]
        ),
        "lahore_centre": await make_institution(
            owner, tree.lahore_community, type="DROP_IN_CENTRE", organisation_id=orgs["lahore_ngo"]
        ),
        "multan_school": await make_institution(owner, tree.multan, type="SCHOOL", organisation_id=ministry),
        "karachi_station": await make_institution(
            owner, tree.karachi, type="POLICE_STATION", organisation_id=orgs["karachi_police"]
        ),
        "karachi_shelter": await make_institution(
            owner, karachi_uc, type="SHELTER", organisation_id=orgs["sindh"]
        ),
    }
    ids |= {f"institution.{key}": gid("Institution", row_id) for key, row_id in institutions.items()}

    households = {}
    for key in ("lahore_uc", "karachi_uc"):
        households[key] = await _insert(
            owner,
            "INSERT INTO households (reference, size, registered_on, jurisdiction_id, path)"
            " VALUES ($1, 5, DATE '2026-01-01', $2, $3)",
            f"HH-{key}",
            places[key].id,
            places[key].path,
        )
        ids[f"household.{key}"] = gid("Household", households[key])

    # Children, each with a case: (where, kind, assigned to, stage).
    plan = {
        "lahore_uc": ("lahore_uc", "CHILD_LABOUR", "caseworker", "ASSESSED"),
        "lahore_uc_other": ("lahore_uc", "CHILD_VICTIM", "other_worker", "REGISTERED"),
        "lahore_cicl": ("lahore_uc", "CHILD_IN_CONFLICT_WITH_LAW", "caseworker", "REGISTERED"),
        "lahore_unshared": ("lahore", "CHILD_AT_RISK", None, "CASE_PLAN"),
        "lahore_district": ("lahore", "MISSING_CHILD", None, "REGISTERED"),
        "multan": ("multan", "CHILD_LABOUR", None, "REGISTERED"),
        "karachi": ("karachi", "CHILD_VICTIM", None, "IMPLEMENTATION"),
        "karachi_uc": ("karachi_uc", "CHILD_LABOUR", "karachi_worker", "CLOSED"),
    }
    children: dict[str, int] = {}
    cases: dict[str, int] = {}
    for key, (where, kind, worker, stage) in plan.items():
        place = places[where]
        children[key] = await make_child(
            owner, place, age=9 + len(children), sex="FEMALE" if len(key) % 2 else "MALE"
        )
        await name_child(owner, children[key], f"Child {key.replace('_', ' ')}")
        cases[key] = await make_case(
            owner,
            children[key],
            place,
            kind=kind,
            assigned_to=users[worker] if worker else None,
            stage=stage,
        )
        ids[f"child.{key}"] = gid("Child", children[key])
        ids[f"case.{key}"] = gid("Case", cases[key])
    for key in ("lahore_uc", "karachi_uc"):
        await owner.execute(
            "UPDATE children SET household_id = $1 WHERE id = $2", households[key], children[key]
        )
    for key in ("lahore_uc", "karachi"):
        guardian = await _insert(
            owner,
            "INSERT INTO guardians (child_id, full_name, relationship, is_primary) VALUES ($1, $2, 'MOTHER', true)",
            children[key],
            f"Mother of {key}",
        )
        ids[f"guardian.{key}"] = gid("Guardian", guardian)
    given = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    for key, withdrawn in (("lahore_uc", None), ("lahore_unshared", given + dt.timedelta(days=3))):
        consent = await _insert(
            owner,
            "INSERT INTO consents (child_id, purpose, given_by, given_at, withdrawn_at)"
            " VALUES ($1, 'DATA_SHARING', 'CHILD_ASSENT', $2, $3)",
            children[key],
            given,
            withdrawn,
        )
        ids[f"consent.{key}"] = gid("Consent", consent)

    for key, station, where, child in (
        ("lahore", "lahore_station", "lahore", "lahore_cicl"),
        ("karachi", "karachi_station", "karachi", "karachi"),
    ):
        for direction, offence in (("BY_CHILD", "THEFT"), ("AGAINST_CHILD", "PHYSICAL_ABUSE")):
            incident = await _insert(
                owner,
                "INSERT INTO incidents (police_station_id, direction, offence, occurred_on, child_id,"
                " jurisdiction_id, path) VALUES ($1, $2, $3, DATE '2026-03-01', $4, $5, $6)",
                institutions[station],
                direction,
                offence,
                children[child],
                places[where].id,
                places[where].path,
            )
            ids[f"incident.{key}.{direction}"] = gid("Incident", incident)
        placement = await _insert(
            owner,
            "INSERT INTO placements (child_id, institution_id, kind, started_at, segregated_from_adults,"
            " jurisdiction_id, path) VALUES ($1, $2, 'POLICE_CUSTODY', $3, true, $4, $5)",
            children[child],
            institutions[station],
            given,
            places[where].id,
            places[where].path,
        )
        ids[f"placement.{key}"] = gid("Placement", placement)

    for key, province, where, child, institution in (
        ("punjab", "punjab", "lahore_uc", "lahore_uc", "lahore_centre"),
        ("sindh", "sindh", "karachi_uc", "karachi_uc", "karachi_shelter"),
    ):
        programme = await _insert(
            owner,
            "INSERT INTO programmes (code, name, organisation_id, starts_on, jurisdiction_id, path)"
            " VALUES ($1, $1, $2, DATE '2025-01-01', $3, $4)",
            f"PRG-{key.upper()}",
            orgs[province],
            places[province].id,
            places[province].path,
        )
        ids[f"programme.{key}"] = gid("Programme", programme)
        intervention = await _insert(
            owner,
            "INSERT INTO interventions (type, recipient, programme_id, child_id, institution_id, started_on,"
            " jurisdiction_id, path) VALUES ('NON_FORMAL_EDUCATION', 'CHILD', $1, $2, $3, DATE '2026-02-01',"
            " $4, $5)",
            programme,
            children[child],
            institutions[institution],
            places[where].id,
            places[where].path,
        )
        ids[f"intervention.{key}"] = gid("Intervention", intervention)
        await owner.execute(
            "INSERT INTO outcomes (type, child_id, achieved_on, jurisdiction_id, path)"
            " VALUES ('MAINSTREAMED_INTO_FORMAL_SCHOOL', $1, DATE '2026-03-01', $2, $3)",
            children[child],
            places[where].id,
            places[where].path,
        )

    # Across the provinces: Lahore asks Karachi to take a case, Multan asks Lahore, and a Lahore case is
    # referred to a shelter in Karachi (Karachi sees the referral, not the case).
    for key, case, source, target in (
        ("lahore_to_karachi", "lahore_district", "lahore", "karachi"),
        ("multan_to_lahore", "multan", "multan", "lahore"),
    ):
        transfer = await _insert(
            owner,
            "INSERT INTO transfers (case_id, from_jurisdiction_id, from_path, to_jurisdiction_id, to_path,"
            " status, reason, requested_at) VALUES ($1, $2, $3, $4, $5, 'REQUESTED', 'Family moved', now())",
            cases[case],
            places[source].id,
            places[source].path,
            places[target].id,
            places[target].path,
        )
        ids[f"transfer.{key}"] = gid("Transfer", transfer)
    for key, case, institution in (
        ("lahore_to_karachi", "lahore_uc", "karachi_shelter"),
        ("karachi", "karachi", "karachi_shelter"),
    ):
        referral = await _insert(
            owner,
            "INSERT INTO referrals (case_id, service, to_institution_id, status, reason, requested_at)"
            " VALUES ($1, 'SHELTER_CARE', $2, 'PENDING', 'Needs a safe place', now())",
            cases[case],
            institutions[institution],
        )
        ids[f"referral.{key}"] = gid("Referral", referral)

    client_row, client_id = await make_api_client(
        owner,
        tree.lahore,
        organisation_id=orgs["lahore_ngo"],
        created_by=users["lahore_officer"],
        scopes=["cases:read", "cases:write", "children:read"],
    )
    karachi_client, _ = await make_api_client(
        owner,
        tree.karachi,
        organisation_id=orgs["sindh"],
        created_by=users["karachi_officer"],
        scopes=["cases:read", "statistics:read"],
    )
    ids["api_client.lahore"] = gid("ApiClient", client_row)
    ids["api_client.karachi"] = gid("ApiClient", karachi_client)
    response = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "test-secret")
    )
    assert response.status_code == 200, response.text
    client_token: str = response.json()["access_token"]

    # Audit rows: a read of personal data by the Lahore officer, and one by the Karachi officer.
    for reader, child in (("lahore_officer", "lahore_uc"), ("karachi_officer", "karachi")):
        answer = await http.post(
            "/graphql",
            json={"query": f'{{ node(id: "{ids["child." + child]}") {{ ... on Child {{ fullName }} }} }}'},
            headers=bearer(user_token(tokens, users[reader])),
        )
        assert answer.json()["data"]["node"]["fullName"], answer.text
    for row in await owner.fetch("SELECT id FROM audit_events ORDER BY id"):
        ids[f"audit.{row['id']}"] = gid("AuditEvent", row["id"])

    lahore, uc, sindh, nation = (
        (tree.lahore.path,),
        (tree.lahore_community.path,),
        (tree.sindh.path,),
        (tree.nation.path,),
    )

    def officer(roots: tuple[str, ...], user: str) -> Reach:
        return Reach(
            records=roots,
            incidents=roots,
            cases=roots,
            staff=roots,
            clients=roots,
            institutions=roots,
            writes=roots,
            user_id=users[user],
        )

    principals = [
        Principal(
            "lahore_officer", user_token(tokens, users["lahore_officer"]), officer(lahore, "lahore_officer")
        ),
        Principal(
            "caseworker",
            user_token(tokens, users["caseworker"]),
            Reach(
                records=uc,
                incidents=uc,
                cases=uc,
                assigned_cases_only=True,
                staff=uc,
                institutions=uc,
                writes=uc,
                user_id=users["caseworker"],
            ),
        ),
        Principal(
            "sindh_manager", user_token(tokens, users["sindh_manager"]), officer(sindh, "sindh_manager")
        ),
        # Aggregates only; institutions label its figures.
        Principal(
            "analyst",
            user_token(tokens, users["analyst"]),
            Reach(institutions=nation, user_id=users["analyst"]),
        ),
        Principal(
            "auditor",
            user_token(tokens, users["auditor"]),
            Reach(staff=nation, institutions=nation, audit=nation, user_id=users["auditor"]),
        ),
        # Lahore's partner app: cases and children, no personal data, no institutions, no incidents.
        Principal(
            "client",
            client_token,
            Reach(
                records=lahore,
                cases=lahore,
                staff=lahore,
                writes=lahore,
                consented_sharing_only=True,
                client_row_id=client_row,
            ),
        ),
        Principal("anonymous", None, Reach()),
    ]

    strings = sorted(
        {
            *(row.code for row in places.values()),
            "PK-SD-KARACHI",
            "PK-XX",
            *(f"C-{case}" for case in cases.values()),
            *(f"Child {key.replace('_', ' ')}" for key in plan),
            "Child",
            "Muhammad",
            "35202-1234567-1",
            *(encode_cursor(row_id) for row_id in (*cases.values(), *children.values(), 1, 0, -1)),
            "cases:read",
            "cases:write",
            "children:read",
            "children:write",
            "pii:read",
            "statistics:read",
            "audit:read",
            "incidents:write",
            "clients:manage",
            "users:manage",
            "jurisdictions:manage",
            "new.person",
            "idempotency-1",
            "idempotency-2",
            "Family moved",
        }
    )
    return FuzzWorld(principals, ids, strings, sorted(row.code for row in places.values()))


# --- The checks --------------------------------------------------------------------------------------------


def decode(value: str) -> tuple[str, str] | None:
    """The (type, row id) of a global ID of a Node type; None for anything else (cursors, names, ...)."""
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, separator, row_id = decoded.partition(":")
    if not separator or type_name not in NODE_TYPES:
        return None
    return type_name, row_id


def global_ids(value: Any) -> Iterator[tuple[str, str]]:
    """Every global ID of a Node anywhere in an answer (ids, and any other string that is one)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from global_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from global_ids(item)
    elif isinstance(value, str) and (decoded := decode(value)) is not None:
        yield decoded


WITHDRAWN_SHARING = """EXISTS (
    SELECT 1 FROM consents w WHERE w.child_id = {child} AND w.purpose = 'DATA_SHARING'
      AND w.withdrawn_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM consents r WHERE r.child_id = w.child_id AND r.purpose = w.purpose
                      AND r.given_at > w.withdrawn_at))"""

# Per type: the facts the reference needs, read as the owner (row-level security does not apply).
FACTS = {
    "Child": f"SELECT id, path::text AS path, {WITHDRAWN_SHARING.format(child='c.id')} AS unshared"
    " FROM children c WHERE id = any($1)",
    "Case": f"SELECT id, path::text AS path, assigned_to_id, child_id,"
    f" {WITHDRAWN_SHARING.format(child='c.child_id')} AS unshared FROM cases c WHERE id = any($1)",
    "Consent": "SELECT id, child_id FROM consents WHERE id = any($1)",
    "Guardian": "SELECT id, child_id FROM guardians WHERE id = any($1)",
    "Household": "SELECT id, path::text AS path FROM households WHERE id = any($1)",
    "Intervention": "SELECT id, path::text AS path FROM interventions WHERE id = any($1)",
    "Incident": "SELECT id, path::text AS path FROM incidents WHERE id = any($1)",
    "Placement": "SELECT id, path::text AS path FROM placements WHERE id = any($1)",
    "Institution": "SELECT id, path::text AS path FROM institutions WHERE id = any($1)",
    "ApiClient": "SELECT id, path::text AS path FROM api_clients WHERE id = any($1)",
    "User": "SELECT u.id, coalesce(array_agg(r.path::text) FILTER (WHERE r.id IS NOT NULL), '{}') AS paths"
    " FROM users u LEFT JOIN role_assignments r ON r.user_id = u.id WHERE u.id = any($1) GROUP BY u.id",
    "Referral": "SELECT f.id, f.case_id, i.path::text AS institution_path FROM referrals f"
    " LEFT JOIN institutions i ON i.id = f.to_institution_id WHERE f.id = any($1)",
    "Transfer": "SELECT id, case_id, from_path::text AS from_path, to_path::text AS to_path FROM transfers"
    " WHERE id = any($1)",
    "AuditEvent": "SELECT id, paths::text[] AS paths, child_ids FROM audit_events WHERE id = any($1)",
    "Jurisdiction": "SELECT id FROM jurisdictions WHERE id = any($1)",
    "Organisation": "SELECT id FROM organisations WHERE id = any($1)",
    "Programme": "SELECT id FROM programmes WHERE id = any($1)",
}


class Oracle:
    """Decides, from the records' facts now, whether a principal may see them."""

    def __init__(self, owner: asyncpg.Connection[Any], reach: Reach) -> None:
        self.owner = owner
        self.reach = reach
        self.facts: dict[str, dict[int, asyncpg.Record]] = {}

    async def load(self, type_name: str, row_ids: set[int]) -> dict[int, asyncpg.Record]:
        known = self.facts.setdefault(type_name, {})
        missing = sorted(row_ids - set(known))
        if missing:
            for row in await self.owner.fetch(FACTS[type_name], missing):
                known[row["id"]] = row
        return known

    async def child_visible(self, child_ids: set[int]) -> dict[int, bool]:
        facts = await self.load("Child", child_ids)
        reach = self.reach
        return {
            child: child in facts
            and within(facts[child]["path"], reach.records)
            and not (reach.consented_sharing_only and facts[child]["unshared"])
            for child in child_ids
        }

    async def case_visible(self, case_ids: set[int]) -> dict[int, bool]:
        facts = await self.load("Case", case_ids)
        reach = self.reach
        return {
            case: case in facts
            and within(facts[case]["path"], reach.cases)
            and (not reach.assigned_cases_only or facts[case]["assigned_to_id"] == reach.user_id)
            and not (reach.consented_sharing_only and facts[case]["unshared"])
            for case in case_ids
        }

    async def outside(self, found: set[tuple[str, str]]) -> list[str]:
        """The records in ``found`` this principal may not see, described."""
        problems = []
        wanted: dict[str, set[int]] = {}
        for type_name, node_id in found:
            if not node_id.isascii() or not node_id.isdigit():
                problems.append(f"{type_name}:{node_id!r} is not a record's ID")
            else:
                wanted.setdefault(type_name, set()).add(int(node_id))
        reach = self.reach
        for type_name, row_ids in sorted(wanted.items()):
            facts = await self.load(type_name, row_ids)
            for row_id in sorted(row_ids - set(facts)):
                problems.append(f"{type_name}:{row_id} names no record")
            present = {row_id: facts[row_id] for row_id in row_ids if row_id in facts}
            allowed: dict[int, bool]
            if type_name in PUBLIC_TYPES:
                allowed = dict.fromkeys(present, True)
            elif type_name == "Child":
                allowed = await self.child_visible(set(present))
            elif type_name == "Case":
                allowed = await self.case_visible(set(present))
            elif type_name in ("Consent", "Guardian"):
                by_child = await self.child_visible({row["child_id"] for row in present.values()})
                allowed = {row_id: by_child[row["child_id"]] for row_id, row in present.items()}
            elif type_name in ("Household", "Intervention"):
                allowed = {row_id: within(row["path"], reach.records) for row_id, row in present.items()}
            elif type_name in ("Incident", "Placement"):
                allowed = {row_id: within(row["path"], reach.incidents) for row_id, row in present.items()}
            elif type_name == "Institution":
                allowed = {row_id: within(row["path"], reach.institutions) for row_id, row in present.items()}
            elif type_name == "ApiClient":
                allowed = {
                    row_id: row_id == reach.client_row_id or within(row["path"], reach.clients)
                    for row_id, row in present.items()
                }
            elif type_name == "User":
                allowed = {
                    row_id: row_id == reach.user_id or any(within(p, reach.staff) for p in row["paths"])
                    for row_id, row in present.items()
                }
            elif type_name == "Referral":
                by_case = await self.case_visible({row["case_id"] for row in present.values()})
                allowed = {
                    row_id: by_case[row["case_id"]]
                    or (
                        not reach.assigned_cases_only
                        and row["institution_path"] is not None
                        and within(row["institution_path"], reach.cases)
                    )
                    for row_id, row in present.items()
                }
            elif type_name == "Transfer":
                by_case = await self.case_visible({row["case_id"] for row in present.values()})
                allowed = {
                    row_id: by_case[row["case_id"]]
                    or (
                        not reach.assigned_cases_only
                        and (within(row["from_path"], reach.cases) or within(row["to_path"], reach.cases))
                    )
                    for row_id, row in present.items()
                }
            elif type_name == "AuditEvent":
                # The trail inside audit:read; and who was shown a child's data, to whoever sees the child.
                shown = await self.child_visible(
                    {c for row in present.values() for c in row["child_ids"] or ()}
                )
                national = any("." not in root for root in reach.audit)
                allowed = {
                    row_id: any(within(p, reach.audit) for p in row["paths"])
                    or (national and not row["paths"])
                    or any(shown[c] for c in row["child_ids"] or ())
                    for row_id, row in present.items()
                }
            else:
                raise AssertionError(f"no reference rule for {type_name}")
            problems.extend(
                f"{type_name}:{row_id} is outside the scope" for row_id, ok in allowed.items() if not ok
            )
        return problems


def error_problems(errors: list[dict[str, Any]]) -> list[str]:
    """Errors that are neither document errors nor ours."""
    problems = []
    for error in errors:
        message = str(error.get("message", ""))
        code = (error.get("extensions") or {}).get("code")
        if message.startswith("Unexpected error") or code in FAILURE_CODES:
            problems.append(f"{code} error at {error.get('path')}: {message}")
        elif code in OUR_CODES:
            continue
        elif "path" in error:  # raised while executing, and not one of ours: a raw exception's message
            problems.append(f"unmasked error at {error['path']}: {message}")
    return problems


async def ask(http: httpx.AsyncClient, principal: Principal, document: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": document}, headers=bearer(principal.token) if principal.token else {}
    )
    assert response.status_code < 500, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert "data" in body or "errors" in body, body
    return body


async def answer_problems(
    owner: asyncpg.Connection[Any], principal: Principal, body: dict[str, Any]
) -> list[str]:
    problems = error_problems(body.get("errors") or [])
    problems += await Oracle(owner, principal.reach).outside(set(global_ids(body.get("data"))))
    return problems


# Where each row is: its jurisdiction paths, and the case or child it belongs to (for rows a transfer moves).
# The receiving side's answer to a transfer or a referral goes into the case's history, wherever the case is:
# such an event lies on both sides.
LOCATED_ROWS = """
SELECT 'jurisdictions' AS t, id, ARRAY[path::text] AS paths, NULL::bigint AS case_id, NULL::bigint AS child_id,
       md5(row_to_json(x)::text) AS digest FROM jurisdictions x
UNION ALL SELECT 'organisations', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM organisations x
UNION ALL SELECT 'institutions', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM institutions x
UNION ALL SELECT 'programmes', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM programmes x
UNION ALL SELECT 'users', id, ARRAY(SELECT r.path::text FROM role_assignments r WHERE r.user_id = x.id), NULL, NULL,
       md5(row_to_json(x)::text) FROM users x
UNION ALL SELECT 'role_assignments', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text)
       FROM role_assignments x
UNION ALL SELECT 'api_clients', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM api_clients x
UNION ALL SELECT 'households', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM households x
UNION ALL SELECT 'children', id, ARRAY[path::text], NULL, id, md5(row_to_json(x)::text) FROM children x
UNION ALL SELECT 'child_identities', x.child_id, ARRAY[c.path::text], NULL, x.child_id, md5(row_to_json(x)::text)
       FROM child_identities x JOIN children c ON c.id = x.child_id
UNION ALL SELECT 'child_identity_history', x.id, ARRAY[c.path::text], NULL, x.child_id, md5(row_to_json(x)::text)
       FROM child_identity_history x JOIN children c ON c.id = x.child_id
UNION ALL SELECT 'guardians', x.id, ARRAY[c.path::text], NULL, x.child_id, md5(row_to_json(x)::text)
       FROM guardians x JOIN children c ON c.id = x.child_id
UNION ALL SELECT 'consents', x.id, ARRAY[c.path::text], x.case_id, x.child_id, md5(row_to_json(x)::text)
       FROM consents x JOIN children c ON c.id = x.child_id
UNION ALL SELECT 'cases', id, ARRAY[path::text], id, child_id, md5(row_to_json(x)::text) FROM cases x
UNION ALL SELECT 'case_events', x.id, ARRAY[c.path::text, t.to_path::text, i.path::text], x.case_id, NULL,
       md5(row_to_json(x)::text)
       FROM case_events x JOIN cases c ON c.id = x.case_id
       LEFT JOIN transfers t ON x.type IN ('TRANSFER_ACCEPTED', 'TRANSFER_REJECTED')
                            AND t.id = (x.data->>'transferId')::bigint
       LEFT JOIN referrals r ON x.type = 'REFERRAL_RESPONDED' AND r.id = (x.data->>'referralId')::bigint
       LEFT JOIN institutions i ON i.id = r.to_institution_id
UNION ALL SELECT 'referrals', x.id, ARRAY[c.path::text, i.path::text], x.case_id, NULL, md5(row_to_json(x)::text)
       FROM referrals x JOIN cases c ON c.id = x.case_id LEFT JOIN institutions i ON i.id = x.to_institution_id
UNION ALL SELECT 'transfers', id, ARRAY[from_path::text, to_path::text], case_id, NULL, md5(row_to_json(x)::text)
       FROM transfers x
UNION ALL SELECT 'incidents', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM incidents x
UNION ALL SELECT 'placements', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM placements x
UNION ALL SELECT 'interventions', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM interventions x
UNION ALL SELECT 'outcomes', id, ARRAY[path::text], NULL, NULL, md5(row_to_json(x)::text) FROM outcomes x
"""


async def rows_outside(
    owner: asyncpg.Connection[Any], writes: tuple[str, ...]
) -> dict[tuple[str, int], asyncpg.Record]:
    """Every row none of whose paths lies where the principal writes."""
    return {
        (row["t"], row["id"]): row
        for row in await owner.fetch(LOCATED_ROWS)
        if not any(path is not None and within(path, writes) for path in row["paths"])
    }


async def changed_outside(
    owner: asyncpg.Connection[Any],
    writes: tuple[str, ...],
    before: dict[tuple[str, int], asyncpg.Record],
    accepted_before: set[int],
) -> list[str]:
    after = await rows_outside(owner, writes)
    # A transfer accepted into the principal's jurisdiction moves its case (and perhaps the child) inside.
    moved = [
        row
        for row in await owner.fetch(
            "SELECT t.case_id, c.child_id, t.to_path::text AS to_path FROM transfers t"
            " JOIN cases c ON c.id = t.case_id WHERE t.status = 'ACCEPTED' AND NOT (t.id = any($1::bigint[]))",
            sorted(accepted_before),
        )
        if within(row["to_path"], writes)
    ]
    moved_cases = {row["case_id"] for row in moved}
    moved_children = {row["child_id"] for row in moved}
    problems = [
        f"{key[0]} {key[1]} {'appeared' if key not in before else 'changed'} outside the writing scope"
        for key, row in after.items()
        if key not in before or before[key]["digest"] != row["digest"]
    ]
    for key, row in before.items():
        if key in after:
            continue
        if row["case_id"] in moved_cases or row["child_id"] in moved_children:
            continue
        problems.append(f"{key[0]} {key[1]} left the rows outside the writing scope")
    return problems


async def accepted_transfers(owner: asyncpg.Connection[Any]) -> set[int]:
    return {row["id"] for row in await owner.fetch("SELECT id FROM transfers WHERE status = 'ACCEPTED'")}


# --- The fuzz tests ----------------------------------------------------------------------------------------


@pytest.fixture
async def world(
    owner: asyncpg.Connection[Any],
    tokens: TokenService,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> FuzzWorld:
    caplog.set_level(logging.WARNING)
    built = await build_world(owner, tokens, client)
    # In the order of the records' names, so that a draw picks the same record on every run.
    POOLS.ids[:] = [built.ids[name] for name in sorted(built.ids)]
    principal_records = {
        gid("User", p.reach.user_id) for p in built.principals if p.reach.user_id is not None
    } | {
        gid("ApiClient", p.reach.client_row_id) for p in built.principals if p.reach.client_row_id is not None
    }
    POOLS.mutation_ids[:] = [value for value in POOLS.ids if value not in principal_records]
    POOLS.by_type.clear()
    for value in POOLS.mutation_ids:
        type_name = (decode(value) or ("", ""))[0]
        POOLS.by_type.setdefault(type_name, []).append(value)
    POOLS.strings[:] = built.strings
    POOLS.codes[:] = built.codes
    return built


SETTINGS = settings(
    deadline=None,
    derandomize=True,  # the same documents on every run and in CI
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the examples share the test's database on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
# Which principal asks (the principals' list begins with the one who may do most).
PRINCIPAL_INDEX = spread(7)


# --- The checks themselves can fail ----------------------------------------------------------------------


def principal(world: FuzzWorld, name: str) -> Principal:
    return next(p for p in world.principals if p.name == name)


def record(world: FuzzWorld, name: str) -> tuple[str, str]:
    found = decode(world.ids[name])
    assert found is not None
    return found


async def test_the_reference_refuses_records_outside_each_principals_scope(
    world: FuzzWorld, owner: asyncpg.Connection[Any]
) -> None:
    def oracle(name: str) -> Oracle:
        return Oracle(owner, principal(world, name).reach)

    karachi_case, lahore_case = record(world, "case.karachi"), record(world, "case.lahore_district")
    unshared, shared = record(world, "child.lahore_unshared"), record(world, "child.lahore_uc")
    others_case, own_case = record(world, "case.lahore_uc_other"), record(world, "case.lahore_uc")

    assert await oracle("lahore_officer").outside({lahore_case, shared, unshared}) == []
    assert await oracle("lahore_officer").outside({karachi_case}) == [
        f"Case:{karachi_case[1]} is outside the scope"
    ]
    assert await oracle("sindh_manager").outside({karachi_case}) == []
    assert await oracle("client").outside({shared}) == []
    assert await oracle("client").outside({unshared}) == [f"Child:{unshared[1]} is outside the scope"]
    assert await oracle("caseworker").outside({own_case}) == []
    assert await oracle("caseworker").outside({others_case}) == [
        f"Case:{others_case[1]} is outside the scope"
    ]
    assert await oracle("analyst").outside({shared}) == [f"Child:{shared[1]} is outside the scope"]
    assert await oracle("anonymous").outside({record(world, "jurisdiction.karachi")}) == []
    assert await oracle("auditor").outside({("Case", "9" * 18)}) == [f"Case:{'9' * 18} names no record"]


async def test_the_reference_agrees_with_the_lists_each_principal_gets(
    world: FuzzWorld, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    """Not too strict and not too lax: each list holds exactly the world's records the reference allows."""
    lists = {"cases": "Case", "children": "Child", "transfers": "Transfer", "referrals": "Referral"}
    fields = " ".join(f"{name}(first: 100) {{ edges {{ node {{ id }} }} }}" for name in lists)
    known = [found for value in world.ids.values() if (found := decode(value)) is not None]
    for asking in world.principals:
        data = (await ask(client, asking, "{ " + fields + " }")).get("data") or {}
        for name, type_name in lists.items():
            everything = {found for found in known if found[0] == type_name}
            refused = set(await Oracle(owner, asking.reach).outside(everything))
            allowed = {
                found for found in everything if f"{found[0]}:{found[1]} is outside the scope" not in refused
            }
            listed = {decode(edge["node"]["id"]) for edge in (data.get(name) or {}).get("edges", [])}
            assert listed == allowed, (asking.name, name)


async def test_a_change_outside_the_writing_scope_is_found(
    world: FuzzWorld, owner: asyncpg.Connection[Any]
) -> None:
    writes = principal(world, "lahore_officer").reach.writes
    karachi_case, lahore_case = record(world, "case.karachi")[1], record(world, "case.lahore_district")[1]
    before, accepted = await rows_outside(owner, writes), await accepted_transfers(owner)

    await owner.execute(
        "UPDATE cases SET risk_level = 'HIGH' WHERE id = any($1::bigint[])",
        [int(karachi_case), int(lahore_case)],
    )

    assert await changed_outside(owner, writes, before, accepted) == [
        f"cases {karachi_case} changed outside the writing scope"
    ]


async def test_answers_to_transfers_and_referrals_are_no_change_outside_the_answering_scope(
    world: FuzzWorld, client: httpx.AsyncClient, owner: asyncpg.Connection[Any]
) -> None:
    """Sindh takes Lahore's case and accepts its referral: the case moves in, and both answers go into the
    history of a case that was outside Sindh. Neither is a change outside Sindh's scope."""
    sindh = principal(world, "sindh_manager")
    answers = {
        "respondToReferral": ("referralId", "referral.lahore_to_karachi"),
        "respondToTransfer": ("transferId", "transfer.lahore_to_karachi"),
    }
    for mutation, (key, name) in answers.items():
        before, accepted = await rows_outside(owner, sindh.reach.writes), await accepted_transfers(owner)
        document = (
            f'mutation {{ {mutation}(input: {{ {key}: "{world.ids[name]}", version: 1, response: ACCEPT }})'
            " { errors { code field message } } }"
        )

        body = await ask(client, sindh, document)

        assert body["data"][mutation]["errors"] == [], body
        assert await changed_outside(owner, sindh.reach.writes, before, accepted) == []


def test_errors_other_than_ours_and_document_errors_are_found() -> None:
    ours = {"message": "No such case.", "path": ["x"], "extensions": {"code": "NOT_FOUND"}}
    invalid = {
        "message": "Expected value of type 'Int', found \"a\".",
        "locations": [{"line": 1, "column": 2}],
    }
    coercion = {"message": 'Value cannot represent a GlobalID: "x".', "path": ["x"]}
    typed_coercion = {**coercion, "extensions": {"code": "VALIDATION"}}
    masked = {"message": "Unexpected error.", "path": ["x"], "extensions": {"code": "INTERNAL"}}
    unavailable = {
        "message": "The registry's database is unavailable; retry shortly.",
        "extensions": {"code": "UNAVAILABLE"},
    }
    raw = {"message": "Cannot return null for non-nullable field Case.id.", "path": ["x"]}

    assert error_problems([ours, invalid, typed_coercion]) == []
    assert len(error_problems([masked, unavailable, raw, coercion])) == 4


def logged_problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the app logged as a warning or worse while answering: a failure after the answer was sent
    (closing the request's session, say) shows only there."""
    return [
        f"logged: {record.getMessage()[:300]}"
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]


@settings(SETTINGS, max_examples=QUERY_EXAMPLES)
@given(which=PRINCIPAL_INDEX, document=query_documents())
async def test_generated_queries_answer_within_scope_with_typed_errors(
    world: FuzzWorld,
    client: httpx.AsyncClient,
    owner: asyncpg.Connection[Any],
    caplog: pytest.LogCaptureFixture,
    which: int,
    document: str,
) -> None:
    principal = world.principals[which]
    caplog.clear()
    body = await ask(client, principal, document)
    problems = await answer_problems(owner, principal, body) + logged_problems(caplog)
    found = any(True for _ in global_ids(body.get("data")))
    event(f"{principal.name}: {'records in the answer' if found else 'no record in the answer'}")
    assert problems == [], document


@settings(SETTINGS, max_examples=MUTATION_EXAMPLES)
@given(which=PRINCIPAL_INDEX, document=mutation_documents())
async def test_generated_mutations_change_nothing_outside_scope_and_answer_with_typed_errors(
    world: FuzzWorld,
    client: httpx.AsyncClient,
    owner: asyncpg.Connection[Any],
    caplog: pytest.LogCaptureFixture,
    which: int,
    document: str,
) -> None:
    principal = world.principals[which]
    before = await rows_outside(owner, principal.reach.writes)
    accepted = await accepted_transfers(owner)
    caplog.clear()
    body = await ask(client, principal, document)
    problems = await answer_problems(owner, principal, body) + logged_problems(caplog)
    problems += await changed_outside(owner, principal.reach.writes, before, accepted)
    for name, payload in (body.get("data") or {}).items():
        if isinstance(payload, dict):
            event(f"{principal.name}: {name} {'refused' if payload.get('errors') else 'done'}")
    assert problems == [], document
