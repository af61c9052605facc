"""Row-level security's policies read the transaction's scope once per statement, and still admit exactly
the rows of that scope."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from registry.db.migrate import migrate
from registry.db.seed.loader import connect_owner
from registry.db.server import app_url_for
from tests.conftest import APP_ROLE, make_settings
from tests.factories import make_child, make_small_tree

SETTING = re.compile(r"current_setting\('registry\.[a-z_]+'::text, true\)")
# A setting parsed into a type, inside a scalar subquery (an initial plan: once per statement).
ONCE = re.compile(
    r"\( SELECT \(NULLIF\(current_setting\('registry\.[a-z_]+'::text, true\), ''::text\)\)::[a-z]+(?:\[\])?"
    r" AS \"?[a-z_]+\"?\)"
)
# A setting used as text, compared as it is: nothing to parse per row.
AS_TEXT = re.compile(r"= NULLIF\(current_setting\('registry\.[a-z_]+'::text, true\), ''::text\)")


async def policy_expressions(connection: asyncpg.Connection[Any]) -> list[tuple[str, str, str]]:
    rows = await connection.fetch(
        "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'"
    )
    return [
        (row["tablename"], row["policyname"], expression)
        for row in rows
        for expression in (row["qual"], row["with_check"])
        if expression is not None
    ]


def settings_read_per_row(expression: str) -> list[str]:
    """The settings an expression parses for every row it looks at."""
    left = AS_TEXT.sub("", ONCE.sub("", expression))
    return SETTING.findall(left)


async def test_no_policy_parses_the_scope_for_every_row(owner: asyncpg.Connection[Any]) -> None:
    expressions = await policy_expressions(owner)
    assert any(SETTING.search(expression) for _, _, expression in expressions)

    per_row = {
        (table, policy): found
        for table, policy, expression in expressions
        if (found := settings_read_per_row(expression))
    }

    assert per_row == {}


async def test_the_scope_is_read_once_per_statement_in_the_plan(
    owner: asyncpg.Connection[Any], database: URL
) -> None:
    tree = await make_small_tree(owner)
    for _ in range(3):
        await make_child(owner, tree.lahore)
    as_app = await connect_owner(app_url_for(database, make_settings()))
    try:
        async with as_app.transaction():
            await as_app.execute("SELECT set_config('registry.scope', $1, true)", f"{{{tree.lahore.path}.*}}")
            plan = "\n".join(
                row[0] for row in await as_app.fetch("EXPLAIN (ANALYZE, TIMING OFF) SELECT id FROM children")
            )
            seen = await as_app.fetchval("SELECT count(*) FROM children")
    finally:
        await as_app.close()

    assert "InitPlan" in plan, plan
    assert seen == 3


def revision_before_wrapping() -> str:
    """The revision the wrapping migration follows (downgrading to it unwraps the policies)."""
    (path,) = (Path(__file__).parents[1] / "migrations" / "versions").glob("*_row_security_scope_once.py")
    spec = importlib.util.spec_from_file_location("row_security_scope_once", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.down_revision)


async def test_downgrade_restores_the_policies_and_upgrade_wraps_them_again(
    owner: asyncpg.Connection[Any], database: URL
) -> None:
    wrapped = sorted(await policy_expressions(owner))

    await migrate(database, app_db_role=APP_ROLE, revision=revision_before_wrapping(), downgrade=True)
    inline = sorted(await policy_expressions(owner))
    await migrate(database, app_db_role=APP_ROLE)

    assert any(settings_read_per_row(expression) for _, _, expression in inline)
    assert [(t, p, ONCE.sub("X", e)) for t, p, e in wrapped] != [(t, p, e) for t, p, e in inline]
    assert sorted(await policy_expressions(owner)) == wrapped
