"""Row-level security reads the transaction's scope once per statement, not once per row.

Each policy compares a row's path with the scope the request set (``registry.scope`` and the others: an
``lquery[]`` as text, or an id). Written inline, ``nullif(current_setting(...), '')::lquery[]`` is evaluated
for every row the policy looks at, and parsing the ``lquery[]`` text costs more than the match itself:
about 3 µs a row against 0.7 µs with the scope already parsed, so the 50 cases of a page with their
children, identities and institutions spent half a millisecond on it (the page statement went from 2.8 to
2.2 ms, median of 15 executions at scale 1). Wrapped in a scalar subquery, the same expression becomes an
initial plan, evaluated once per statement. The scope cannot change inside a statement (it is set by the
statement that authenticates the request, before any other), so every policy admits exactly the rows it
admitted before.

The policies are rewritten as PostgreSQL holds them, whichever migration made them: every setting cast to a
type (``(NULLIF(current_setting('registry.…'::text, true), ''::text))::<type>``) is wrapped, and nothing
else changes. A policy written by a later migration should wrap its settings the same way
(``tests/test_row_security_policies.py`` checks that none is left unwrapped).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A setting cast to a type, as PostgreSQL prints it back, not already inside a scalar subquery.
SETTING = re.compile(
    r"(?<!SELECT )\(NULLIF\(current_setting\('registry\.[a-z_]+'::text, true\), ''::text\)\)::[a-z]+(?:\[\])?"
)
WRAPPED = re.compile(
    r"\( SELECT (\(NULLIF\(current_setting\('registry\.[a-z_]+'::text, true\), ''::text\)\)::[a-z]+(?:\[\])?)"
    r" AS \"?[a-z_]+\"?\)"
)


def _rewrite(change: re.Pattern[str], replace: str) -> None:
    connection = op.get_bind()
    policies = connection.execute(
        sa.text(
            "SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies "
            "WHERE schemaname = current_schema() ORDER BY tablename, policyname"
        )
    ).all()
    for schema, table, name, using, check in policies:
        new_using = change.sub(replace, using) if using is not None else None
        new_check = change.sub(replace, check) if check is not None else None
        if new_using == using and new_check == check:
            continue
        clauses = []
        if new_using is not None:
            clauses.append(f"USING ({new_using})")
        if new_check is not None:
            clauses.append(f"WITH CHECK ({new_check})")
        op.execute(f'ALTER POLICY "{name}" ON "{schema}"."{table}" {" ".join(clauses)}')


def upgrade() -> None:
    _rewrite(SETTING, r"(SELECT \g<0>)")


def downgrade() -> None:
    _rewrite(WRAPPED, r"\1")
