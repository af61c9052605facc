"""Police and detention figures: exact inside one's own records, protected for analysts and statistics-only
clients (no small count, none recoverable), directions never added together, not found outside the
statistics scope, and the database refusing on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import URL

from registry.auth.tokens import TokenService
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import GraphQLClient, make_settings, user_token
from tests.factories import (
    JurisdictionRow,
    SmallTree,
    make_api_client,
    make_child,
    make_institution,
    make_jurisdiction,
    make_organisation,
    make_small_tree,
    make_user,
)

THRESHOLD = 5

INCIDENTS = """
query($code: String!, $groupBy: [IncidentDimension!], $level: JurisdictionLevel, $period: PeriodUnit,
      $filter: IncidentStatisticsFilter) {
  incidentStatistics(jurisdiction: $code, groupBy: $groupBy, level: $level, period: $period, filter: $filter) {
    jurisdiction { code }
    cells { direction offence period count suppressed jurisdiction { code level } policeStation { code } }
    disclosure { exact threshold }
  }
}
"""

DETENTIONS = """
query($code: String!, $groupBy: [DetentionDimension!], $level: JurisdictionLevel, $period: PeriodUnit,
      $filter: DetentionStatisticsFilter) {
  detentionStatistics(jurisdiction: $code, groupBy: $groupBy, level: $level, period: $period, filter: $filter) {
    cells { kind period detentions segregated segregatedShare suppressed jurisdiction { code }
            institution { code } }
    disclosure { exact threshold }
  }
}
"""

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@dataclass
class Police:
    tree: SmallTree
    faisalabad: JurisdictionRow
    hyderabad: JurisdictionRow
    stations: dict[str, int]
    users: dict[str, int]
    org: int


async def record_incidents(
    owner: asyncpg.Connection[Any],
    station: int,
    where: JurisdictionRow,
    direction: str,
    count: int,
    *,
    offence: str = "THEFT",
    on: dt.date = dt.date(2026, 3, 10),
) -> None:
    for _ in range(count):
        await owner.execute(
            "INSERT INTO incidents (police_station_id, direction, offence, occurred_on, jurisdiction_id, path)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            station,
            direction,
            offence,
            on,
            where.id,
            where.path,
        )


@pytest.fixture
async def police(owner: asyncpg.Connection[Any]) -> Police:
    """Punjab: Lahore (two stations), Multan, Faisalabad; Sindh: Karachi South, Hyderabad. In March 2026,
    offences by children: Lahore 3 (2 + 1), Multan 6, Faisalabad 9, Karachi 8, Hyderabad 7; against
    children: Lahore 7, Multan 5, Faisalabad 6, Karachi 5, Hyderabad 6."""
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    hyderabad = await make_jurisdiction(owner, "PK-SD-HYDERABAD", "DISTRICT", parent=tree.sindh)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    places = {
        "lahore": tree.lahore,
        "lahore2": tree.lahore,
        "multan": tree.multan,
        "faisalabad": faisalabad,
        "karachi": tree.karachi,
        "hyderabad": hyderabad,
    }
    stations = {
        name: await make_institution(owner, where, type="POLICE_STATION", organisation_id=org)
        for name, where in places.items()
    }
    by_child = {"lahore": 2, "lahore2": 1, "multan": 6, "faisalabad": 9, "karachi": 8, "hyderabad": 7}
    against = {"lahore": 7, "multan": 5, "faisalabad": 6, "karachi": 5, "hyderabad": 6}
    for name, count in by_child.items():
        await record_incidents(owner, stations[name], places[name], "BY_CHILD", count)
    for name, count in against.items():
        await record_incidents(owner, stations[name], places[name], "AGAINST_CHILD", count, offence="ASSAULT")
    users = {
        "lahore_officer": await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org),
        "punjab_manager": await make_user(owner, "PROVINCIAL_MANAGER", tree.punjab, organisation_id=org),
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "police": await make_user(owner, "POLICE_MONITOR", tree.punjab, organisation_id=org),
    }
    return Police(tree, faisalabad, hyderabad, stations, users, org)


async def incidents(graphql: GraphQLClient, token: str | None, code: str, **variables: Any) -> dict[str, Any]:
    data = await graphql.data(INCIDENTS, {"code": code, **variables}, token=token)
    answer: dict[str, Any] = data["incidentStatistics"]
    return answer


async def error_code(graphql: GraphQLClient, query: str, variables: dict[str, Any], token: str | None) -> str:
    body = await graphql.post(query, variables, token=token)
    assert body["data"] is None
    [error] = body["errors"]
    code: str = error["extensions"]["code"]
    return code


def by_place(answer: dict[str, Any], direction: str) -> dict[str, int | None]:
    return {
        cell["jurisdiction"]["code"]: cell["count"]
        for cell in answer["cells"]
        if cell["direction"] == direction
    }


def counts(answer: dict[str, Any]) -> dict[str, int | None]:
    """One jurisdiction's answer without grouping: a count per direction."""
    return {cell["direction"]: cell["count"] for cell in answer["cells"]}


def assert_nothing_small(*answers: dict[str, Any]) -> None:
    for answer in answers:
        for cell in answer["cells"]:
            assert cell["count"] is None or cell["count"] >= THRESHOLD, cell
            assert cell["suppressed"] is (cell["count"] is None)


async def test_a_district_officer_gets_exact_counts_of_their_district(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, police.users["lahore_officer"])

    total = await incidents(graphql, token, "PK-PB-LAHORE")
    by_station = await incidents(graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION"], period="MONTH")

    assert total["disclosure"] == {"exact": True, "threshold": THRESHOLD}
    assert counts(total) == {"AGAINST_CHILD": 7, "BY_CHILD": 3}
    stations = {
        (cell["direction"], cell["policeStation"]["code"], cell["period"]): cell["count"]
        for cell in by_station["cells"]
    }
    assert stations == {
        ("AGAINST_CHILD", f"INST-{police.stations['lahore']}", "2026-03-01"): 7,
        ("BY_CHILD", f"INST-{police.stations['lahore']}", "2026-03-01"): 2,
        ("BY_CHILD", f"INST-{police.stations['lahore2']}", "2026-03-01"): 1,
    }


async def test_a_provincial_manager_gets_exact_district_counts_with_any_filter(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, police.users["punjab_manager"])

    answer = await incidents(
        graphql,
        token,
        "PK-PB",
        level="DISTRICT",
        groupBy=["OFFENCE"],
        filter={"occurred": {"from": "2026-03-05", "to": "2026-03-20"}, "offences": ["THEFT", "ASSAULT"]},
    )

    assert answer["disclosure"]["exact"] is True
    assert by_place(answer, "BY_CHILD") == {"PK-PB-LAHORE": 3, "PK-PB-MULTAN": 6, "PK-PB-FAISALABAD": 9}
    assert by_place(answer, "AGAINST_CHILD") == {"PK-PB-LAHORE": 7, "PK-PB-MULTAN": 5, "PK-PB-FAISALABAD": 6}
    assert {cell["offence"] for cell in answer["cells"]} == {"THEFT", "ASSAULT"}


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("lahore_officer", "PK-SD-KARACHI-SOUTH"),  # another district
        ("lahore_officer", "PK-PB"),  # above one's own district
        ("police", "PK-PB"),  # a police monitor holds no statistics:read
        (None, "PK"),  # no token
        ("analyst", "PK-NOWHERE"),  # no such code
    ],
)
async def test_figures_outside_the_statistics_scope_are_not_found(
    police: Police, tokens: TokenService, graphql: GraphQLClient, who: str | None, code: str
) -> None:
    token = user_token(tokens, police.users[who]) if who else None

    assert await error_code(graphql, INCIDENTS, {"code": code}, token) == "NOT_FOUND"
    assert await error_code(graphql, DETENTIONS, {"code": code}, token) == "NOT_FOUND"


async def test_an_analyst_cannot_recover_a_small_count_from_totals_siblings_or_the_parent(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, police.users["analyst"])

    provinces = await incidents(graphql, token, "PK", level="PROVINCIAL")
    districts = await incidents(graphql, token, "PK-PB", level="DISTRICT")
    punjab = await incidents(graphql, token, "PK-PB")
    lahore = await incidents(graphql, token, "PK-PB-LAHORE")
    multan = await incidents(graphql, token, "PK-PB-MULTAN")
    stations = await incidents(graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION"])

    assert_nothing_small(provinces, districts, punjab, lahore, multan, stations)
    assert districts["disclosure"] == {"exact": False, "threshold": THRESHOLD}
    # Lahore's 3 offences by children are withheld, and so is a sibling: the parent's published figure
    # minus the published districts leaves a sum of two unknowns, not Lahore's count.
    punjab_by_child = by_place(provinces, "BY_CHILD")["PK-PB"]
    assert punjab_by_child == counts(punjab)["BY_CHILD"] == 18
    district_counts = by_place(districts, "BY_CHILD")
    assert district_counts["PK-PB-LAHORE"] is None
    withheld = [code for code, count in district_counts.items() if count is None]
    published = sum(count for count in district_counts.values() if count is not None)
    assert len(withheld) >= 2
    assert punjab_by_child - published == 3 + 6  # Lahore + Multan: 9 = 3 + 6 = 4 + 5 = ...
    assert district_counts == {"PK-PB-LAHORE": None, "PK-PB-MULTAN": None, "PK-PB-FAISALABAD": 9}
    # Asked one at a time, each district shows its cells of the national table.
    assert counts(lahore) == {"AGAINST_CHILD": 7, "BY_CHILD": None}
    assert counts(multan)["BY_CHILD"] is None
    # Lahore's stations (2 and 1) are withheld together.
    assert [cell["count"] for cell in stations["cells"] if cell["direction"] == "BY_CHILD"] == [None, None]


async def test_a_period_filter_cannot_be_subtracted_from_the_year(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Lahore: 3 offences by children in the first quarter of 2026 and 10 in the second; the year's 13 is
    published. The second quarter is reported from the table of the year's quarters, where it is withheld
    with the first, so 13 minus it is not the first quarter's 3."""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    lahore = await make_institution(owner, tree.lahore, type="POLICE_STATION", organisation_id=org)
    multan = await make_institution(owner, tree.multan, type="POLICE_STATION", organisation_id=org)
    for station, where, in_first, in_second in ((lahore, tree.lahore, 3, 10), (multan, tree.multan, 6, 8)):
        await record_incidents(owner, station, where, "BY_CHILD", in_first, on=dt.date(2026, 2, 1))
        await record_incidents(owner, station, where, "BY_CHILD", in_second, on=dt.date(2026, 5, 1))
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))

    def quarter(first: str, last: str) -> dict[str, Any]:
        return {"occurred": {"from": first, "to": last}}

    year = await incidents(graphql, token, "PK-PB-LAHORE", filter=quarter("2026-01-01", "2026-12-31"))
    first = await incidents(graphql, token, "PK-PB-LAHORE", filter=quarter("2026-01-01", "2026-03-31"))
    second = await incidents(graphql, token, "PK-PB-LAHORE", filter=quarter("2026-04-01", "2026-06-30"))
    by_quarter = await incidents(
        graphql, token, "PK-PB-LAHORE", period="QUARTER", filter=quarter("2026-01-01", "2026-12-31")
    )

    assert counts(year) == {"BY_CHILD": 13}
    assert counts(first) == {"BY_CHILD": None}
    assert counts(second) == {"BY_CHILD": None}  # 13 - 10 would give away the 3
    assert [(cell["period"], cell["count"]) for cell in by_quarter["cells"]] == [
        ("2026-01-01", None),
        ("2026-04-01", None),
    ]


async def test_a_small_count_alone_in_its_province_is_withheld(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Karachi South is Sindh's only district here: its 2 incidents have no sibling to hide behind, and
    its province's figure is the same 2, withheld too."""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    station = await make_institution(owner, tree.karachi, type="POLICE_STATION", organisation_id=org)
    await record_incidents(owner, station, tree.karachi, "BY_CHILD", 2)
    analyst = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))

    body = await graphql.post(INCIDENTS, {"code": "PK-SD-KARACHI-SOUTH"}, token=analyst)

    cells = body["data"]["incidentStatistics"]["cells"]
    assert cells
    assert all(cell["count"] is None and cell["suppressed"] for cell in cells)


async def test_offences_by_and_against_children_are_never_added_together(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    for who in ("lahore_officer", "analyst"):
        token = user_token(tokens, police.users[who])

        answer = await incidents(graphql, token, "PK-PB-LAHORE", groupBy=["OFFENCE"])

        assert {cell["direction"] for cell in answer["cells"]} == {"BY_CHILD", "AGAINST_CHILD"}
        assert 3 + 7 not in [cell["count"] for cell in answer["cells"]]
        assert all(
            (cell["direction"], cell["offence"]) in {("BY_CHILD", "THEFT"), ("AGAINST_CHILD", "ASSAULT")}
            for cell in answer["cells"]
        )


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"filter": {"occurred": {"from": "2026-03-01", "to": "2026-03-15"}}}, "filter.occurred"),
        ({"filter": {"occurred": {"from": "2026-02-01", "to": "2026-03-31"}}}, "filter.occurred"),
        ({"filter": {"offences": ["THEFT", "ROBBERY"]}}, "filter.offences"),
        ({"filter": {"offences": []}}, "filter.offences"),
        ({"period": "YEAR", "filter": {"occurred": MARCH}}, "period"),
        ({"level": "NATIONAL"}, "level"),
        ({"level": "DISTRICT", "groupBy": ["POLICE_STATION"]}, "level"),
    ],
)
async def test_an_analyst_cannot_use_filters_that_difference_into_small_cells(
    police: Police, tokens: TokenService, graphql: GraphQLClient, variables: dict[str, Any], field: str
) -> None:
    token = user_token(tokens, police.users["analyst"])

    body = await graphql.post(INCIDENTS, {"code": "PK-PB", **variables}, token=token)

    assert body["data"] is None
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("VALIDATION", field)


async def test_an_analyst_may_filter_one_offence_and_one_whole_month(
    police: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, police.users["analyst"])

    answer = await incidents(
        graphql, token, "PK-PB", level="DISTRICT", filter={"offences": ["THEFT"], "occurred": MARCH}
    )

    assert_nothing_small(answer)
    assert by_place(answer, "BY_CHILD") == {"PK-PB-LAHORE": None, "PK-PB-MULTAN": None, "PK-PB-FAISALABAD": 9}
    assert by_place(answer, "AGAINST_CHILD") == {}


async def test_a_statistics_only_client_gets_protected_figures_of_its_jurisdiction_only(
    police: Police, owner: asyncpg.Connection[Any], graphql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    _, client_id = await make_api_client(
        owner,
        police.tree.lahore,
        organisation_id=police.org,
        created_by=police.users["lahore_officer"],
        scopes=["statistics:read"],
    )
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "test-secret")
    )
    token = response.json()["access_token"]

    lahore = await incidents(graphql, token, "PK-PB-LAHORE")
    stations = await incidents(graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION"])

    assert lahore["disclosure"]["exact"] is False
    assert counts(lahore) == {"AGAINST_CHILD": 7, "BY_CHILD": None}
    assert {cell["policeStation"]["code"] for cell in stations["cells"]} == {
        f"INST-{police.stations['lahore']}",
        f"INST-{police.stations['lahore2']}",
    }
    assert_nothing_small(lahore, stations)
    assert await error_code(graphql, INCIDENTS, {"code": "PK-PB-MULTAN"}, token) == "NOT_FOUND"


# --- detentions ----------------------------------------------------------------------------------------


async def place_children(
    owner: asyncpg.Connection[Any],
    institution: int,
    where: JurisdictionRow,
    *,
    kind: str = "ARREST",
    apart: int,
    together: int,
    at: dt.datetime = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC),
) -> None:
    for segregated in [True] * apart + [False] * together:
        child = await make_child(owner, where)
        await owner.execute(
            "INSERT INTO placements (child_id, institution_id, kind, started_at, segregated_from_adults,"
            " jurisdiction_id, path) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            child,
            institution,
            kind,
            at,
            segregated,
            where.id,
            where.path,
        )


@pytest.fixture
async def detentions(police: Police, owner: asyncpg.Connection[Any]) -> Police:
    """Arrests in March 2026: Lahore 6 (2 apart from adults), Multan 8 (6 apart), Faisalabad 10 (9 apart);
    plus a Lahore shelter placement (not detention) and a Lahore arrest at 01:00 on 1 April Pakistan time
    (20:00 UTC on 31 March)."""
    stations = police.stations
    await place_children(owner, stations["lahore"], police.tree.lahore, apart=2, together=4)
    await place_children(owner, stations["multan"], police.tree.multan, apart=6, together=2)
    await place_children(owner, stations["faisalabad"], police.faisalabad, apart=9, together=1)
    shelter = await make_institution(owner, police.tree.lahore, type="SHELTER", organisation_id=police.org)
    await place_children(owner, shelter, police.tree.lahore, kind="SHELTER", apart=0, together=1)
    await place_children(
        owner,
        stations["lahore"],
        police.tree.lahore,
        apart=1,
        together=0,
        at=dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC),
    )
    return police


async def detention_cells(
    graphql: GraphQLClient, token: str | None, code: str, **variables: Any
) -> list[dict[str, Any]]:
    data = await graphql.data(DETENTIONS, {"code": code, **variables}, token=token)
    cells: list[dict[str, Any]] = data["detentionStatistics"]["cells"]
    return cells


async def test_an_officer_gets_exact_detentions_by_month_in_pakistan_time(
    detentions: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, detentions.users["lahore_officer"])

    cells = await detention_cells(graphql, token, "PK-PB-LAHORE", period="MONTH", groupBy=["KIND"])

    assert [
        (cell["period"], cell["kind"], cell["detentions"], cell["segregated"], cell["segregatedShare"])
        for cell in cells
    ] == [("2026-03-01", "ARREST", 6, 2, pytest.approx(2 / 6)), ("2026-04-01", "ARREST", 1, 1, 1.0)]


async def test_an_analyst_sees_no_small_number_held_with_or_apart_from_adults(
    detentions: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, detentions.users["analyst"])

    districts = await detention_cells(graphql, token, "PK-PB", level="DISTRICT", filter={"started": MARCH})
    lahore = await detention_cells(graphql, token, "PK-PB-LAHORE", filter={"started": MARCH})

    for cell in [*districts, *lahore]:
        for figure in (cell["detentions"], cell["segregated"]):
            assert figure is None or figure >= THRESHOLD
        if cell["detentions"] is not None and cell["segregated"] is not None:
            held_with_adults = cell["detentions"] - cell["segregated"]
            assert held_with_adults == 0 or held_with_adults >= THRESHOLD
        else:
            assert cell["segregatedShare"] is None
            assert cell["suppressed"] is True
    # Lahore: 6 arrests published, the 2 held apart (and so the 4 held with adults) withheld.
    assert [(c["detentions"], c["segregated"], c["segregatedShare"]) for c in lahore] == [(6, None, None)]
    assert {c["jurisdiction"]["code"]: c["detentions"] for c in districts} == {
        "PK-PB-LAHORE": 6,
        "PK-PB-MULTAN": 8,
        "PK-PB-FAISALABAD": 10,
    }


async def test_detention_kinds_outside_detention_are_refused(
    detentions: Police, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, detentions.users["lahore_officer"])

    body = await graphql.post(
        DETENTIONS, {"code": "PK-PB-LAHORE", "filter": {"kinds": ["SHELTER"]}}, token=token
    )

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "filter.kinds"}


# --- the second wall -----------------------------------------------------------------------------------


@pytest.fixture
async def as_app(database: URL) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect_owner(app_url_for(database, make_settings()))
    yield connection
    await connection.close()


INCIDENT_FUNCTION = (
    "SELECT * FROM registry_incident_statistics($1, $2, NULL, false, false, NULL, NULL, NULL, NULL, NULL)"
)
DETENTION_FUNCTION = (
    "SELECT * FROM registry_detention_statistics($1, $2, NULL, false, false, NULL, NULL, NULL, NULL)"
)


async def in_statistics_scope(
    connection: asyncpg.Connection[Any], scope: str, statement: str, *args: Any
) -> list[asyncpg.Record]:
    async with connection.transaction():
        await connection.execute("SELECT set_config('registry.statistics_scope', $1, true)", scope)
        return await connection.fetch(statement, *args)


@pytest.mark.parametrize("function", [INCIDENT_FUNCTION, DETENTION_FUNCTION])
async def test_the_functions_refuse_a_jurisdiction_outside_the_statistics_scope(
    detentions: Police, as_app: asyncpg.Connection[Any], function: str
) -> None:
    tree = detentions.tree
    lahore_only = f"{{{tree.lahore.path}.*}}"

    inside = await in_statistics_scope(as_app, lahore_only, function, tree.lahore.id, False)
    for outside, siblings in ((tree.karachi, False), (tree.punjab, False), (tree.nation, True)):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await in_statistics_scope(as_app, lahore_only, function, outside.id, siblings)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.fetch(function, tree.lahore.id, False)  # no scope set at all
    # Lahore's siblings' table is Punjab's: outside a scope of Lahore alone.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await in_statistics_scope(as_app, lahore_only, function, tree.lahore.id, True)
    punjab = f"{{{tree.punjab.path}.*}}"
    with_siblings = await in_statistics_scope(as_app, punjab, function, tree.lahore.id, True)
    assert {row["place_code"] for row in with_siblings} >= {"PK-PB-LAHORE"}

    assert {row["place_code"] for row in inside} == {"PK-PB-LAHORE"}
    if function == INCIDENT_FUNCTION:
        assert sorted((row["direction"], row["incidents"]) for row in inside) == [
            ("AGAINST_CHILD", 7),
            ("BY_CHILD", 3),
        ]


async def test_the_app_role_reads_counts_only_through_the_functions(
    detentions: Police, as_app: asyncpg.Connection[Any]
) -> None:
    nation = f"{{{detentions.tree.nation.path}.*}}"

    rows_seen = await in_statistics_scope(as_app, nation, "SELECT count(*) AS n FROM incidents")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await in_statistics_scope(
            as_app,
            nation,
            "SELECT * FROM registry_statistics_root($1, false, NULL)",
            detentions.tree.nation.id,
        )

    assert rows_seen[0]["n"] == 0
