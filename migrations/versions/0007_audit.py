"""The audit trail: who changed or read a child's record, hash-chained so that tampering shows.

Requests append rows (the app role may INSERT and SELECT, nothing else) in the transaction of the work they
record. Chaining happens apart, so no request waits on a global lock: ``registry_seal_audit`` takes the
unsealed rows in id order, gives each the next ``chain_seq`` and ``hash = sha256(previous hash ||
canonical text of the row)``. A row that commits late (a lower id after higher ones were sealed) is simply
sealed in a later run, further along the chain. ``registry audit verify`` recomputes every hash in chain order
and names the first row that does not match; unsealed rows are reported as such.

The canonical text is built by one SQL function that sealing and verifying share; timestamps are written in
UTC so that the session's time zone cannot change it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.db.roles import app_role
from registry.db.types import Ltree

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADMIN = "nullif(current_setting('registry.admin_scope', true), '')::lquery[]"
PRINCIPAL = (
    "actor_kind = nullif(current_setting('registry.principal_kind', true), '')"
    " AND actor_id = nullif(current_setting('registry.principal_id', true), '')::bigint"
)

CANONICAL = """
CREATE FUNCTION registry_audit_canonical(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public AS $$
    SELECT jsonb_build_object(
        'id', e.id,
        'chain_seq', e.chain_seq,
        'occurred_at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'request_id', e.request_id,
        'client_address', e.client_address,
        'actor_kind', e.actor_kind,
        'actor_id', e.actor_id,
        'actor_name', e.actor_name,
        'organisation_id', e.organisation_id,
        'roles', to_jsonb(e.roles),
        'action', e.action,
        'records', e.records,
        'child_ids', to_jsonb(e.child_ids),
        'paths', to_jsonb(e.paths::text[])
    )::text
$$
"""

SEAL = """
CREATE FUNCTION registry_seal_audit(p_limit integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_seq bigint;
    v_hash bytea;
    v_prev bytea;
    v_row audit_events%ROWTYPE;
    v_count integer := 0;
BEGIN
    -- One sealer at a time; requests never take this lock.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('registry:audit:seal', 0)) THEN
        RETURN 0;
    END IF;
    SELECT chain_seq, hash INTO v_seq, v_hash FROM audit_events
        WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    v_seq := coalesce(v_seq, 0);
    FOR v_row IN
        SELECT * FROM audit_events WHERE chain_seq IS NULL ORDER BY id LIMIT p_limit FOR UPDATE
    LOOP
        v_seq := v_seq + 1;
        v_row.chain_seq := v_seq;
        v_prev := v_hash;
        v_hash := sha256(coalesce(v_prev, ''::bytea) || convert_to(registry_audit_canonical(v_row), 'UTF8'));
        UPDATE audit_events SET chain_seq = v_seq, prev_hash = v_prev, hash = v_hash, sealed_at = now()
            WHERE id = v_row.id;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END $$
"""


def upgrade() -> None:
    role = app_role()
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("records", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("child_ids", postgresql.ARRAY(sa.BigInteger()), server_default="{}", nullable=False),
        sa.Column("paths", postgresql.ARRAY(Ltree()), server_default="{}", nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=True),
        sa.Column("hash", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_audit_events_chain_seq")),
    )
    op.create_index(
        "ix_audit_events_unsealed", "audit_events", ["id"], postgresql_where=sa.text("chain_seq IS NULL")
    )
    op.create_index("ix_audit_events_child_ids", "audit_events", ["child_ids"], postgresql_using="gin")
    op.create_index("ix_audit_events_paths", "audit_events", ["paths"], postgresql_using="gist")
    op.create_index("ix_audit_events_actor", "audit_events", ["actor_kind", "actor_id", "id"])

    # Append-only for the app, enforced by the database: it may add rows and read them, nothing else.
    op.execute(f"GRANT SELECT, INSERT ON audit_events TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE audit_events_id_seq TO {role}")
    op.execute("ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_events FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY owner_all ON audit_events TO CURRENT_USER USING (true) WITH CHECK (true)")
    # Rows are added by their own actor, unsealed; read inside the administrative scope (rows about no
    # jurisdiction: by anyone signed in; the policy module narrows reads to auditors), or one's own.
    op.execute(
        f"CREATE POLICY app_insert ON audit_events FOR INSERT TO {role} WITH CHECK ({PRINCIPAL}"
        " AND chain_seq IS NULL AND prev_hash IS NULL AND hash IS NULL AND sealed_at IS NULL)"
    )
    op.execute(
        f"CREATE POLICY app_read ON audit_events FOR SELECT TO {role}"
        f" USING (paths ? {ADMIN} OR cardinality(paths) = 0 OR ({PRINCIPAL}))"
    )
    op.execute(CANONICAL)
    op.execute(SEAL)
    op.execute("REVOKE ALL ON FUNCTION registry_seal_audit(integer) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION registry_seal_audit(integer) TO {role}")


def downgrade() -> None:
    op.execute("DROP FUNCTION registry_seal_audit(integer)")
    op.execute("DROP FUNCTION registry_audit_canonical(audit_events)")
    op.drop_table("audit_events")
