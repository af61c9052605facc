"""A jurisdiction's code and place in the tree never change: the app's role may rename a node, nothing more.

This was already the rule (``updateJurisdiction`` renames; moving a node would move every record below it,
which nothing does), and the read path now relies on it: a process remembers the path of a ``withinCode``
once it has looked it up (:func:`registry.db.queries.paging.subtree_path`), which saves a statement on every
list filtered by a place. The database holds the rule itself, with column privileges: the app's role may
update a jurisdiction's ``name`` and ``name_ur`` only.

Revision ID: 0015
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from registry.db.roles import app_role

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMABLE = ("name", "name_ur")


def upgrade() -> None:
    role = app_role()
    op.execute(f"REVOKE UPDATE ON jurisdictions FROM {role}")
    op.execute(f"GRANT UPDATE ({', '.join(RENAMABLE)}) ON jurisdictions TO {role}")


def downgrade() -> None:
    role = app_role()
    op.execute(f"REVOKE UPDATE ({', '.join(RENAMABLE)}) ON jurisdictions FROM {role}")
    op.execute(f"GRANT UPDATE ON jurisdictions TO {role}")
