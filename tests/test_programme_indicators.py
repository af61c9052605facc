"""Programme indicators: what field programmes report, exact for the district's own officers, protected
for analysts and statistics-only clients, not found outside the statistics scope."""

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
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
COUNTS = (
    "childrenSupported",
    "childrenMainstreamedIntoFormalSchool",
    "childrenReachedByHealthEducationOrLifeSkills",
    "householdsCovered",
    "householdsOfSupportedChildren",
    "householdsWithParentInVocationalTraining",
)
SHARES = ("mainstreamedShare", "parentsVocationalSkillsShare")
INDICATORS = f"""
query($code: String!, $programme: String, $period: DateRange!) {{
  programmeIndicators(jurisdiction: $code, programme: $programme, period: $period) {{
    jurisdiction {{ code }}
    programme {{ code }}
    {" ".join(f"{name} {{ value suppressed }}" for name in (*COUNTS, *SHARES))}
    villagesCovered districtsCovered communityUnitsCovered
    disclosure {{ exact threshold }}
  }}
}}
"""


@dataclass
class Field:
    tree: SmallTree
    faisalabad: JurisdictionRow
    users: dict[str, int]
    org: int


class Recorder:
    """Inserts programme records as the field offices would have recorded them."""

    def __init__(self, owner: asyncpg.Connection[Any]) -> None:
        self.owner = owner

    async def household(self, where: JurisdictionRow) -> int:
        household: int = await self.owner.fetchval(
            "INSERT INTO households (reference, size, registered_on, jurisdiction_id, path)"
            " VALUES ('HH-' || gen_random_uuid(), 5, DATE '2026-01-01', $1, $2) RETURNING id",
            where.id,
            where.path,
        )
        return household

    async def intervention(
        self,
        where: JurisdictionRow,
        type: str,
        *,
        programme: int | None,
        child: int | None = None,
        household: int | None = None,
        recipient: str = "CHILD",
        institution: int | None = None,
        started: dt.date = dt.date(2026, 1, 10),
        ended: dt.date | None = None,
    ) -> None:
        await self.owner.execute(
            "INSERT INTO interventions (type, recipient, programme_id, child_id, household_id, institution_id,"
            " started_on, ended_on, jurisdiction_id, path) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            type,
            recipient,
            programme,
            child,
            household,
            institution,
            started,
            ended,
            where.id,
            where.path,
        )

    async def mainstreamed(self, where: JurisdictionRow, child: int, on: dt.date) -> None:
        await self.owner.execute(
            "INSERT INTO outcomes (type, child_id, achieved_on, jurisdiction_id, path)"
            " VALUES ('MAINSTREAMED_INTO_FORMAL_SCHOOL', $1, $2, $3, $4)",
            child,
            on,
            where.id,
            where.path,
        )

    async def support(
        self,
        where: JurisdictionRow,
        programme: int,
        *,
        children: int,
        mainstreamed: int,
        reached: int,
        per_household: int,
        trained: int,
        family_only: int,
        unit: int | None = None,
        training_centre: int | None = None,
    ) -> list[int]:
        """``children`` supported from January on, in households of ``per_household``; the first
        ``mainstreamed`` into school in March, the first ``reached`` with life skills in March; a parent of
        the first ``trained`` households in vocational training; ``family_only`` households supported
        without a child supported."""
        households = [await self.household(where) for _ in range(children // per_household)]
        supported = []
        for number in range(children):
            child = await make_child(self.owner, where)
            await self.owner.execute(
                "UPDATE children SET household_id = $1 WHERE id = $2",
                households[number // per_household],
                child,
            )
            await self.intervention(
                where, "NON_FORMAL_EDUCATION", programme=programme, child=child, institution=unit
            )
            if number < mainstreamed:
                await self.mainstreamed(where, child, dt.date(2026, 3, 15))
            if number < reached:
                await self.intervention(
                    where,
                    "LIFE_SKILLS",
                    programme=programme,
                    child=child,
                    institution=unit,
                    started=dt.date(2026, 3, 1),
                    ended=dt.date(2026, 3, 20),
                )
            supported.append(child)
        for household in households[:trained]:
            await self.intervention(
                where,
                "VOCATIONAL_TRAINING",
                programme=programme,
                household=household,
                recipient="PARENT",
                institution=training_centre,
                started=dt.date(2026, 2, 1),
            )
        for _ in range(family_only):
            await self.intervention(
                where,
                "FAMILY_INCOME_SUPPORT",
                programme=programme,
                household=await self.household(where),
                recipient="HOUSEHOLD",
            )
        return supported


async def make_programme(owner: asyncpg.Connection[Any], code: str, org: int, where: JurisdictionRow) -> int:
    programme: int = await owner.fetchval(
        "INSERT INTO programmes (code, name, organisation_id, starts_on, jurisdiction_id, path)"
        " VALUES ($1, $1, $2, DATE '2025-01-01', $3, $4) RETURNING id",
        code,
        org,
        where.id,
        where.path,
    )
    return programme


@pytest.fixture
async def field(owner: asyncpg.Connection[Any]) -> Field:
    """Two programmes in Punjab, March 2026. CLP-1 (non-formal education at a Lahore drop-in centre, parents
    trained at a Lahore vocational centre): Lahore 8 children in 4 households in Union Council 1, 3 of them
    mainstreamed, 6 given life skills, 2 households' parents trained, 1 household supported alone. CLP-2:
    Lahore 2 children at district level. Multan and Faisalabad: children in both programmes."""
    tree = await make_small_tree(owner)
    faisalabad = await make_jurisdiction(owner, "PK-PB-FAISALABAD", "DISTRICT", parent=tree.punjab)
    org = await make_organisation(owner, tree.punjab)
    first = await make_programme(owner, "CLP-1", org, tree.punjab)
    second = await make_programme(owner, "CLP-2", org, tree.punjab)
    drop_in = await make_institution(owner, tree.lahore_community, type="DROP_IN_CENTRE", organisation_id=org)
    training = await make_institution(owner, tree.lahore, type="VOCATIONAL_CENTRE", organisation_id=org)
    school = await make_institution(owner, tree.lahore, type="SCHOOL", organisation_id=org)
    idle = await make_institution(owner, tree.lahore, type="OUTREACH_LEARNING_POINT", organisation_id=org)
    record = Recorder(owner)
    uc1 = tree.lahore_community
    lahore = await record.support(
        uc1,
        first,
        children=8,
        mainstreamed=3,
        reached=6,
        per_household=2,
        trained=2,
        family_only=1,
        unit=drop_in,
        training_centre=training,
    )
    await record.support(
        tree.lahore, second, children=2, mainstreamed=1, reached=1, per_household=1, trained=1, family_only=1
    )
    for where, sizes in (
        (tree.multan, ((6, 2, 5, 3, 1), (5, 2, 2, 2, 1))),
        (faisalabad, ((7, 4, 6, 5, 2), (6, 3, 3, 3, 1))),
    ):
        for programme, (children, mainstreamed, reached, trained, family_only) in zip(
            (first, second), sizes, strict=True
        ):
            await record.support(
                where,
                programme,
                children=children,
                mainstreamed=mainstreamed,
                reached=reached,
                per_household=1,
                trained=trained,
                family_only=family_only,
            )
    # Not counted in March: supported only until February, or only from April; mainstreamed in February;
    # an outreach learning point whose only intervention ended in February.
    for started, ended in ((dt.date(2026, 1, 5), dt.date(2026, 2, 28)), (dt.date(2026, 4, 2), None)):
        child = await make_child(owner, uc1)
        await record.intervention(
            uc1,
            "NON_FORMAL_EDUCATION",
            programme=first,
            child=child,
            institution=idle,
            started=started,
            ended=ended,
        )
    await record.mainstreamed(uc1, lahore[7], dt.date(2026, 2, 20))
    # A school is not a community unit.
    await record.intervention(
        uc1, "FORMAL_SCHOOL_ENROLMENT", programme=first, child=lahore[0], institution=school
    )
    users = {
        "lahore_officer": await make_user(owner, "DISTRICT_OFFICER", tree.lahore, organisation_id=org),
        "punjab_manager": await make_user(owner, "PROVINCIAL_MANAGER", tree.punjab, organisation_id=org),
        "analyst": await make_user(owner, "NATIONAL_ANALYST", tree.nation, organisation_id=org),
        "police": await make_user(owner, "POLICE_MONITOR", tree.punjab, organisation_id=org),
    }
    return Field(tree, faisalabad, users, org)


async def indicators(
    graphql: GraphQLClient, token: str | None, code: str, *, programme: str | None = None, period: Any = None
) -> dict[str, Any]:
    data = await graphql.data(
        INDICATORS, {"code": code, "programme": programme, "period": period or MARCH}, token=token
    )
    answer: dict[str, Any] = data["programmeIndicators"]
    return answer


def values(answer: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {name: answer[name]["value"] for name in (*COUNTS, *SHARES)}
    for name in ("villagesCovered", "districtsCovered", "communityUnitsCovered"):
        figures[name] = answer[name]
    return figures


def assert_nothing_small(answer: dict[str, Any]) -> None:
    for name in COUNTS:
        value = answer[name]["value"]
        assert value is None or value >= THRESHOLD, (name, value)
        assert answer[name]["suppressed"] is (value is None)
    for name, part, total in (
        ("mainstreamedShare", "childrenMainstreamedIntoFormalSchool", "childrenSupported"),
        (
            "parentsVocationalSkillsShare",
            "householdsWithParentInVocationalTraining",
            "householdsOfSupportedChildren",
        ),
    ):
        withheld = answer[part]["value"] is None or answer[total]["value"] is None
        assert answer[name]["suppressed"] is withheld
        if withheld:
            assert answer[name]["value"] is None
        else:
            rest = answer[total]["value"] - answer[part]["value"]
            assert rest == 0 or rest >= THRESHOLD, (name, rest)


async def test_a_district_officer_gets_the_exact_indicators_of_their_district(
    field: Field, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, field.users["lahore_officer"])

    every = await indicators(graphql, token, "PK-PB-LAHORE")
    first = await indicators(graphql, token, "PK-PB-LAHORE", programme="CLP-1")
    second = await indicators(graphql, token, "PK-PB-LAHORE", programme="CLP-2")

    assert every["disclosure"] == {"exact": True, "threshold": THRESHOLD}
    assert every["programme"] is None
    assert first["programme"] == {"code": "CLP-1"}
    assert values(first) == {
        "childrenSupported": 8,
        "childrenMainstreamedIntoFormalSchool": 3,
        "mainstreamedShare": 3 / 8,
        "childrenReachedByHealthEducationOrLifeSkills": 6,
        "householdsCovered": 5,
        "householdsOfSupportedChildren": 4,
        "householdsWithParentInVocationalTraining": 2,
        "parentsVocationalSkillsShare": 0.5,
        "villagesCovered": 1,
        "districtsCovered": 1,
        "communityUnitsCovered": 2,  # the drop-in and vocational centres; not the school, not the idle point
    }
    assert values(second) | {"mainstreamedShare": None} == {
        "childrenSupported": 2,
        "childrenMainstreamedIntoFormalSchool": 1,
        "mainstreamedShare": None,
        "childrenReachedByHealthEducationOrLifeSkills": 1,
        "householdsCovered": 3,
        "householdsOfSupportedChildren": 2,
        "householdsWithParentInVocationalTraining": 1,
        "parentsVocationalSkillsShare": 0.5,
        "villagesCovered": 0,  # the children live at district level
        "districtsCovered": 1,
        "communityUnitsCovered": 0,
    }
    assert values(every) == {
        "childrenSupported": 10,
        "childrenMainstreamedIntoFormalSchool": 4,
        "mainstreamedShare": 0.4,
        "childrenReachedByHealthEducationOrLifeSkills": 7,
        "householdsCovered": 8,
        "householdsOfSupportedChildren": 6,
        "householdsWithParentInVocationalTraining": 3,
        "parentsVocationalSkillsShare": 0.5,
        "villagesCovered": 1,
        "districtsCovered": 1,
        "communityUnitsCovered": 2,
    }


async def test_a_provincial_manager_may_ask_for_any_range_of_days(
    field: Field, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, field.users["punjab_manager"])

    answer = await indicators(graphql, token, "PK-PB", period={"from": "2026-03-10", "to": "2026-03-12"})

    assert answer["disclosure"]["exact"] is True
    assert answer["childrenSupported"]["value"] == 10 + 11 + 13
    assert answer["districtsCovered"] == 3


async def test_an_analyst_cannot_recover_a_withheld_indicator_from_the_parent_or_siblings(
    field: Field, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, field.users["analyst"])

    punjab = await indicators(graphql, token, "PK-PB")
    districts = {
        code: await indicators(graphql, token, code)
        for code in ("PK-PB-LAHORE", "PK-PB-MULTAN", "PK-PB-FAISALABAD")
    }

    for answer in (punjab, *districts.values()):
        assert_nothing_small(answer)
        assert answer["disclosure"] == {"exact": False, "threshold": THRESHOLD}
    lahore = districts["PK-PB-LAHORE"]
    assert lahore["childrenSupported"]["value"] == 10
    assert lahore["childrenMainstreamedIntoFormalSchool"] == {"value": None, "suppressed": True}
    assert lahore["mainstreamedShare"] == {"value": None, "suppressed": True}
    # Punjab's 15 mainstreamed minus the districts shown leaves a sum of two withheld districts
    # (Lahore 4 + Multan 4 = 8 = 3 + 5 = ...), never Lahore's own count.
    mainstreamed = {code: a["childrenMainstreamedIntoFormalSchool"]["value"] for code, a in districts.items()}
    assert punjab["childrenMainstreamedIntoFormalSchool"]["value"] == 15
    assert mainstreamed == {"PK-PB-LAHORE": None, "PK-PB-MULTAN": None, "PK-PB-FAISALABAD": 7}
    assert 15 - 7 == 4 + 4
    # Places are not people: exact for everyone.
    assert (lahore["villagesCovered"], lahore["districtsCovered"], lahore["communityUnitsCovered"]) == (
        1,
        1,
        2,
    )


async def test_an_analyst_gets_one_programme_from_the_table_of_every_programme(
    field: Field, tokens: TokenService, graphql: GraphQLClient
) -> None:
    token = user_token(tokens, field.users["analyst"])

    first = await indicators(graphql, token, "PK-PB-LAHORE", programme="CLP-1")
    second = await indicators(graphql, token, "PK-PB-LAHORE", programme="CLP-2")

    assert_nothing_small(first)
    assert_nothing_small(second)
    # Lahore's 2 children of CLP-2 are withheld, and with them CLP-1's 8: all programmes' 10 is
    # published, so 10 - 8 would otherwise give the 2 away.
    assert second["childrenSupported"]["value"] is None
    assert first["childrenSupported"]["value"] is None


@pytest.mark.parametrize(
    ("variables", "code", "field_name"),
    [
        ({"period": {"from": "2026-03-01", "to": "2026-03-15"}}, "VALIDATION", "period"),
        ({"period": {"from": "2026-02-01", "to": "2026-03-31"}}, "VALIDATION", "period"),
        ({"period": {"from": "2026-03-31", "to": "2026-03-01"}}, "VALIDATION", "period"),
        ({"programme": "NO-SUCH-PROGRAMME"}, "NOT_FOUND", "programme"),
        ({"code": "PK-NOWHERE"}, "NOT_FOUND", "jurisdiction"),
    ],
)
async def test_an_analyst_gets_typed_errors_for_bad_or_differencing_input(
    field: Field,
    tokens: TokenService,
    graphql: GraphQLClient,
    variables: dict[str, Any],
    code: str,
    field_name: str,
) -> None:
    token = user_token(tokens, field.users["analyst"])

    body = await graphql.post(INDICATORS, {"code": "PK-PB-LAHORE", "period": MARCH} | variables, token=token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": code, "field": field_name}


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("lahore_officer", "PK-PB-MULTAN"),
        ("lahore_officer", "PK-PB"),
        ("police", "PK-PB-LAHORE"),
        (None, "PK"),
    ],
)
async def test_indicators_outside_the_statistics_scope_are_not_found(
    field: Field, tokens: TokenService, graphql: GraphQLClient, who: str | None, code: str
) -> None:
    token = user_token(tokens, field.users[who]) if who else None

    body = await graphql.post(INDICATORS, {"code": code, "period": MARCH}, token=token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "jurisdiction"}


async def test_a_statistics_only_client_gets_protected_indicators(
    field: Field, owner: asyncpg.Connection[Any], graphql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    _, client_id = await make_api_client(
        owner,
        field.tree.lahore,
        organisation_id=field.org,
        created_by=field.users["lahore_officer"],
        scopes=["statistics:read"],
    )
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "test-secret")
    )
    token = response.json()["access_token"]

    answer = await indicators(graphql, token, "PK-PB-LAHORE")

    assert answer["disclosure"]["exact"] is False
    assert_nothing_small(answer)
    assert answer["childrenSupported"]["value"] == 10
    assert answer["childrenMainstreamedIntoFormalSchool"]["suppressed"] is True


@pytest.fixture
async def as_app(database: URL) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection = await connect_owner(app_url_for(database, make_settings()))
    yield connection
    await connection.close()


async def test_the_function_refuses_a_jurisdiction_outside_the_statistics_scope(
    field: Field, as_app: asyncpg.Connection[Any]
) -> None:
    tree = field.tree
    statement = (
        "SELECT * FROM registry_programme_indicators($1, $2::jurisdiction_level, NULL, false,"
        " DATE '2026-03-01', DATE '2026-03-31')"
    )

    async def call(scope: str, jurisdiction: int, level: str | None = None) -> list[asyncpg.Record]:
        async with as_app.transaction():
            await as_app.execute("SELECT set_config('registry.statistics_scope', $1, true)", scope)
            return await as_app.fetch(statement, jurisdiction, level)

    lahore_only = f"{{{tree.lahore.path}.*}}"
    inside = await call(lahore_only, tree.lahore.id)
    for outside in (tree.multan, tree.punjab, tree.nation):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await call(lahore_only, outside.id, "DISTRICT")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.fetch(statement, tree.lahore.id, None)
    with pytest.raises(asyncpg.InvalidParameterValueError):
        await call(lahore_only, tree.lahore.id, "PROVINCIAL")  # above the jurisdiction
    # What the app's role may not read directly (it has no record scope here) ...
    async with as_app.transaction():
        await as_app.execute("SELECT set_config('registry.statistics_scope', $1, true)", lahore_only)
        interventions = await as_app.fetchval("SELECT count(*) FROM interventions")
    # ... it gets only as counts, through the function; under Punjab, by district.
    punjab = await call(f"{{{tree.punjab.path}.*}}", tree.punjab.id, "DISTRICT")

    assert interventions == 0
    assert [(row["place_code"], row["children_supported"]) for row in inside] == [("PK-PB-LAHORE", 10)]
    assert sorted((row["place_code"], row["children_supported"]) for row in punjab) == [
        ("PK-PB-FAISALABAD", 13),
        ("PK-PB-LAHORE", 10),
        ("PK-PB-MULTAN", 11),
    ]
