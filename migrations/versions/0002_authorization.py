"""Authorization: OAuth state tables, and row-level security as the second wall.

Every table of jurisdiction-bound data gets FORCE ROW LEVEL SECURITY. The app's role sees a row only when
its path matches the scope set for the transaction (``registry.scope``, an ``lquery[]`` such as
``{1.2.*,1.5.17.*}``); dependent rows follow their parent. A missing or empty scope matches nothing: after a
transaction-local setting has been used, ``current_setting`` reads back ``''``, hence the ``nullif``. The
owner (who runs migrations, seeding and the CLI) keeps full access through its own policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:32:57.732439
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.db.roles import app_role

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TRUE = "true"
RECORDS = "nullif(current_setting('registry.scope', true), '')::lquery[]"
ADMIN = "nullif(current_setting('registry.admin_scope', true), '')::lquery[]"
USER_ID = "nullif(current_setting('registry.user_id', true), '')::bigint"

# Who may see a row. Child and case records need the record scope (caseworkers, officers, managers,
# police monitors); administrative rows (people, their roles, API clients, institutions) the scope of any
# role. Nation-wide analysts, auditors and administrators get no record scope at all.
ROW_SCOPES: dict[str, str] = {
    "households": f"path ? {RECORDS}",
    "children": f"path ? {RECORDS}",
    "child_identities": "EXISTS (SELECT 1 FROM children c WHERE c.id = child_id)",
    "guardians": "EXISTS (SELECT 1 FROM children c WHERE c.id = child_id)",
    "consents": "EXISTS (SELECT 1 FROM children c WHERE c.id = child_id)",
    "cases": f"path ? {RECORDS}",
    "case_events": "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)",
    "referrals": "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)",
    "transfers": f"from_path ? {RECORDS} OR to_path ? {RECORDS}",
    "incidents": f"path ? {RECORDS}",
    "placements": f"path ? {RECORDS}",
    "interventions": f"path ? {RECORDS}",
    "outcomes": f"path ? {RECORDS}",
    "institutions": f"path ? {ADMIN} OR path ? {RECORDS}",
    "programmes": f"path ? {ADMIN} OR path ? {RECORDS}",
    "role_assignments": f"path ? {ADMIN} OR user_id = {USER_ID}",
    "api_clients": f"path ? {ADMIN}",
    "users": (f"id = {USER_ID} OR EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.user_id = users.id)"),
}
# A person being created has no role yet: the policy module decides who may create one.
POLICY_EXTRA: dict[str, str] = {"users": "true"}
# Public administrative data, readable by anyone; changed only inside the administrative scope.
PUBLIC_READ: dict[str, str] = {
    "jurisdictions": f"path ? {ADMIN}",
    "organisations": f"path ? {ADMIN}",
}

FIND_LOGIN_FUNCTION = """
CREATE FUNCTION registry_find_login(p_username text)
RETURNS TABLE (id bigint, password_hash text, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT u.id, u.password_hash, u.active FROM users u WHERE lower(u.username) = lower(p_username)
$$
"""

FIND_CLIENT_FUNCTION = """
CREATE FUNCTION registry_find_api_client(p_client_id text)
RETURNS TABLE (id bigint, secret_hash text, scopes text[], revoked boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT c.id, c.secret_hash, c.scopes, c.revoked_at IS NOT NULL FROM api_clients c
    WHERE c.client_id = p_client_id
$$
"""


def enable_row_security(
    table: str, role: str, predicate: str, insert_check: str | None, *, read: str | None = None
) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
    if read is not None:
        op.execute(f"CREATE POLICY app_read ON {table} FOR SELECT TO {role} USING ({read})")
    check = f"({predicate}) OR ({insert_check})" if insert_check else predicate
    op.execute(f"CREATE POLICY app_scope ON {table} TO {role} USING ({predicate}) WITH CHECK ({check})")


# These run as the owner: they read who is signing in, or who a token's subject is, before any scope
# exists. ``registry_authenticate`` returns no row when the token was revoked, the person is disabled or
# the client revoked.
AUTHENTICATE_FUNCTION = """
CREATE FUNCTION registry_authenticate(p_kind text, p_id bigint, p_jti text)
RETURNS TABLE (name text, organisation_id bigint, created_by_id bigint, client_scopes text[],
               client_jurisdiction_id bigint, client_path text, assignments jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF p_jti IS NOT NULL AND EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = p_jti) THEN
        RETURN;
    END IF;
    IF p_kind = 'USER' THEN
        RETURN QUERY
        SELECT u.username::text, u.organisation_id, NULL::bigint, NULL::text[], NULL::bigint, NULL::text,
               coalesce((SELECT jsonb_agg(jsonb_build_object(
                            'role', ra.role, 'jurisdiction_id', ra.jurisdiction_id, 'path', ra.path::text))
                         FROM role_assignments ra WHERE ra.user_id = u.id), '[]'::jsonb)
        FROM users u WHERE u.id = p_id AND u.active;
    ELSIF p_kind = 'CLIENT' THEN
        RETURN QUERY
        SELECT c.name::text, c.organisation_id, c.created_by_id, c.scopes, c.jurisdiction_id, c.path::text,
               coalesce((SELECT jsonb_agg(jsonb_build_object(
                            'role', ra.role, 'jurisdiction_id', ra.jurisdiction_id, 'path', ra.path::text))
                         FROM role_assignments ra JOIN users u ON u.id = ra.user_id
                         WHERE ra.user_id = c.created_by_id AND u.active), '[]'::jsonb)
        FROM api_clients c WHERE c.id = p_id AND c.revoked_at IS NULL;
    END IF;
END $$
"""


SUBJECT_FUNCTION = """
CREATE FUNCTION registry_user_for_subject(p_subject text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT u.id FROM users u WHERE u.external_subject = p_subject
$$
"""

FUNCTIONS = {
    "registry_user_for_subject(text)": SUBJECT_FUNCTION,
    "registry_authenticate(text, bigint, text)": AUTHENTICATE_FUNCTION,
    "registry_find_login(text)": FIND_LOGIN_FUNCTION,
    "registry_find_api_client(text)": FIND_CLIENT_FUNCTION,
}


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "oauth_apps",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_apps_client_id")),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["oauth_apps.id"], name=op.f("fk_authorization_codes_app_id")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_authorization_codes_user_id")),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["oauth_apps.id"], name=op.f("fk_refresh_tokens_app_id")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"], unique=False)

    role = app_role()
    for table in ("oauth_apps", "authorization_codes", "refresh_tokens", "revoked_tokens"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {role}")
    op.execute(f"GRANT DELETE ON authorization_codes, revoked_tokens TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")

    for table, predicate in ROW_SCOPES.items():
        enable_row_security(table, role, predicate, POLICY_EXTRA.get(table))
    for table, predicate in PUBLIC_READ.items():
        enable_row_security(table, role, predicate, None, read=TRUE)
    for signature, definition in FUNCTIONS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    for table in [*ROW_SCOPES, *PUBLIC_READ]:
        op.execute(f"DROP POLICY app_scope ON {table}")
        op.execute(f"DROP POLICY owner_all ON {table}")
        if table in PUBLIC_READ:
            op.execute(f"DROP POLICY app_read ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("authorization_codes")
    op.drop_table("revoked_tokens")
    op.drop_table("oauth_apps")
