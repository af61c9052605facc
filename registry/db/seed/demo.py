"""Synthetic demo data: Pakistan's real provinces, divisions and districts, and invented people below them.

``seed_demo`` fills an empty, migrated database through the owner's raw asyncpg connection with binary COPY,
in one transaction. Rows come from generators that run while PostgreSQL consumes the previous buffer, so
Python and the server work in parallel; later tables read the compact per-child and per-case state that
earlier generators leave behind.

Every constraint stays in place. Checking foreign keys row by row would cost PostgreSQL a query per key
(more than half of a full load), so a superuser owner defers them to one set-based check per key before the
transaction commits; any other owner gets the per-row checks (slower, same result).

Everything is deterministic: each table draws from its own ``random.Random`` seeded with the seed and the
table's name, and every date is counted from a fixed "today" (:data:`ANCHOR`), never the wall clock.
The same seed and scale give identical rows, ids included.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg

from registry.db.engine import register_codecs
from registry.db.seed import names
from registry.db.seed.pakistan import DISTRICTS, DIVISIONS, NATION_CODE, NATION_NAME, PROVINCES
from registry.identity_numbers import IdentityNumberVault

__all__ = ["ANCHOR", "DatabaseNotEmptyError", "SeedSummary", "is_seeded", "seed_demo"]

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
# An institution as the generators need it: (id, jurisdiction id, path, tehsil id or 0).
Site = tuple[int, int, str, int]
T = TypeVar("T")

PKT = dt.timezone(dt.timedelta(hours=5), "PKT")
# "Today" for the demo: registrations run over the three years before it.
ANCHOR = dt.date(2026, 6, 30)
FIRST_REGISTRATION = dt.date(2023, 7, 1)
# When the reference data (tree, organisations, institutions, staff) was entered.
SYSTEM_START = dt.datetime(2023, 1, 16, 10, 0, tzinfo=PKT)
# Day numbers count from here; every child in the demo is born after it.
EPOCH = dt.date(2005, 1, 1)
MINUTES_PER_DAY = 1440
OFFICE_OPENS = 9 * 60
OFFICE_MINUTES = 9 * 60

# Per-person volumes at scale 1.
HOUSEHOLDS_AT_SCALE_1 = 300_000
STREET_CHILDREN_AT_SCALE_1 = 75_000
UNLINKED_INCIDENTS_AT_SCALE_1 = 8_000
# Share of children with a B-Form (birth registration) number on record.
B_FORM_COVERAGE = 0.65


@dataclass(frozen=True)
class SeedSummary:
    """Rows loaded per table and the seconds the whole load took."""

    counts: dict[str, int]
    seconds: float


class DatabaseNotEmptyError(RuntimeError):
    """The demo data goes into an empty database only: it assigns its own ids."""


async def is_seeded(connection: asyncpg.Connection[Any]) -> bool:
    """True when the jurisdiction tree is already there (by the demo seed or by hand)."""
    return bool(await connection.fetchval("SELECT EXISTS (SELECT 1 FROM jurisdictions)"))


async def seed_demo(
    connection: asyncpg.Connection[Any],
    *,
    identity_numbers: IdentityNumberVault,
    scale: float = 1.0,
    seed: int = 2026,
) -> SeedSummary:
    """Load the demo data set into an empty, migrated database (as its owner).

    ``scale`` multiplies the per-person volumes (households, children, cases and what hangs off them);
    the jurisdiction tree and the staff do not scale, institutions grow with its square root. Identity
    numbers are encrypted with ``identity_numbers``, the deployment's keys, so the API can read them back.
    """
    if not 0 < scale <= 20:
        raise ValueError(f"scale must be in (0, 20], got {scale}")
    started = time.perf_counter()
    counts: dict[str, int] = {}
    builder = _DemoBuilder(scale=scale, seed=seed, identity_numbers=identity_numbers)
    # COPY writes paths in ltree's binary form, which asyncpg learns here (again, if the caller did).
    await register_codecs(connection)
    async with connection.transaction():
        # Checked inside the transaction, so two concurrent seeds cannot both pass.
        await connection.execute("LOCK TABLE jurisdictions IN EXCLUSIVE MODE")
        if await is_seeded(connection):
            raise DatabaseNotEmptyError("the database already has jurisdictions; seed an empty database")
        # COPY refuses tables whose row-level security applies to the user: with FORCE, that is even their
        # owner, unless a superuser. Lifted inside this transaction only, and put back before it commits.
        forced = await _tables_forcing_row_security(connection)
        for table in forced:
            await connection.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        # The trigram index on names takes 500k inserts: a larger pending list means fewer, bigger merges.
        await connection.execute("SET LOCAL work_mem = '64MB'")
        await connection.execute("SET LOCAL gin_pending_list_limit = '32MB'")
        bulk = await _may_check_foreign_keys_in_bulk(connection)
        if bulk:
            await connection.execute("SET LOCAL session_replication_role = replica")
        for load in builder.loads():
            began = time.perf_counter()
            status = await connection.copy_records_to_table(
                load.table, records=load.rows, columns=load.columns
            )
            counts[load.table] = int(status.rsplit(" ", 1)[-1])
            log.info(
                "seeded %s: %d rows in %.1f s", load.table, counts[load.table], time.perf_counter() - began
            )
        # Children in conflict with the law get their identity restricted, as opening such a case does.
        await connection.execute(
            "UPDATE children SET identity_restricted = true WHERE id IN"
            " (SELECT child_id FROM cases WHERE kind = 'CHILD_IN_CONFLICT_WITH_LAW')"
        )
        if bulk:
            began = time.perf_counter()
            await connection.execute("SET LOCAL session_replication_role = origin")
            await _check_foreign_keys(connection)
            log.info("checked foreign keys in %.1f s", time.perf_counter() - began)
        for table in forced:
            await connection.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        for table, last_id in builder.last_ids.items():
            if last_id:
                await connection.execute(
                    "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", table, last_id
                )
    began = time.perf_counter()
    await connection.execute("ANALYZE " + ", ".join(counts))
    log.info("analysed in %.1f s", time.perf_counter() - began)
    return SeedSummary(counts=counts, seconds=time.perf_counter() - started)


async def _tables_forcing_row_security(connection: asyncpg.Connection[Any]) -> list[str]:
    """The tables (as quoted names) whose forced row-level security applies to this user."""
    rows = await connection.fetch(
        """
        SELECT c.oid::regclass::text FROM pg_class c, pg_roles r
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relforcerowsecurity
          AND r.rolname = current_user AND NOT (r.rolsuper OR r.rolbypassrls)
        ORDER BY 1
        """
    )
    return [row[0] for row in rows]


async def _may_check_foreign_keys_in_bulk(connection: asyncpg.Connection[Any]) -> bool:
    """Whether the per-row foreign-key triggers may wait for one set-based check after the load.

    Checking each row costs PostgreSQL a query per foreign key: for millions of rows that is most of the
    load. Only a superuser may switch the triggers off (``session_replication_role``), and only when the
    schema has no triggers of its own, which would be skipped too.
    """
    return bool(
        await connection.fetchval(
            """
            SELECT r.rolsuper AND NOT EXISTS (
                SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
            )
            FROM pg_roles r WHERE r.rolname = current_user
            """
        )
    )


async def _check_foreign_keys(connection: asyncpg.Connection[Any]) -> None:
    """Every foreign key of the schema, checked with one anti-join each; raise on the first broken one."""
    checks = await connection.fetch(
        """
        SELECT c.conname, format(
            'SELECT EXISTS (SELECT 1 FROM %s r WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s))',
            c.conrelid::regclass, string_agg(format('r.%I IS NOT NULL', a.attname), ' AND '),
            c.confrelid::regclass, string_agg(format('p.%I = r.%I', pa.attname, a.attname), ' AND ')
        ) AS query
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(attnum, ref_attnum)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = k.ref_attnum
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
        GROUP BY c.oid, c.conname, c.conrelid, c.confrelid
        ORDER BY c.conname
        """
    )
    for name, query in checks:
        if await connection.fetchval(query):
            # The error the per-row check would have raised, so callers see one kind of failure.
            raise asyncpg.ForeignKeyViolationError(f"demo data breaks foreign key {name}")


# --------------------------------------------------------------------------------------------------------
# Small tools


@dataclass(frozen=True)
class _Load:
    table: str
    columns: tuple[str, ...]
    rows: Iterator[Row]


class _Picker(Generic[T]):
    """Weighted choice from a uniform draw: ``pick(rng.random())``. Cheaper than ``rng.choices`` per call."""

    __slots__ = ("bounds", "items", "total")

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in weighted]
        bounds: list[float] = []
        running = 0.0
        for _, weight in weighted:
            running += weight
            bounds.append(running)
        self.total = running
        # Without the last bound the index can never run past the end, whatever the rounding.
        self.bounds = bounds[:-1]

    def __call__(self, u: float) -> T:
        return self.items[bisect_right(self.bounds, u * self.total)]


class _Random(random.Random):
    """``random.Random`` with integer draws made from one float each.

    ``randrange`` and ``choice`` cost about a microsecond a call (rejection sampling in Python); these cost a
    fifth of that, and millions of rows draw several each. The bias of scaling a float is far below what
    demo data could show.
    """

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``."""
        return int(self.random() * n)

    def span(self, low: int, high: int) -> int:
        """An integer in ``[low, high)``."""
        return low + int(self.random() * (high - low))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]


def _rng(seed: int, part: str) -> _Random:
    # A string seed is hashed with SHA-512: stable across runs and independent of PYTHONHASHSEED.
    return _Random(f"{seed}:{part}")


def _day(date: dt.date) -> int:
    return (date - EPOCH).days


ANCHOR_DAY = _day(ANCHOR)
LAST_MINUTE = (ANCHOR_DAY + 1) * MINUTES_PER_DAY - 1
FIRST_DAY = _day(FIRST_REGISTRATION)
# Lookup tables instead of date arithmetic per row: a day number indexes the date and its midnight in PKT.
DATES: list[dt.date] = [EPOCH + dt.timedelta(days=i) for i in range(ANCHOR_DAY + 1000)]
MIDNIGHTS: list[dt.datetime] = [dt.datetime(d.year, d.month, d.day, tzinfo=PKT) for d in DATES]
YEARS: list[int] = [d.year for d in DATES]
MINUTE_DELTAS: list[dt.timedelta] = [dt.timedelta(minutes=m) for m in range(MINUTES_PER_DAY)]
JULY_FIRST: dict[int, int] = {year: _day(dt.date(year, 7, 1)) for year in range(EPOCH.year, ANCHOR.year + 1)}


def _ts(minute: int) -> dt.datetime:
    """A timestamp from minutes since the epoch day's midnight (PKT)."""
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return MIDNIGHTS[day] + MINUTE_DELTAS[rest]


def _age_on(birth_day: int, day: int) -> int:
    born, on = DATES[birth_day], DATES[day]
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --------------------------------------------------------------------------------------------------------
# Vocabulary

KINDS = ("CHILD_LABOUR", "CHILD_AT_RISK", "CHILD_VICTIM", "CHILD_IN_CONFLICT_WITH_LAW", "MISSING_CHILD")
LABOUR, AT_RISK, VICTIM, CONFLICT, MISSING = range(5)
STAGES = ("REGISTERED", "ASSESSED", "CASE_PLAN", "IMPLEMENTATION", "REVIEW", "CLOSED", "REOPENED")
REGISTERED, ASSESSED, CASE_PLAN, IMPLEMENTATION, REVIEW, CLOSED, REOPENED = range(7)
# Days from one stage to the next (to ASSESSED, CASE_PLAN, ...), as (shortest, longest).
STAGE_GAPS = ((1, 10), (3, 25), (3, 30), (45, 200), (10, 150), (20, 250))
# The stage a case would stop at if time did not cut it short first.
TARGET_STAGE = _Picker(
    [(REGISTERED, 10), (ASSESSED, 10), (CASE_PLAN, 9), (IMPLEMENTATION, 18), (REVIEW, 8), (CLOSED, 43),
     (REOPENED, 2)]
)  # fmt: skip

PRIMARY_KIND_HOUSEHOLD = _Picker([(LABOUR, 46), (AT_RISK, 21), (VICTIM, 17), (CONFLICT, 8), (MISSING, 8)])
PRIMARY_KIND_STREET = _Picker([(LABOUR, 40), (AT_RISK, 22), (VICTIM, 10), (CONFLICT, 16), (MISSING, 12)])
LATER_KIND = _Picker([(LABOUR, 40), (AT_RISK, 30), (VICTIM, 14), (CONFLICT, 9), (MISSING, 7)])
CASES_PER_CHILD = _Picker([(1, 62), (2, 22), (3, 10), (4, 6)])

SEX_BY_KIND = (
    _Picker([("MALE", 78), ("FEMALE", 20.5), ("TRANSGENDER", 0.5), ("UNKNOWN", 1)]),
    _Picker([("MALE", 58), ("FEMALE", 40.5), ("TRANSGENDER", 0.5), ("UNKNOWN", 1)]),
    _Picker([("MALE", 44), ("FEMALE", 54), ("TRANSGENDER", 1), ("UNKNOWN", 1)]),
    _Picker([("MALE", 93), ("FEMALE", 6), ("TRANSGENDER", 0.4), ("UNKNOWN", 0.6)]),
    _Picker([("MALE", 55), ("FEMALE", 43), ("TRANSGENDER", 0.5), ("UNKNOWN", 1.5)]),
)


def _ages(weights: Sequence[float]) -> _Picker[int]:
    return _Picker(list(enumerate(weights)))


# Ages at registration skew to 8-17; no child under 10 is charged (age of criminal responsibility).
AGE_BY_KIND = (
    _ages([0, 0, 0, 0, 0, 0.5, 1, 2, 4, 5, 6.5, 7.5, 8.5, 9, 9, 8.5, 7.5, 6]),
    _ages([0.4, 0.5, 0.6, 0.8, 1, 1.5, 2.5, 3.5, 4.5, 5, 6, 6.5, 7, 7, 7, 6.5, 6, 5]),
    _ages([0.3, 0.5, 0.8, 1, 1.5, 2, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 6.5, 6, 5.5, 5]),
    _ages([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 7, 10, 12, 13, 12]),
    _ages([0, 0, 0.5, 1, 1.5, 2, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 6.5, 6, 5.5, 5]),
)
RISK_BY_KIND = (
    _Picker([("HIGH", 15), ("MEDIUM", 50), ("LOW", 35)]),
    _Picker([("HIGH", 12), ("MEDIUM", 45), ("LOW", 43)]),
    _Picker([("HIGH", 45), ("MEDIUM", 40), ("LOW", 15)]),
    _Picker([("HIGH", 30), ("MEDIUM", 50), ("LOW", 20)]),
    _Picker([("HIGH", 60), ("MEDIUM", 30), ("LOW", 10)]),
)
CLOSURE_REASONS = (
    (
        "Withdrawn from hazardous work and enrolled in school",
        "Family income support in place; child no longer working",
        "Employer stopped employing the child; follow-up visits confirmed",
        "Case plan goals met",
        "Family relocated outside the district",
    ),
    ("Risk reduced; case plan goals met", "Child back in school and living safely at home",
     "Family relocated outside the district", "Child turned 18"),
    ("Child safe; services completed", "Perpetrator prosecuted; child receiving family support",
     "Child placed in alternative care", "Case plan goals met"),
    ("Diverted from the justice system; reintegration complete", "Acquitted and reunified with family",
     "Released; probation completed", "Child turned 18"),
    ("Child found and reunified with family", "Child found; placed in alternative care",
     "Child returned home on own"),
)  # fmt: skip
NOTES = (
    "Home visit conducted",
    "Follow-up call with the guardian",
    "School attendance verified",
    "Employer visited; written undertaking obtained",
    "Medical check-up arranged",
    "Case conference held with the district officer",
    "Child met at the drop-in centre",
)

INSTITUTION_TYPES = (
    "POLICE_STATION", "CHILD_PROTECTION_CENTRE", "OBSERVATION_HOME", "JUVENILE_REHABILITATION_CENTRE",
    "PRISON", "CHILD_PROTECTION_INSTITUTION", "SHELTER", "DROP_IN_CENTRE", "OUTREACH_LEARNING_POINT",
    "VOCATIONAL_CENTRE", "SCHOOL", "HEALTH_FACILITY",
)  # fmt: skip
PS, CPC, OH, JRC, PRISON, CPI, SHELTER, DIC, OLP, VOC, SCHOOL, HEALTH = range(12)
# Per average district at scale 1 (about 5,000 in all), the short code, and where it sits in the district.
INSTITUTION_PLAN: tuple[tuple[float, str, str], ...] = (
    (8.0, "PS", "tehsil"),
    (0.6, "CPC", "tehsil"),
    (0.35, "OH", "district"),
    (0.1, "JRC", "district"),
    (0.6, "JAIL", "district"),
    (0.3, "CPI", "district"),
    (1.0, "SH", "district"),
    (3.0, "DIC", "tehsil"),
    (8.0, "OLP", "community"),
    (2.0, "VC", "tehsil"),
    (5.0, "SCH", "community"),
    (2.0, "HF", "community"),
)
CAPACITY = (
    (10, 40), (10, 30), (20, 80), (50, 150), (300, 3000), (50, 200), (20, 60), (30, 100), (25, 50),
    (40, 120), (200, 900), (20, 120),
)  # fmt: skip
# Where a case of each kind is usually served, if anywhere.
CASE_INSTITUTION = (
    (0.7, _Picker([(DIC, 45), (OLP, 45), (VOC, 10)])),
    (0.5, _Picker([(DIC, 50), (OLP, 35), (SHELTER, 15)])),
    (0.5, _Picker([(SHELTER, 50), (CPI, 25), (DIC, 25)])),
    (0.4, _Picker([(CPC, 70), (DIC, 30)])),
    (0.4, _Picker([(SHELTER, 70), (CPI, 30)])),
)

INTERVENTIONS = (
    "NON_FORMAL_EDUCATION", "FORMAL_SCHOOL_ENROLMENT", "VOCATIONAL_TRAINING", "FAMILY_INCOME_SUPPORT",
    "MICROFINANCE", "COOPERATIVE_MEMBERSHIP", "HEALTH_EDUCATION", "LIFE_SKILLS", "PSYCHOSOCIAL_SUPPORT",
    "LEGAL_AID", "FAMILY_TRACING_REUNIFICATION", "MEDICAL_CARE", "SHELTER_CARE",
)  # fmt: skip
NFE, FORMAL, VOCATIONAL, INCOME, MICRO, COOP, HEALTH_ED = range(7)
LIFE, PSS, LEGAL, TRACING, MEDICAL, SHELTER_CARE = range(7, 13)
# (intervention, probability, for the parents rather than the child) per case kind.
INTERVENTION_PLAN: tuple[tuple[tuple[int, float, bool], ...], ...] = (
    ((NFE, 0.38, False), (FORMAL, 0.2, False), (HEALTH_ED, 0.3, False), (LIFE, 0.2, False),
     (VOCATIONAL, 0.13, True), (MICRO, 0.06, True), (INCOME, 0.1, True), (COOP, 0.04, True)),
    ((NFE, 0.2, False), (FORMAL, 0.13, False), (HEALTH_ED, 0.3, False), (LIFE, 0.25, False),
     (PSS, 0.17, False), (INCOME, 0.08, True), (VOCATIONAL, 0.05, True)),
    ((PSS, 0.6, False), (MEDICAL, 0.25, False), (LEGAL, 0.3, False), (SHELTER_CARE, 0.1, False),
     (LIFE, 0.08, False)),
    ((LEGAL, 0.65, False), (PSS, 0.3, False), (LIFE, 0.2, False), (VOCATIONAL, 0.12, False)),
    ((TRACING, 0.7, False), (PSS, 0.25, False), (SHELTER_CARE, 0.12, False)),
)  # fmt: skip
# Days an intervention runs; None: ongoing membership.
INTERVENTION_DAYS: tuple[tuple[int, int] | None, ...] = (
    (90, 270), (0, 0), (60, 180), (90, 365), (180, 365), None, (1, 30), (30, 120), (30, 180), (30, 365),
    (3, 90), (1, 30), (7, 120),
)  # fmt: skip
INTERVENTION_INSTITUTION: tuple[tuple[int, ...], ...] = (
    (OLP, DIC), (SCHOOL,), (VOC,), (), (), (), (HEALTH, DIC), (DIC, OLP), (DIC, CPC, SHELTER), (), (SHELTER,),
    (HEALTH,), (SHELTER,),
)  # fmt: skip
PROGRAMME_FOCUS = {
    "education": (NFE, FORMAL, LIFE, HEALTH_ED),
    "livelihoods": (VOCATIONAL, MICRO, INCOME, COOP),
    "protection": (PSS, LEGAL, TRACING, SHELTER_CARE, MEDICAL),
    "government": (FORMAL, INCOME, MEDICAL, SHELTER_CARE, LEGAL),
}
PROGRAMME_NAMES = {
    "education": ("Bridge Schools for Working Children", "Learn and Earn Outreach Classes",
                  "Back to School for Working Children", "Health and Life Skills for Working Children"),
    "livelihoods": ("Family Livelihoods and Skills", "Mothers' Vocational Centres",
                    "Micro-credit for Families of Working Children"),
    "protection": ("Justice for Children", "Safe Childhood Psychosocial Support",
                   "Missing Children Tracing and Reunification", "Street Children Drop-in and Shelter"),
    "government": ("Child Labour Elimination Programme",),
}  # fmt: skip

OFFENCES_BY_CHILD = _Picker(
    [("THEFT", 35), ("ROBBERY", 9), ("ASSAULT", 15), ("HOMICIDE", 2), ("DRUG_OFFENCE", 15),
     ("PUBLIC_ORDER", 10), ("CYBER_CRIME", 3), ("OTHER", 11)]
)  # fmt: skip
OFFENCES_AGAINST_CHILD = _Picker(
    [("PHYSICAL_ABUSE", 27), ("SEXUAL_ABUSE", 20), ("KIDNAPPING_ABDUCTION", 12), ("TRAFFICKING", 5),
     ("CHILD_MARRIAGE", 8), ("LABOUR_EXPLOITATION", 12), ("BEGGING_EXPLOITATION", 8), ("CYBER_CRIME", 3),
     ("ASSAULT", 3), ("HOMICIDE", 1), ("OTHER", 1)]
)  # fmt: skip
# The provision a First Information Report typically cites (Pakistan Penal Code and special laws).
OFFENCE_SECTIONS = {
    "THEFT": "PPC 379", "ROBBERY": "PPC 392", "ASSAULT": "PPC 337", "HOMICIDE": "PPC 302",
    "DRUG_OFFENCE": "CNSA 9", "PUBLIC_ORDER": "PPC 147", "CYBER_CRIME": "PECA 22",
    "PHYSICAL_ABUSE": "PPC 328-A", "SEXUAL_ABUSE": "PPC 377-A", "KIDNAPPING_ABDUCTION": "PPC 364-A",
    "TRAFFICKING": "PTPA 3", "CHILD_MARRIAGE": "CMRA 5", "LABOUR_EXPLOITATION": "ECA 14",
    "BEGGING_EXPLOITATION": "PPC 371-A",
}  # fmt: skip

# Per placement kind: the institution type, minutes held (shortest, longest), and the chances that the child
# was kept apart from adults and got psychosocial support.
PLACEMENT_STEPS = {
    "ARREST": (PS, (4 * 60, 48 * 60), 0.55, 0.03),
    "POLICE_CUSTODY": (PS, (1440, 14 * 1440), 0.7, 0.1),
    "CHILD_PROTECTION_CENTRE": (CPC, (1440, 14 * 1440), 0.97, 0.9),
    "OBSERVATION_HOME": (OH, (7 * 1440, 120 * 1440), 0.95, 0.6),
    "JUVENILE_REHABILITATION": (JRC, (90 * 1440, 400 * 1440), 0.99, 0.75),
    "PRISON": (PRISON, (30 * 1440, 300 * 1440), 0.6, 0.2),
    "SHELTER": (SHELTER, (7 * 1440, 120 * 1440), 1.0, 0.7),
    "ALTERNATIVE_CARE": (CPI, (60 * 1440, 500 * 1440), 1.0, 0.6),
}
# What happens when a placement ends: the next placement (None: released) and the recorded reason.
PLACEMENT_NEXT: dict[str, _Picker[tuple[str | None, str]]] = {
    "ARREST": _Picker(
        [(("POLICE_CUSTODY", "TRANSFERRED"), 30), (("CHILD_PROTECTION_CENTRE", "TRANSFERRED"), 25),
         ((None, "RELEASED_TO_FAMILY"), 25), ((None, "RELEASED_ON_BAIL"), 12), ((None, "DIVERTED"), 8)]
    ),
    "POLICE_CUSTODY": _Picker(
        [(("OBSERVATION_HOME", "TRANSFERRED"), 35), ((None, "RELEASED_ON_BAIL"), 40),
         ((None, "DIVERTED"), 15), ((None, "RELEASED_TO_FAMILY"), 10)]
    ),
    "CHILD_PROTECTION_CENTRE": _Picker(
        [(("OBSERVATION_HOME", "TRANSFERRED"), 25), ((None, "RELEASED_ON_BAIL"), 35),
         ((None, "DIVERTED"), 25), ((None, "RELEASED_TO_FAMILY"), 15)]
    ),
    "OBSERVATION_HOME": _Picker(
        [(("JUVENILE_REHABILITATION", "TRANSFERRED"), 12), (("PRISON", "TRANSFERRED"), 3),
         ((None, "ACQUITTED"), 30), ((None, "RELEASED_ON_BAIL"), 35), ((None, "DIVERTED"), 20)]
    ),
    "JUVENILE_REHABILITATION": _Picker([((None, "SENTENCE_COMPLETED"), 85), ((None, "OTHER"), 15)]),
    "PRISON": _Picker([((None, "SENTENCE_COMPLETED"), 60), ((None, "RELEASED_ON_BAIL"), 40)]),
    "SHELTER": _Picker([((None, "RELEASED_TO_FAMILY"), 75), (("ALTERNATIVE_CARE", "TRANSFERRED"), 15),
                        ((None, "OTHER"), 10)]),
    "ALTERNATIVE_CARE": _Picker([((None, "RELEASED_TO_FAMILY"), 70), ((None, "OTHER"), 30)]),
}  # fmt: skip

PROVINCE_URDU = {
    "PK-PB": "پنجاب",
    "PK-SD": "سندھ",
    "PK-KP": "خیبر پختونخوا",
    "PK-BA": "بلوچستان",
    "PK-IS": "اسلام آباد",
    "PK-GB": "گلگت بلتستان",
    "PK-JK": "آزاد جموں و کشمیر",
}
# Rough share of the population, which sets how many children each province's districts register.
PROVINCE_SHARE = {
    "PK-PB": 0.52, "PK-SD": 0.23, "PK-KP": 0.165, "PK-BA": 0.06, "PK-IS": 0.01, "PK-GB": 0.007,
    "PK-JK": 0.018,
}  # fmt: skip
# Large cities register more children than their province's average district.
CITY_WEIGHT = {
    "PK-PB-LAHORE": 4.0, "PK-PB-FAISALABAD": 2.5, "PK-PB-RAWALPINDI": 2.0, "PK-PB-MULTAN": 1.8,
    "PK-PB-GUJRANWALA": 1.8, "PK-KP-PESHAWAR": 2.5, "PK-BA-QUETTA": 3.0, "PK-SD-HYDERABAD": 1.6,
    "PK-SD-KARACHI-CENTRAL": 1.5, "PK-SD-KARACHI-EAST": 1.5, "PK-SD-KARACHI-WEST": 1.5,
    "PK-SD-KARACHI-SOUTH": 1.2, "PK-SD-KORANGI": 1.4, "PK-SD-MALIR": 1.2, "PK-SD-KEAMARI": 1.2,
}  # fmt: skip
PROVINCIAL_DEPARTMENTS = {
    "PK-PB": ("CPWB", "Child Protection and Welfare Bureau, Punjab"),
    "PK-SD": ("SCPA", "Sindh Child Protection Authority"),
    "PK-KP": ("CPWC", "Khyber Pakhtunkhwa Child Protection and Welfare Commission"),
    "PK-BA": ("SWD", "Social Welfare Department, Balochistan"),
    "PK-IS": ("DSW", "Directorate of Social Welfare, Islamabad Capital Territory"),
    "PK-GB": ("SWD", "Social Welfare Department, Gilgit-Baltistan"),
    "PK-JK": ("SWWDD", "Social Welfare and Women Development Department, Azad Jammu and Kashmir"),
}


# The columns each generator yields, in order.
COLUMNS = {
    "jurisdictions": "id code name name_ur level parent_id path created_at",
    "organisations": "id code name kind jurisdiction_id path created_at",
    "institutions": "id code name type organisation_id capacity active jurisdiction_id path created_at",
    "users": "id username display_name email organisation_id password_hash active created_at version",
    "role_assignments": "id user_id role jurisdiction_id path created_at",
    "programmes": "id code name organisation_id starts_on ends_on jurisdiction_id path created_at",
    "households": "id reference size registered_on jurisdiction_id path created_at version",
    "children": (
        "id household_id sex birth_year age_at_registration registered_on jurisdiction_id path created_at"
        " version"
    ),
    "child_identities": (
        "child_id full_name given_name family_name father_name date_of_birth date_of_birth_estimated"
        " identity_number_ciphertext identity_number_key_id identity_number_blind_index"
        " place_of_birth address updated_at version"
    ),
    "guardians": "id child_id full_name relationship is_primary created_at",
    "cases": (
        "id case_number child_id kind stage risk_level assigned_to_id institution_id opened_at closed_at"
        " closure_reason created_at updated_at jurisdiction_id path version"
    ),
    "consents": (
        "id child_id case_id purpose given_by guardian_id given_at withdrawn_at recorded_by_id created_at"
    ),
    "incidents": (
        "id police_station_id direction offence offence_section fir_number child_id case_id occurred_on"
        " recorded_by_id created_at jurisdiction_id path version"
    ),
    "placements": (
        "id child_id case_id institution_id kind started_at ended_at end_reason segregated_from_adults"
        " psychosocial_support recorded_by_id created_at jurisdiction_id path version"
    ),
    "referrals": (
        "id case_id service to_institution_id to_organisation_id status reason outcome requested_at"
        " responded_at requested_by_id responded_by_id version"
    ),
    "transfers": (
        "id case_id from_jurisdiction_id from_path to_jurisdiction_id to_path status reason response_note"
        " requested_at responded_at requested_by_id responded_by_id version"
    ),
    "interventions": (
        "id type recipient programme_id child_id household_id case_id institution_id started_on ended_on"
        " completed recorded_by_id created_at jurisdiction_id path"
    ),
    "outcomes": (
        "id type child_id case_id intervention_id achieved_on recorded_by_id created_at jurisdiction_id path"
    ),
    "case_events": "id case_id type occurred_at actor_user_id from_stage to_stage data note",
}


# --------------------------------------------------------------------------------------------------------
# The tree


@dataclass(slots=True)
class _Node:
    id: int
    path: str
    code: str
    name: str
    level: str
    parent_id: int | None
    name_ur: str | None = None


@dataclass(slots=True)
class _District:
    index: int
    node: _Node
    province: int
    division_code: str | None
    slug: str
    short: str  # code without "PK-", e.g. "PB-LAHORE"
    weight: float
    tehsils: list[_Node] = field(default_factory=list)
    communities: list[int] = field(default_factory=list)  # indexes into _DemoBuilder.communities
    office_id: int = 0
    officer_id: int = 0
    institutions: list[list[Site]] = field(default_factory=lambda: [[] for _ in INSTITUTION_TYPES])


@dataclass(slots=True)
class _Community:
    node: _Node
    district: int
    tehsil: _Node


@dataclass(slots=True)
class _Transfer:
    """A transfer request decided when the child is made (an accepted one moves the child too)."""

    status: str
    from_community: int
    to_community: int
    requested_at: int  # minutes
    responded_at: int | None


class _DemoBuilder:
    """Generates the rows table by table; each generator leaves state for the tables after it."""

    def __init__(self, *, scale: float, seed: int, identity_numbers: IdentityNumberVault) -> None:
        self.scale = scale
        self.seed = seed
        self.identity_numbers = identity_numbers
        self.last_ids: dict[str, int] = {}
        self.nodes: list[_Node] = []
        self.provinces: list[_Node] = []
        self.province_codes: list[str] = [p.code for p in PROVINCES]
        self.districts: list[_District] = []
        self.communities: list[_Community] = []
        self.police_org: list[int] = []
        self.department_org: list[int] = []
        self.prisons_org: list[int] = []
        self.ngos_by_province: list[list[tuple[int, str]]] = [[] for _ in PROVINCES]
        self.police_monitor: list[int] = []
        self.workers_by_tehsil: dict[int, list[int]] = {}
        self.ministry_org = 0
        self.ngo_focus: dict[int, str] = {}
        # Programmes covering each district per intervention type: (id, first day, last day).
        self.programmes_for: list[list[list[tuple[int, int, int]]]] = []
        # Per-province institutions of each type, for placements where the district has none.
        self.province_institutions: list[list[list[Site]]] = [
            [[] for _ in INSTITUTION_TYPES] for _ in PROVINCES
        ]
        self.institution_type: list[int] = []  # per institution (index = id - 1)
        self.stations_by_tehsil: dict[int, list[Site]] = {}
        # Weighted draws over the tree and the calendar, made once the tree exists.
        self.community_picker: _Picker[int] = _Picker([(0, 1.0)])
        self.district_picker: _Picker[int] = _Picker([(0, 1.0)])
        self.day_picker: _Picker[int] = _Picker([(FIRST_DAY, 1.0)])
        # Per child (index = id - 1).
        self.ch_community: list[int] = []
        self.ch_household: list[int | None] = []
        self.ch_kind: list[int] = []
        self.ch_age: list[int] = []
        self.ch_minute: list[int] = []  # when the child was registered, in minutes since the epoch
        self.ch_dob: list[int] = []  # day number, -1 unknown
        self.ch_dob_estimated: list[bool] = []
        self.ch_sex: list[str] = []
        self.ch_cases: list[int] = []
        self.ch_transfer: dict[int, _Transfer] = {}
        self.ch_father: list[str] = []
        self.ch_family: list[str | None] = []
        self.ch_guardian: list[int | None] = []
        self.ch_first_case: list[int] = []
        self.hh_community: list[int] = []
        self.hh_day: list[int] = []
        self.hh_extra_children: list[int] = []  # registered children beyond the first
        # Per case (index = id - 1).
        self.cs_child: list[int] = []
        self.cs_kind: list[int] = []
        self.cs_community: list[int] = []
        self.cs_node: list[_Node] = []  # the case's jurisdiction: the child's community or its tehsil
        self.cs_worker: list[int | None] = []
        self.cs_first_worker: list[int | None] = []
        self.cs_institution: list[int | None] = []
        self.cs_stages: list[tuple[int, ...]] = []  # minute each stage was reached, REGISTERED first
        self.cs_risk: list[str] = []  # as first assessed
        self.referred: list[tuple[int, int]] = []  # (case, minute requested)
        self.arrests: list[tuple[int, Site, int]] = []  # (case, police station, day)
        self.cs_released: dict[int, int] = {}  # case -> day the child left detention
        # Completed child interventions that lead to outcomes: case -> [(type, id, last day)].
        self.completed: dict[int, list[tuple[int, int, int]]] = {}
        # Events other tables add to a case: (minute, type, actor, data, note).
        self.extra_events: dict[int, list[tuple[int, str, int | None, str, str | None]]] = {}

    # ---------------------------------------------------------------------------------------------------

    def loads(self) -> Iterator[_Load]:
        """The tables in foreign-key order. Each generator runs to its end before the next is asked for."""
        self._build_tree()
        role_rows: list[Row] = []
        generators: dict[str, Iterator[Row]] = {
            "jurisdictions": self._jurisdictions(),
            "organisations": self._organisations(),
            "institutions": self._institutions(),
            "users": self._users(role_rows),
            "role_assignments": iter(role_rows),  # filled while the users are copied
            "programmes": self._programmes(),
            "households": self._households(),
            "children": self._children(),
            "child_identities": self._identities(),
            "guardians": self._guardians(),
            "cases": self._cases(),
            "consents": self._consents(),
            "incidents": self._incidents(),
            "placements": self._placements(),
            "referrals": self._referrals(),
            "transfers": self._transfers(),
            "interventions": self._interventions(),
            "outcomes": self._outcomes(),
            # Last: every table before it adds events to its cases.
            "case_events": self._case_events(),
        }
        for table, rows in generators.items():
            yield _Load(table, tuple(COLUMNS[table].split()), rows)

    # ---------------------------------------------------------------------------------------------------
    # Reference data: the tree, organisations, institutions, staff, programmes

    def _build_tree(self) -> None:
        rng = _rng(self.seed, "tree")
        nation = _Node(1, "1", NATION_CODE, NATION_NAME, "NATIONAL", None, "پاکستان")
        self.nodes.append(nation)
        next_id = 2
        province_index = {p.code: i for i, p in enumerate(PROVINCES)}
        for province in PROVINCES:
            node = _Node(
                next_id,
                f"1.{next_id}",
                province.code,
                province.name,
                "PROVINCIAL",
                nation.id,
                PROVINCE_URDU.get(province.code),
            )
            self.provinces.append(node)
            self.nodes.append(node)
            next_id += 1
        divisions: dict[str, _Node] = {}
        for division in DIVISIONS:
            parent = self.provinces[province_index[division.province]]
            node = _Node(
                next_id, f"{parent.path}.{next_id}", division.code, division.name, "DIVISIONAL", parent.id
            )
            divisions[division.code] = node
            self.nodes.append(node)
            next_id += 1
        per_province = {p.code: sum(1 for d in DISTRICTS if d.province == p.code) for p in PROVINCES}
        for index, source in enumerate(DISTRICTS):
            parent = (
                divisions[source.division]
                if source.division is not None
                else self.provinces[province_index[source.province]]
            )
            node = _Node(
                next_id,
                f"{parent.path}.{next_id}",
                source.code,
                source.name,
                "DISTRICT",
                parent.id,
                source.urdu_name,
            )
            self.nodes.append(node)
            next_id += 1
            weight = (
                PROVINCE_SHARE[source.province]
                / per_province[source.province]
                * CITY_WEIGHT.get(source.code, 1.0)
                * rng.uniform(0.6, 1.4)
            )
            short = source.code.removeprefix("PK-")
            slug = source.code.removeprefix(source.province + "-").lower()
            self.districts.append(
                _District(index, node, province_index[source.province], source.division, slug, short, weight)
            )
        # Weights relative to the average district, so per-district rates read naturally.
        mean_weight = sum(d.weight for d in self.districts) / len(self.districts)
        for d in self.districts:
            d.weight /= mean_weight
        for d in self.districts:
            for number in range(1, rng.span(2, 6) + 1):
                if number <= len(names.TEHSIL_QUALIFIERS):
                    name = f"{d.node.name} {names.TEHSIL_QUALIFIERS[number - 1]}"
                else:
                    name = _invented_place(rng, plain=True)
                node = _Node(
                    next_id,
                    f"{d.node.path}.{next_id}",
                    f"{d.node.code}-T{number}",
                    name,
                    "TEHSIL",
                    d.node.id,
                )
                d.tehsils.append(node)
                self.nodes.append(node)
                next_id += 1
        for d in self.districts:
            province_code = self.province_codes[d.province]
            for tehsil in d.tehsils:
                for number in range(1, rng.span(8, 16) + 1):
                    name = _community_name(rng, province_code, tehsil.name)
                    node = _Node(
                        next_id,
                        f"{tehsil.path}.{next_id}",
                        f"{tehsil.code}-C{number:02d}",
                        name,
                        "COMMUNITY",
                        tehsil.id,
                    )
                    d.communities.append(len(self.communities))
                    self.communities.append(_Community(node, d.index, tehsil))
                    self.nodes.append(node)
                    next_id += 1
        self.last_ids["jurisdictions"] = next_id - 1
        self.community_picker = _Picker(
            [
                (
                    index,
                    self.districts[c.district].weight
                    / len(self.districts[c.district].communities)
                    * rng.uniform(0.5, 1.5),
                )
                for index, c in enumerate(self.communities)
            ]
        )
        self.district_picker = _Picker([(d.index, d.weight) for d in self.districts])
        # More registrations as the programme grows; offices are shut on Sundays and half-staffed Saturdays.
        years = ANCHOR_DAY - FIRST_DAY
        self.day_picker = _Picker(
            [
                (day, (1.0 + (day - FIRST_DAY) / years) * (0.1 if wd == 6 else 0.5 if wd == 5 else 1.0))
                for day in range(FIRST_DAY, ANCHOR_DAY + 1)
                for wd in (DATES[day].weekday(),)
            ]
        )

    def _jurisdictions(self) -> Iterator[Row]:
        for n in self.nodes:
            yield (n.id, n.code, n.name, n.name_ur, n.level, n.parent_id, n.path, SYSTEM_START)

    def _organisations(self) -> Iterator[Row]:
        next_id = 1
        nation = self.nodes[0]

        def row(code: str, name: str, kind: str, node: _Node) -> Row:
            nonlocal next_id
            next_id += 1
            return (next_id - 1, code, name, kind, node.id, node.path, SYSTEM_START)

        self.ministry_org = next_id
        yield row("MOHR", "Ministry of Human Rights", "MINISTRY", nation)
        for province, node in zip(PROVINCES, self.provinces, strict=True):
            short = province.code.removeprefix("PK-")
            code, name = PROVINCIAL_DEPARTMENTS[province.code]
            self.department_org.append(next_id)
            yield row(f"{short}-{code}", name, "PROVINCIAL_DEPARTMENT", node)
            self.police_org.append(next_id)
            police = "Islamabad Capital Territory Police" if short == "IS" else f"{province.name} Police"
            yield row(f"{short}-POLICE", police, "POLICE", node)
            self.prisons_org.append(next_id)
            yield row(
                f"{short}-PRISONS", f"Prisons Department, {province.name}", "PROVINCIAL_DEPARTMENT", node
            )
        for district in self.districts:
            district.office_id = next_id
            yield row(
                f"{district.short}-DCPU",
                f"District Child Protection Unit, {district.node.name}",
                "DISTRICT_OFFICE",
                district.node,
            )
        province_index = {p.code: i for i, p in enumerate(PROVINCES)}
        for code, name, province_code, focus in names.NGO_PARTNERS:
            index = province_index[province_code]
            self.ngos_by_province[index].append((next_id, code))
            self.ngo_focus[next_id] = focus
            yield row(f"NGO-{code}", name, "NGO_PARTNER", self.provinces[index])
        self.last_ids["organisations"] = next_id - 1

    def _institutions(self) -> Iterator[Row]:
        rng = _rng(self.seed, "institutions")
        rnd = rng.random
        # Institutions do not scale with people: a small demo still needs stations and centres everywhere.
        factor = self.scale**0.5
        counts = [
            [
                int(x) + (rnd() < x - int(x))
                for rate, _, _ in INSTITUTION_PLAN
                for x in (rate * d.weight * factor,)
            ]
            for d in self.districts
        ]
        for d in self.districts:
            counts[d.index][PS] = max(counts[d.index][PS], 1)
            counts[d.index][DIC] = max(counts[d.index][DIC], 1)
        for province in range(len(PROVINCES)):
            in_province = [d for d in self.districts if d.province == province]
            biggest = max(in_province, key=lambda d: d.weight)
            for kind in range(len(INSTITUTION_TYPES)):
                if not any(counts[d.index][kind] for d in in_province):
                    counts[biggest.index][kind] = 1
        next_id = 1
        for d in self.districts:
            ngos = self.ngos_by_province[d.province]
            for kind, (_, abbreviation, level) in enumerate(INSTITUTION_PLAN):
                for number in range(1, counts[d.index][kind] + 1):
                    if level == "district":
                        node, tehsil_id, place = d.node, 0, d.node.name
                    elif level == "tehsil":
                        node = rng.pick(d.tehsils)
                        tehsil_id = node.id
                        place = node.name if rnd() < 0.4 else _invented_place(rng, plain=True)
                    else:
                        community = self.communities[rng.pick(d.communities)]
                        node, tehsil_id = community.node, community.tehsil.id
                        place = _bare_place(community.node.name)
                    organisation = self._runner(rng, kind, d, ngos)
                    low, high = CAPACITY[kind]
                    name = _institution_name(rng, kind, place, d.node.name, number)
                    entry = (next_id, node.id, node.path, tehsil_id)
                    d.institutions[kind].append(entry)
                    self.province_institutions[d.province][kind].append(entry)
                    self.institution_type.append(kind)
                    if kind == PS:
                        self.stations_by_tehsil.setdefault(tehsil_id, []).append(entry)
                    yield (
                        next_id,
                        f"{d.short}-{abbreviation}-{number:03d}",
                        name,
                        INSTITUTION_TYPES[kind],
                        organisation,
                        rng.span(low, high + 1),
                        rnd() < 0.97,
                        node.id,
                        node.path,
                        SYSTEM_START,
                    )
                    next_id += 1
        self.last_ids["institutions"] = next_id - 1

    def _runner(self, rng: _Random, kind: int, d: _District, ngos: list[tuple[int, str]]) -> int:
        """The organisation that runs an institution of this type in this district."""
        if kind in (PS, CPC):
            return self.police_org[d.province]
        if kind in (OH, JRC, CPI):
            return self.department_org[d.province]
        if kind == PRISON:
            return self.prisons_org[d.province]
        u = rng.random()
        if kind == SHELTER:
            return self.department_org[d.province] if u < 0.5 else rng.pick(ngos)[0]
        if kind in (DIC, OLP):
            return rng.pick(ngos)[0] if u < 0.75 else d.office_id
        if kind == VOC:
            return rng.pick(ngos)[0] if u < 0.5 else d.office_id
        return d.office_id

    def _users(self, role_rows: list[Row]) -> Iterator[Row]:
        rng = _rng(self.seed, "users")
        next_id = 1

        def user(username: str, organisation: int, role: str, node: _Node, province: int) -> Row:
            nonlocal next_id
            user_id = next_id
            next_id += 1
            role_rows.append((len(role_rows) + 1, user_id, role, node.id, node.path, SYSTEM_START))
            display = _person_name(rng, self.province_codes[province], female=rng.random() < 0.45)
            return (
                user_id,
                username,
                display,
                f"{username}@registry.example",
                organisation,
                None,
                True,
                SYSTEM_START,
                1,
            )

        nation = self.nodes[0]
        # National staff work in Islamabad (province index 4): their names come from there.
        yield user("admin", self.ministry_org, "SYSTEM_ADMIN", nation, 4)
        yield user("analyst", self.ministry_org, "NATIONAL_ANALYST", nation, 4)
        yield user("auditor", self.ministry_org, "AUDITOR", nation, 4)
        for index, node in enumerate(self.provinces):
            short = node.code.removeprefix("PK-").lower()
            yield user(f"manager.{short}", self.department_org[index], "PROVINCIAL_MANAGER", node, index)
            self.police_monitor.append(next_id)
            yield user(f"police.{short}", self.police_org[index], "POLICE_MONITOR", node, index)
        for d in self.districts:
            d.officer_id = next_id
            yield user(f"officer.{d.slug}", d.office_id, "DISTRICT_OFFICER", d.node, d.province)
            # Several case workers everywhere, more where more children are registered.
            workers = min(14, max(3, round(3 + 1.2 * d.weight)))
            district_wide: list[int] = []
            by_tehsil: list[list[int]] = [[] for _ in d.tehsils]
            ngos = self.ngos_by_province[d.province]
            for number in range(1, workers + 1):
                # The first works across the district, the others each in one tehsil.
                slot = (number - 2) % len(d.tehsils)
                node = d.node if number == 1 else d.tehsils[slot]
                (district_wide if number == 1 else by_tehsil[slot]).append(next_id)
                organisation = d.office_id if rng.random() < 0.75 else rng.pick(ngos)[0]
                yield user(f"worker.{d.slug}.{number}", organisation, "CASE_WORKER", node, d.province)
            for tehsil, own in zip(d.tehsils, by_tehsil, strict=True):
                self.workers_by_tehsil[tehsil.id] = own + district_wide
        self.last_ids["users"] = next_id - 1
        self.last_ids["role_assignments"] = len(role_rows)

    def _programmes(self) -> Iterator[Row]:
        rng = _rng(self.seed, "programmes")
        self.programmes_for = [[[] for _ in INTERVENTIONS] for _ in self.districts]
        by_province: list[list[_District]] = [[] for _ in PROVINCES]
        for d in self.districts:
            by_province[d.province].append(d)
        next_id = 1
        far_future = ANCHOR_DAY + 10_000

        def programme(
            code: str,
            name: str,
            organisation: int,
            node: _Node,
            covered: list[_District],
            focus: str,
            start: int,
            end: int | None,
        ) -> Row:
            nonlocal next_id
            for d in covered:
                for kind in PROGRAMME_FOCUS[focus]:
                    self.programmes_for[d.index][kind].append(
                        (next_id, start, far_future if end is None else end)
                    )
            next_id += 1
            return (
                next_id - 1,
                code,
                name,
                organisation,
                DATES[start],
                None if end is None else DATES[end],
                node.id,
                node.path,
                SYSTEM_START,
            )

        for index, node in enumerate(self.provinces):
            short = node.code.removeprefix("PK-")
            yield programme(
                f"{short}-GOV-01",
                f"{node.name} {PROGRAMME_NAMES['government'][0]}",
                self.department_org[index],
                node,
                by_province[index],
                "government",
                _day(dt.date(2018, 7, 1)),
                None,
            )
        start_lo, start_hi = _day(dt.date(2019, 1, 1)), _day(dt.date(2023, 6, 30))
        end_lo, end_hi = _day(dt.date(2024, 6, 30)), _day(dt.date(2025, 12, 31))
        for index, node in enumerate(self.provinces):
            short = node.code.removeprefix("PK-")
            for organisation, ngo_code in self.ngos_by_province[index]:
                focus = self.ngo_focus[organisation]
                titles = PROGRAMME_NAMES[focus]
                for number in range(1, rng.span(2, 4) + 1):
                    if rng.random() < 0.6 or len(by_province[index]) == 1:
                        where, covered = node, by_province[index]
                    else:
                        chosen = rng.pick(by_province[index])
                        where, covered = chosen.node, [chosen]
                    u = rng.random()
                    end = (
                        None
                        if u < 0.75
                        else _day(dt.date(2027, 12, 31))
                        if u < 0.9
                        else rng.span(end_lo, end_hi + 1)
                    )
                    title = titles[(number - 1 + len(ngo_code)) % len(titles)]
                    yield programme(
                        f"{short}-{ngo_code}-{number:02d}",
                        f"{title} ({where.name})",
                        organisation,
                        where,
                        covered,
                        focus,
                        rng.span(start_lo, start_hi + 1),
                        end,
                    )
        self.last_ids["programmes"] = next_id - 1

    # ---------------------------------------------------------------------------------------------------
    # Households, children and their identities

    def _households(self) -> Iterator[Row]:
        rng = _rng(self.seed, "households")
        rnd, below = rng.random, rng.below
        size = _Picker([(n, w) for n, w in enumerate((0, 1, 3, 6, 9, 12, 13, 12, 10, 8, 6, 4, 3, 2, 1))])
        # Most households register one child; the household is at least those children and one adult.
        extra_children = _Picker([(0, 70), (1, 20), (2, 7), (3, 3)])
        pick_community, pick_day = self.community_picker, self.day_picker
        communities, districts = self.communities, self.districts
        total = round(HOUSEHOLDS_AT_SCALE_1 * self.scale)
        for household_id in range(1, total + 1):
            community_index = pick_community(rnd())
            community = communities[community_index]
            day = pick_day(rnd())
            extra = extra_children(rnd())
            self.hh_community.append(community_index)
            self.hh_day.append(day)
            self.hh_extra_children.append(extra)
            node = community.node
            yield (
                household_id,
                f"HH-{districts[community.district].short}-{household_id:07d}",
                max(size(rnd()), extra + 2),
                DATES[day],
                node.id,
                node.path,
                _ts(day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)),
                1,
            )
        self.last_ids["households"] = total

    def _children(self) -> Iterator[Row]:
        rng = _rng(self.seed, "children")
        rnd, below = rng.random, rng.below
        transfer_status = _Picker([("ACCEPTED", 55), ("REJECTED", 20), ("REQUESTED", 18), ("CANCELLED", 7)])
        communities, dates, years = self.communities, DATES, YEARS
        slots: list[tuple[int, int | None, int]] = []
        households = zip(self.hh_community, self.hh_day, self.hh_extra_children, strict=True)
        for household_id, (home, registered, extra) in enumerate(households, 1):
            slots.append((home, household_id, registered))
            for _ in range(extra):
                slots.append((home, household_id, min(registered + below(240), ANCHOR_DAY)))
        pick_community, pick_day = self.community_picker, self.day_picker
        for _ in range(round(STREET_CHILDREN_AT_SCALE_1 * self.scale)):
            slots.append((pick_community(rnd()), None, pick_day(rnd())))
        transfers = 0
        for index, (community, household, day) in enumerate(slots):
            kind = (PRIMARY_KIND_HOUSEHOLD if household else PRIMARY_KIND_STREET)(rnd())
            target_age = AGE_BY_KIND[kind](rnd())
            sex = SEX_BY_KIND[kind](rnd())
            # Days in a year vary: a child drawn as "17 and 364 days" can come out 18, so keep below.
            birth = day - min(int((target_age + rnd()) * 365.2425), (target_age + 1) * 365 - 1)
            u = rnd()
            if u < 0.05:
                # Nobody knows the date: the age is the worker's estimate.
                birth = -1
                estimated = False
                age = target_age
                birth_year = years[day] - age - (rnd() < 0.5)
            else:
                estimated = u < (0.3 if household else 0.6)
                if estimated:
                    # An estimated date of birth is conventionally recorded as 1 July of the year.
                    guess = JULY_FIRST[years[birth]]
                    if guess <= day and _age_on(guess, day) <= 17:
                        birth = guess
                    else:
                        estimated = False
                age = _age_on(birth, day)
                birth_year = years[birth]
            cases = CASES_PER_CHILD(rnd())
            minute = day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)
            if household is None and cases == 1 and (transfers < 3 or rnd() < 0.05):
                transfer = self._plan_transfer(rng, community, minute, transfer_status(rnd()))
                if transfer is not None:
                    transfers += 1
                    self.ch_transfer[index] = transfer
                    if transfer.status == "ACCEPTED":
                        community = transfer.to_community
            self.ch_community.append(community)
            self.ch_household.append(household)
            self.ch_kind.append(kind)
            self.ch_age.append(age)
            self.ch_minute.append(minute)
            self.ch_dob.append(birth)
            self.ch_dob_estimated.append(estimated)
            self.ch_sex.append(sex)
            self.ch_cases.append(cases)
            node = communities[community].node
            yield (index + 1, household, sex, birth_year, age, dates[day], node.id, node.path, _ts(minute), 1)
        self.last_ids["children"] = len(slots)

    def _plan_transfer(self, rng: _Random, community: int, minute: int, status: str) -> _Transfer | None:
        """A request to hand the child's case to a neighbouring district (same division where possible)."""
        origin = self.districts[self.communities[community].district]
        requested_day = minute // MINUTES_PER_DAY + rng.span(10, 90)
        if requested_day > ANCHOR_DAY:
            return None
        neighbours = (
            [
                d
                for d in self.districts
                if d.index != origin.index
                and d.division_code == origin.division_code
                and d.province == origin.province
            ]
            or [d for d in self.districts if d.index != origin.index and d.province == origin.province]
            or [d for d in self.districts if d.index != origin.index and d.node.code == "PK-PB-RAWALPINDI"]
        )
        if not neighbours:
            return None
        target = rng.pick(neighbours)
        requested = requested_day * MINUTES_PER_DAY + OFFICE_OPENS + rng.below(OFFICE_MINUTES)
        responded = requested + rng.span(1, 10) * MINUTES_PER_DAY + rng.span(-120, 120)
        if status == "REQUESTED" or responded // MINUTES_PER_DAY > ANCHOR_DAY:
            return _Transfer("REQUESTED", community, rng.pick(target.communities), requested, None)
        return _Transfer(status, community, rng.pick(target.communities), requested, responded)

    def _identity_number(self, rng: _Random, index: int, district: int) -> tuple[bytes, str, bytes] | None:
        """A B-Form number for about two children in three (registration of births is incomplete):
        ``PDDDD-SSSSSSS-X`` with the province, the district, a serial unique per child and the sex in the
        last digit's parity (odd for boys), as on real forms. Encrypted and blind-indexed as on registration.
        """
        if rng.random() >= B_FORM_COVERAGE:
            return None
        male = self.ch_sex[index] == "MALE"
        last = rng.pick((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        number = f"{self.districts[district].province + 1}{district:04d}-{index + 1:07d}-{last}"
        vault = self.identity_numbers
        key_id, ciphertext = vault.encrypt(number, child_id=index + 1)
        return ciphertext, key_id, vault.blind_index(number)

    def _identities(self) -> Iterator[Row]:
        rng = _rng(self.seed, "identities")
        numbers_rng = _rng(self.seed, "identity-numbers")
        rnd, span, pick = rng.random, rng.span, rng.pick
        male, female, neutral = names.MALE_GIVEN_NAMES, names.FEMALE_GIVEN_NAMES, names.NEUTRAL_GIVEN_NAMES
        common = names.COMMON_FAMILY_NAMES
        regional = [names.FAMILY_NAMES_BY_PROVINCE[code] for code in self.province_codes]
        district_names = [d.node.name for d in self.districts]
        by_province: list[list[str]] = [[] for _ in PROVINCES]
        for d in self.districts:
            by_province[d.province].append(d.node.name)
        communities, districts = self.communities, self.districts
        for index, community_index in enumerate(self.ch_community):
            community = communities[community_index]
            district = districts[community.district]
            sex = self.ch_sex[index]
            given = pick(male if sex == "MALE" else female if sex == "FEMALE" else neutral)
            u = rnd()
            family = None if u < 0.15 else pick(regional[district.province]) if u < 0.75 else pick(common)
            father_given = pick(male)
            if rnd() < 0.3 and not father_given.startswith(("Muhammad", "Ghulam", "Abdul")):
                father_given = "Muhammad " + father_given
            father = f"{father_given} {family}" if family else father_given
            self.ch_father.append(father)
            self.ch_family.append(family)
            u = rnd()
            birthplace = (
                district_names[community.district]
                if u < 0.85
                else pick(by_province[district.province])
                if u < 0.92
                else None
            )
            if self.ch_household[index] is None:
                address = f"No fixed address; met near the {pick(names.LANDMARKS)}, {district.node.name}"
            else:
                address = (
                    f"House {span(1, 400)}, Street {span(1, 40)}, {community.node.name}, {district.node.name}"
                )
            birth = self.ch_dob[index]
            number = self._identity_number(numbers_rng, index, community.district) or (None, None, None)
            yield (
                index + 1,
                f"{given} {family}" if family else given,
                given,
                family,
                father,
                DATES[birth] if birth >= 0 else None,
                self.ch_dob_estimated[index],
                *number,
                birthplace,
                address,
                _ts(self.ch_minute[index]),
                1,
            )

    def _guardians(self) -> Iterator[Row]:
        rng = _rng(self.seed, "guardians")
        rnd, pick = rng.random, rng.pick
        how_many = _Picker([(1, 55), (2, 35), (3, 10)])
        first_in_family = _Picker(
            [("FATHER", 55), ("MOTHER", 30), ("GRANDPARENT", 5), ("UNCLE_AUNT", 7), ("SIBLING", 3)]
        )
        first_on_street = _Picker(
            [
                ("UNCLE_AUNT", 30),
                ("OTHER_RELATIVE", 20),
                ("CAREGIVER", 20),
                ("LEGAL_GUARDIAN", 10),
                ("MOTHER", 10),
                ("SIBLING", 10),
            ]
        )
        others = _Picker([("GRANDPARENT", 30), ("UNCLE_AUNT", 35), ("SIBLING", 20), ("OTHER_RELATIVE", 15)])
        male, female = names.MALE_GIVEN_NAMES, names.FEMALE_GIVEN_NAMES
        next_id = 1
        for index, household in enumerate(self.ch_household):
            if rnd() >= (0.7 if household else 0.3):
                self.ch_guardian.append(None)
                continue
            self.ch_guardian.append(next_id)
            family = self.ch_family[index]
            created = _ts(self.ch_minute[index])
            used: list[str] = []
            for number in range(how_many(rnd())):
                if number == 0:
                    relationship = (first_in_family if household else first_on_street)(rnd())
                elif "FATHER" not in used and household and rnd() < 0.6:
                    relationship = "FATHER"
                elif "MOTHER" not in used and rnd() < 0.6:
                    relationship = "MOTHER"
                else:
                    relationship = others(rnd())
                used.append(relationship)
                if relationship == "FATHER":
                    name = self.ch_father[index]
                else:
                    given = pick(female if relationship == "MOTHER" or rnd() < 0.4 else male)
                    name = f"{given} {family}" if family and relationship != "CAREGIVER" else given
                yield (next_id, index + 1, name, relationship, number == 0, created)
                next_id += 1
        self.last_ids["guardians"] = next_id - 1

    # ---------------------------------------------------------------------------------------------------
    # Cases and what hangs off them

    def _event(
        self, case: int, minute: int, kind: str, actor: int | None, data: str, note: str | None = None
    ) -> None:
        # Follow-ups late on the last day must not run past the end of the data.
        moment = min(minute, LAST_MINUTE)
        self.extra_events.setdefault(case, []).append((moment, kind, actor, data, note))

    def _cases(self) -> Iterator[Row]:
        rng = _rng(self.seed, "cases")
        rnd, below, span, pick = rng.random, rng.below, rng.span, rng.pick
        communities, districts, workers_by_tehsil = self.communities, self.districts, self.workers_by_tehsil
        short_province = [code.removeprefix("PK-") for code in self.province_codes]
        numbers: dict[tuple[int, int], int] = {}
        last_day = ANCHOR_DAY
        case = 0
        for child, community_index in enumerate(self.ch_community):
            community = communities[community_index]
            district = districts[community.district]
            transfer = self.ch_transfer.get(child)
            self.ch_first_case.append(case)
            opened = self.ch_minute[child] + span(5, 120)
            made = 0
            for number in range(self.ch_cases[child]):
                if number:
                    day = opened // MINUTES_PER_DAY + span(30, 400)
                    if day > last_day:
                        break
                    opened = day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)
                kind = self.ch_kind[child] if number == 0 or rnd() < 0.5 else LATER_KIND(rnd())
                if kind == CONFLICT and self.ch_age[child] < 10:
                    # Below the age of criminal responsibility: a child at risk instead.
                    kind = AT_RISK
                at_tehsil = rnd() < 0.2 and transfer is None
                node = community.tehsil if at_tehsil else community.node
                target = TARGET_STAGE(rnd())
                if transfer is not None:
                    # Still open when the transfer is asked for, weeks after opening.
                    target = min(target, IMPLEMENTATION)
                stages = [opened]
                moment = opened
                for stage in range(1, target + 1):
                    low, high = STAGE_GAPS[stage - 1]
                    day = moment // MINUTES_PER_DAY + span(low, high + 1)
                    if day > last_day:
                        break
                    moment = day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)
                    stages.append(moment)
                final = len(stages) - 1
                candidates = workers_by_tehsil[community.tehsil.id]
                worker: int | None = pick(candidates)
                if final == REGISTERED and transfer is None and rnd() < 0.3:
                    worker = None
                first_worker = worker
                if transfer is not None and transfer.status == "ACCEPTED":
                    origin = communities[transfer.from_community]
                    first_worker = pick(workers_by_tehsil[origin.tehsil.id])
                    assert transfer.responded_at is not None
                    self._event(
                        case,
                        transfer.responded_at + span(30, 240),
                        "ASSIGNED",
                        district.officer_id,
                        f'{{"from_user_id": {first_worker}, "to_user_id": {worker}}}',
                    )
                elif final >= CASE_PLAN and len(candidates) > 1 and rnd() < 0.1:
                    worker = pick([c for c in candidates if c != first_worker])
                    self._event(
                        case,
                        stages[ASSESSED] + span(60, 600),
                        "ASSIGNED",
                        district.officer_id,
                        f'{{"from_user_id": {first_worker}, "to_user_id": {worker}}}',
                    )
                risk = RISK_BY_KIND[kind](rnd())
                self.cs_risk.append(risk)
                if final >= ASSESSED and rnd() < 0.08:
                    changed = pick([r for r in ("HIGH", "MEDIUM", "LOW") if r != risk])
                    self._event(
                        case,
                        stages[ASSESSED] + span(10, 120),
                        "RISK_CHANGED",
                        worker,
                        f'{{"from": "{risk}", "to": "{changed}"}}',
                    )
                    risk = changed
                institution = None
                chance, serves = CASE_INSTITUTION[kind]
                if rnd() < chance:
                    options = district.institutions[serves(rnd())]
                    if options:
                        institution = pick(options)[0]
                if final >= ASSESSED and rnd() < 0.02:
                    requested = (stages[ASSESSED] // MINUTES_PER_DAY + span(1, 20)) * MINUTES_PER_DAY
                    if requested // MINUTES_PER_DAY <= last_day:
                        self.referred.append((case, requested + OFFICE_OPENS + below(OFFICE_MINUTES)))
                year = YEARS[opened // MINUTES_PER_DAY]
                key = (district.province, year)
                numbers[key] = sequence = numbers.get(key, 0) + 1
                case_number = f"{short_province[district.province]}-{year}-{sequence:06d}"
                closed = _ts(stages[CLOSED]) if final == CLOSED else None
                self.cs_child.append(child)
                self.cs_kind.append(kind)
                self.cs_community.append(community_index)
                self.cs_node.append(node)
                self.cs_worker.append(worker)
                self.cs_first_worker.append(first_worker)
                self.cs_institution.append(institution)
                self.cs_stages.append(tuple(stages))
                case += 1
                made += 1
                yield (
                    case,
                    case_number,
                    child + 1,
                    KINDS[kind],
                    STAGES[final],
                    risk,
                    worker,
                    institution,
                    _ts(opened),
                    closed,
                    pick(CLOSURE_REASONS[kind]) if closed else None,
                    _ts(opened),
                    _ts(stages[-1]),
                    node.id,
                    node.path,
                    len(stages),
                )
            self.ch_cases[child] = made
        self.last_ids["cases"] = case

    def _consents(self) -> Iterator[Row]:
        rng = _rng(self.seed, "consents")
        rnd, span = rng.random, rng.span
        next_id = 1

        def withdrawn(given: int, chance: float) -> int | None:
            if rnd() >= chance:
                return None
            moment = given + span(30, 300) * MINUTES_PER_DAY
            return moment if moment <= LAST_MINUTE else None

        for child, case in enumerate(self.ch_first_case):
            if not self.ch_cases[child]:
                continue
            guardian = self.ch_guardian[child]
            worker = self.cs_first_worker[case]
            given = self.cs_stages[case][0] + span(10, 60)
            grants: list[tuple[str, str, int | None, float]] = []
            if guardian is not None:
                grants.append(("REGISTRATION", "GUARDIAN", guardian, 0.005))
            if self.ch_age[child] >= 12:
                grants.append(("REGISTRATION", "CHILD_ASSENT", None, 0.005))
            if rnd() < 0.2:
                if guardian is not None and (rnd() < 0.7 or self.ch_age[child] < 12):
                    grants.append(("DATA_SHARING", "GUARDIAN", guardian, 0.06))
                elif self.ch_age[child] >= 12:
                    grants.append(("DATA_SHARING", "CHILD_ASSENT", None, 0.06))
            for purpose, giver, guardian_id, chance in grants:
                taken_back = withdrawn(given, chance)
                if purpose != "REGISTRATION":
                    # Registration consent goes with opening the case; later consents are events of their own.
                    self._event(
                        case,
                        given,
                        "CONSENT_RECORDED",
                        worker,
                        f'{{"consent_id": {next_id}, "purpose": "{purpose}"}}',
                    )
                    if taken_back is not None:
                        self._event(
                            case,
                            taken_back,
                            "CONSENT_WITHDRAWN",
                            worker,
                            f'{{"consent_id": {next_id}, "purpose": "{purpose}"}}',
                        )
                yield (
                    next_id,
                    child + 1,
                    case + 1,
                    purpose,
                    giver,
                    guardian_id,
                    _ts(given),
                    None if taken_back is None else _ts(taken_back),
                    worker,
                    _ts(given),
                )
                next_id += 1
        for case, requested in self.referred:
            child = self.cs_child[case]
            guardian = self.ch_guardian[child]
            giver = "GUARDIAN" if guardian is not None else "CHILD_ASSENT"
            given = requested - span(30, 240)
            worker = self.cs_worker[case]
            self._event(
                case, given, "CONSENT_RECORDED", worker, f'{{"consent_id": {next_id}, "purpose": "REFERRAL"}}'
            )
            yield (
                next_id,
                child + 1,
                case + 1,
                "REFERRAL",
                giver,
                guardian,
                _ts(given),
                None,
                worker,
                _ts(given),
            )
            next_id += 1
        self.last_ids["consents"] = next_id - 1

    def _incidents(self) -> Iterator[Row]:
        rng = _rng(self.seed, "incidents")
        rnd, below, span, pick = rng.random, rng.below, rng.span, rng.pick
        after_missing = _Picker([("KIDNAPPING_ABDUCTION", 70), ("TRAFFICKING", 15), ("CHILD_MARRIAGE", 15)])
        after_labour = _Picker([("LABOUR_EXPLOITATION", 80), ("PHYSICAL_ABUSE", 20)])
        plan: tuple[tuple[float, str, _Picker[str]], ...] = (
            (0.015, "AGAINST_CHILD", after_labour),
            (0.0, "AGAINST_CHILD", OFFENCES_AGAINST_CHILD),
            (0.25, "AGAINST_CHILD", OFFENCES_AGAINST_CHILD),
            (0.75, "BY_CHILD", OFFENCES_BY_CHILD),
            (0.10, "AGAINST_CHILD", after_missing),
        )
        fir_numbers: dict[tuple[int, int], int] = {}
        next_id = 1

        def incident(
            station: Site,
            direction: str,
            offence: str,
            day: int,
            child: int | None,
            case: int | None,
            recorder: int,
        ) -> Row:
            nonlocal next_id
            year = YEARS[day]
            fir: str | None = None
            if rnd() >= (0.1 if direction == "BY_CHILD" else 0.3):
                key = (station[0], year)
                fir_numbers[key] = number = fir_numbers.get(key, 0) + 1
                fir = f"{number}/{year % 100:02d}"
            next_id += 1
            return (
                next_id - 1,
                station[0],
                direction,
                offence,
                OFFENCE_SECTIONS.get(offence),
                fir,
                child,
                case,
                DATES[day],
                recorder,
                _ts(day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)),
                station[1],
                station[2],
                1,
            )

        for case, kind in enumerate(self.cs_kind):
            chance, direction, offences = plan[kind]
            if rnd() >= chance:
                continue
            community = self.communities[self.cs_community[case]]
            district = self.districts[community.district]
            station = pick(self.stations_by_tehsil.get(community.tehsil.id) or district.institutions[PS])
            opened = self.cs_stages[case][0]
            day = opened // MINUTES_PER_DAY - span(0, 8 if direction == "BY_CHILD" else 21)
            monitor = self.police_monitor[district.province]
            if direction == "BY_CHILD":
                self.arrests.append((case, station, day))
            self._event(
                case,
                opened + span(10, 240),
                "INCIDENT_RECORDED",
                monitor,
                f'{{"incident_id": {next_id}, "direction": "{direction}"}}',
            )
            yield incident(
                station, direction, offences(rnd()), day, self.cs_child[case] + 1, case + 1, monitor
            )
        for _ in range(round(UNLINKED_INCIDENTS_AT_SCALE_1 * self.scale)):
            district = self.districts[self.district_picker(rnd())]
            by_child = rnd() < 0.5
            yield incident(
                pick(district.institutions[PS]),
                "BY_CHILD" if by_child else "AGAINST_CHILD",
                (OFFENCES_BY_CHILD if by_child else OFFENCES_AGAINST_CHILD)(rnd()),
                span(FIRST_DAY, ANCHOR_DAY + 1),
                None,
                None,
                self.police_monitor[district.province],
            )
        self.last_ids["incidents"] = next_id - 1

    def _placements(self) -> Iterator[Row]:
        rng = _rng(self.seed, "placements")
        rnd, below, span, pick = rng.random, rng.below, rng.span, rng.pick
        next_id = 1

        def chain(case: int, kind: str | None, start: int, station: Site | None) -> Iterator[Row]:
            nonlocal next_id
            community = self.communities[self.cs_community[case]]
            district = self.districts[community.district]
            opened = self.cs_stages[case][0]
            while kind is not None and start <= LAST_MINUTE:
                institution_type, (shortest, longest), segregated, support = PLACEMENT_STEPS[kind]
                if institution_type == PS and station is not None:
                    where = station
                else:
                    options = (
                        district.institutions[institution_type]
                        or self.province_institutions[district.province][institution_type]
                    )
                    if not options:
                        return
                    where = pick(options)
                police = institution_type in (PS, CPC)
                recorder = self.police_monitor[district.province] if police else self.cs_worker[case]
                leaves = start + span(shortest, longest + 1)
                ended: int | None = None
                following: str | None = None
                reason: str | None = None
                if leaves <= LAST_MINUTE:
                    ended = leaves
                    following, reason = PLACEMENT_NEXT[kind](rnd())
                    if following is None:
                        self.cs_released[case] = leaves // MINUTES_PER_DAY
                placement = next_id
                next_id += 1
                self._event(
                    case,
                    max(start, opened + 5),
                    "PLACEMENT_STARTED",
                    recorder,
                    f'{{"placement_id": {placement}, "kind": "{kind}"}}',
                )
                if ended is not None:
                    self._event(
                        case,
                        max(ended, opened + 10),
                        "PLACEMENT_ENDED",
                        recorder,
                        f'{{"placement_id": {placement}, "end_reason": "{reason}"}}',
                    )
                yield (
                    placement,
                    self.cs_child[case] + 1,
                    case + 1,
                    where[0],
                    kind,
                    _ts(start),
                    None if ended is None else _ts(ended),
                    reason,
                    rnd() < segregated,
                    rnd() < support,
                    recorder,
                    _ts(start),
                    where[1],
                    where[2],
                    1,
                )
                if ended is None:
                    return
                kind = following
                start = ended + span(30, 600)

        for case, station, day in self.arrests:
            if rnd() < 0.6:
                yield from chain(case, "ARREST", day * MINUTES_PER_DAY + below(MINUTES_PER_DAY), station)
        for case, kind in enumerate(self.cs_kind):
            if (kind == VICTIM and rnd() < 0.06) or (kind == MISSING and rnd() < 0.08):
                yield from chain(
                    case, "SHELTER", self.cs_stages[case][0] + span(60, 3 * MINUTES_PER_DAY), None
                )
        self.last_ids["placements"] = next_id - 1

    def _referrals(self) -> Iterator[Row]:
        rng = _rng(self.seed, "referrals")
        rnd, span, pick = rng.random, rng.span, rng.pick
        status_of = _Picker([("PENDING", 12), ("ACCEPTED", 30), ("DECLINED", 13), ("COMPLETED", 45)])
        services = [_Picker([(kind, p) for kind, p, _ in plan]) for plan in INTERVENTION_PLAN]
        next_id = 1
        for case, requested in self.referred:
            community = self.communities[self.cs_community[case]]
            district = self.districts[community.district]
            service = services[self.cs_kind[case]](rnd())
            institution: int | None = None
            organisation: int | None = None
            kinds = INTERVENTION_INSTITUTION[service]
            options = district.institutions[pick(kinds)] if kinds else []
            if options and rnd() < 0.7:
                institution = pick(options)[0]
            else:
                organisation = pick(self.ngos_by_province[district.province])[0]
            status = status_of(rnd())
            answer = requested + span(1, 14) * MINUTES_PER_DAY + span(-60, 60)
            if answer // MINUTES_PER_DAY > ANCHOR_DAY:
                status = "PENDING"
            responded = None if status == "PENDING" else answer
            outcome = {
                "COMPLETED": "Service delivered",
                "DECLINED": "Declined: no places available"
                if institution
                else "Declined: outside programme area",
            }.get(status)
            worker = self.cs_worker[case]
            self._event(
                case,
                requested,
                "REFERRAL_MADE",
                worker,
                f'{{"referral_id": {next_id}, "service": "{INTERVENTIONS[service]}"}}',
            )
            if responded is not None:
                self._event(
                    case,
                    responded,
                    "REFERRAL_RESPONDED",
                    None,
                    f'{{"referral_id": {next_id}, "status": "{status}"}}',
                )
            yield (
                next_id,
                case + 1,
                INTERVENTIONS[service],
                institution,
                organisation,
                status,
                f"Needs {INTERVENTIONS[service].lower().replace('_', ' ')}",
                outcome,
                _ts(requested),
                None if responded is None else _ts(responded),
                worker,
                None,
                1,
            )
            next_id += 1
        self.last_ids["referrals"] = next_id - 1

    def _transfers(self) -> Iterator[Row]:
        rng = _rng(self.seed, "transfers")
        notes = {
            "ACCEPTED": "Accepted; a case worker is assigned",
            "REJECTED": "Family not found at the given address",
            "CANCELLED": "Family returned; request withdrawn",
        }
        events = {"ACCEPTED": "TRANSFER_ACCEPTED", "REJECTED": "TRANSFER_REJECTED"}
        next_id = 1
        for child, transfer in self.ch_transfer.items():
            if not self.ch_cases[child]:
                continue
            case = self.ch_first_case[child]
            origin = self.communities[transfer.from_community]
            target = self.communities[transfer.to_community]
            target_district = self.districts[target.district]
            requester = self.cs_first_worker[case]
            responder = requester if transfer.status == "CANCELLED" else target_district.officer_id
            reason = rng.pick(
                (
                    f"Family moved to {target_district.node.name}",
                    f"Child found working in {target_district.node.name}; family lives there",
                )
            )
            self._event(
                case,
                transfer.requested_at,
                "TRANSFER_REQUESTED",
                requester,
                f'{{"transfer_id": {next_id}, "to_jurisdiction_id": {target.node.id}}}',
            )
            if transfer.status in events and transfer.responded_at is not None:
                self._event(
                    case,
                    transfer.responded_at,
                    events[transfer.status],
                    responder,
                    f'{{"transfer_id": {next_id}}}',
                )
            answered = transfer.responded_at is not None
            yield (
                next_id,
                case + 1,
                origin.node.id,
                origin.node.path,
                target.node.id,
                target.node.path,
                transfer.status,
                reason,
                notes.get(transfer.status),
                _ts(transfer.requested_at),
                None if transfer.responded_at is None else _ts(transfer.responded_at),
                requester,
                responder if answered else None,
                2 if answered else 1,
            )
            next_id += 1
        self.last_ids["transfers"] = next_id - 1

    def _interventions(self) -> Iterator[Row]:
        rng = _rng(self.seed, "interventions")
        rnd, below, span, pick = rng.random, rng.below, rng.span, rng.pick
        next_id = 1
        for case, kind in enumerate(self.cs_kind):
            stages = self.cs_stages[case]
            if len(stages) <= IMPLEMENTATION:
                continue
            child = self.cs_child[case]
            household = self.ch_household[child]
            community = self.communities[self.cs_community[case]]
            district = self.districts[community.district]
            node = self.cs_node[case]
            worker = self.cs_worker[case]
            own = self.cs_institution[case]
            begins = stages[IMPLEMENTATION] // MINUTES_PER_DAY
            for service, chance, for_parents in INTERVENTION_PLAN[kind]:
                if rnd() >= chance or (for_parents and household is None):
                    continue
                if service == VOCATIONAL and not for_parents and self.ch_age[child] < 14:
                    continue
                start = begins + below(30)
                if start > ANCHOR_DAY:
                    continue
                days = INTERVENTION_DAYS[service]
                end: int | None = None
                if days is not None:
                    end = start + span(days[0], days[1] + 1)
                    if end > ANCHOR_DAY:
                        end = None
                done = end is not None and rnd() < 0.82
                programme = None
                running = [p for p in self.programmes_for[district.index][service] if p[1] <= start <= p[2]]
                if running and rnd() < 0.85:
                    programme = pick(running)[0]
                institution = None
                kinds = INTERVENTION_INSTITUTION[service]
                if own is not None and self.institution_type[own - 1] in kinds:
                    institution = own
                elif kinds and rnd() < 0.8:
                    options = district.institutions[pick(kinds)]
                    if options:
                        institution = pick(options)[0]
                recipient = "CHILD"
                if for_parents:
                    recipient = "HOUSEHOLD" if service == INCOME and rnd() < 0.5 else "PARENT"
                moment = start * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES)
                if done and not for_parents and end is not None:
                    self.completed.setdefault(case, []).append((service, next_id, end))
                yield (
                    next_id,
                    INTERVENTIONS[service],
                    recipient,
                    programme,
                    None if for_parents else child + 1,
                    household,
                    case + 1,
                    institution,
                    DATES[start],
                    None if end is None else DATES[end],
                    done,
                    worker,
                    _ts(moment),
                    node.id,
                    node.path,
                )
                next_id += 1
        self.last_ids["interventions"] = next_id - 1

    def _outcomes(self) -> Iterator[Row]:
        rng = _rng(self.seed, "outcomes")
        rnd, below = rng.random, rng.below
        next_id = 1
        for case, kind in enumerate(self.cs_kind):
            stages = self.cs_stages[case]
            opened = stages[0] // MINUTES_PER_DAY
            final = len(stages) - 1
            closed = stages[CLOSED] // MINUTES_PER_DAY if final == CLOSED else None
            found: list[tuple[str, int, int | None]] = []
            for service, intervention, end in self.completed.get(case, ()):
                if service == FORMAL and rnd() < 0.8:
                    found.append(("MAINSTREAMED_INTO_FORMAL_SCHOOL", end, intervention))
                elif service == NFE and rnd() < 0.15:
                    found.append(
                        (
                            "MAINSTREAMED_INTO_FORMAL_SCHOOL",
                            min(end + below(60), ANCHOR_DAY),
                            intervention,
                        )
                    )
                elif service == VOCATIONAL and rnd() < 0.9:
                    found.append(("COMPLETED_VOCATIONAL_TRAINING", end, intervention))
                elif service == TRACING and rnd() < 0.7:
                    found.append(("REUNIFIED_WITH_FAMILY", end, intervention))
            if kind == LABOUR and closed is not None and rnd() < 0.3:
                found.append(("WITHDRAWN_FROM_HAZARDOUS_WORK", max(opened, closed - below(30)), None))
            elif kind == VICTIM and closed is not None:
                u = rnd()
                if u < 0.2:
                    found.append(("REUNIFIED_WITH_FAMILY", max(opened, closed - below(30)), None))
                elif u < 0.28:
                    found.append(("PLACED_IN_ALTERNATIVE_CARE", max(opened, closed - below(60)), None))
            elif kind == CONFLICT:
                released = self.cs_released.get(case)
                if released is not None and rnd() < 0.7:
                    found.append(("RELEASED_FROM_DETENTION", max(opened, released), None))
                elif closed is not None and rnd() < 0.4:
                    found.append(("DIVERTED_FROM_JUSTICE_SYSTEM", max(opened, closed - below(30)), None))
            elif kind == MISSING and final >= IMPLEMENTATION and rnd() < 0.8:
                by = stages[IMPLEMENTATION] // MINUTES_PER_DAY
                found.append(("FOUND", opened + below(max(1, by - opened)), None))
            if not found:
                continue
            child = self.cs_child[case] + 1
            node = self.cs_node[case]
            worker = self.cs_worker[case]
            for outcome, day, source in found:
                moment = max(day * MINUTES_PER_DAY + OFFICE_OPENS + below(OFFICE_MINUTES), stages[0] + 30)
                self._event(
                    case,
                    moment,
                    "OUTCOME_RECORDED",
                    worker,
                    f'{{"outcome_id": {next_id}, "type": "{outcome}"}}',
                )
                yield (
                    next_id,
                    outcome,
                    child,
                    case + 1,
                    source,
                    DATES[day],
                    worker,
                    _ts(moment),
                    node.id,
                    node.path,
                )
                next_id += 1
        self.last_ids["outcomes"] = next_id - 1

    def _case_events(self) -> Iterator[Row]:
        rng = _rng(self.seed, "case_events")
        rnd, span, pick = rng.random, rng.span, rng.pick
        opened_data = {
            (kind, risk): f'{{"kind": "{kind}", "risk_level": "{risk}"}}'
            for kind in KINDS
            for risk in ("HIGH", "MEDIUM", "LOW")
        }
        extra = self.extra_events
        next_id = 1
        for case, kind in enumerate(self.cs_kind):
            stages = self.cs_stages[case]
            district = self.districts[self.communities[self.cs_community[case]].district]
            officer = district.officer_id
            first = self.cs_first_worker[case]
            worker = self.cs_worker[case]
            opened = stages[0]
            opened_as = opened_data[KINDS[kind], self.cs_risk[case]]
            events: list[tuple[int, str, int | None, str, str | None, str | None, str | None]] = []
            if first is not None and rnd() < 0.85:
                # Most cases are opened by the case worker who found the child, and stay theirs.
                data = f'{opened_as[:-1]}, "assigned_to_id": {first}}}'
                events.append((opened, "OPENED", first, data, None, None, "REGISTERED"))
            else:
                # The rest come to the district office, which assigns them.
                events.append((opened, "OPENED", officer, opened_as, None, None, "REGISTERED"))
                if first is not None:
                    assignment = f'{{"to_user_id": {first}}}'
                    assigned = min(opened + span(5, 600), LAST_MINUTE)
                    events.append((assigned, "ASSIGNED", officer, assignment, None, None, None))
            for stage in range(1, len(stages)):
                actor = officer if stage >= CLOSED else worker
                events.append(
                    (stages[stage], "STAGE_CHANGED", actor, "{}", None, STAGES[stage - 1], STAGES[stage])
                )
                if stage >= IMPLEMENTATION and rnd() < 0.03:
                    events.append(
                        (
                            min(stages[stage] + span(60, 20 * MINUTES_PER_DAY), LAST_MINUTE),
                            "NOTE_ADDED",
                            worker,
                            "{}",
                            pick(NOTES),
                            None,
                            None,
                        )
                    )
            for moment, kind_of_event, actor, data, note in extra.pop(case, ()):
                events.append((moment, kind_of_event, actor, data, note, None, None))
            events.sort(key=_first)
            for moment, kind_of_event, actor, data, note, from_stage, to_stage in events:
                yield (next_id, case + 1, kind_of_event, _ts(moment), actor, from_stage, to_stage, data, note)
                next_id += 1
        self.last_ids["case_events"] = next_id - 1


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


# --------------------------------------------------------------------------------------------------------
# Invented names


def _invented_place(rng: _Random, *, plain: bool = False) -> str:
    endings = names.PLACE_ENDINGS[:7] if plain else names.PLACE_ENDINGS
    return rng.pick(names.PLACE_ROOTS) + rng.pick(endings)


def _community_name(rng: _Random, province_code: str, tehsil_name: str) -> str:
    prefix = rng.pick(names.COMMUNITY_PREFIXES_BY_PROVINCE[province_code])
    if prefix == "Union Council":
        return f"Union Council {rng.span(1, 61)} {tehsil_name}"
    if prefix == "Sector":
        return f"Sector {rng.pick('DEFGHI')}-{rng.span(5, 16)}"
    if province_code == "PK-PB" and rng.random() < 0.2:
        # Canal-colony villages are numbered: Chak 45-GB (Gogera Branch), 112-JB, 7-RB ...
        return f"Chak {rng.span(1, 601)}-{rng.pick(('GB', 'JB', 'RB', 'SB', 'WB'))}"
    return f"{prefix} {_invented_place(rng)}"


def _bare_place(community_name: str) -> str:
    """'Mohalla Rahimabad' -> 'Rahimabad': institutions are named after the place, not its kind."""
    for prefix in (
        "Union Council ",
        "Mohalla ",
        "Basti ",
        "Dhok ",
        "Goth ",
        "Kalay ",
        "Banda ",
        "Killi ",
        "Village ",
    ):
        if community_name.startswith(prefix):
            return community_name.removeprefix(prefix)
    return community_name


def _institution_name(rng: _Random, kind: int, place: str, district: str, number: int) -> str:
    if kind == PS:
        return f"Police Station {place}"
    if kind == CPC:
        return f"Child Protection Centre, Police Station {place}"
    if kind == OH:
        return f"Observation Home {district}"
    if kind == JRC:
        return f"Juvenile Rehabilitation Centre {district}"
    if kind == PRISON:
        return f"{'Central' if number == 1 and rng.random() < 0.3 else 'District'} Jail {district}"
    if kind == CPI:
        return f"Child Protection Institution {district}"
    if kind == SHELTER:
        return rng.pick((f"Dar-ul-Aman {district}", f"Children's Shelter Home {district}"))
    if kind == DIC:
        return f"Drop-in Centre {place}"
    if kind == OLP:
        return f"Outreach Learning Point {place}"
    if kind == VOC:
        return rng.pick((f"Vocational Training Centre {place}", f"Female Vocational Centre {place}"))
    if kind == SCHOOL:
        level = rng.pick(("Primary", "Primary", "Middle", "High"))
        return f"Government {level} School {place}" + (" (Girls)" if rng.random() < 0.4 else "")
    return rng.pick((f"Basic Health Unit {place}", f"Rural Health Centre {place}", f"Dispensary {place}"))


def _person_name(rng: _Random, province_code: str, *, female: bool) -> str:
    given = rng.pick(names.FEMALE_GIVEN_NAMES if female else names.MALE_GIVEN_NAMES)
    return f"{given} {rng.pick(names.FAMILY_NAMES_BY_PROVINCE[province_code])}"
