"""National case statistics from the rollups, against a plain GROUP BY over the raw tables, in one run.

Serves the API in-process (ASGI, no network) over a demo database and asks, as the national analyst, for
national tables (provinces by kind and sex; districts by kind; districts by kind and sex) read from the
rollup tables, with small cells withheld; and it reads the exact national counts by district, kind and sex
from the rollups with the API's own query. Rounds alternate with the same figures counted by a plain GROUP BY
over ``cases``, ``children`` and ``jurisdictions`` (as the owner, no suppression), so both run on the same
machine at the same moment. The API is measured three ways: with the protection of the national table
remembered from the previous request (no case changed since); with the counts forgotten but their size
classes remembered (cases changed, but no figure moved into another size class: most changes, see
``registry.statistics.suppression.size_classes``); and with everything forgotten before every request (a
figure changed class, or the first request). Reports p50 and p99 of each.

    REGISTRY_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench \\
        python bench/case_statistics.py --rounds 5 --requests 40

The database must hold the demo data at scale 1 (``registry seed-demo --scale 1``). Traffic stays inside
this process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from registry.app import create_app
from registry.auth.keys import load_signing_keys
from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.config import get_settings
from registry.db.models import JurisdictionLevel
from registry.db.queries.case_statistics import CaseCountQuery, count_cases
from registry.db.server import resolve_database
from registry.statistics import suppression

QUERIES = {
    "provinces": """{ caseStatistics(jurisdiction: "PK", groupBy: [KIND, SEX], level: PROVINCIAL) {
  total cells { jurisdiction { code } kind sex count suppressed } } }""",
    "districts": """{ caseStatistics(jurisdiction: "PK", groupBy: [KIND], level: DISTRICT) {
  total cells { jurisdiction { code } kind count suppressed } } }""",
    "districts_sex": """{ caseStatistics(jurisdiction: "PK", groupBy: [KIND, SEX], level: DISTRICT) {
  total cells { jurisdiction { code } kind sex count suppressed } } }""",
}


def forget(what: str) -> None:
    """Forget remembered protection: ``all`` of it, or the answers by ``counts`` (keeping those by size
    classes)."""
    with suppression._LATTICE_LOCK:
        for key in list(suppression._LATTICE_CACHE):
            if what == "all" or (isinstance(key, tuple) and key[0] == what):
                del suppression._LATTICE_CACHE[key]


RAW = """
SELECT d.id, c.kind, ch.sex, count(*)
FROM cases c
JOIN children ch ON ch.id = c.child_id
JOIN jurisdictions d ON d.level = 'DISTRICT' AND d.path @> c.path
GROUP BY 1, 2, 3
"""


async def timed(work: Callable[[], Awaitable[object]], times: int) -> list[float]:
    """Milliseconds per call, ``times`` calls one after another."""
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def main(rounds: int, requests: int, raw_requests: int) -> None:
    settings = get_settings()
    urls = resolve_database(settings)
    app = create_app(settings, urls.app)
    owner = await asyncpg.connect(urls.owner.render_as_string(hide_password=False).replace("+asyncpg", ""))
    analyst = await owner.fetchval("SELECT id FROM users WHERE username = 'analyst'")
    cases = await owner.fetchval("SELECT count(*) FROM cases")
    tokens = TokenService(settings, load_signing_keys(settings.keys_dir))
    token, _ = tokens.issue(PrincipalKind.USER, analyst, client_id="bench", scope="")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    sessions = async_sessionmaker(create_async_engine(urls.owner))
    rollup_query = CaseCountQuery(
        within="1",
        within_level=JurisdictionLevel.NATIONAL,
        level=JurisdictionLevel.DISTRICT,
        dimensions=("kind", "sex"),
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        def api(name: str, *, forgotten: str | None = None) -> Callable[[], Awaitable[None]]:
            async def ask() -> None:
                if forgotten:
                    forget(forgotten)
                response = await client.post("/graphql", json={"query": QUERIES[name]}, headers=headers)
                response.raise_for_status()
                body = response.json()
                if "errors" in body:
                    # A grouping the protection refuses (the demo data at a small scale): timed all the same.
                    assert body["errors"][0]["extensions"]["code"] == "VALIDATION", body["errors"]

            return ask

        async def rollup() -> None:
            async with sessions() as session:
                cells = (await count_cases(session, rollup_query)).cells
                assert cells

        async def raw() -> None:
            await owner.fetch(RAW)

        runs = {
            "provinces": (api("provinces"), requests),
            "provinces_classes": (api("provinces", forgotten="counts"), requests),
            "provinces_cold": (api("provinces", forgotten="all"), requests // 4),
            "districts": (api("districts"), requests),
            "districts_classes": (api("districts", forgotten="counts"), requests),
            "districts_cold": (api("districts", forgotten="all"), requests // 4),
            "districts_sex": (api("districts_sex"), requests),
            "districts_sex_classes": (api("districts_sex", forgotten="counts"), requests),
            "districts_sex_cold": (api("districts_sex", forgotten="all"), requests // 8),
            "rollup": (rollup, requests),
            "raw": (raw, raw_requests),
        }
        for work, _ in runs.values():
            await timed(work, 2)  # warm up the pool, the caches and the plans
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, (work, times) in runs.items():
                samples[name] += await timed(work, max(1, times))
    await owner.close()
    print(f"cases: {cases:,}")
    print(f"{'':78} {'n':>5} {'p50 ms':>9} {'p99 ms':>9}")
    names = {}
    for key, table in (
        ("provinces", "provinces x kind x sex"),
        ("districts", "districts x kind"),
        ("districts_sex", "districts x kind x sex"),
    ):
        names[key] = f"API analyst: {table}, protection remembered"
        names[f"{key}_classes"] = f"API analyst: {table}, remembered by size classes"
        names[f"{key}_cold"] = f"API analyst: {table}, protection recomputed"
    names["rollup"] = "rollup SQL: districts x kind x sex (exact counts, as read by API)"
    names["raw"] = "plain GROUP BY over the raw tables: districts x kind x sex"
    p50 = {}
    for key, name in names.items():
        p50[key] = statistics.median(samples[key])
        print(f"{name:78} {len(samples[key]):5} {p50[key]:9.1f} {percentile(samples[key], 0.99):9.1f}")
    print(f"raw GROUP BY p50 / rollup SQL p50: {p50['raw'] / p50['rollup']:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="API requests per round")
    parser.add_argument("--raw-requests", type=int, default=2, help="raw GROUP BY runs per round")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.requests, arguments.raw_requests))
