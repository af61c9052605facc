"""The operator's commands: create people and clients, print tokens, revoke clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from tests.conftest import APP_ROLE, GraphQLClient, make_settings
from tests.factories import make_organisation, make_small_tree


def registry(database: URL, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    settings = make_settings()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env |= {
        "REGISTRY_DATABASE_URL": database.set(drivername="postgresql").render_as_string(hide_password=False),
        "REGISTRY_APP_DB_ROLE": APP_ROLE,
        "REGISTRY_SIGNING_KEYS_DIR": str(settings.keys_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "registry", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_an_operator_creates_a_person_and_a_client_and_prints_a_token(
    database: URL, owner: asyncpg.Connection[Any], graphql: GraphQLClient
) -> None:
    tree = await make_small_tree(owner)
    await make_organisation(owner, tree.punjab, kind="PROVINCIAL_DEPARTMENT")

    created = registry(
        database,
        "users",
        "create",
        "--username",
        "manager.pb",
        "--role",
        "PROVINCIAL_MANAGER",
        "--jurisdiction",
        "PK-PB",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    client = registry(
        database,
        "clients",
        "create",
        "--name",
        "NGO MIS",
        "--scopes",
        "cases:read children:read",
        "--jurisdiction",
        "PK-PB-LAHORE",
        "--created-by",
        "manager.pb",
    )
    too_wide = registry(
        database,
        "clients",
        "create",
        "--name",
        "Greedy",
        "--scopes",
        "audit:read",
        "--jurisdiction",
        "PK-PB",
        "--created-by",
        "manager.pb",
    )
    token = registry(database, "token", "--user", "manager.pb")

    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["role"] == "PROVINCIAL_MANAGER"
    assert client.returncode == 0, client.stderr
    issued = json.loads(client.stdout)
    assert issued["client_secret"].startswith("cprs_")
    assert await owner.fetchval("SELECT secret_hash FROM api_clients") != issued["client_secret"]
    assert too_wide.returncode == 1
    assert "cannot hold more than its creator" in too_wide.stderr
    assert token.returncode == 0, token.stderr
    viewer = await graphql.data("{ viewer { name grants { role } } }", token=token.stdout.strip())
    assert viewer["viewer"] == {"name": "manager.pb", "grants": [{"role": "PROVINCIAL_MANAGER"}]}
    assert await owner.fetchval("SELECT password_hash LIKE '$argon2id$%' FROM users") is True

    revoked = registry(database, "clients", "revoke", issued["client_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert await owner.fetchval("SELECT revoked_at IS NOT NULL FROM api_clients") is True


async def test_a_token_for_an_unknown_person_is_refused(database: URL) -> None:
    result = registry(database, "token", "--user", "nobody")

    assert result.returncode == 1
    assert "no user nobody" in result.stderr
