"""The case rollups always equal a recount from the cases, whatever sequence of changes came before."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import SmallTree, make_child, make_small_tree

CASE_NUMBERS = itertools.count(1)
KINDS = ("CHILD_LABOUR", "CHILD_VICTIM", "MISSING_CHILD")
STAGES = ("REGISTERED", "ASSESSED", "CLOSED")
SEXES = ("MALE", "FEMALE", "TRANSGENDER")

# Each step: (operation, a number picking the case or child, a value).
steps = st.lists(
    st.tuples(
        st.sampled_from(("open", "stage", "kind", "risk", "move", "sex", "birth_year", "delete", "compact")),
        st.integers(0, 1000),
        st.integers(0, 1000),
    ),
    min_size=1,
    max_size=25,
)

RECOUNT = """
SELECT {dims}, count(*)::bigint AS n
FROM cases c, LATERAL registry_case_count_key(c.path, c.child_id, c.opened_at) k
GROUP BY {dims}
"""
ROLLUP = """
SELECT {dims}, sum(n)::bigint AS n FROM (
    SELECT path AS district_path, kind, stage, risk_level, sex, age_band, is_open, opened_month, n
    FROM case_counts WHERE cuboid = $1
    UNION ALL
    SELECT path, kind, stage, risk_level, sex, age_band, stage <> 'CLOSED', opened_month, delta
    FROM case_count_changes
) s GROUP BY {dims} HAVING sum(n) <> 0
"""
CUBOIDS = {
    1: "district_path, kind, stage, risk_level, sex, age_band",
    2: "district_path, kind, sex, age_band, is_open",
    3: "district_path, kind, is_open, opened_month",
}
RECOUNT_DIMS = {
    1: "k.district_path, c.kind, c.stage, c.risk_level, k.sex, k.age_band",
    2: "k.district_path, c.kind, k.sex, k.age_band, c.stage <> 'CLOSED'",
    3: "k.district_path, c.kind, c.stage <> 'CLOSED', k.opened_month",
}


async def apply(owner: asyncpg.Connection[Any], tree: SmallTree, step: tuple[str, int, int]) -> None:
    operation, pick, value = step
    places = (tree.lahore, tree.lahore_community, tree.multan, tree.karachi, tree.punjab)
    case_ids = [row["id"] for row in await owner.fetch("SELECT id FROM cases ORDER BY id")]
    child_ids = [row["id"] for row in await owner.fetch("SELECT id FROM children ORDER BY id")]
    case = case_ids[pick % len(case_ids)] if case_ids else None
    if operation == "open" or case is None:
        place = places[value % len(places)]
        child = child_ids[pick % len(child_ids)] if child_ids and pick % 3 else await make_child(owner, place)
        opened = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=value % 500, hours=value % 24)
        await owner.execute(
            "INSERT INTO cases (case_number, child_id, kind, stage, risk_level, opened_at, jurisdiction_id,"
            " path) VALUES ($1, $2, $3, 'REGISTERED', 'LOW', $4, $5, $6)",
            f"P-{next(CASE_NUMBERS)}",
            child,
            KINDS[value % len(KINDS)],
            opened,
            place.id,
            place.path,
        )
    elif operation == "stage":
        stage = STAGES[value % len(STAGES)]
        await owner.execute(
            "UPDATE cases SET stage = $2::case_stage, closed_at = CASE WHEN $2::text = 'CLOSED' THEN opened_at END,"
            " closure_reason = CASE WHEN $2::text = 'CLOSED' THEN 'done' END WHERE id = $1",
            case,
            stage,
        )
    elif operation == "kind":
        await owner.execute("UPDATE cases SET kind = $2 WHERE id = $1", case, KINDS[value % len(KINDS)])
    elif operation == "risk":
        await owner.execute(
            "UPDATE cases SET risk_level = $2 WHERE id = $1", case, ("LOW", "HIGH")[value % 2]
        )
    elif operation == "move":  # what an accepted transfer does
        place = places[value % len(places)]
        await owner.execute(
            "UPDATE cases SET jurisdiction_id = $2, path = $3 WHERE id = $1", case, place.id, place.path
        )
    elif operation == "sex":
        child = child_ids[pick % len(child_ids)]
        await owner.execute("UPDATE children SET sex = $2 WHERE id = $1", child, SEXES[value % len(SEXES)])
    elif operation == "birth_year":
        child = child_ids[pick % len(child_ids)]
        await owner.execute(
            "UPDATE children SET birth_year = extract(year FROM registered_on)::int - age_at_registration"
            " - ($2 % 2) WHERE id = $1",
            child,
            value,
        )
    elif operation == "delete":
        await owner.execute("DELETE FROM case_events WHERE case_id = $1", case)
        await owner.execute("DELETE FROM cases WHERE id = $1", case)
    elif operation == "compact":
        await owner.execute("SELECT registry_compact_case_counts()")


async def mismatches(owner: asyncpg.Connection[Any]) -> dict[int, set[tuple[Any, ...]]]:
    found: dict[int, set[tuple[Any, ...]]] = {}
    for cuboid, dims in CUBOIDS.items():
        rollup = {tuple(r) for r in await owner.fetch(ROLLUP.format(dims=dims), cuboid)}
        recount = {tuple(r) for r in await owner.fetch(RECOUNT.format(dims=RECOUNT_DIMS[cuboid]))}
        if rollup != recount:
            found[cuboid] = rollup ^ recount
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
async def test_every_rollup_equals_a_recount_after_any_sequence_of_changes(
    owner: asyncpg.Connection[Any], sequence: list[tuple[str, int, int]]
) -> None:
    transaction = owner.transaction()
    await transaction.start()
    try:
        tree = await make_small_tree(owner)
        for step in sequence:
            await apply(owner, tree, step)
            assert await mismatches(owner) == {}, step
        await owner.execute("SELECT registry_compact_case_counts()")
        assert await mismatches(owner) == {}
        assert await owner.fetchval("SELECT count(*) FROM case_counts WHERE n <= 0") == 0
    finally:
        await transaction.rollback()  # each example starts from the empty database
