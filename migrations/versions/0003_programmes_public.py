"""Programmes are public administrative data, like organisations.

An intervention in a district names a programme that covers the whole province; the district's staff must
be able to read which programme that is. Writes stay inside the administrative scope.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from registry.db.roles import app_role

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(f"CREATE POLICY app_read ON programmes FOR SELECT TO {app_role()} USING (true)")


def downgrade() -> None:
    op.execute("DROP POLICY app_read ON programmes")
