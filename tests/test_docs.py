"""The guides in ``docs/`` run: every GraphQL example is sent to the API and its documented answer checked.

The answers are the ones a new user gets from a fresh ``python3 dev.py start``: each guide runs on its own
copy of the demo data that the start command loads (``registry serve --demo``: ``seed_demo`` at
``DEMO_SCALE`` with seed 2026; deterministic, ids included), seeded once per session and cloned per guide.

A guide writes an example as a fenced ``graphql`` block preceded by an HTML comment naming who runs it,
``<!-- run as: officer.lahore -->`` (a username of the demo data or one an earlier example created,
``anonymous``, or ``client dashboard``: the API client that the guide's ``registry clients create`` command
makes, which the test runs against the guide's database, getting its token at ``POST /oauth/token`` as the
guide shows). ``expect: errors`` in the comment marks an example whose answer has GraphQL errors. An example
may be followed directly by a ``json variables`` block and then by a ``json`` block: the documented answer,
which must be a subset of the real one (``"…"`` matches any value; a list whose last item is ``"…"`` matches
a longer list). A variable written ``"<registerChild.child.id>"`` is the value at that path in the latest
answer with that root field (one without typed errors).
Examples run in the order of the guide, each guide on a fresh copy of the demo data.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from registry.auth.tokens import TokenService
from registry.cli import DEMO_SCALE
from registry.cli import app as cli
from registry.db.seed.demo import seed_demo
from registry.db.seed.loader import connect_owner
from registry.identity_numbers import load_vault
from tests.conftest import APP_ROLE, PROJECT_ROOT, bearer, execute_admin, make_settings, user_token

DOCS = PROJECT_ROOT / "docs"
GUIDES = ["analyst.md", "departments.md", "integrators.md", "operators.md"]
ANY = "…"
# Who runs an example as the API client that the guide's `registry clients create` command makes.
CLIENT = "client dashboard"
# REGISTRY_DOCS_SHOW_ANSWERS=1 prints every real answer (with -s), to paste into a guide.
SHOW_ANSWERS = bool(os.environ.get("REGISTRY_DOCS_SHOW_ANSWERS"))

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
COMMENT = re.compile(r"<!--(.*?)-->\s*\Z", re.DOTALL)
REFERENCE = re.compile(r"^<([A-Za-z]\w*(?:\.[\w]+)+)>$")


@dataclass
class Example:
    guide: str
    line: int
    runner: str
    query: str
    expect_errors: bool = False
    variables: dict[str, Any] = field(default_factory=dict)
    answer: Any = None

    def __str__(self) -> str:
        return f"{self.guide}:{self.line}"


@dataclass
class Fence:
    info: str
    body: str
    start: int
    end: int
    line: int


def fences(text: str) -> list[Fence]:
    return [
        Fence(m.group(1).strip(), m.group(2), m.start(), m.end(), text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text)
    ]


def examples(guide: str) -> list[Example]:
    """The guide's GraphQL examples in order, with their variables and documented answers."""
    text = (DOCS / guide).read_text(encoding="utf-8")
    blocks = fences(text)
    found: list[Example] = []
    for index, block in enumerate(blocks):
        if block.info != "graphql":
            continue
        before = text[blocks[index - 1].end if index else 0 : block.start]
        comment = COMMENT.search(before)
        assert comment, f"{guide}:{block.line}: no <!-- run as: … --> before the example"
        assert "run as:" in comment.group(1), f"{guide}:{block.line}: no <!-- run as: … -->"
        options = {
            key.strip(): value.strip()
            for key, _, value in (part.partition(":") for part in comment.group(1).split(";"))
        }
        example = Example(guide, block.line, options["run as"], block.body, "expect" in options)
        following = blocks[index + 1 :]
        position = block.end
        for later in following[:2]:
            if text[position : later.start].strip():
                break
            if later.info == "json variables" and example.answer is None and not example.variables:
                example.variables = json.loads(later.body)
            elif later.info == "json" and example.answer is None:
                example.answer = json.loads(later.body)
            else:
                break
            position = later.end
        found.append(example)
    return found


def matches(documented: Any, actual: Any) -> bool:
    """Whether the documented value is a subset of the actual one (``"…"`` matching anything)."""
    if documented == ANY:
        return True
    if isinstance(documented, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in documented.items()
        )
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return False
        if documented and documented[-1] == ANY:
            head = documented[:-1]
            return len(actual) >= len(head) and all(map(matches, head, actual))
        return len(documented) == len(actual) and all(map(matches, documented, actual))
    return bool(documented == actual and type(documented) is type(actual))


def resolve(value: Any, answers: dict[str, Any]) -> Any:
    """``value`` with every ``"<root.path>"`` string replaced by what the latest answers hold there."""
    if isinstance(value, dict):
        return {key: resolve(item, answers) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, answers) for item in value]
    reference = REFERENCE.match(value) if isinstance(value, str) else None
    if reference is None:
        return value
    found: Any = answers
    for step in reference.group(1).split("."):
        found = found[int(step)] if isinstance(found, list) else found[step]
    return found


DEMO_SEED = 2026  # the seed ``registry serve --demo`` (``python3 dev.py start``) loads with


@pytest.fixture(scope="session")
async def demo_template(server_url: URL, template_database: str) -> AsyncIterator[str]:
    """A database holding what a fresh ``python3 dev.py start`` holds: the migrated schema and the demo data at
    the start command's scale and seed, loaded by the function behind ``registry seed-demo``. Seeded once per
    session (about 15 s); every guide gets a clone of it."""
    name = f"registry_docs_demo_{os.getpid()}"
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}"')
    await execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    connection = await connect_owner(server_url.set(database=name))
    try:
        await seed_demo(
            connection,
            identity_numbers=load_vault(make_settings().keys_dir),
            scale=DEMO_SCALE,
            seed=DEMO_SEED,
        )
    finally:
        await connection.close()
    yield name
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database(server_url: URL, demo_template: str) -> AsyncIterator[URL]:
    """This module's databases are clones of the demo database, not of the empty migrated one."""
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    await execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{demo_template}"')
    yield server_url.set(database=name)
    await execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def client_command(guide: str) -> list[str]:
    """The arguments of the guide's ``registry clients create`` command line (the client its examples use)."""
    for block in fences((DOCS / guide).read_text(encoding="utf-8")):
        if block.info in ("sh", "bash", "shell"):
            for line in block.body.replace("\\\n", " ").splitlines():
                words = shlex.split(line.split("#")[0])
                if words[:3] == [".venv/bin/registry", "clients", "create"]:
                    return words[1:]
    raise AssertionError(f"{guide} shows no `.venv/bin/registry clients create` command")


def create_client(database: URL, guide: str) -> tuple[str, str]:
    """Runs the guide's ``registry clients create`` against the guide's database: the client's id and secret."""
    settings = make_settings()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env |= {
        "REGISTRY_DATABASE_URL": database.set(drivername="postgresql").render_as_string(hide_password=False),
        "REGISTRY_APP_DB_ROLE": APP_ROLE,
        "REGISTRY_SIGNING_KEYS_DIR": str(settings.keys_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "registry", *client_command(guide)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    return printed["client_id"], printed["client_secret"]


async def client_token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    """The client's access token, by the client-credentials grant the integrators' guide shows."""
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("guide", GUIDES)
async def test_every_graphql_example_of_the_guide_gives_its_documented_answer(
    guide: str,
    database: URL,
    owner: asyncpg.Connection[Any],
    tokens: TokenService,
    client: httpx.AsyncClient,
) -> None:
    runs = examples(guide)
    people: dict[str, str] = {}
    if any(example.runner == CLIENT for example in runs):
        people[CLIENT] = await client_token(client, *create_client(database, guide))
    answers: dict[str, Any] = {}
    wrong: list[str] = []
    for example in runs:
        if example.runner not in people and example.runner != "anonymous":
            # A person of the demo data, or one an earlier example of the guide created.
            user_id = await owner.fetchval("SELECT id FROM users WHERE username = $1", example.runner)
            assert user_id is not None, f"{example}: who is {example.runner}?"
            people[example.runner] = user_token(tokens, user_id)
        token = people.get(example.runner)
        try:
            variables = resolve(example.variables, answers)
        except (KeyError, IndexError, TypeError) as error:
            wrong.append(f"{example}: a variable refers to what no earlier answer holds: {error!r}")
            break
        response = await client.post(
            "/graphql",
            json={"query": example.query, "variables": variables},
            headers=bearer(token) if token else {},
        )
        body = response.json()
        if example.expect_errors and not body.get("errors"):
            wrong.append(f"{example}: expected errors, got {body}")
        elif not example.expect_errors and (response.status_code != 200 or "errors" in body):
            wrong.append(f"{example}: {response.status_code} {body}")
        elif example.answer is not None and not matches(example.answer, body):
            wrong.append(f"{example}: documented {example.answer},\n got {body}")
        if SHOW_ANSWERS:
            print(f"\n=== {example}\n{json.dumps(body, ensure_ascii=False)}")
        answers |= {
            root: value
            for root, value in (body.get("data") or {}).items()
            if value is not None and not (isinstance(value, dict) and value.get("errors"))
        }
    assert not wrong, "\n".join(wrong)


async def test_the_python_client_of_the_integrators_guide_lists_every_open_case_it_may_see(
    database: URL, app: FastAPI, client: httpx.AsyncClient
) -> None:
    # The guide's script, run as it is; only the HTTP transport is pointed at the app in this process.
    script = next(
        block.body
        for block in fences((DOCS / "integrators.md").read_text(encoding="utf-8"))
        if block.info == "python"
    )
    namespace: dict[str, Any] = {"__name__": "integrators_client"}
    exec(compile(script, "docs/integrators.md", "exec"), namespace)  # noqa: S102 - our own guide's code
    in_process = httpx.ASGITransport(app=app)

    token = await namespace["access_token"](*create_client(database, "integrators.md"), transport=in_process)
    cases = await namespace["open_cases"](token, transport=in_process)

    count = await client.post(
        "/graphql", json={"query": "{ cases(filter: {open: true}) { totalCount } }"}, headers=bearer(token)
    )
    total = count.json()["data"]["cases"]["totalCount"]
    assert total > 100  # more than one page
    assert len(cases) == total
    assert len({case["caseNumber"] for case in cases}) == total
    assert {case["jurisdiction"]["code"].startswith("PK-PB-LAHORE") for case in cases} == {True}


def test_every_guide_has_runnable_examples() -> None:
    for guide in GUIDES[:3]:
        assert examples(guide), guide


def test_the_subset_matcher_tells_a_wrong_answer_apart() -> None:
    actual = {"data": {"a": [1, {"b": "x", "c": True}], "d": None}}
    assert matches({"data": {"a": [1, {"b": ANY}]}}, actual)
    assert matches({"data": {"a": [1, ANY]}}, actual)
    assert matches({"data": {"a": [2, ANY]}}, actual) is False
    assert matches({"data": {"a": [1]}}, actual) is False
    assert matches({"data": {"a": [1, {"b": "y"}]}}, actual) is False
    assert matches({"data": {"d": 0}}, actual) is False
    assert matches({"data": {"e": None}}, actual) is False
    assert matches({"data": {"a": [1, {"c": 1}]}}, actual) is False


def named_commands() -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each ``registry`` command line of the guides' shell blocks: its words before the options, and its options."""
    found: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for guide in GUIDES:
        for block in fences((DOCS / guide).read_text(encoding="utf-8")):
            if block.info not in ("sh", "bash", "shell"):
                continue
            for line in block.body.replace("\\\n", " ").splitlines():
                words = shlex.split(line.split("#")[0].replace("$(", " ").replace(")", " "))
                for start, word in enumerate(words):
                    if word == "registry" or word.endswith("bin/registry"):
                        rest = words[start + 1 :]
                        stop = next((i for i, w in enumerate(rest) if "|" in w), len(rest))
                        rest = rest[:stop]
                        end = next((i for i, w in enumerate(rest) if w.startswith("-")), len(rest))
                        options = tuple(w.split("=")[0] for w in rest[end:] if w.startswith("--"))
                        found.add((tuple(rest[:end]), options))
    return found


def test_every_registry_command_in_the_guides_exists_with_its_options() -> None:
    runner = CliRunner()
    commands = named_commands()
    assert len(commands) > 10
    for command, options in sorted(commands):
        path = list(command)
        # Arguments (a client id, a username) are not subcommands: drop words help does not know.
        while True:
            result = runner.invoke(cli, [*path, "--help"])
            if result.exit_code == 0 or not path:
                break
            path.pop()
        assert path, f"registry {' '.join(command)} is no command"
        assert result.exit_code == 0, f"registry {' '.join(command)}: {result.output}"
        for option in options:
            known = re.search(rf"{re.escape(option)}(?![\w-])", result.output)
            assert known, f"registry {' '.join(path)} has no {option}"


def test_every_guide_exists() -> None:
    for guide in GUIDES:
        assert (DOCS / guide).is_file(), guide
    assert Path(DOCS).is_dir()
