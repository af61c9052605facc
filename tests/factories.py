"""Async factories that insert rows as the database owner. Each test builds the data it needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import asyncpg

_ids = itertools.count(1000)


@dataclass(frozen=True)
class JurisdictionRow:
    id: int
    code: str
    path: str
    level: str


async def make_jurisdiction(
    owner: asyncpg.Connection[Any],
    code: str,
    level: str,
    *,
    parent: JurisdictionRow | None = None,
    name: str | None = None,
) -> JurisdictionRow:
    new_id = next(_ids)
    path = f"{parent.path}.{new_id}" if parent else str(new_id)
    await owner.execute(
        "INSERT INTO jurisdictions (id, code, name, level, parent_id, path) VALUES ($1, $2, $3, $4, $5, $6)",
        new_id,
        code,
        name or code,
        level,
        parent.id if parent else None,
        path,
    )
    return JurisdictionRow(new_id, code, path, level)


@dataclass(frozen=True)
class SmallTree:
    nation: JurisdictionRow
    punjab: JurisdictionRow
    sindh: JurisdictionRow
    lahore: JurisdictionRow
    multan: JurisdictionRow
    karachi: JurisdictionRow
    lahore_community: JurisdictionRow


async def make_small_tree(owner: asyncpg.Connection[Any]) -> SmallTree:
    """PK → Punjab (Lahore → one community, Multan), Sindh (Karachi South)."""
    nation = await make_jurisdiction(owner, "PK", "NATIONAL", name="Pakistan")
    punjab = await make_jurisdiction(owner, "PK-PB", "PROVINCIAL", parent=nation, name="Punjab")
    sindh = await make_jurisdiction(owner, "PK-SD", "PROVINCIAL", parent=nation, name="Sindh")
    lahore = await make_jurisdiction(owner, "PK-PB-LAHORE", "DISTRICT", parent=punjab, name="Lahore")
    multan = await make_jurisdiction(owner, "PK-PB-MULTAN", "DISTRICT", parent=punjab, name="Multan")
    karachi = await make_jurisdiction(
        owner, "PK-SD-KARACHI-SOUTH", "DISTRICT", parent=sindh, name="Karachi South"
    )
    community = await make_jurisdiction(
        owner, "PK-PB-LAHORE-UC1", "COMMUNITY", parent=lahore, name="Union Council 1"
    )
    return SmallTree(nation, punjab, sindh, lahore, multan, karachi, community)


async def make_organisation(
    owner: asyncpg.Connection[Any], where: JurisdictionRow, *, kind: str = "NGO_PARTNER"
) -> int:
    new_id = next(_ids)
    await owner.execute(
        "INSERT INTO organisations (id, code, name, kind, jurisdiction_id, path) VALUES ($1, $2, $3, $4, $5, $6)",
        new_id,
        f"ORG-{new_id}",
        f"Organisation {new_id}",
        kind,
        where.id,
        where.path,
    )
    return new_id


async def make_institution(
    owner: asyncpg.Connection[Any], where: JurisdictionRow, *, type: str, organisation_id: int
) -> int:
    new_id = next(_ids)
    await owner.execute(
        "INSERT INTO institutions (id, code, name, type, organisation_id, jurisdiction_id, path, capacity)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 20)",
        new_id,
        f"INST-{new_id}",
        f"Institution {new_id}",
        type,
        organisation_id,
        where.id,
        where.path,
    )
    return new_id


async def make_child(
    owner: asyncpg.Connection[Any], where: JurisdictionRow, *, age: int = 12, sex: str = "MALE"
) -> int:
    new_id = next(_ids)
    await owner.execute(
        "INSERT INTO children (id, jurisdiction_id, path, sex, birth_year, age_at_registration, registered_on)"
        " VALUES ($1, $2, $3, $4, $5, $6, DATE '2026-01-15')",
        new_id,
        where.id,
        where.path,
        sex,
        2026 - age,
        age,
    )
    return new_id


async def make_user(
    owner: asyncpg.Connection[Any],
    role: str,
    where: JurisdictionRow,
    *,
    organisation_id: int,
    username: str | None = None,
    password: str | None = None,
    active: bool = True,
) -> int:
    """A person with one role at ``where``."""
    from registry.auth.passwords import hash_password

    new_id = next(_ids)
    await owner.execute(
        "INSERT INTO users (id, username, display_name, organisation_id, password_hash, active)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        new_id,
        username or f"user{new_id}",
        f"User {new_id}",
        organisation_id,
        hash_password(password) if password else None,
        active,
    )
    await owner.execute(
        "INSERT INTO role_assignments (user_id, role, jurisdiction_id, path) VALUES ($1, $2, $3, $4)",
        new_id,
        role,
        where.id,
        where.path,
    )
    return new_id


async def make_api_client(
    owner: asyncpg.Connection[Any],
    where: JurisdictionRow,
    *,
    organisation_id: int,
    created_by: int,
    scopes: list[str],
    secret: str = "test-secret",
) -> tuple[int, str]:
    """An API client; returns its row id and OAuth client_id."""
    from registry.auth.secrets import secret_hash

    new_id = next(_ids)
    client_id = f"client-{new_id}"
    await owner.execute(
        "INSERT INTO api_clients (id, client_id, name, organisation_id, scopes, secret_hash, created_by_id,"
        " jurisdiction_id, path) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        new_id,
        client_id,
        f"Client {new_id}",
        organisation_id,
        scopes,
        secret_hash(secret),
        created_by,
        where.id,
        where.path,
    )
    return new_id, client_id


async def make_case(
    owner: asyncpg.Connection[Any],
    child_id: int,
    where: JurisdictionRow,
    *,
    kind: str = "CHILD_LABOUR",
    assigned_to: int | None = None,
    stage: str = "REGISTERED",
) -> int:
    import datetime as dt

    new_id = next(_ids)
    opened = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
    closed = opened + dt.timedelta(days=30) if stage == "CLOSED" else None
    await owner.execute(
        "INSERT INTO cases (id, case_number, child_id, kind, stage, risk_level, assigned_to_id, opened_at,"
        " closed_at, closure_reason, jurisdiction_id, path)"
        " VALUES ($1, $2, $3, $4, $5, 'MEDIUM', $6, $7, $8, $9, $10, $11)",
        new_id,
        f"C-{new_id}",
        child_id,
        kind,
        stage,
        assigned_to,
        opened,
        closed,
        "reunified" if closed else None,
        where.id,
        where.path,
    )
    await owner.execute(
        "INSERT INTO case_events (case_id, type, occurred_at, to_stage) VALUES ($1, 'OPENED', $2, 'REGISTERED')",
        new_id,
        opened,
    )
    if kind == "CHILD_IN_CONFLICT_WITH_LAW":
        await owner.execute("UPDATE children SET identity_restricted = true WHERE id = $1", child_id)
    return new_id


async def name_child(owner: asyncpg.Connection[Any], child_id: int, full_name: str) -> None:
    await owner.execute(
        "INSERT INTO child_identities (child_id, full_name, date_of_birth) VALUES ($1, $2, DATE '2014-03-02')",
        child_id,
        full_name,
    )


@dataclass
class World:
    tree: SmallTree
    users: dict[str, int]
    cases: dict[str, int]
    children: dict[str, int]


async def make_world(owner: asyncpg.Connection[Any]) -> World:
    """A small tree with staff of every role, and three children with a case each: one in a Lahore
    community (assigned to ``lahore_worker``), one in Karachi, and one in conflict with the law in the
    Lahore community (assigned to ``other_worker``)."""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="MINISTRY")
    users = {
        "lahore_officer": await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org),
        "karachi_officer": await make_user(owner, "DISTRICT_OFFICER", tree.karachi, organisation_id=org),
        "punjab_manager": await make_user(owner, "PROVINCIAL_MANAGER", tree.punjab, organisation_id=org),
        "lahore_worker": await make_user(owner, "CASE_WORKER", tree.lahore_community, organisation_id=org),
        "other_worker": await make_user(owner, "CASE_WORKER", tree.lahore_community, organisation_id=org),
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "admin": await make_user(owner, "SYSTEM_ADMIN", tree.nation, organisation_id=org),
        "auditor": await make_user(owner, "AUDITOR", tree.nation, organisation_id=org),
        "police": await make_user(owner, "POLICE_MONITOR", tree.punjab, organisation_id=org),
    }
    children = {
        "lahore": await make_child(owner, tree.lahore_community),
        "karachi": await make_child(owner, tree.karachi),
        "cicl": await make_child(owner, tree.lahore_community),
    }
    for key, child in children.items():
        await name_child(owner, child, f"Child {key}")
    cases = {
        "lahore": await make_case(
            owner, children["lahore"], tree.lahore_community, assigned_to=users["lahore_worker"]
        ),
        "karachi": await make_case(owner, children["karachi"], tree.karachi),
        "cicl": await make_case(
            owner,
            children["cicl"],
            tree.lahore_community,
            kind="CHILD_IN_CONFLICT_WITH_LAW",
            assigned_to=users["other_worker"],
        ),
    }
    return World(tree, users, cases, children)
