"""Benchmark: the registry and PostGraphile 4 side by side on the same database (issue 10).

One command: (optionally) builds demo data at scale N, starts the registry and PostGraphile 4 over the same
tables, warms up, drives each scenario through an HTTP/1.1 keep-alive load generator on 127.0.0.1 at each
connection count, checks every answer, and writes a table (req/s, p50, p99, server CPU ms per request, peak
RSS, ratio registry/PostGraphile) to stdout and to ``bench/RESULTS.md``.

    npm ci --prefix bench                      # PostGraphile 4, pinned in bench/package-lock.json
    .venv/bin/python bench/run.py              # the database in --database-url, which holds demo data
    .venv/bin/python bench/run.py --build-scale 0.05   # a fresh database <name>_s0_05, migrated and seeded
    .venv/bin/python bench/run.py --duration 3 --connections 16 --smoke   # a quick end-to-end check

The registry runs with authorization, row-level security and audit on, as the district officer
``officer.lahore`` (province and national figures as ``manager.pb`` and ``analyst``). PostGraphile runs
without auth as the database owner (a superuser: row-level security does not apply to it), over the same
tables, plus three read functions in the schema ``postgraphile_bench`` (``bench/postgraphile_bench.sql``) for
what PostGraphile 4 cannot express with equality conditions alone (subtree of a district, grouped count,
trigram name search).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
POSTGRAPHILE = BENCH_DIR / "node_modules" / ".bin" / "postgraphile"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench"
DISTRICT = "PK-PB-LAHORE"
PROVINCE = "PK-PB"
NAMES = ["Muhammad Ali", "Mohammad Usman", "Fatima Khan", "Ayesha Bibi", "Zainab", "Ahmed Raza", "Hamza Butt"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
COUNT_CASES = "SELECT count(*) FROM cases"
COUNT_CHILDREN = "SELECT count(*) FROM children"

Json = dict[str, Any]


class CheckError(Exception):
    """An answer that is not what the scenario expects."""


# --- a minimal HTTP/1.1 keep-alive client (asyncio streams) -------------------------------------------------


class HttpConnection:
    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.head = f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{extra}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: bytes, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.reader, self.writer
        writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (path, self.head, len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = -1
        chunked = close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append((await reader.readexactly(size + 2))[:-2])
            data = b"".join(parts)
        elif length >= 0:
            data = await reader.readexactly(length)
        else:
            data = await reader.read()
            close = True
        if close:
            await self.close()
        return status, data


# --- scenarios ---------------------------------------------------------------------------------------------


class Worker:
    """One connection's stream of requests; reads cycle through fixed bodies, writes chain on answers."""

    def next_body(self) -> bytes:
        raise NotImplementedError

    def check(self, answer: Json) -> None:
        raise NotImplementedError


class ReadWorker(Worker):
    def __init__(self, bodies: list[bytes], check: Callable[[Json, int], None]) -> None:
        self.bodies = bodies
        self.i = random.randrange(len(bodies))
        self.checker = check

    def next_body(self) -> bytes:
        self.i = (self.i + 1) % len(self.bodies)
        return self.bodies[self.i]

    def check(self, answer: Json) -> None:
        self.checker(answer, self.i)


def gql(query: str, variables: Json | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def data_of(answer: Json) -> Json:
    if answer.get("errors"):
        raise CheckError(f"errors: {str(answer['errors'])[:300]}")
    data = answer.get("data")
    if not isinstance(data, dict):
        raise CheckError("no data")
    return data


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckError(what)


REG_Q1 = """query Q1($code: String!) { cases(first: 50, filter: {withinCode: $code, open: true}) {
  edges { node { id caseNumber stage riskLevel openedAt child { sex ageBand fullName }
                 institution { name type } } } } }"""
PGL_Q1 = """query Q1($code: String!) { districtOpenCases(districtCode: $code, first: 50) {
  nodes { id caseNumber stage riskLevel openedAt
          childByChildId { sex birthYear childIdentityByChildId { fullName } }
          institutionByInstitutionId { name type } } } }"""
REG_Q2 = """query Q2($id: ID!) { node(id: $id) { ... on Case { caseNumber stage
  events(last: 20) { type occurredAt } } } }"""
PGL_Q2 = """query Q2($id: BigInt!) { caseById(id: $id) { caseNumber stage
  caseEventsByCaseId(first: 20, orderBy: [OCCURRED_AT_DESC, ID_DESC]) { nodes { type occurredAt } } } }"""
REG_Q3 = """query Q3($code: String!) {
  caseStatistics(jurisdiction: $code, level: DISTRICT, filter: {open: true}) {
    total cells { jurisdiction { code } count suppressed } } }"""
PGL_Q3 = (
    """query Q3($code: String!) { openCasesPerDistrict(provinceCode: $code) { nodes { code openCases } } }"""
)
REG_NATIONAL = """{ caseStatistics(jurisdiction: "PK", groupBy: [KIND, SEX], level: PROVINCIAL) {
  total disclosure { exact threshold } cells { jurisdiction { code } kind sex count suppressed } } }"""
REG_NAME = """query Name($name: String!) { children(first: 20, filter: {name: $name}) {
  edges { node { id fullName sex ageBand } } } }"""
PGL_NAME = """query Name($name: String!) { searchChildren(name: $name, first: 20) {
  nodes { fullName childByChildId { id sex birthYear } } } }"""
REG_REGISTER = """mutation W1($i: RegisterChildInput!) { registerChild(input: $i) {
  child { id } errors { code message } } }"""
REG_OPEN = """mutation W2($i: OpenCaseInput!) { openCase(input: $i) {
  case { id version } errors { code message } } }"""
REG_TRANSITION = """mutation W3($i: TransitionCaseInput!) { transitionCase(input: $i) {
  case { id version stage } errors { code message } } }"""


class WriteWorker(Worker):
    """registerChild, then openCase for that child, then transitionCase of that case to ASSESSED; repeat."""

    def __init__(self) -> None:
        self.step = 0
        self.child_id = ""
        self.case: tuple[str, int] = ("", 0)

    def next_body(self) -> bytes:
        if self.step == 0:
            suffix = "".join(random.choices(string.ascii_lowercase, k=8))
            return gql(
                REG_REGISTER,
                {
                    "i": {
                        "jurisdictionCode": DISTRICT,
                        "sex": random.choice(["MALE", "FEMALE"]),
                        "fullName": f"Bench {suffix.capitalize()} Child",
                        "birthYear": random.randint(2009, 2020),
                        "childAssents": ["REGISTRATION"],
                        "confirmNotDuplicate": True,
                    }
                },
            )
        if self.step == 1:
            return gql(
                REG_OPEN, {"i": {"childId": self.child_id, "kind": "CHILD_AT_RISK", "riskLevel": "MEDIUM"}}
            )
        case_id, version = self.case
        return gql(REG_TRANSITION, {"i": {"caseId": case_id, "version": version, "toStage": "ASSESSED"}})

    def check(self, answer: Json) -> None:
        data = data_of(answer)
        payload = next(iter(data.values()))
        expect(not payload["errors"], f"mutation errors: {payload['errors']}")
        if self.step == 0:
            self.child_id = payload["child"]["id"]
        elif self.step == 1:
            self.case = (payload["case"]["id"], payload["case"]["version"])
        else:
            expect(payload["case"]["stage"] == "ASSESSED", "transition did not happen")
        self.step = (self.step + 1) % 3


@dataclass
class Facts:
    """What the checks compare against, read from the database once."""

    q2_case_id: int
    q2_case_number: str
    q2_events: int
    districts: int
    province_open: int
    q1_page: int


@dataclass
class Scenario:
    name: str
    title: str
    registry: Callable[[], Worker]
    registry_user: str
    postgraphile: Callable[[], Worker] | None
    note: str = ""


def build_scenarios(facts: Facts) -> list[Scenario]:
    def q1_reg(a: Json, _: int) -> None:
        edges = data_of(a)["cases"]["edges"]
        expect(len(edges) == facts.q1_page, f"Q1: {len(edges)} cases, not {facts.q1_page}")
        expect(
            all(e["node"]["stage"] != "CLOSED" and e["node"]["child"] for e in edges), "Q1: closed/childless"
        )

    def q1_pgl(a: Json, _: int) -> None:
        nodes = data_of(a)["districtOpenCases"]["nodes"]
        expect(len(nodes) == facts.q1_page, f"Q1: {len(nodes)} cases, not {facts.q1_page}")
        expect(all(n["stage"] != "CLOSED" and n["childByChildId"] for n in nodes), "Q1: closed/childless")

    def q2_reg(a: Json, _: int) -> None:
        node = data_of(a)["node"]
        expect(node is not None and node["caseNumber"] == facts.q2_case_number, "Q2: wrong case")
        expect(len(node["events"]) == min(20, facts.q2_events), f"Q2: {len(node['events'])} events")

    def q2_pgl(a: Json, _: int) -> None:
        node = data_of(a)["caseById"]
        expect(node is not None and node["caseNumber"] == facts.q2_case_number, "Q2: wrong case")
        n = len(node["caseEventsByCaseId"]["nodes"])
        expect(n == min(20, facts.q2_events), f"Q2: {n} events")

    def q3_reg(a: Json, _: int) -> None:
        stats = data_of(a)["caseStatistics"]
        expect(len(stats["cells"]) == facts.districts, f"Q3: {len(stats['cells'])} districts")
        expect(stats["total"] == facts.province_open, f"Q3: total {stats['total']} != {facts.province_open}")

    def q3_pgl(a: Json, _: int) -> None:
        nodes = data_of(a)["openCasesPerDistrict"]["nodes"]
        expect(len(nodes) == facts.districts, f"Q3: {len(nodes)} districts")
        total = sum(int(n["openCases"]) for n in nodes)
        expect(total == facts.province_open, f"Q3: total {total} != {facts.province_open}")

    def national(a: Json, _: int) -> None:
        stats = data_of(a)["caseStatistics"]
        expect(stats["total"] > 0 and len(stats["cells"]) > 0, "national: empty")

    def name_reg(a: Json, _: int) -> None:
        edges = data_of(a)["children"]["edges"]
        expect(len(edges) <= 20 and all(e["node"]["fullName"] for e in edges), "name: bad page")

    def name_pgl(a: Json, _: int) -> None:
        nodes = data_of(a)["searchChildren"]["nodes"]
        expect(len(nodes) <= 20 and all(n["fullName"] for n in nodes), "name: bad page")

    q2_gid = base64.b64encode(f"Case:{facts.q2_case_id}".encode()).decode()
    names_reg = [gql(REG_NAME, {"name": n}) for n in NAMES]
    names_pgl = [gql(PGL_NAME, {"name": n}) for n in NAMES]
    return [
        Scenario(
            "q1",
            "Q1: 50 open cases of a district + child + institution",
            lambda: ReadWorker([gql(REG_Q1, {"code": DISTRICT})], q1_reg),
            "officer.lahore",
            lambda: ReadWorker([gql(PGL_Q1, {"code": DISTRICT})], q1_pgl),
        ),
        Scenario(
            "q2",
            f"Q2: one case + its last 20 events ({facts.q2_events} events)",
            lambda: ReadWorker([gql(REG_Q2, {"id": q2_gid})], q2_reg),
            "officer.lahore",
            lambda: ReadWorker([gql(PGL_Q2, {"id": str(facts.q2_case_id)})], q2_pgl),
        ),
        Scenario(
            "q3",
            "Q3: open cases per district of one province",
            lambda: ReadWorker([gql(REG_Q3, {"code": PROVINCE})], q3_reg),
            "manager.pb",
            lambda: ReadWorker([gql(PGL_Q3, {"code": PROVINCE})], q3_pgl),
            "registry: rollups, as manager.pb (a district officer may not count the province); "
            "PostGraphile: the same rollup table (case_counts) through a SQL function",
        ),
        Scenario(
            "national",
            "National statistics (kind x sex per province, small cells protected)",
            lambda: ReadWorker([gql(REG_NATIONAL)], national),
            "analyst",
            None,
            "registry only",
        ),
        Scenario(
            "name",
            "Name search: 20 children by name (trigram)",
            lambda: ReadWorker(names_reg, name_reg),
            "officer.lahore",
            lambda: ReadWorker(names_pgl, name_pgl),
            "registry: within the officer's district; PostGraphile: nationwide",
        ),
        Scenario(
            "write",
            "Write mix: registerChild -> openCase -> transitionCase",
            WriteWorker,
            "officer.lahore",
            None,
            "registry only; req/s counts mutations",
        ),
    ]


# --- processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLK_TCK


def tree_peak_rss_mib(pid: int) -> float:
    kib = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib += int(line.split()[1])
        except OSError:
            continue
    return kib / 1024


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    path: bytes = b"/graphql"

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def start(name: str, argv: list[str], env: dict[str, str], port: int, logdir: Path) -> Server:
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own programs
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
    return Server(name, port, proc, log)


async def wait_ready(server: Server, headers: dict[str, str], within: float = 90) -> None:
    deadline = time.monotonic() + within
    while True:
        if server.proc.poll() is not None:
            raise SystemExit(f"{server.name} exited ({server.proc.returncode}); see {server.log}")
        conn = HttpConnection(server.port, headers)
        try:
            status, _ = await conn.post(server.path, b'{"query":"{ __typename }"}')
            if status == 200:
                return
        except OSError:
            pass
        finally:
            await conn.close()
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name} not ready after {within} s; see {server.log}")
        await asyncio.sleep(0.3)


# --- load ---------------------------------------------------------------------------------------------------


@dataclass
class Result:
    server: str
    scenario: str
    connections: int
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0
    first_failure: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / self.requests if self.requests else float("nan")


async def drive(
    port: int,
    path: bytes,
    headers: dict[str, str],
    make_worker: Callable[[], Worker],
    connections: int,
    duration: float,
    max_requests: int,
    result: Result | None,
) -> None:
    deadline = time.perf_counter() + duration
    budget = [max_requests]

    async def one() -> None:
        conn = HttpConnection(port, headers)
        worker = make_worker()
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                body = worker.next_body()
                t0 = time.perf_counter()
                try:
                    status, data = await conn.post(path, body)
                    elapsed = time.perf_counter() - t0
                    if status != 200:
                        raise CheckError(f"HTTP {status}: {data[:200]!r}")
                    worker.check(orjson.loads(data))
                except (
                    CheckError,
                    OSError,
                    asyncio.IncompleteReadError,
                    KeyError,
                    TypeError,
                    ValueError,
                ) as e:
                    await conn.close()
                    if result is not None:
                        result.failures += 1
                        result.first_failure = result.first_failure or f"{type(e).__name__}: {e}"[:300]
                    if isinstance(worker, WriteWorker):
                        worker.step = 0
                    continue
                if result is not None:
                    result.requests += 1
                    result.latencies.append(elapsed)
        finally:
            await conn.close()

    start_t = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    if result is not None:
        result.seconds = time.perf_counter() - start_t


async def trivial_server(port: int) -> None:
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"data":{}}'

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


class EmptyWorker(Worker):
    def next_body(self) -> bytes:
        return b'{"query":"{ __typename }"}'

    def check(self, answer: Json) -> None:
        expect("data" in answer, "no data")


async def generator_ceiling(connections: int, duration: float, logdir: Path) -> Result:
    port = free_port()
    srv = start(
        "trivial",
        [sys.executable, str(BENCH_DIR / "run.py"), "--trivial-server", str(port)],
        dict(os.environ),
        port,
        logdir,
    )
    try:
        await wait_ready(srv, {}, within=10)
        result = Result("generator", "ceiling", connections)
        await drive(port, b"/", {}, EmptyWorker, connections, duration, 10**9, result)
        result.cpu_seconds = tree_cpu_seconds(srv.proc.pid)
        return result
    finally:
        srv.stop()


async def measure(
    server: Server,
    headers: dict[str, str],
    scenario: Scenario,
    make_worker: Callable[[], Worker],
    connections: int,
    args: argparse.Namespace,
) -> Result:
    if args.warmup > 0:
        await drive(server.port, server.path, headers, make_worker, connections, args.warmup, 10**9, None)
    result = Result(server.name, scenario.name, connections)
    cpu0 = tree_cpu_seconds(server.proc.pid)
    await drive(
        server.port, server.path, headers, make_worker, connections, args.duration, args.max_requests, result
    )
    result.cpu_seconds = tree_cpu_seconds(server.proc.pid) - cpu0
    result.peak_rss_mib = tree_peak_rss_mib(server.proc.pid)
    return result


# --- setup --------------------------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def registry_env(args: argparse.Namespace, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REGISTRY_DATABASE_URL=url,
        REGISTRY_DATA_DIR=args.data_dir,
        REGISTRY_RATE_LIMIT_BURST="1000000000",
        REGISTRY_RATE_LIMIT_PER_SECOND="1000000000",
        REGISTRY_ACCESS_TOKEN_TTL_SECONDS="3600",  # noqa: S106 - a lifetime, not a secret
        REGISTRY_LOG_LEVEL="WARNING",
    )
    return env


def registry_cli(env: dict[str, str], *argv: str) -> str:
    out = subprocess.run(  # noqa: S603 - our own program
        [str(VENV_BIN / "registry"), *argv], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


async def build(args: argparse.Namespace) -> str:
    label = str(args.build_scale).replace(".", "_")
    name = f"{urlsplit(args.database_url).path.lstrip('/')}_s{label}"
    url = with_database(args.database_url, name)
    admin = await asyncpg.connect(with_database(args.database_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    env = registry_env(args, url)
    for argv in (["migrate"], ["seed-demo", "--scale", str(args.build_scale)], ["stats", "compact"]):
        print(f"registry {' '.join(argv)} ...", flush=True)
        t0 = time.monotonic()
        registry_cli(env, *argv)
        print(f"  done in {time.monotonic() - t0:.0f} s", flush=True)
    return url


async def read_facts(url: str) -> tuple[Facts, dict[str, str]]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute((BENCH_DIR / "postgraphile_bench.sql").read_text())
        superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not superuser:
            raise SystemExit("--database-url must connect as a superuser (PostGraphile reads past RLS)")
        path = await conn.fetchval("SELECT path FROM jurisdictions WHERE code = $1", DISTRICT)
        row = await conn.fetchrow(
            """SELECT c.id, c.case_number, count(*) AS n
               FROM cases c JOIN case_events e ON e.case_id = c.id WHERE c.path <@ $1::ltree
               GROUP BY c.id ORDER BY n DESC, c.id LIMIT 1""",
            path,
        )
        districts = await conn.fetchval(
            """SELECT count(*) FROM jurisdictions d JOIN jurisdictions p ON d.path <@ p.path
               WHERE p.code = $1 AND d.level = 'DISTRICT'""",
            PROVINCE,
        )
        province_open = await conn.fetchval(
            """SELECT count(*) FROM cases WHERE stage <> 'CLOSED'
               AND path <@ (SELECT path FROM jurisdictions WHERE code = $1)""",
            PROVINCE,
        )
        q1_page = await conn.fetchval(
            """SELECT count(*) FROM (SELECT 1 FROM cases WHERE path <@ $1::ltree AND stage <> 'CLOSED'
               LIMIT 50) AS page""",
            path,
        )
        if row is None:
            raise SystemExit(f"no case under {DISTRICT}: does the database hold demo data?")
        info = {
            "PostgreSQL": str(await conn.fetchval("SHOW server_version")),
            "cases": f"{await conn.fetchval(COUNT_CASES):,}",
            "children": f"{await conn.fetchval(COUNT_CHILDREN):,}",
        }
        return Facts(row["id"], row["case_number"], row["n"], districts, province_open, q1_page), info
    finally:
        await conn.close()


def machine_info(db_info: dict[str, str]) -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    pgl = json.loads((BENCH_DIR / "node_modules" / "postgraphile" / "package.json").read_text())["version"]
    commit = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    pkgs = ", ".join(
        f"{p} {importlib.metadata.version(p)}"
        for p in (
            "strawberry-graphql",
            "graphql-core",
            "fastapi",
            "uvicorn",
            "sqlalchemy",
            "asyncpg",
            "orjson",
        )
    )
    return {
        "CPU": f"{cpu} x {os.cpu_count()} cores",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Node": node,
        "PostGraphile": pgl,
        "Python packages": pkgs,
        "registry commit": commit,
        **db_info,
    }


# --- report -------------------------------------------------------------------------------------------------


def report(
    results: list[Result],
    scenarios: list[Scenario],
    info: dict[str, str],
    ceiling: Result,
    args: argparse.Namespace,
) -> str:
    lines = []
    if args.smoke:
        lines += ["# Bench results — SMOKE RUN, NOT A MEASUREMENT", ""]
        lines += [
            f"Tiny durations ({args.duration} s per scenario) on a shared, busy machine: this only shows "
            "that `bench/run.py` runs end to end. Do not quote these numbers.",
            "",
        ]
    else:
        lines += ["# Bench results", ""]
    lines += [
        f"`{' '.join(['bench/run.py', *sys.argv[1:]])}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
    ]
    lines += ["## Machine", ""] + [f"- {k}: {v}" for k, v in info.items()] + [""]
    lines += [
        f"Load generator ceiling (same client, trivial HTTP server in another process, {ceiling.connections} "
        f"connections): {ceiling.rps:,.0f} req/s, p50 {ceiling.pct(0.5):.2f} ms.",
        "",
        "## Per server",
        "",
        "| scenario | conns | server | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MiB | requests "
        "| failed |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.connections} | {r.server} | {r.rps:,.0f} | {r.pct(0.5):.1f} "
            f"| {r.pct(0.99):.1f} | {r.cpu_ms:.2f} | {r.peak_rss_mib:.0f} | {r.requests} | {r.failures} |"
        )
    lines += [
        "",
        "## Registry / PostGraphile",
        "",
        "| scenario | conns | req/s ratio | p99 ratio | CPU/req ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    by_key = {(r.server, r.scenario, r.connections): r for r in results}
    for r in results:
        if r.server != "registry":
            continue
        p = by_key.get(("postgraphile", r.scenario, r.connections))
        if p is None or not p.requests or not r.requests:
            lines.append(f"| {r.scenario} | {r.connections} | - | - | - |")
            continue
        lines.append(
            f"| {r.scenario} | {r.connections} | {r.rps / p.rps:.2f}x | {r.pct(0.99) / p.pct(0.99):.2f}x "
            f"| {r.cpu_ms / p.cpu_ms:.2f}x |"
        )
    lines += ["", "## Scenarios", ""]
    for s in scenarios:
        lines.append(
            f"- **{s.name}**: {s.title} (registry as `{s.registry_user}`){'; ' + s.note if s.note else ''}"
        )
    failures = [r for r in results if r.failures]
    if failures:
        lines += ["", "## First failure per run", ""]
        lines += [f"- {r.server} {r.scenario} @{r.connections}: {r.first_failure}" for r in failures]
    lines += [
        "",
        "## Notes",
        "",
        "- Registry: one uvicorn process (`registry serve`), authorization + RLS + audit on, a district "
        "officer's token; rate limits raised out of the way; log level WARNING (no line per request).",
        "- PostGraphile 4: `postgraphile -c <url> --schema public,postgraphile_bench --disable-graphiql "
        "--disable-query-log`, no auth, as the database owner (a superuser: RLS does not apply).",
        "- CPU ms/req: utime+stime of the server's process tree over the measured run / answered requests; "
        "PostgreSQL's own CPU is not included. Peak RSS: VmHWM summed over the process tree (since start).",
        "- Warm-up before each run; every answer is parsed and checked (status 200, no errors, "
        "expected size).",
        "- The load generator runs on the same 2 cores as both servers and PostgreSQL.",
    ]
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, servers: list[Server]) -> None:
    logdir = Path(args.log_dir or tempfile.mkdtemp(prefix="registry-bench-"))
    print(f"server logs in {logdir}", flush=True)
    if not POSTGRAPHILE.exists():
        raise SystemExit("PostGraphile is not installed: npm ci --prefix bench")
    url = await build(args) if args.build_scale is not None else args.database_url
    facts, db_info = await read_facts(url)
    info = machine_info(db_info)
    scenarios = [s for s in build_scenarios(facts) if s.name in args.scenarios]
    connections = [int(c) for c in args.connections.split(",")]

    print(f"generator ceiling ({args.ceiling_seconds} s) ...", flush=True)
    ceiling = await generator_ceiling(max(connections), args.ceiling_seconds, logdir)
    print(f"  {ceiling.rps:,.0f} req/s at {ceiling.connections} connections", flush=True)

    env = registry_env(args, url)
    tokens = {u: registry_cli(env, "token", "--user", u) for u in {s.registry_user for s in scenarios}}
    reg_port, pgl_port = free_port(), free_port()
    registry = start(
        "registry", [str(VENV_BIN / "registry"), "serve", "--host", "127.0.0.1", "--port", str(reg_port)],
        env, reg_port, logdir,
    )  # fmt: skip
    servers.append(registry)
    pgl_env = dict(os.environ, NODE_ENV="production")
    postgraphile = start(
        "postgraphile",
        [
            shutil.which("node") or "node", str(POSTGRAPHILE), "-c", url,
            "--schema", "public,postgraphile_bench", "--host", "127.0.0.1", "--port", str(pgl_port),
            "--disable-graphiql", "--disable-query-log",
        ],
        pgl_env, pgl_port, logdir,
    )  # fmt: skip
    servers.append(postgraphile)
    await wait_ready(registry, {})
    await wait_ready(postgraphile, {})
    print(f"registry on :{reg_port}, PostGraphile on :{pgl_port}", flush=True)

    results: list[Result] = []
    for scenario in scenarios:
        headers = {"Authorization": f"Bearer {tokens[scenario.registry_user]}"}
        for conns in connections:
            runs: list[tuple[Server, dict[str, str], Callable[[], Worker]]] = [
                (registry, headers, scenario.registry)
            ]
            if scenario.postgraphile is not None:
                runs.append((postgraphile, {}, scenario.postgraphile))
            for server, hdrs, make in runs:
                r = await measure(server, hdrs, scenario, make, conns, args)
                results.append(r)
                print(
                    f"{scenario.name:9} {conns:3} {server.name:12} {r.rps:8.0f} req/s  "
                    f"p50 {r.pct(0.5):7.1f} ms  p99 {r.pct(0.99):7.1f} ms  cpu {r.cpu_ms:6.2f} ms/req  "
                    f"rss {r.peak_rss_mib:5.0f} MiB  "
                    f"n={r.requests} failed={r.failures} {r.first_failure[:120]}",
                    flush=True,
                )
    text = report(results, scenarios, info, ceiling, args)
    await asyncio.to_thread(Path(args.output).write_text, text)
    print("\n" + text)
    print(f"written to {args.output}")


async def run_until_signal(args: argparse.Namespace, servers: list[Server]) -> None:
    """Runs the bench; SIGINT or SIGTERM cancel it (the servers are stopped by the caller)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    await run(args, servers)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=DEFAULT_URL, help="a superuser URL of a database with demo data")
    p.add_argument(
        "--data-dir",
        default="/tmp/bench-data",  # noqa: S108 help="REGISTRY_DATA_DIR (its keys/ signed the data)"
    )
    p.add_argument("--build-scale", type=float, default=None, help="create <db>_s<N> and seed it at scale N")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of measured load per run")
    p.add_argument("--max-requests", type=int, default=200_000, help="at most this many requests per run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up before each run")
    p.add_argument("--connections", default="16,64", help="comma-separated connection counts")
    all_scenarios = "q1,q2,q3,national,name,write"
    p.add_argument("--scenarios", default=all_scenarios, help=f"comma-separated subset of {all_scenarios}")
    p.add_argument("--ceiling-seconds", type=float, default=3.0, help="seconds to measure the generator")
    p.add_argument("--output", default=str(BENCH_DIR / "RESULTS.md"))
    p.add_argument("--log-dir", default=None, help="server logs (default: a new temporary directory)")
    p.add_argument("--smoke", action="store_true", help="label the output a smoke run, not a measurement")
    p.add_argument("--trivial-server", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.scenarios = args.scenarios.split(",")
    return args


def install_loop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> None:
    args = parse_args()
    install_loop()
    if args.trivial_server is not None:
        asyncio.run(trivial_server(args.trivial_server))
        return
    servers: list[Server] = []
    try:
        asyncio.run(run_until_signal(args, servers))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; stopping the servers", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
