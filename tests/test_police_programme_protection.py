"""Police, detention and programme figures, attacked across answers: a national analyst asks for the same
counts at several levels, for several parts of the tree and one category at a time, and solves every
equation the answers give, exactly (``Fraction``). Each answer reports cells of one table protected for the
caller's whole statistics scope, so no withheld figure of any answer can be worked out from all of them
together, and a figure has the same value (or is withheld) in every answer it appears in.

When each answer was protected on its own, around the asked jurisdiction (the table of its siblings), two
answers could be played against each other: Punjab's thefts, withheld nationally to hide Sindh's three,
were the sum of Punjab's districts' thefts, each published in Punjab's own table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import asyncpg
import httpx
import pytest

from registry.auth.tokens import TokenService
from tests.conftest import GraphQLClient, make_settings, user_token
from tests.factories import (
    JurisdictionRow,
    SmallTree,
    make_api_client,
    make_institution,
    make_jurisdiction,
    make_organisation,
    make_small_tree,
    make_user,
)
from tests.test_incident_statistics import DETENTIONS, INCIDENTS, place_children, record_incidents
from tests.test_programme_indicators import INDICATORS, Recorder, make_programme

THRESHOLD = 5
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}

# --- An exact reader of several answers ----------------------------------------------------------------

Variable = tuple[Any, ...]
Row = dict[Variable, Fraction]


class Reader:
    """Linear equations over unknown counts (the finest cells), from every published figure; a figure is
    worked out when its equation is a combination of the known ones."""

    def __init__(self, unknowns: Iterable[Variable]) -> None:
        self.unknowns = set(unknowns)
        self.basis: dict[Variable, Row] = {}  # pivot -> reduced row (its pivot's coefficient 1)

    def _reduced(self, row: Row) -> Row:
        row = {variable: value for variable, value in row.items() if value}
        for pivot, basis_row in self.basis.items():
            factor = row.get(pivot)
            if factor:
                for variable, value in basis_row.items():
                    updated = row.get(variable, Fraction(0)) - factor * value
                    if updated:
                        row[variable] = updated
                    else:
                        row.pop(variable, None)
        return row

    def knows(self, covered: Iterable[Variable]) -> None:
        """A published figure: the sum of the unknowns it covers (the value itself does not matter to what
        can be worked out)."""
        row = self._reduced(self._row(covered))
        if not row:
            return
        pivot = min(row, key=repr)
        factor = row[pivot]
        row = {variable: value / factor for variable, value in row.items()}
        for other in self.basis.values():
            scale = other.get(pivot)
            if scale:
                for variable, value in row.items():
                    updated = other.get(variable, Fraction(0)) - scale * value
                    if updated:
                        other[variable] = updated
                    else:
                        other.pop(variable, None)
        self.basis[pivot] = row

    def works_out(self, covered: Iterable[Variable]) -> bool:
        row = self._row(covered)
        return bool(row) and not self._reduced(row)

    def _row(self, covered: Iterable[Variable]) -> Row:
        return {variable: Fraction(1) for variable in covered if variable in self.unknowns}


def test_the_reader_works_out_a_cell_from_a_total_and_its_other_parts() -> None:
    reader = Reader([("a",), ("b",), ("c",)])
    reader.knows([("a",), ("b",), ("c",)])
    reader.knows([("a",)])

    assert not reader.works_out([("b",)])
    assert reader.works_out([("b",), ("c",)])
    reader.knows([("c",)])
    assert reader.works_out([("b",)])


# --- Incidents -----------------------------------------------------------------------------------------


@dataclass
class Scope:
    tree: SmallTree
    faisalabad: JurisdictionRow
    hyderabad: JurisdictionRow
    # Police station id -> the codes of the jurisdictions it lies in, district first.
    stations: dict[int, tuple[str, str, str]]
    station_names: dict[str, int]
    analyst: str
    officer: int
    org: int


# Offences by children in March 2026, per police station: (THEFT, ROBBERY). Nationally by province, Sindh's
# 3 thefts are small, so Punjab's thefts (18, published in Punjab's own table of districts) are withheld
# with them; Lahore's stations split its 5 thefts into 3 and 2.
BY_CHILD = {
    "lahore": (3, 9),
    "lahore2": (2, 0),
    "multan": (6, 8),
    "faisalabad": (7, 12),
    "karachi": (1, 9),
    "hyderabad": (2, 8),
}
# Offences against children (all assaults): small districts, no small province.
AGAINST_CHILD = {"lahore": 2, "multan": 7, "faisalabad": 6, "karachi": 4, "hyderabad": 9}


@pytest.fixture
async def scope(owner: asyncpg.Connection[Any], tokens: TokenService) -> Scope:
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    hyderabad = await make_jurisdiction(owner, "PK-SD-HYDERABAD", "DISTRICT", parent=tree.sindh)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    where = {
        "lahore": tree.lahore_community,  # a station in a union council counts in its district
        "lahore2": tree.lahore,
        "multan": tree.multan,
        "faisalabad": faisalabad,
        "karachi": tree.karachi,
        "hyderabad": hyderabad,
    }
    district = {"lahore": tree.lahore, "lahore2": tree.lahore} | {
        name: place for name, place in where.items() if name not in ("lahore", "lahore2")
    }
    province = {"PK-PB": tree.punjab, "PK-SD": tree.sindh}
    names = {
        name: await make_institution(owner, place, type="POLICE_STATION", organisation_id=org)
        for name, place in where.items()
    }
    stations = {
        names[name]: (
            district[name].code,
            next(code for code in province if district[name].code.startswith(code)),
            "PK",
        )
        for name in where
    }
    for name, (theft, robbery) in BY_CHILD.items():
        await record_incidents(owner, names[name], where[name], "BY_CHILD", theft, offence="THEFT")
        await record_incidents(owner, names[name], where[name], "BY_CHILD", robbery, offence="ROBBERY")
    for name, assaults in AGAINST_CHILD.items():
        await record_incidents(owner, names[name], where[name], "AGAINST_CHILD", assaults, offence="ASSAULT")
    analyst = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))
    officer = await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org)
    return Scope(tree, faisalabad, hyderabad, stations, names, analyst, officer, org)


@dataclass(frozen=True)
class Figure:
    """One cell of one answer: the stations it sums over, its direction and offence (None: all)."""

    answer: str
    place: str  # a jurisdiction's code, or a police station's
    direction: str
    offence: str | None
    count: int | None


async def incident_figures(
    graphql: GraphQLClient, token: str, code: str, *, offence: str | None = None, **variables: Any
) -> list[Figure]:
    if offence is not None:
        variables["filter"] = {"offences": [offence]}
    data = await graphql.data(INCIDENTS, {"code": code, **variables}, token=token)
    answer = data["incidentStatistics"]
    assert answer["disclosure"] == {"exact": False, "threshold": THRESHOLD}
    name = f"{code} {variables}"
    figures = []
    for cell in answer["cells"]:
        assert cell["count"] is None or cell["count"] >= THRESHOLD, (name, cell)
        assert cell["suppressed"] is (cell["count"] is None)
        place = (cell["policeStation"] or {}).get("code") or (cell["jurisdiction"] or {}).get("code") or code
        figures.append(Figure(name, place, cell["direction"], cell["offence"] or offence, cell["count"]))
    return figures


def assert_nothing_worked_out(
    figures: list[Figure], unknowns: Mapping[Variable, int], covers: Any, grouped_by_offence: bool
) -> None:
    """No withheld figure is worked out from all the published ones, and every figure has one value."""
    reader = Reader(unknowns)
    for figure in figures:
        if figure.count is not None:
            reader.knows(covers(figure))
            assert figure.count == sum(unknowns[v] for v in covers(figure) if v in unknowns), figure
    # Combinations absent from an answer are known zeros: the unknowns are the non-empty cells only.
    seen: dict[tuple[str, str, str | None], int | None] = {}
    for figure in figures:
        key = (figure.place, figure.direction, figure.offence if grouped_by_offence else None)
        assert seen.setdefault(key, figure.count) == figure.count, f"{figure} differs between answers"
        if figure.count is None:
            assert not reader.works_out(covers(figure)), f"worked out: {figure}"


def station_covers(scope: Scope) -> Any:
    codes = {f"INST-{station}": station for station in scope.stations}

    def covers(figure: Figure) -> list[Variable]:
        if figure.place in codes:
            stations = [codes[figure.place]]
        else:
            stations = [s for s, within in scope.stations.items() if figure.place in within]
        offences = [figure.offence] if figure.offence is not None else ["THEFT", "ROBBERY", "ASSAULT"]
        return [(station, figure.direction, offence) for station in stations for offence in offences]

    return covers


def station_unknowns(scope: Scope) -> dict[Variable, int]:
    unknowns: dict[Variable, int] = {}
    for name, (theft, robbery) in BY_CHILD.items():
        station = scope.station_names[name]
        for offence, count in (("THEFT", theft), ("ROBBERY", robbery)):
            if count:
                unknowns[(station, "BY_CHILD", offence)] = count
    for name, assaults in AGAINST_CHILD.items():
        unknowns[(scope.station_names[name], "AGAINST_CHILD", "ASSAULT")] = assaults
    return unknowns


async def test_the_national_provincial_district_and_one_offence_answers_give_no_withheld_cell_away(
    scope: Scope, graphql: GraphQLClient
) -> None:
    token = scope.analyst
    by = ["OFFENCE"]
    answers = {
        "provinces": await incident_figures(graphql, token, "PK", level="PROVINCIAL", groupBy=by),
        "punjab": await incident_figures(graphql, token, "PK-PB", level="DISTRICT", groupBy=by),
        "sindh": await incident_figures(graphql, token, "PK-SD", level="DISTRICT", groupBy=by),
        "national": await incident_figures(graphql, token, "PK", groupBy=by),
        "lahore": await incident_figures(graphql, token, "PK-PB-LAHORE", groupBy=by),
        "lahore thefts": await incident_figures(graphql, token, "PK-PB-LAHORE", offence="THEFT"),
        "punjab thefts": await incident_figures(graphql, token, "PK-PB", level="DISTRICT", offence="THEFT"),
        "provinces' thefts": await incident_figures(
            graphql, token, "PK", level="PROVINCIAL", offence="THEFT"
        ),
        "punjab's robberies": await incident_figures(graphql, token, "PK-PB", offence="ROBBERY"),
        # Lahore's second station has 2 thefts and nothing else. Among stations alone it is withheld with
        # the first station; by offence, its thefts are withheld with the first station's thefts, which
        # change by as much (the stations' totals are withheld, so the thefts need no robbery partner).
        "lahore stations": await incident_figures(graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION"]),
        "lahore stations by offence": await incident_figures(
            graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION", "OFFENCE"]
        ),
    }

    def count(answer: str, place: str, offence: str) -> int | None:
        [figure] = [
            f for f in answers[answer] if (f.place, f.direction, f.offence) == (place, "BY_CHILD", offence)
        ]
        return figure.count

    # Sindh's 3 thefts are withheld, and Punjab's 18 with them ...
    assert count("provinces", "PK-SD", "THEFT") is None
    assert count("provinces", "PK-PB", "THEFT") is None
    assert count("national", "PK", "THEFT") == 21
    # ... and Punjab's published districts do not add up to them: the cube that hides them is carried down
    # to Lahore's thefts and robberies.
    districts = ("PK-PB-LAHORE", "PK-PB-MULTAN", "PK-PB-FAISALABAD")
    punjab_thefts = {code: count("punjab", code, "THEFT") for code in districts}
    assert punjab_thefts == {"PK-PB-LAHORE": None, "PK-PB-MULTAN": 6, "PK-PB-FAISALABAD": 7}
    assert count("punjab", "PK-PB-LAHORE", "ROBBERY") is None
    assert {f.place: f.count for f in answers["punjab thefts"] if f.direction == "BY_CHILD"} == punjab_thefts
    second = f"INST-{scope.station_names['lahore2']}"
    assert count("lahore stations by offence", second, "THEFT") is None
    assert [
        f.count for f in answers["lahore stations"] if (f.place, f.direction) == (second, "BY_CHILD")
    ] == [None]
    assert_nothing_worked_out(
        [figure for figures in answers.values() for figure in figures],
        station_unknowns(scope),
        station_covers(scope),
        grouped_by_offence=True,
    )


async def test_totals_at_every_level_and_by_station_give_no_withheld_total_away(
    scope: Scope, graphql: GraphQLClient
) -> None:
    token = scope.analyst
    answers = [
        await incident_figures(graphql, token, "PK", level="PROVINCIAL"),
        await incident_figures(graphql, token, "PK", level="DISTRICT"),
        await incident_figures(graphql, token, "PK-PB", level="DISTRICT"),
        await incident_figures(graphql, token, "PK-SD", level="DISTRICT"),
        await incident_figures(graphql, token, "PK-PB"),
        await incident_figures(graphql, token, "PK-PB-LAHORE"),
        await incident_figures(graphql, token, "PK-PB-MULTAN"),
        await incident_figures(graphql, token, "PK-SD-KARACHI-SOUTH"),
        await incident_figures(graphql, token, "PK-PB", groupBy=["POLICE_STATION"]),
        await incident_figures(graphql, token, "PK-PB-LAHORE", groupBy=["POLICE_STATION"]),
        await incident_figures(graphql, token, "PK", groupBy=["POLICE_STATION"]),
    ]
    figures = [figure for answer in answers for figure in answer]
    against = {f.place: f.count for f in figures if f.direction == "AGAINST_CHILD"}

    # Lahore's 2 and Karachi's 4 assaults are small; each is withheld with a sibling, never alone.
    assert against["PK-PB-LAHORE"] is None
    assert against["PK-SD-KARACHI-SOUTH"] is None
    assert [against[code] for code in ("PK-PB-MULTAN", "PK-PB-FAISALABAD")].count(None) >= 1
    assert against["PK-SD-HYDERABAD"] is None
    assert_nothing_worked_out(
        figures, station_unknowns(scope), station_covers(scope), grouped_by_offence=False
    )


async def test_a_district_answer_is_its_cell_of_the_national_table(
    scope: Scope, graphql: GraphQLClient
) -> None:
    token = scope.analyst
    national = await incident_figures(graphql, token, "PK", level="DISTRICT", groupBy=["OFFENCE"])

    for code in ("PK-PB-LAHORE", "PK-PB-MULTAN", "PK-SD-HYDERABAD"):
        alone = await incident_figures(graphql, token, code, groupBy=["OFFENCE"])
        punjab_or_sindh = await incident_figures(
            graphql, token, code[:5], level="DISTRICT", groupBy=["OFFENCE"]
        )

        mine = {(f.direction, f.offence): f.count for f in national if f.place == code}
        assert {(f.direction, f.offence): f.count for f in alone} == mine
        assert {(f.direction, f.offence): f.count for f in punjab_or_sindh if f.place == code} == mine


async def test_a_level_whose_small_counts_cannot_be_withheld_is_refused_not_published(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Punjab's thefts (Lahore's 6) and robberies (Multan's 7) are withheld nationally with Sindh's 2
    thefts. Lahore has no robbery and Multan no theft, so no pair of Punjab's districts can be withheld
    that hides Punjab's figures: district figures by offence are refused. (Published, Lahore's 6 thefts
    would be Punjab's, and the nation's 8 minus them Sindh's 2.)"""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    for where, offence, count in (
        (tree.lahore, "THEFT", 6),
        (tree.multan, "ROBBERY", 7),
        (tree.karachi, "THEFT", 2),
        (tree.karachi, "ROBBERY", 8),
    ):
        station = await make_institution(owner, where, type="POLICE_STATION", organisation_id=org)
        await record_incidents(owner, station, where, "BY_CHILD", count, offence=offence)
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))

    provinces = await incident_figures(graphql, token, "PK", level="PROVINCIAL", groupBy=["OFFENCE"])
    refused = [
        await graphql.post(INCIDENTS, {"code": code, "groupBy": ["OFFENCE"], **level}, token=token)
        for code, level in (
            ("PK-PB", {"level": "DISTRICT"}),
            ("PK-PB-LAHORE", {}),
            ("PK", {"level": "DISTRICT"}),
        )
    ]

    assert {(f.place, f.offence): f.count for f in provinces} == {
        ("PK-PB", "THEFT"): None,
        ("PK-PB", "ROBBERY"): None,
        ("PK-SD", "THEFT"): None,
        ("PK-SD", "ROBBERY"): None,
    }
    for body in refused:
        assert body["data"] is None
        assert [error["extensions"] for error in body["errors"]] == [
            {"code": "VALIDATION", "field": "groupBy"}
        ]


async def test_the_table_by_offence_does_not_give_away_a_district_withheld_in_the_table_of_totals(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Punjab's districts by total: Lahore 3 withheld, and Multan 5 with it. By offence, Multan's only
    offence is its 5 robberies, published; then Lahore = Punjab 16 - Multan 5 - Faisalabad 8 = 3."""
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    counts = {
        (tree.karachi, "THEFT"): 2,
        (tree.karachi, "ROBBERY"): 3,
        (tree.lahore, "THEFT"): 2,
        (tree.lahore, "ROBBERY"): 1,
        (tree.multan, "ROBBERY"): 5,
        (faisalabad, "THEFT"): 6,
        (faisalabad, "ROBBERY"): 2,
    }
    stations = {
        where.code: await make_institution(owner, where, type="POLICE_STATION", organisation_id=org)
        for where in (tree.karachi, tree.lahore, tree.multan, faisalabad)
    }
    for (where, offence), count in counts.items():
        await record_incidents(owner, stations[where.code], where, "BY_CHILD", count, offence=offence)
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))

    figures = [
        *await incident_figures(graphql, token, "PK", level="PROVINCIAL"),
        *await incident_figures(graphql, token, "PK", level="DISTRICT"),
        *await incident_figures(graphql, token, "PK", level="PROVINCIAL", groupBy=["OFFENCE"]),
        *await incident_figures(graphql, token, "PK", level="DISTRICT", groupBy=["OFFENCE"]),
    ]
    within = {code: (code, code[:5], "PK") for code in stations}
    unknowns: dict[Variable, int] = {
        (where.code, offence): count for (where, offence), count in counts.items()
    }

    def covers(figure: Figure) -> list[Variable]:
        offences = [figure.offence] if figure.offence else ["THEFT", "ROBBERY"]
        return [(code, o) for code, inside in within.items() if figure.place in inside for o in offences]

    reader = Reader(unknowns)
    for figure in figures:
        if figure.count is not None:
            reader.knows(covers(figure))
    withheld = [figure for figure in figures if figure.count is None]
    assert withheld
    assert not [figure for figure in withheld if reader.works_out(covers(figure))]


async def test_one_quarter_and_the_year_come_from_the_same_table_of_quarters_at_every_level(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Lahore: 3 thefts in the first quarter of 2026, 10 in the second; Multan 6 and 8. A quarter of
    Lahore, of Punjab's districts or of Punjab, asked alone or by quarter, is the same cell."""
    tree = await make_small_tree(owner)
    org = await make_organisation(owner, tree.nation, kind="POLICE")
    for where, first, second in ((tree.lahore, 3, 10), (tree.multan, 6, 8), (tree.karachi, 7, 9)):
        station = await make_institution(owner, where, type="POLICE_STATION", organisation_id=org)
        await record_incidents(owner, station, where, "BY_CHILD", first, on=dt.date(2026, 2, 1))
        await record_incidents(owner, station, where, "BY_CHILD", second, on=dt.date(2026, 5, 1))
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))
    first_quarter = {"occurred": {"from": "2026-01-01", "to": "2026-03-31"}}
    year = {"occurred": {"from": "2026-01-01", "to": "2026-12-31"}}

    async def cells(code: str, **variables: Any) -> dict[tuple[str | None, str | None], int | None]:
        data = await graphql.data(INCIDENTS, {"code": code, **variables}, token=token)
        return {
            ((cell["jurisdiction"] or {}).get("code"), cell["period"]): cell["count"]
            for cell in data["incidentStatistics"]["cells"]
        }

    lahore_first = await cells("PK-PB-LAHORE", filter=first_quarter)
    districts_first = await cells("PK-PB", level="DISTRICT", filter=first_quarter)
    districts_by_quarter = await cells("PK-PB", level="DISTRICT", period="QUARTER", filter=year)
    punjab_by_quarter = await cells("PK-PB", period="QUARTER", filter=year)
    punjab_year = await cells("PK-PB", filter=year)

    assert lahore_first == {(None, None): None}
    assert districts_first == {("PK-PB-LAHORE", None): None, ("PK-PB-MULTAN", None): None}
    assert districts_by_quarter[("PK-PB-LAHORE", "2026-01-01")] is None
    assert districts_by_quarter[("PK-PB-MULTAN", "2026-01-01")] is None
    # Lahore's second quarter is withheld with its first: 13 for the year (Punjab's 27 minus Multan's 14
    # would give it) minus 10 would otherwise give the first quarter's 3 away.
    assert districts_by_quarter[("PK-PB-LAHORE", "2026-04-01")] is None
    assert punjab_year == {(None, None): 27}
    assert punjab_by_quarter == {(None, "2026-01-01"): 9, (None, "2026-04-01"): 18}


# --- Detentions ----------------------------------------------------------------------------------------


async def test_detentions_and_those_held_apart_give_nothing_away_across_levels(
    scope: Scope, owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    """Arrests in March 2026 (held apart from adults): Lahore 6 (2), Multan 8 (6), Faisalabad 10 (9),
    Karachi South 3 (1), Hyderabad 9 (5)."""
    tree = scope.tree
    detained = {
        "lahore2": (tree.lahore, 2, 4),
        "multan": (tree.multan, 6, 2),
        "faisalabad": (scope.faisalabad, 9, 1),
        "karachi": (tree.karachi, 1, 2),
        "hyderabad": (scope.hyderabad, 5, 4),
    }
    for name, (where, apart, together) in detained.items():
        await place_children(owner, scope.station_names[name], where, apart=apart, together=together)
    district_of = {where.code: name for name, (where, _, _) in detained.items()}
    unknowns: dict[Variable, int] = {}
    for name, (_, apart, together) in detained.items():
        unknowns |= {(name, True): apart, (name, False): together}

    async def figures(code: str, **variables: Any) -> list[tuple[str, int | None, int | None]]:
        data = await graphql.data(
            DETENTIONS, {"code": code, "filter": {"started": MARCH}, **variables}, token=scope.analyst
        )
        return [
            ((cell["jurisdiction"] or {}).get("code") or code, cell["detentions"], cell["segregated"])
            for cell in data["detentionStatistics"]["cells"]
        ]

    answers = [
        *await figures("PK", level="PROVINCIAL"),
        *await figures("PK-PB", level="DISTRICT"),
        *await figures("PK-SD", level="DISTRICT"),
        *await figures("PK"),
        *await figures("PK-PB"),
        *await figures("PK-PB-LAHORE"),
        *await figures("PK-SD-KARACHI-SOUTH"),
    ]

    def names(code: str) -> list[str]:
        return [name for district, name in district_of.items() if district.startswith(code)]

    reader = Reader(unknowns)
    seen: dict[str, tuple[int | None, int | None]] = {}
    for code, detentions, segregated in answers:
        assert seen.setdefault(code, (detentions, segregated)) == (detentions, segregated)
        for figure in (detentions, segregated):
            assert figure is None or figure >= THRESHOLD
        if detentions is not None and segregated is not None:
            assert detentions - segregated == 0 or detentions - segregated >= THRESHOLD
        if detentions is not None:
            reader.knows([(name, apart) for name in names(code) for apart in (True, False)])
        if segregated is not None:
            reader.knows([(name, True) for name in names(code)])
    assert seen["PK-SD-KARACHI-SOUTH"] == (None, None)
    for code, (detentions, segregated) in seen.items():
        if detentions is None:
            assert not reader.works_out([(name, apart) for name in names(code) for apart in (True, False)])
        if segregated is None:
            assert not reader.works_out([(name, True) for name in names(code)]), code
            assert not reader.works_out([(name, False) for name in names(code)]), code


# --- Programme indicators ------------------------------------------------------------------------------


async def test_programme_indicators_of_the_nation_provinces_and_districts_give_nothing_away(
    owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    """Children supported in March 2026 (of them mainstreamed into school): Lahore 10 (4), Multan 11 (4),
    Faisalabad 13 (7), Karachi South 3 (1). Sindh's 3 are small, so Punjab's 34 are withheld with them,
    and then so is at least one of Punjab's districts: otherwise 10 + 11 + 13 would give Punjab's figure,
    and the nation's 37 minus it Sindh's."""
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    org = await make_organisation(owner, tree.nation)
    programme = await make_programme(owner, "CLP-1", org, tree.nation)
    record = Recorder(owner)
    supported = {tree.lahore: (10, 4), tree.multan: (11, 4), faisalabad: (13, 7), tree.karachi: (3, 1)}
    for where, (children, mainstreamed) in supported.items():
        await record.support(
            where,
            programme,
            children=children,
            mainstreamed=mainstreamed,
            reached=0,
            per_household=1,
            trained=0,
            family_only=0,
        )
    token = user_token(tokens, await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org))
    codes = ["PK", "PK-PB", "PK-SD", *(where.code for where in supported)]
    answers = {}
    for code in codes:
        data = await graphql.data(INDICATORS, {"code": code, "period": MARCH}, token=token)
        answers[code] = data["programmeIndicators"]
    unknowns: dict[Variable, int] = {}
    for where, (children, mainstreamed) in supported.items():
        unknowns |= {(where.code, True): mainstreamed, (where.code, False): children - mainstreamed}

    def covered(code: str, parts: tuple[bool, ...]) -> list[Variable]:
        return [(where.code, part) for where in supported if where.code.startswith(code) for part in parts]

    reader = Reader(unknowns)
    for code, answer in answers.items():
        if answer["childrenSupported"]["value"] is not None:
            reader.knows(covered(code, (True, False)))
        if answer["childrenMainstreamedIntoFormalSchool"]["value"] is not None:
            reader.knows(covered(code, (True,)))

    shown = {code: answer["childrenSupported"]["value"] for code, answer in answers.items()}
    assert shown["PK"] == 37
    assert shown["PK-SD"] is None
    assert shown["PK-PB"] is None
    assert [shown[code] for code in ("PK-PB-LAHORE", "PK-PB-MULTAN", "PK-PB-FAISALABAD")].count(None) >= 1
    for code, answer in answers.items():
        supported_value = answer["childrenSupported"]["value"]
        mainstreamed_value = answer["childrenMainstreamedIntoFormalSchool"]["value"]
        assert supported_value is None or supported_value >= THRESHOLD
        assert mainstreamed_value is None or mainstreamed_value >= THRESHOLD
        if supported_value is None:
            assert not reader.works_out(covered(code, (True, False))), code
        if mainstreamed_value is None:
            assert not reader.works_out(covered(code, (True,))), code
            assert not reader.works_out(covered(code, (False,))), code
            assert answer["mainstreamedShare"] == {"value": None, "suppressed": True}


# --- A statistics-only client of one district ----------------------------------------------------------


async def statistics_client(scope: Scope, owner: asyncpg.Connection[Any], client: httpx.AsyncClient) -> str:
    _, client_id = await make_api_client(
        owner,
        scope.tree.lahore,
        organisation_id=scope.org,
        created_by=scope.officer,
        scopes=["statistics:read"],
    )
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "test-secret")
    )
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("code", ["PK-PB-MULTAN", "PK-PB", "PK", "PK-SD-KARACHI-SOUTH"])
async def test_a_district_statistics_client_cannot_read_its_neighbours_figures(
    scope: Scope, owner: asyncpg.Connection[Any], graphql: GraphQLClient, client: httpx.AsyncClient, code: str
) -> None:
    token = await statistics_client(scope, owner, client)

    for query, variables in (
        (INCIDENTS, {"code": code}),
        (DETENTIONS, {"code": code}),
        (INDICATORS, {"code": code, "period": MARCH}),
    ):
        body = await graphql.post(query, variables, token=token)

        assert body["data"] is None
        assert [error["extensions"] for error in body["errors"]] == [
            {"code": "NOT_FOUND", "field": "jurisdiction"}
        ]


async def test_a_district_statistics_clients_figures_do_not_depend_on_its_neighbours(
    scope: Scope, owner: asyncpg.Connection[Any], graphql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    """Its table is its own district's: what is withheld there says nothing about the districts around."""
    token = await statistics_client(scope, owner, client)

    async def lahore() -> list[dict[str, Any]]:
        answers = []
        for variables in ({}, {"groupBy": ["OFFENCE"]}, {"groupBy": ["POLICE_STATION"]}):
            data = await graphql.data(INCIDENTS, {"code": "PK-PB-LAHORE", **variables}, token=token)
            answers.append(data["incidentStatistics"])
        return answers

    before = await lahore()
    multan = scope.station_names["multan"]
    await record_incidents(owner, multan, scope.tree.multan, "BY_CHILD", 1, offence="THEFT")
    await record_incidents(owner, multan, scope.tree.multan, "AGAINST_CHILD", 3, offence="ROBBERY")
    after = await lahore()

    assert after == before
    assert before[0]["disclosure"] == {"exact": False, "threshold": THRESHOLD}
    # Lahore's own 2 assaults are withheld, and its 14 offences by children published.
    assert {cell["direction"]: cell["count"] for cell in before[0]["cells"]} == {
        "AGAINST_CHILD": None,
        "BY_CHILD": 14,
    }


async def test_the_district_officer_still_gets_exact_figures(
    scope: Scope, tokens: TokenService, graphql: GraphQLClient
) -> None:
    data = await graphql.data(
        INCIDENTS, {"code": "PK-PB-LAHORE", "groupBy": ["OFFENCE"]}, token=user_token(tokens, scope.officer)
    )

    answer = data["incidentStatistics"]
    assert answer["disclosure"]["exact"] is True
    assert {(cell["direction"], cell["offence"]): cell["count"] for cell in answer["cells"]} == {
        ("AGAINST_CHILD", "ASSAULT"): 2,
        ("BY_CHILD", "ROBBERY"): 9,
        ("BY_CHILD", "THEFT"): 5,
    }


# --- Refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (INCIDENTS, {"code": "PK-PB", "level": "COMMUNITY"}, "level"),
        (INCIDENTS, {"code": "PK-PB-LAHORE-UC1"}, "jurisdiction"),
        (INCIDENTS, {"code": "PK-PB-LAHORE-UC1", "groupBy": ["POLICE_STATION"]}, "jurisdiction"),
        (DETENTIONS, {"code": "PK", "level": "TEHSIL"}, "level"),
        (INDICATORS, {"code": "PK-PB-LAHORE-UC1", "period": MARCH}, "jurisdiction"),
    ],
)
async def test_an_analyst_gets_no_figures_below_district_level(
    scope: Scope, graphql: GraphQLClient, query: str, variables: dict[str, Any], field: str
) -> None:
    body = await graphql.post(query, variables, token=scope.analyst)

    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [{"code": "VALIDATION", "field": field}]


@pytest.mark.parametrize("settings", [make_settings(statistics_max_cells=3)], ids=["small limit"])
async def test_a_table_too_large_to_protect_is_refused_before_it_is_protected(
    scope: Scope, owner: asyncpg.Connection[Any], tokens: TokenService, graphql: GraphQLClient
) -> None:
    tree = scope.tree
    programme = await make_programme(owner, "CLP-1", scope.org, tree.nation)
    for name, where in (("lahore2", tree.lahore), ("multan", tree.multan), ("karachi", tree.karachi)):
        await place_children(owner, scope.station_names[name], where, apart=1, together=1)
        await Recorder(owner).support(
            where, programme, children=1, mainstreamed=0, reached=0, per_household=1, trained=0, family_only=0
        )
    by_station = {"code": "PK-PB-LAHORE", "groupBy": ["POLICE_STATION", "OFFENCE"]}
    for query, variables in (
        (INCIDENTS, by_station),
        (DETENTIONS, {"code": "PK", "level": "DISTRICT"}),
        (INDICATORS, {"code": "PK-PB-LAHORE", "period": MARCH}),
    ):
        body = await graphql.post(query, variables, token=scope.analyst)

        assert body["data"] is None, query
        assert [error["extensions"] for error in body["errors"]] == [
            {"code": "VALIDATION", "field": "groupBy"}
        ]
        assert "cells protected" in body["errors"][0]["message"]
    # Exact counts need no protection, and no limit applies.
    exact = await graphql.data(INCIDENTS, by_station, token=user_token(tokens, scope.officer))
    assert exact["incidentStatistics"]["disclosure"]["exact"] is True
