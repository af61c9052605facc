"""Case management: idempotency keys for creating mutations, and the recorded history of identity corrections.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.db.roles import app_role

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRINCIPAL = (
    "principal_kind = nullif(current_setting('registry.principal_kind', true), '')"
    " AND principal_id = nullif(current_setting('registry.principal_id', true), '')::bigint"
)


def upgrade() -> None:
    role = app_role()
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("result_type", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "principal_kind",
            "principal_id",
            "key",
            name=op.f("uq_idempotency_keys_principal_kind_principal_id_key"),
        ),
        sa.CheckConstraint("length(key) BETWEEN 8 AND 100", name=op.f("ck_idempotency_keys_key_length")),
    )
    op.create_table(
        "child_identity_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("previous", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("changed_by_client_id", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_identity_history_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["users.id"],
            name=op.f("fk_child_identity_history_changed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_client_id"],
            ["api_clients.id"],
            name=op.f("fk_child_identity_history_changed_by_client_id_api_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_identity_history")),
    )
    op.create_index("ix_child_identity_history_child_id", "child_identity_history", ["child_id", "version"])

    # Append-only for the app: it may read and add, never change or remove.
    op.execute(f"GRANT SELECT, INSERT ON idempotency_keys, child_identity_history TO {role}")
    op.execute(
        f"GRANT USAGE, SELECT ON SEQUENCE idempotency_keys_id_seq, child_identity_history_id_seq TO {role}"
    )
    for table, predicate in (
        ("idempotency_keys", PRINCIPAL),
        ("child_identity_history", "EXISTS (SELECT 1 FROM children c WHERE c.id = child_id)"),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(
            f"CREATE POLICY app_scope ON {table} TO {role} USING ({predicate}) WITH CHECK ({predicate})"
        )


def downgrade() -> None:
    op.drop_table("child_identity_history")
    op.drop_table("idempotency_keys")
