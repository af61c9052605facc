"""What recording personal-data reads in the audit trail costs a read request.

Serves the API in-process (ASGI, no network) over a demo database and asks for a page of cases with each
child's name, the kind of answer that appends an audit row. Batches with the audit trail as built alternate
with batches where recording is switched off inside this process only, so both run on the same machine at
the same moment; the ratio of their throughputs is the figure.

    REGISTRY_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/registry_bench \\
        python bench/audit_cost.py --requests 200 --rounds 5

The database must hold the demo data (``registry seed-demo``). Traffic stays inside this process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import httpx

from registry.app import create_app
from registry.auth.keys import load_signing_keys
from registry.auth.principal import PrincipalKind
from registry.auth.tokens import TokenService
from registry.config import get_settings
from registry.db.server import resolve_database
from registry.services.audit import AuditTrail

QUERY = """{ cases(first: 50, filter: {withinCode: "PK-PB-LAHORE"}) { edges { node {
  caseNumber stage child { sex fullName } } } } }"""


@contextmanager
def audit_off() -> Iterator[None]:
    """Recording of reads switched off, in this process only: the reference to compare with."""
    with mock.patch.object(AuditTrail, "note_personal_data", return_value=None):
        yield


async def batch(client: httpx.AsyncClient, token: str, requests: int) -> float:
    """Requests per second over ``requests`` sequential requests."""
    started = time.perf_counter()
    for _ in range(requests):
        response = await client.post(
            "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        assert "errors" not in response.json()
    return requests / (time.perf_counter() - started)


async def main(requests: int, rounds: int, user_id: int) -> None:
    settings = get_settings()
    urls = resolve_database(settings)
    app = create_app(settings, urls.app)
    tokens = TokenService(settings, load_signing_keys(settings.keys_dir))
    token, _ = tokens.issue(PrincipalKind.USER, user_id, client_id="bench", scope="")
    transport = httpx.ASGITransport(app=app)
    on: list[float] = []
    off: list[float] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        await batch(client, token, 20)  # warm up caches and the pool
        for _ in range(rounds):
            on.append(await batch(client, token, requests))
            with audit_off():
                off.append(await batch(client, token, requests))
    on_median, off_median = statistics.median(on), statistics.median(off)
    print(f"audit on:  {on_median:7.1f} req/s (rounds: {', '.join(f'{x:.1f}' for x in on)})")
    print(f"audit off: {off_median:7.1f} req/s (rounds: {', '.join(f'{x:.1f}' for x in off)})")
    print(f"throughput with audit / without: {on_median / off_median:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--user-id", type=int, required=True, help="A district officer of Lahore (users.id).")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds, arguments.user_id))
