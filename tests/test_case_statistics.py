"""``caseStatistics``: who sees which counts, exact or with small cells withheld so they cannot be recovered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL

from registry.auth.tokens import TokenService
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import GraphQLClient, make_settings, user_token
from tests.factories import (
    SmallTree,
    make_case,
    make_child,
    make_jurisdiction,
    make_organisation,
    make_small_tree,
    make_user,
)

STATISTICS = """
query($j: String!, $by: [CaseDimension!], $level: JurisdictionLevel, $period: PeriodUnit,
      $filter: CaseStatisticsFilter) {
  caseStatistics(jurisdiction: $j, groupBy: $by, level: $level, period: $period, filter: $filter) {
    total disclosure { exact threshold }
    cells { jurisdiction { code } sex kind open period count suppressed }
  }
}"""

# (district, sex) -> cases; Lahore's two girls are the small cell.
CASES = {("lahore", "MALE"): 8, ("lahore", "FEMALE"): 2, ("multan", "MALE"): 7, ("multan", "FEMALE"): 6}
CASES |= {("karachi", "MALE"): 9, ("karachi", "FEMALE"): 7}


@dataclass
class World:
    tree: SmallTree
    users: dict[str, int]


@pytest.fixture
async def world(owner: asyncpg.Connection[Any]) -> World:
    tree = await make_small_tree(owner)
    for (district, sex), count in CASES.items():
        for _ in range(count):
            child = await make_child(owner, getattr(tree, district), sex=sex)
            await make_case(owner, child, getattr(tree, district))
    org = await make_organisation(owner, tree.nation)
    users = {
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "lahore_officer": await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org),
        "lahore_worker": await make_user(owner, "CASE_WORKER", tree.lahore_community, organisation_id=org),
        "police": await make_user(owner, "POLICE_MONITOR", tree.punjab, organisation_id=org),
        "auditor": await make_user(owner, "AUDITOR", tree.nation, organisation_id=org),
    }
    return World(tree, users)


async def statistics(
    graphql: GraphQLClient, token: str | None, jurisdiction: str, **variables: Any
) -> dict[str, Any]:
    data = await graphql.data(STATISTICS, {"j": jurisdiction, **variables}, token=token)
    result: dict[str, Any] = data["caseStatistics"]
    return result


def by_place_and_sex(result: dict[str, Any]) -> dict[tuple[str | None, str | None], int | None]:
    return {
        ((cell["jurisdiction"] or {}).get("code"), cell["sex"]): cell["count"] for cell in result["cells"]
    }


async def test_district_officer_gets_exact_counts_of_own_district(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    result = await statistics(graphql, token, "PK-PB-LAHORE", by=["SEX"])
    assert result["disclosure"]["exact"] is True
    assert by_place_and_sex(result) == {(None, "MALE"): 8, (None, "FEMALE"): 2}
    assert result["total"] == 10


@pytest.mark.parametrize(
    ("who", "jurisdiction"),
    [
        ("lahore_officer", "PK-SD-KARACHI-SOUTH"),
        ("lahore_officer", "PK-PB"),
        ("lahore_officer", "PK"),
        ("lahore_worker", "PK-PB-LAHORE"),  # caseworkers hold no statistics:read
        ("police", "PK-PB"),
        ("auditor", "PK"),
        (None, "PK"),
    ],
)
async def test_statistics_outside_the_callers_scope_are_not_found(
    world: World, tokens: TokenService, graphql: GraphQLClient, who: str | None, jurisdiction: str
) -> None:
    token = user_token(tokens, world.users[who]) if who else None
    response = await graphql.post(STATISTICS, {"j": jurisdiction, "by": ["SEX"]}, token=token)
    assert response["data"] is None
    assert [error["extensions"]["code"] for error in response["errors"]] == ["NOT_FOUND"]


async def test_analyst_never_gets_a_count_below_the_threshold(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["analyst"])
    for level in ("PROVINCIAL", "DISTRICT"):
        for by in ([], ["SEX"], ["KIND", "SEX"], ["OPEN", "SEX"]):
            result = await statistics(graphql, token, "PK", by=by, level=level)
            assert result["disclosure"] == {"exact": False, "threshold": 5}
            counts = [cell["count"] for cell in result["cells"] if cell["count"] is not None]
            assert all(count >= 5 for count in counts), (level, by, result)
            assert all((cell["count"] is None) == cell["suppressed"] for cell in result["cells"])


async def test_withheld_cell_cannot_be_worked_out_from_totals_siblings_or_parents(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["analyst"])
    table = by_place_and_sex(await statistics(graphql, token, "PK", by=["SEX"], level="DISTRICT"))
    assert table[("PK-PB-LAHORE", "FEMALE")] is None
    # Everything the analyst can also ask for: district totals, province by sex, sex nationally, the total.
    known: list[tuple[dict[tuple[str, str], int], int]] = []
    districts = by_place_and_sex(await statistics(graphql, token, "PK", level="DISTRICT"))
    provinces = by_place_and_sex(await statistics(graphql, token, "PK", by=["SEX"], level="PROVINCIAL"))
    nation = by_place_and_sex(await statistics(graphql, token, "PK", by=["SEX"]))
    in_province = {"PK-PB": ("PK-PB-LAHORE", "PK-PB-MULTAN"), "PK-SD": ("PK-SD-KARACHI-SOUTH",)}
    for (district, _), total in districts.items():
        if total is not None and district is not None:
            known.append(({(district, sex): 1 for sex in ("MALE", "FEMALE")}, total))
    for (province, sex), total in provinces.items():
        if total is not None and province is not None and sex is not None:
            known.append(({(d, sex): 1 for d in in_province[province]}, total))
    for (_, sex), total in nation.items():
        if total is not None and sex is not None:
            known.append(({(d, sex): 1 for ds in in_province.values() for d in ds}, total))
    for key, count in table.items():
        if count is not None:
            known.append(({(str(key[0]), str(key[1])): 1}, count))
    assert not determined(("PK-PB-LAHORE", "FEMALE"), known)


def determined(cell: tuple[str, str], equations: list[tuple[dict[tuple[str, str], int], int]]) -> bool:
    """Is ``cell`` fixed by the linear equations? (Its unit vector is in their row space.)"""
    variables = sorted({v for coefficients, _ in equations for v in coefficients})
    rows = [[Fraction(coefficients.get(v, 0)) for v in variables] for coefficients, _ in equations]
    target = [Fraction(1 if v == cell else 0) for v in variables]
    return rank([*rows, target]) == rank(rows)


def rank(rows: list[list[Fraction]]) -> int:
    rows = [row[:] for row in rows]
    found = 0
    for column in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(found, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        for r in range(len(rows)):
            if r != found and rows[r][column] != 0:
                factor = rows[r][column] / rows[found][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[found], strict=True)]
        found += 1
    return found


async def test_analyst_may_not_subtract_one_filtered_answer_from_another(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["analyst"])
    for flt, field in (
        ({"sexes": ["MALE", "FEMALE"]}, "filter"),
        ({"opened": {"from": "2026-02-01", "to": "2026-03-31"}}, "filter.opened"),
        ({"opened": {"from": "2026-02-01", "to": "2026-12-31"}}, "filter.opened"),
    ):
        response = await graphql.post(STATISTICS, {"j": "PK", "filter": flt}, token=token)
        assert response["data"] is None
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in response["errors"]] == [
            ("VALIDATION", field)
        ]
    # One whole period is a cell of a coarser grouping, so it is allowed.
    one_month = {"opened": {"from": "2026-02-01", "to": "2026-02-28"}, "sexes": ["MALE"]}
    result = await statistics(graphql, token, "PK", filter=one_month)
    assert result["total"] == 24


async def test_exact_callers_may_filter_freely(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    flt = {"sexes": ["MALE", "FEMALE"], "opened": {"from": "2026-01-01", "to": "2026-03-31"}}
    result = await statistics(graphql, token, "PK-PB-LAHORE", filter=flt, period="MONTH")
    assert [(cell["period"], cell["count"]) for cell in result["cells"]] == [("2026-02-01", 10)]


async def test_a_case_change_shows_in_the_figures_at_once(
    world: World, tokens: TokenService, graphql: GraphQLClient, owner: asyncpg.Connection[Any]
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    before = await statistics(graphql, token, "PK-PB-LAHORE", by=["OPEN"])
    assert [(c["open"], c["count"]) for c in before["cells"]] == [(True, 10)]
    case_id = await owner.fetchval("SELECT id FROM cases WHERE path <@ $1 LIMIT 1", world.tree.lahore.path)
    await owner.execute(
        "UPDATE cases SET stage = 'CLOSED', closed_at = opened_at + interval '1 day', closure_reason = 'x'"
        " WHERE id = $1",
        case_id,
    )
    after = await statistics(graphql, token, "PK-PB-LAHORE", by=["OPEN"])
    assert sorted((c["open"], c["count"]) for c in after["cells"]) == [(False, 1), (True, 9)]
    assert await owner.fetchval("SELECT registry_compact_case_counts()") > 0
    assert await statistics(graphql, token, "PK-PB-LAHORE", by=["OPEN"]) == after


async def test_groupings_no_rollup_covers_are_recounted_from_the_cases(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    result = await statistics(graphql, token, "PK-PB-LAHORE", by=["SEX"], level="COMMUNITY")
    assert sorted((c["jurisdiction"]["code"], c["sex"], c["count"]) for c in result["cells"]) == [
        ("PK-PB-LAHORE", "FEMALE", 2),
        ("PK-PB-LAHORE", "MALE", 8),
    ]


async def test_level_above_the_jurisdiction_is_refused(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["lahore_officer"])
    response = await graphql.post(STATISTICS, {"j": "PK-PB-LAHORE", "level": "PROVINCIAL"}, token=token)
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in response["errors"]] == [
        ("VALIDATION", "level")
    ]


@pytest.fixture
async def app_connection(database: URL) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect_owner(app_url_for(database, make_settings()))
    yield connection
    await connection.close()


async def test_rollups_are_not_readable_without_a_statistics_scope(
    world: World, app_connection: asyncpg.Connection[Any]
) -> None:
    await app_connection.execute("SELECT registry_compact_case_counts()")
    lahore, punjab = world.tree.lahore.path, world.tree.punjab.path
    raw = "SELECT * FROM registry_case_counts_raw($1::ltree)"
    async with app_connection.transaction():
        # A record scope is not a statistics scope.
        await app_connection.execute("SELECT set_config('registry.scope', $1, true)", "{" + lahore + ".*}")
        assert await app_connection.fetchval("SELECT count(*) FROM case_counts") == 0
        await refused(app_connection, raw, lahore)
    async with app_connection.transaction():
        await app_connection.execute(
            "SELECT set_config('registry.statistics_scope', $1, true)", "{" + lahore + ".*}"
        )
        rows = await app_connection.fetch("SELECT DISTINCT path::text FROM case_counts")
        assert {row["path"] for row in rows} == {lahore}
        await refused(app_connection, raw, punjab)
        await refused(app_connection, "DELETE FROM case_counts")
        await refused(
            app_connection,
            "INSERT INTO case_count_changes (path, kind, stage, risk_level, sex,"
            " age_band, opened_month, delta) VALUES ($1, 'CHILD_LABOUR', 'REGISTERED', 'LOW', 'MALE',"
            " 1, DATE '2026-01-01', 1)",
            lahore,
        )


async def refused(connection: asyncpg.Connection[Any], statement: str, *arguments: Any) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with connection.transaction():  # a savepoint: the enclosing transaction carries on
            await connection.execute(statement, *arguments)


async def test_analysts_filters_and_parts_of_the_tree_report_cells_of_the_same_protected_table(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    # One district's figures, one sex's, one province's districts: each is read out of the national table by
    # district and sex, never protected on its own, so no two answers can be subtracted.
    token = user_token(tokens, world.users["analyst"])
    national = by_place_and_sex(await statistics(graphql, token, "PK", by=["SEX"], level="DISTRICT"))
    assert national[("PK-PB-LAHORE", "FEMALE")] is None
    punjab = by_place_and_sex(await statistics(graphql, token, "PK-PB", by=["SEX"], level="DISTRICT"))
    assert punjab == {
        key: count for key, count in national.items() if key[0] in ("PK-PB-LAHORE", "PK-PB-MULTAN")
    }
    girls = await statistics(graphql, token, "PK", by=["SEX"], level="DISTRICT", filter={"sexes": ["FEMALE"]})
    assert by_place_and_sex(girls) == {key: count for key, count in national.items() if key[1] == "FEMALE"}
    lahore = await statistics(graphql, token, "PK-PB-LAHORE", by=["SEX"])
    assert lahore["total"] == 10
    assert by_place_and_sex(lahore) == {(None, "MALE"): None, (None, "FEMALE"): None}


async def test_analyst_gets_no_figures_below_district_level(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["analyst"])
    response = await graphql.post(STATISTICS, {"j": "PK", "by": ["SEX"], "level": "COMMUNITY"}, token=token)
    assert response["data"] is None
    assert [error["extensions"] for error in response["errors"]] == [{"code": "VALIDATION", "field": "level"}]


@pytest.mark.parametrize("settings", [make_settings(statistics_max_cells=5)], ids=["small limit"])
async def test_a_table_too_large_to_protect_is_refused_before_it_is_protected(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    # Every dimension at district level, by month: more cells than this deployment protects for one answer.
    token = user_token(tokens, world.users["analyst"])
    by = ["KIND", "STAGE", "RISK_LEVEL", "SEX", "AGE_BAND", "OPEN"]
    response = await graphql.post(
        STATISTICS, {"j": "PK", "by": by, "level": "DISTRICT", "period": "MONTH"}, token=token
    )
    assert response["data"] is None
    assert [error["extensions"] for error in response["errors"]] == [
        {"code": "VALIDATION", "field": "groupBy"}
    ]
    assert "cells protected" in response["errors"][0]["message"]
    # The same as a district officer: exact counts need no protection, and no limit applies.
    officer = user_token(tokens, world.users["lahore_officer"])
    exact = await statistics(graphql, officer, "PK-PB-LAHORE", by=by, period="MONTH")
    assert exact["disclosure"]["exact"] is True


async def test_an_analyst_filters_on_a_period_at_least_as_long_as_the_one_grouped_by(
    world: World, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, world.users["analyst"])
    one_month = {"opened": {"from": "2026-02-01", "to": "2026-02-28"}}
    one_year = {"opened": {"from": "2026-01-01", "to": "2026-12-31"}}

    refused = await graphql.post(STATISTICS, {"j": "PK", "period": "YEAR", "filter": one_month}, token=token)
    months = await statistics(graphql, token, "PK", period="MONTH", filter=one_year)

    assert refused["data"] is None
    assert [error["extensions"] for error in refused["errors"]] == [
        {"code": "VALIDATION", "field": "filter.opened"}
    ]
    assert months["cells"]
    assert all(cell["period"].startswith("2026-") for cell in months["cells"])


async def test_districts_by_sex_do_not_give_away_a_district_withheld_among_districts_alone(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Punjab's districts alone: Lahore's 3 cases are withheld, with Multan's 5. By sex, Multan's cases are
    all girls': were Multan's 5 girls published, Lahore = Punjab 16 - Multan 5 - Faisalabad 8. The two
    groupings are protected as one lattice, the coarser first, so the finer one keeps Multan withheld."""
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    where = {"lahore": tree.lahore, "multan": tree.multan, "karachi": tree.karachi, "faisalabad": faisalabad}
    cases = {
        ("lahore", "MALE"): 1,
        ("lahore", "FEMALE"): 2,
        ("multan", "FEMALE"): 5,
        ("faisalabad", "MALE"): 4,
        ("faisalabad", "FEMALE"): 4,
        ("karachi", "MALE"): 9,
        ("karachi", "FEMALE"): 7,
    }
    for (district, sex), count in cases.items():
        for _ in range(count):
            await make_case(owner, await make_child(owner, where[district], sex=sex), where[district])
    org = await make_organisation(owner, tree.nation)
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))

    answers = [
        by_place_and_sex(await statistics(graphql, token, "PK", by=by, level=level))
        for by in ([], ["SEX"])
        for level in ("PROVINCIAL", "DISTRICT")
    ]
    answers += [by_place_and_sex(await statistics(graphql, token, "PK", by=by)) for by in ([], ["SEX"])]
    codes = {name: place.code for name, place in where.items()}
    within = {code: (code, code[:5], "PK") for code in codes.values()}
    variables = [(codes[district], sex) for district, sex in cases]

    def covers(place: str | None, sex: str | None) -> dict[tuple[str, str], int]:
        return {(code, s): 1 for code, s in variables if (place or "PK") in within[code] and sex in (None, s)}

    known = [
        (covers(place, sex), count)
        for answer in answers
        for (place, sex), count in answer.items()
        if count is not None
    ]
    withheld = [key for answer in answers for key, count in answer.items() if count is None]
    assert (codes["lahore"], None) in withheld
    for place, category in withheld:
        assert not determined_sum(covers(place, category), known), f"worked out: {place} {category}"


def determined_sum(
    cell: dict[tuple[str, str], int], equations: list[tuple[dict[tuple[str, str], int], int]]
) -> bool:
    """Is the sum of ``cell``'s unknowns fixed by the linear equations?"""
    variables = sorted({v for coefficients, _ in equations for v in coefficients} | set(cell))
    rows = [[Fraction(coefficients.get(v, 0)) for v in variables] for coefficients, _ in equations]
    target = [Fraction(cell.get(v, 0)) for v in variables]
    return rank([*rows, target]) == rank(rows)
