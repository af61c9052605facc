"""The database itself refuses impossible records, whatever the code above it does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest

from tests.factories import make_child, make_institution, make_organisation, make_small_tree


def _ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


async def test_a_child_must_be_under_18_at_registration(owner: asyncpg.Connection[Any]) -> None:
    tree = await make_small_tree(owner)

    await make_child(owner, tree.lahore, age=17)
    with pytest.raises(asyncpg.CheckViolationError, match="under_18_at_registration"):
        await make_child(owner, tree.lahore, age=18)


async def test_a_record_path_must_be_its_jurisdictions_path(owner: asyncpg.Connection[Any]) -> None:
    tree = await make_small_tree(owner)

    with pytest.raises(asyncpg.ForeignKeyViolationError, match="jurisdiction_path"):
        await owner.execute(
            "INSERT INTO children (jurisdiction_id, path, sex, birth_year, age_at_registration, registered_on)"
            " VALUES ($1, $2, 'MALE', 2014, 12, DATE '2026-01-15')",
            tree.lahore.id,
            tree.karachi.path,
        )


async def test_moving_a_jurisdiction_carries_its_records_paths_along(owner: asyncpg.Connection[Any]) -> None:
    tree = await make_small_tree(owner)
    child = await make_child(owner, tree.lahore)

    await owner.execute(
        "UPDATE jurisdictions SET path = $1, parent_id = $2 WHERE id = $3",
        f"{tree.sindh.path}.{tree.lahore.id}",
        tree.sindh.id,
        tree.lahore.id,
    )

    assert await owner.fetchval("SELECT path::text FROM children WHERE id = $1", child) == (
        f"{tree.sindh.path}.{tree.lahore.id}"
    )


async def test_a_placement_ends_after_it_starts_and_ending_needs_a_reason(
    owner: asyncpg.Connection[Any],
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="POLICE")
    station = await make_institution(owner, tree.lahore, type="POLICE_STATION", organisation_id=org)
    child = await make_child(owner, tree.lahore)
    insert = (
        "INSERT INTO placements (child_id, institution_id, kind, started_at, ended_at, end_reason,"
        " segregated_from_adults, jurisdiction_id, path)"
        " VALUES ($1, $2, 'POLICE_CUSTODY', $3, $4, $5, true, $6, $7)"
    )
    args = (child, station, tree.lahore.id, tree.lahore.path)

    with pytest.raises(asyncpg.CheckViolationError, match="ends_after_start"):
        await owner.execute(
            insert, args[0], args[1], _ts("2026-03-02"), _ts("2026-03-01"), "RELEASED_ON_BAIL", *args[2:]
        )
    with pytest.raises(asyncpg.CheckViolationError, match="end_has_reason"):
        await owner.execute(insert, args[0], args[1], _ts("2026-03-01"), _ts("2026-03-02"), None, *args[2:])
    await owner.execute(
        insert, args[0], args[1], _ts("2026-03-01"), _ts("2026-03-02"), "RELEASED_ON_BAIL", *args[2:]
    )


async def test_an_incident_has_a_direction_and_is_recorded_at_a_police_station(
    owner: asyncpg.Connection[Any],
) -> None:
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.lahore, kind="POLICE")
    station = await make_institution(owner, tree.lahore, type="POLICE_STATION", organisation_id=org)
    shelter = await make_institution(owner, tree.lahore, type="SHELTER", organisation_id=org)
    insert = (
        "INSERT INTO incidents (police_station_id, direction, offence, occurred_on, jurisdiction_id, path)"
        " VALUES ($1, $2, 'THEFT', DATE '2026-02-01', $3, $4)"
    )

    with pytest.raises(asyncpg.NotNullViolationError):
        await owner.execute(insert, station, None, tree.lahore.id, tree.lahore.path)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="police_station"):
        await owner.execute(insert, shelter, "BY_CHILD", tree.lahore.id, tree.lahore.path)
    await owner.execute(insert, station, "AGAINST_CHILD", tree.lahore.id, tree.lahore.path)


async def test_codes_are_unique_and_well_formed(owner: asyncpg.Connection[Any]) -> None:
    tree = await make_small_tree(owner)
    insert = "INSERT INTO jurisdictions (id, code, name, level, parent_id, path) VALUES ($1, $2, 'x', 'DISTRICT', $3, $4)"

    with pytest.raises(asyncpg.UniqueViolationError):
        await owner.execute(insert, 99001, "PK-PB-LAHORE", tree.punjab.id, f"{tree.punjab.path}.99001")
    with pytest.raises(asyncpg.CheckViolationError, match="code_format"):
        await owner.execute(insert, 99002, "pk-pb-lower", tree.punjab.id, f"{tree.punjab.path}.99002")
    with pytest.raises(asyncpg.CheckViolationError, match="path_ends_with_id"):
        await owner.execute(insert, 99003, "PK-PB-X", tree.punjab.id, f"{tree.punjab.path}.12345")


async def test_a_closed_case_has_a_closing_date_and_reason(owner: asyncpg.Connection[Any]) -> None:
    tree = await make_small_tree(owner)
    child = await make_child(owner, tree.lahore)
    insert = (
        "INSERT INTO cases (case_number, child_id, kind, stage, risk_level, opened_at, closed_at, closure_reason,"
        " jurisdiction_id, path) VALUES ($1, $2, 'CHILD_LABOUR', $3, 'LOW', TIMESTAMPTZ '2026-01-01', $4, $5, $6, $7)"
    )
    loc = (tree.lahore.id, tree.lahore.path)

    with pytest.raises(asyncpg.CheckViolationError, match="closed_iff_closed_at"):
        await owner.execute(insert, "C-1", child, "CLOSED", None, "done", *loc)
    with pytest.raises(asyncpg.CheckViolationError, match="closure_has_reason"):
        await owner.execute(insert, "C-2", child, "CLOSED", _ts("2026-02-01"), None, *loc)
    await owner.execute(insert, "C-3", child, "CLOSED", _ts("2026-02-01"), "reunified", *loc)
