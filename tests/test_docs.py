"""The guides in ``docs/`` run: every GraphQL example is sent to the API and its documented answer checked.

A guide writes an example as a fenced ``graphql`` block preceded by an HTML comment naming who runs it,
``<!-- run as: officer.lahore -->`` (a username of the world below, ``anonymous``, or ``client dashboard``:
the API client, whose token the test gets at ``POST /oauth/token`` as the guide shows). ``expect: errors``
in the comment marks an example whose answer has GraphQL errors. An example may be followed directly by a
``json variables`` block and then by a ``json`` block: the documented answer, which must be a subset of the
real one (``"…"`` matches any value; a list whose last item is ``"…"`` matches a longer list). A variable
written ``"<registerChild.child.id>"`` is the value at that path in the latest answer with that root field
(one without typed errors).
Examples run in the order of the guide, each guide on a fresh database with the same small world.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from registry.auth.tokens import TokenService
from registry.cli import app as cli
from tests.conftest import PROJECT_ROOT, bearer, user_token
from tests.factories import (
    make_api_client,
    make_case,
    make_child,
    make_institution,
    make_organisation,
    make_small_tree,
    make_user,
    name_child,
)

DOCS = PROJECT_ROOT / "docs"
GUIDES = ["analyst.md", "departments.md", "integrators.md", "operators.md"]
ANY = "…"
DASHBOARD_SECRET = "s3cr3t-shown-once"

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


@dataclass
class World:
    """The people of the guides, by username, with their tokens."""

    tokens: dict[str, str]


PEOPLE = [
    ("admin", "System administrator", "SYSTEM_ADMIN", "nation"),
    ("analyst", "Ministry analyst", "NATIONAL_ANALYST", "nation"),
    ("auditor", "Auditor", "AUDITOR", "nation"),
    ("manager.pb", "Punjab provincial manager", "PROVINCIAL_MANAGER", "punjab"),
    ("police.pb", "Punjab police monitor", "POLICE_MONITOR", "punjab"),
    ("officer.lahore", "Lahore district officer", "DISTRICT_OFFICER", "lahore"),
    ("officer.karachi-south", "Karachi South district officer", "DISTRICT_OFFICER", "karachi"),
    ("worker.lahore.1", "Ayesha Khan", "CASE_WORKER", "lahore_community"),
]
# (district, sex, kind) -> cases opened in February 2026; Lahore's two girls are a small cell, and so are
# Karachi's three missing girls.
LABOUR, MISSING = "CHILD_LABOUR", "MISSING_CHILD"
CASES = {("lahore", "MALE", LABOUR): 8, ("lahore", "FEMALE", LABOUR): 2, ("multan", "MALE", LABOUR): 7}
CASES |= {("multan", "FEMALE", LABOUR): 6, ("karachi", "MALE", LABOUR): 9, ("karachi", "FEMALE", LABOUR): 7}
CASES |= {("karachi", "FEMALE", MISSING): 3}
# (district, direction, offence) -> incidents at its police station on 10 March 2026.
INCIDENTS = {("lahore", "BY_CHILD", "THEFT"): 6, ("lahore", "AGAINST_CHILD", "PHYSICAL_ABUSE"): 7}
INCIDENTS |= {("lahore", "AGAINST_CHILD", "LABOUR_EXPLOITATION"): 2, ("karachi", "BY_CHILD", "THEFT"): 8}
INCIDENTS |= {("karachi", "AGAINST_CHILD", "PHYSICAL_ABUSE"): 5}


async def make_guide_world(owner: asyncpg.Connection[Any], tokens: TokenService) -> World:
    """The small tree, a person in every role, police stations in Lahore and Karachi South with their
    incidents, a drop-in centre and a child in Lahore's community, 42 cases for the figures, and the
    ``dashboard`` API client of Lahore."""
    tree = await make_small_tree(owner)
    ministry = await make_organisation(owner, tree.nation, kind="MINISTRY")
    ids: dict[str, int] = {}
    for username, name, role, where in PEOPLE:
        ids[username] = await make_user(
            owner, role, getattr(tree, where), organisation_id=ministry, username=username
        )
        await owner.execute("UPDATE users SET display_name = $2 WHERE id = $1", ids[username], name)
    police = await make_organisation(owner, tree.nation, kind="POLICE")
    ngo = await make_organisation(owner, tree.lahore, kind="NGO_PARTNER")
    await owner.execute("UPDATE organisations SET name = 'Lahore Child Rights Forum' WHERE id = $1", ngo)
    places = [
        (tree.lahore, "POLICE_STATION", police, "Police Station Gulberg"),
        (tree.karachi, "POLICE_STATION", police, "Police Station Saddar"),
        (tree.lahore_community, "DROP_IN_CENTRE", ngo, "Drop-in Centre Shahdara"),
    ]
    stations: dict[str, int] = {}
    for place, kind, organisation, name in places:
        institution = await make_institution(owner, place, type=kind, organisation_id=organisation)
        await owner.execute("UPDATE institutions SET name = $2 WHERE id = $1", institution, name)
        stations[place.code] = institution
    for (district, direction, offence), count in INCIDENTS.items():
        where = getattr(tree, district)
        for _ in range(count):
            await owner.execute(
                "INSERT INTO incidents (police_station_id, direction, offence, occurred_on, jurisdiction_id, path)"
                " VALUES ($1, $2, $3, DATE '2026-03-10', $4, $5)",
                stations[where.code],
                direction,
                offence,
                where.id,
                where.path,
            )
    child = await make_child(owner, tree.lahore_community, age=11)
    await name_child(owner, child, "Bilal Ahmed")
    for (district, sex, kind), count in CASES.items():
        for _ in range(count):
            counted = await make_child(owner, getattr(tree, district), sex=sex)
            await make_case(owner, counted, getattr(tree, district), kind=kind)
    await make_api_client(
        owner,
        tree.lahore,
        organisation_id=ngo,
        created_by=ids["officer.lahore"],
        scopes=["cases:read", "children:read", "statistics:read"],
        secret=DASHBOARD_SECRET,
    )
    await owner.execute("UPDATE api_clients SET client_id = 'dashboard', name = 'Lahore dashboard'")
    return World({username: user_token(tokens, user_id) for username, user_id in ids.items()})


async def client_token(client: httpx.AsyncClient) -> str:
    """The ``dashboard`` client's access token, by the client-credentials grant the integrators' guide shows."""
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("dashboard", DASHBOARD_SECRET)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("guide", GUIDES)
async def test_every_graphql_example_of_the_guide_gives_its_documented_answer(
    guide: str, owner: asyncpg.Connection[Any], tokens: TokenService, client: httpx.AsyncClient
) -> None:
    world = await make_guide_world(owner, tokens)
    world.tokens["client dashboard"] = await client_token(client)
    answers: dict[str, Any] = {}
    wrong: list[str] = []
    for example in examples(guide):
        if example.runner not in world.tokens and example.runner != "anonymous":
            # A person an earlier example of the guide created.
            user_id = await owner.fetchval("SELECT id FROM users WHERE username = $1", example.runner)
            assert user_id is not None, f"{example}: who is {example.runner}?"
            world.tokens[example.runner] = user_token(tokens, user_id)
        token = world.tokens.get(example.runner)
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
        answers |= {
            root: value
            for root, value in (body.get("data") or {}).items()
            if value is not None and not (isinstance(value, dict) and value.get("errors"))
        }
    assert not wrong, "\n".join(wrong)


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
