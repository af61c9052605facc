"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:48:48.645520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

from registry.db.roles import app_role
from registry.db.types import Ltree

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Native enum types are created once, up front; columns refer to them without creating them again.
ENUMS: dict[str, tuple[str, ...]] = {
    "jurisdiction_level": (
        "NATIONAL",
        "PROVINCIAL",
        "DIVISIONAL",
        "DISTRICT",
        "TEHSIL",
        "COMMUNITY",
    ),
    "organisation_kind": (
        "MINISTRY",
        "PROVINCIAL_DEPARTMENT",
        "DISTRICT_OFFICE",
        "POLICE",
        "NGO_PARTNER",
        "INTERNATIONAL_AGENCY",
    ),
    "sex": (
        "FEMALE",
        "MALE",
        "TRANSGENDER",
        "UNKNOWN",
    ),
    "institution_type": (
        "POLICE_STATION",
        "CHILD_PROTECTION_CENTRE",
        "OBSERVATION_HOME",
        "JUVENILE_REHABILITATION_CENTRE",
        "PRISON",
        "CHILD_PROTECTION_INSTITUTION",
        "SHELTER",
        "DROP_IN_CENTRE",
        "OUTREACH_LEARNING_POINT",
        "VOCATIONAL_CENTRE",
        "SCHOOL",
        "HEALTH_FACILITY",
    ),
    "case_kind": (
        "CHILD_LABOUR",
        "CHILD_VICTIM",
        "CHILD_IN_CONFLICT_WITH_LAW",
        "CHILD_AT_RISK",
        "MISSING_CHILD",
    ),
    "case_stage": (
        "REGISTERED",
        "ASSESSED",
        "CASE_PLAN",
        "IMPLEMENTATION",
        "REVIEW",
        "CLOSED",
        "REOPENED",
    ),
    "risk_level": (
        "HIGH",
        "MEDIUM",
        "LOW",
    ),
    "guardian_relationship": (
        "MOTHER",
        "FATHER",
        "GRANDPARENT",
        "SIBLING",
        "UNCLE_AUNT",
        "OTHER_RELATIVE",
        "LEGAL_GUARDIAN",
        "CAREGIVER",
    ),
    "role": (
        "NATIONAL_ANALYST",
        "SYSTEM_ADMIN",
        "PROVINCIAL_MANAGER",
        "DISTRICT_OFFICER",
        "CASE_WORKER",
        "POLICE_MONITOR",
        "AUDITOR",
    ),
    "case_event_type": (
        "OPENED",
        "STAGE_CHANGED",
        "ASSIGNED",
        "RISK_CHANGED",
        "NOTE_ADDED",
        "CONSENT_RECORDED",
        "CONSENT_WITHDRAWN",
        "REFERRAL_MADE",
        "REFERRAL_RESPONDED",
        "TRANSFER_REQUESTED",
        "TRANSFER_ACCEPTED",
        "TRANSFER_REJECTED",
        "INCIDENT_RECORDED",
        "PLACEMENT_STARTED",
        "PLACEMENT_ENDED",
        "INTERVENTION_RECORDED",
        "OUTCOME_RECORDED",
    ),
    "consent_purpose": (
        "REGISTRATION",
        "DATA_SHARING",
        "REFERRAL",
    ),
    "consent_giver": (
        "CHILD_ASSENT",
        "GUARDIAN",
    ),
    "incident_direction": (
        "BY_CHILD",
        "AGAINST_CHILD",
    ),
    "offence_category": (
        "THEFT",
        "ROBBERY",
        "ASSAULT",
        "HOMICIDE",
        "DRUG_OFFENCE",
        "SEXUAL_ABUSE",
        "PHYSICAL_ABUSE",
        "KIDNAPPING_ABDUCTION",
        "TRAFFICKING",
        "CHILD_MARRIAGE",
        "LABOUR_EXPLOITATION",
        "BEGGING_EXPLOITATION",
        "CYBER_CRIME",
        "PUBLIC_ORDER",
        "OTHER",
    ),
    "intervention_type": (
        "NON_FORMAL_EDUCATION",
        "FORMAL_SCHOOL_ENROLMENT",
        "VOCATIONAL_TRAINING",
        "FAMILY_INCOME_SUPPORT",
        "MICROFINANCE",
        "COOPERATIVE_MEMBERSHIP",
        "HEALTH_EDUCATION",
        "LIFE_SKILLS",
        "PSYCHOSOCIAL_SUPPORT",
        "LEGAL_AID",
        "FAMILY_TRACING_REUNIFICATION",
        "MEDICAL_CARE",
        "SHELTER_CARE",
    ),
    "intervention_recipient": (
        "CHILD",
        "PARENT",
        "HOUSEHOLD",
    ),
    "placement_kind": (
        "ARREST",
        "POLICE_CUSTODY",
        "CHILD_PROTECTION_CENTRE",
        "OBSERVATION_HOME",
        "JUVENILE_REHABILITATION",
        "PRISON",
        "SHELTER",
        "ALTERNATIVE_CARE",
    ),
    "placement_end_reason": (
        "RELEASED_ON_BAIL",
        "RELEASED_TO_FAMILY",
        "DIVERTED",
        "ACQUITTED",
        "SENTENCE_COMPLETED",
        "TRANSFERRED",
        "OTHER",
    ),
    "referral_status": (
        "PENDING",
        "ACCEPTED",
        "DECLINED",
        "COMPLETED",
    ),
    "transfer_status": (
        "REQUESTED",
        "ACCEPTED",
        "REJECTED",
        "CANCELLED",
    ),
    "outcome_type": (
        "MAINSTREAMED_INTO_FORMAL_SCHOOL",
        "WITHDRAWN_FROM_HAZARDOUS_WORK",
        "REUNIFIED_WITH_FAMILY",
        "DIVERTED_FROM_JUSTICE_SYSTEM",
        "RELEASED_FROM_DETENTION",
        "FOUND",
        "COMPLETED_VOCATIONAL_TRAINING",
        "PLACED_IN_ALTERNATIVE_CARE",
    ),
}


def enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


# The API's login role may read and write these; it never owns them. Rows are not deleted by the API
# (closure, withdrawal and revocation are recorded instead), except a person's role assignments and a
# child's guardian entries, which are corrected by removal.
APP_DELETABLE = ("role_assignments", "guardians")
# Append-only: the API may add events, never change or remove them.
APP_APPEND_ONLY = ("case_events",)


def create_app_role(role: str) -> None:
    """Create the login role if missing; refuse to go on if an existing one could bypass security."""
    op.execute(
        f"""
        DO $$
        DECLARE r pg_roles;
        BEGIN
            SELECT * INTO r FROM pg_roles WHERE rolname = '{role}';
            IF NOT FOUND THEN
                CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
            ELSIF r.rolsuper OR r.rolbypassrls THEN
                RAISE EXCEPTION 'role % must be neither superuser nor BYPASSRLS', '{role}';
            END IF;
        END $$
        """
    )
    password = context.config.attributes.get("app_db_password")
    if password:
        literal = "'" + str(password).replace("'", "''") + "'"
        op.execute(f"ALTER ROLE {role} PASSWORD {literal}")


def grant_app_role() -> None:
    role = app_role()
    create_app_role(role)
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    for table in APP_DELETABLE:
        op.execute(f"GRANT DELETE ON {table} TO {role}")
    for table in APP_APPEND_ONLY:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}")


def revoke_app_role() -> None:
    role = app_role()
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
        f"EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}'; "
        f"EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}'; "
        f"EXECUTE 'REVOKE USAGE ON SCHEMA public FROM {role}'; END IF; END $$"
    )


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS ltree")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, labels in ENUMS.items():
        postgresql.ENUM(*labels, name=name).create(op.get_bind(), checkfirst=False)

    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_ur", sa.String(length=200), nullable=True),
        sa.Column("level", enum("jurisdiction_level"), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "(level = 'NATIONAL') = (parent_id IS NULL)", name=op.f("ck_jurisdictions_root_is_national")
        ),
        sa.CheckConstraint("code ~ '^[A-Z]{2}(-[A-Z0-9]+)*$'", name=op.f("ck_jurisdictions_code_format")),
        sa.CheckConstraint(
            "subpath(path, -1) = id::text::ltree", name=op.f("ck_jurisdictions_path_ends_with_id")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["jurisdictions.id"], name=op.f("fk_jurisdictions_parent_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jurisdictions")),
        sa.UniqueConstraint("code", name=op.f("uq_jurisdictions_code")),
        sa.UniqueConstraint("id", "path", name="uq_jurisdictions_id_path"),
        sa.UniqueConstraint("path", name=op.f("uq_jurisdictions_path")),
    )
    op.create_index("ix_jurisdictions_level", "jurisdictions", ["level"], unique=False)
    op.create_index("ix_jurisdictions_parent_id", "jurisdictions", ["parent_id"], unique=False)
    op.create_index(
        "ix_jurisdictions_path_gist", "jurisdictions", ["path"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "households",
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("size BETWEEN 1 AND 100", name=op.f("ck_households_size_range")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_households_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("reference", name=op.f("uq_households_reference")),
    )
    op.create_index("ix_households_path", "households", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "organisations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", enum("organisation_kind"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_organisations_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
    )
    op.create_index("ix_organisations_path", "organisations", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "children",
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column("sex", enum("sex"), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("age_at_registration", sa.SmallInteger(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("identity_restricted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "age_at_registration BETWEEN 0 AND 17", name=op.f("ck_children_under_18_at_registration")
        ),
        sa.CheckConstraint(
            "extract(year FROM registered_on)::int - birth_year BETWEEN age_at_registration AND age_at_registration + 1",
            name=op.f("ck_children_birth_year_matches_age"),
        ),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"], name=op.f("fk_children_household_id")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_children_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    op.create_index("ix_children_household_id", "children", ["household_id"], unique=False)
    op.create_index("ix_children_jurisdiction_id", "children", ["jurisdiction_id", "id"], unique=False)
    op.create_index("ix_children_path", "children", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "institutions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", enum("institution_type"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_institutions_capacity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_institutions_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_institutions_organisation_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("code", name=op.f("uq_institutions_code")),
        sa.UniqueConstraint("id", "type", name="uq_institutions_id_type"),
    )
    op.create_index("ix_institutions_organisation_id", "institutions", ["organisation_id"], unique=False)
    op.create_index("ix_institutions_path", "institutions", ["path"], unique=False, postgresql_using="gist")
    op.create_index(
        "ix_institutions_type_jurisdiction", "institutions", ["type", "jurisdiction_id"], unique=False
    )
    op.create_table(
        "programmes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_programmes_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_programmes_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_programmes_organisation_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_programmes_code")),
    )
    op.create_index("ix_programmes_path", "programmes", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("external_subject", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("username ~ '^[a-z0-9][a-z0-9._-]*$'", name=op.f("ck_users_username_format")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_users_organisation_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("external_subject", name=op.f("uq_users_external_subject")),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"], unique=False)
    op.create_index("uq_users_username_lower", "users", [sa.literal_column("lower(username)")], unique=True)
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.CheckConstraint("cardinality(scopes) > 0", name=op.f("ck_api_clients_has_scopes")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_clients_created_by_id")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_api_clients_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_api_clients_organisation_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_clients_client_id")),
    )
    op.create_index("ix_api_clients_organisation_id", "api_clients", ["organisation_id"], unique=False)
    op.create_index("ix_api_clients_path", "api_clients", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "cases",
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", enum("case_kind"), nullable=False),
        sa.Column("stage", enum("case_stage"), nullable=False),
        sa.Column("risk_level", enum("risk_level"), nullable=False),
        sa.Column("assigned_to_id", sa.BigInteger(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(stage = 'CLOSED') = (closed_at IS NOT NULL)", name=op.f("ck_cases_closed_iff_closed_at")
        ),
        sa.CheckConstraint(
            "stage <> 'CLOSED' OR closure_reason IS NOT NULL", name=op.f("ck_cases_closure_has_reason")
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= opened_at", name=op.f("ck_cases_closed_after_opened")
        ),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["users.id"], name=op.f("fk_cases_assigned_to_id")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_cases_child_id")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_cases_institution_id")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_cases_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    op.create_index(
        "ix_cases_assigned_to_id",
        "cases",
        ["assigned_to_id"],
        unique=False,
        postgresql_where=sa.text("assigned_to_id IS NOT NULL"),
    )
    op.create_index("ix_cases_child_id", "cases", ["child_id"], unique=False)
    op.create_index(
        "ix_cases_institution_id",
        "cases",
        ["institution_id"],
        unique=False,
        postgresql_where=sa.text("institution_id IS NOT NULL"),
    )
    op.create_index(
        "ix_cases_jurisdiction_open",
        "cases",
        ["jurisdiction_id", "opened_at", "id"],
        unique=False,
        postgresql_where=sa.text("stage <> 'CLOSED'"),
    )
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"], unique=False)
    op.create_index("ix_cases_path", "cases", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "child_identities",
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("given_name", sa.String(length=150), nullable=True),
        sa.Column("family_name", sa.String(length=150), nullable=True),
        sa.Column("father_name", sa.String(length=300), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("date_of_birth_estimated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("identity_number_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("identity_number_key_id", sa.String(length=32), nullable=True),
        sa.Column("identity_number_blind_index", sa.LargeBinary(), nullable=True),
        sa.Column("place_of_birth", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "date_of_birth IS NULL OR date_of_birth >= DATE '1990-01-01'",
            name=op.f("ck_child_identities_dob_plausible"),
        ),
        sa.CheckConstraint(
            "(identity_number_ciphertext IS NULL) = (identity_number_blind_index IS NULL) AND (identity_number_ciphertext IS NULL) = (identity_number_key_id IS NULL)",
            name=op.f("ck_child_identities_identity_number_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_identities_child_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_child_identities")),
        sa.UniqueConstraint(
            "identity_number_blind_index", name=op.f("uq_child_identities_identity_number_blind_index")
        ),
    )
    op.create_index(
        "ix_child_identities_full_name_trgm",
        "child_identities",
        ["full_name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"full_name": "gin_trgm_ops"},
    )
    op.create_table(
        "guardians",
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("relationship", enum("guardian_relationship"), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("is_primary", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_guardians_child_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardians")),
    )
    op.create_index("ix_guardians_child_id", "guardians", ["child_id"], unique=False)
    op.create_index(
        "uq_guardians_primary_per_child",
        "guardians",
        ["child_id"],
        unique=True,
        postgresql_where="is_primary",
    )
    op.create_table(
        "role_assignments",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", enum("role"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_role_assignments_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_role_assignments_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
        sa.UniqueConstraint(
            "user_id", "role", "jurisdiction_id", name="uq_role_assignments_user_role_jurisdiction"
        ),
    )
    op.create_index(
        "ix_role_assignments_path", "role_assignments", ["path"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "case_events",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("type", enum("case_event_type"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_client_id", sa.BigInteger(), nullable=True),
        sa.Column("from_stage", enum("case_stage"), nullable=True),
        sa.Column("to_stage", enum("case_stage"), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "type <> 'STAGE_CHANGED' OR (from_stage IS NOT NULL AND to_stage IS NOT NULL)",
            name=op.f("ck_case_events_stage_change_has_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_client_id"], ["api_clients.id"], name=op.f("fk_case_events_actor_client_id")
        ),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_case_events_actor_user_id")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(
        "ix_case_events_case_id_occurred_at",
        "case_events",
        ["case_id", sa.literal_column("occurred_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_table(
        "consents",
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("purpose", enum("consent_purpose"), nullable=False),
        sa.Column("given_by", enum("consent_giver"), nullable=False),
        sa.Column("guardian_id", sa.BigInteger(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "given_by <> 'GUARDIAN' OR guardian_id IS NOT NULL", name=op.f("ck_consents_guardian_named")
        ),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_at >= given_at", name=op.f("ck_consents_withdrawn_after_given")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_consents_case_id")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_consents_child_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["guardian_id"], ["guardians.id"], name=op.f("fk_consents_guardian_id")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_consents_recorded_by_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_case_id", "consents", ["case_id"], unique=False)
    op.create_index(
        "ix_consents_guardian_id",
        "consents",
        ["guardian_id"],
        unique=False,
        postgresql_where=sa.text("guardian_id IS NOT NULL"),
    )
    op.create_index("ix_consents_child_id", "consents", ["child_id", "purpose"], unique=False)
    op.create_table(
        "incidents",
        sa.Column("police_station_id", sa.BigInteger(), nullable=False),
        sa.Column("station_type", enum("institution_type"), server_default="POLICE_STATION", nullable=False),
        sa.Column("direction", enum("incident_direction"), nullable=False),
        sa.Column("offence", enum("offence_category"), nullable=False),
        sa.Column("offence_section", sa.String(length=64), nullable=True),
        sa.Column("fir_number", sa.String(length=64), nullable=True),
        sa.Column("child_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("station_type = 'POLICE_STATION'", name=op.f("ck_incidents_at_police_station")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incidents_case_id")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_incidents_child_id")),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_incidents_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["police_station_id", "station_type"],
            ["institutions.id", "institutions.type"],
            name="fk_incidents_police_station",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_incidents_recorded_by_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        "ix_incidents_case_id",
        "incidents",
        ["case_id"],
        unique=False,
        postgresql_where=sa.text("case_id IS NOT NULL"),
    )
    op.create_index(
        "ix_incidents_child_id",
        "incidents",
        ["child_id"],
        unique=False,
        postgresql_where=sa.text("child_id IS NOT NULL"),
    )
    op.create_index("ix_incidents_occurred_on", "incidents", ["occurred_on"], unique=False)
    op.create_index("ix_incidents_path", "incidents", ["path"], unique=False, postgresql_using="gist")
    op.create_index(
        "ix_incidents_station_direction_date",
        "incidents",
        ["police_station_id", "direction", "occurred_on"],
        unique=False,
    )
    op.create_table(
        "interventions",
        sa.Column("type", enum("intervention_type"), nullable=False),
        sa.Column("recipient", enum("intervention_recipient"), nullable=False),
        sa.Column("programme_id", sa.BigInteger(), nullable=True),
        sa.Column("child_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.CheckConstraint(
            "(recipient = 'CHILD') = (child_id IS NOT NULL) AND (recipient = 'CHILD' OR household_id IS NOT NULL)",
            name=op.f("ck_interventions_recipient_matches"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_interventions_ends_after_start")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_interventions_case_id")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_interventions_child_id")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_interventions_household_id")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_interventions_institution_id")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_interventions_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_interventions_programme_id")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_interventions_recorded_by_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interventions")),
    )
    op.create_index("ix_interventions_case_id", "interventions", ["case_id"], unique=False)
    op.create_index("ix_interventions_child_id", "interventions", ["child_id"], unique=False)
    op.create_index("ix_interventions_household_id", "interventions", ["household_id"], unique=False)
    op.create_index("ix_interventions_path", "interventions", ["path"], unique=False, postgresql_using="gist")
    op.create_index("ix_interventions_programme_id", "interventions", ["programme_id"], unique=False)
    op.create_index("ix_interventions_institution_id", "interventions", ["institution_id"], unique=False)
    op.create_table(
        "placements",
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", enum("placement_kind"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", enum("placement_end_reason"), nullable=True),
        sa.Column("segregated_from_adults", sa.Boolean(), nullable=False),
        sa.Column("psychosocial_support", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (end_reason IS NULL)", name=op.f("ck_placements_end_has_reason")
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at > started_at", name=op.f("ck_placements_ends_after_start")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_placements_case_id")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_placements_child_id")),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_placements_institution_id")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_placements_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_placements_recorded_by_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    op.create_index(
        "ix_placements_case_id",
        "placements",
        ["case_id"],
        unique=False,
        postgresql_where=sa.text("case_id IS NOT NULL"),
    )
    op.create_index("ix_placements_child_id", "placements", ["child_id"], unique=False)
    op.create_index(
        "ix_placements_institution_open",
        "placements",
        ["institution_id"],
        unique=False,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_placements_path", "placements", ["path"], unique=False, postgresql_using="gist")
    op.create_table(
        "referrals",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("service", enum("intervention_type"), nullable=False),
        sa.Column("to_institution_id", sa.BigInteger(), nullable=True),
        sa.Column("to_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("status", enum("referral_status"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_id", sa.BigInteger(), nullable=True),
        sa.Column("responded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(status = 'PENDING') = (responded_at IS NULL)",
            name=op.f("ck_referrals_responded_iff_not_pending"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(to_institution_id, to_organisation_id) >= 1",
            name=op.f("ck_referrals_has_recipient"),
        ),
        sa.CheckConstraint(
            "responded_at IS NULL OR responded_at >= requested_at",
            name=op.f("ck_referrals_responded_after_requested"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_referrals_requested_by_id")),
        sa.ForeignKeyConstraint(["responded_by_id"], ["users.id"], name=op.f("fk_referrals_responded_by_id")),
        sa.ForeignKeyConstraint(
            ["to_institution_id"], ["institutions.id"], name=op.f("fk_referrals_to_institution_id")
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"], ["organisations.id"], name=op.f("fk_referrals_to_organisation_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"], unique=False)
    op.create_index(
        "ix_referrals_to_institution_id", "referrals", ["to_institution_id", "status"], unique=False
    )
    op.create_table(
        "transfers",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("from_jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("from_path", Ltree(), nullable=False),
        sa.Column("to_jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("to_path", Ltree(), nullable=False),
        sa.Column("status", enum("transfer_status"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("response_note", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_id", sa.BigInteger(), nullable=True),
        sa.Column("responded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(status = 'REQUESTED') = (responded_at IS NULL)",
            name=op.f("ck_transfers_responded_iff_answered"),
        ),
        sa.CheckConstraint(
            "from_jurisdiction_id <> to_jurisdiction_id", name=op.f("ck_transfers_moves_somewhere")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_transfers_case_id")),
        sa.ForeignKeyConstraint(
            ["from_jurisdiction_id", "from_path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_transfers_from_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_transfers_requested_by_id")),
        sa.ForeignKeyConstraint(["responded_by_id"], ["users.id"], name=op.f("fk_transfers_responded_by_id")),
        sa.ForeignKeyConstraint(
            ["to_jurisdiction_id", "to_path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_transfers_to_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_case_id", "transfers", ["case_id"], unique=False)
    op.create_index(
        "ix_transfers_from_path", "transfers", ["from_path"], unique=False, postgresql_using="gist"
    )
    op.create_index("ix_transfers_to_path", "transfers", ["to_path"], unique=False, postgresql_using="gist")
    op.create_index(
        "uq_transfers_open_per_case",
        "transfers",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("status = 'REQUESTED'"),
    )
    op.create_table(
        "outcomes",
        sa.Column("type", enum("outcome_type"), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("intervention_id", sa.BigInteger(), nullable=True),
        sa.Column("achieved_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("jurisdiction_id", sa.BigInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_outcomes_case_id")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_outcomes_child_id")),
        sa.ForeignKeyConstraint(
            ["intervention_id"], ["interventions.id"], name=op.f("fk_outcomes_intervention_id")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id", "path"],
            ["jurisdictions.id", "jurisdictions.path"],
            name="fk_outcomes_jurisdiction_path",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_outcomes_recorded_by_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index("ix_outcomes_case_id", "outcomes", ["case_id"], unique=False)
    op.create_index("ix_outcomes_child_id", "outcomes", ["child_id"], unique=False)
    op.create_index("ix_outcomes_path", "outcomes", ["path"], unique=False, postgresql_using="gist")

    grant_app_role()


def downgrade() -> None:
    revoke_app_role()
    op.drop_index("ix_outcomes_path", table_name="outcomes", postgresql_using="gist")
    op.drop_index("ix_outcomes_child_id", table_name="outcomes")
    op.drop_index("ix_outcomes_case_id", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_index(
        "uq_transfers_open_per_case", table_name="transfers", postgresql_where=sa.text("status = 'REQUESTED'")
    )
    op.drop_index("ix_transfers_to_path", table_name="transfers", postgresql_using="gist")
    op.drop_index("ix_transfers_from_path", table_name="transfers", postgresql_using="gist")
    op.drop_index("ix_transfers_case_id", table_name="transfers")
    op.drop_table("transfers")
    op.drop_index("ix_referrals_to_institution_id", table_name="referrals")
    op.drop_index("ix_referrals_case_id", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_placements_path", table_name="placements", postgresql_using="gist")
    op.drop_index(
        "ix_placements_institution_open",
        table_name="placements",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index("ix_placements_child_id", table_name="placements")
    op.drop_index(
        "ix_placements_case_id", table_name="placements", postgresql_where=sa.text("case_id IS NOT NULL")
    )
    op.drop_table("placements")
    op.drop_index("ix_interventions_programme_id", table_name="interventions")
    op.drop_index("ix_interventions_institution_id", table_name="interventions")
    op.drop_index("ix_interventions_path", table_name="interventions", postgresql_using="gist")
    op.drop_index("ix_interventions_household_id", table_name="interventions")
    op.drop_index("ix_interventions_child_id", table_name="interventions")
    op.drop_index("ix_interventions_case_id", table_name="interventions")
    op.drop_table("interventions")
    op.drop_index("ix_incidents_station_direction_date", table_name="incidents")
    op.drop_index("ix_incidents_path", table_name="incidents", postgresql_using="gist")
    op.drop_index("ix_incidents_occurred_on", table_name="incidents")
    op.drop_index(
        "ix_incidents_child_id", table_name="incidents", postgresql_where=sa.text("child_id IS NOT NULL")
    )
    op.drop_index(
        "ix_incidents_case_id", table_name="incidents", postgresql_where=sa.text("case_id IS NOT NULL")
    )
    op.drop_table("incidents")
    op.drop_index("ix_consents_child_id", table_name="consents")
    op.drop_index("ix_consents_case_id", table_name="consents")
    op.drop_index("ix_consents_guardian_id", table_name="consents")
    op.drop_table("consents")
    op.drop_index("ix_case_events_case_id_occurred_at", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_role_assignments_path", table_name="role_assignments", postgresql_using="gist")
    op.drop_table("role_assignments")
    op.drop_index("uq_guardians_primary_per_child", table_name="guardians", postgresql_where="is_primary")
    op.drop_index("ix_guardians_child_id", table_name="guardians")
    op.drop_table("guardians")
    op.drop_index(
        "ix_child_identities_full_name_trgm",
        table_name="child_identities",
        postgresql_using="gin",
        postgresql_ops={"full_name": "gin_trgm_ops"},
    )
    op.drop_table("child_identities")
    op.drop_index("ix_cases_path", table_name="cases", postgresql_using="gist")
    op.drop_index("ix_cases_opened_at", table_name="cases")
    op.drop_index(
        "ix_cases_jurisdiction_open", table_name="cases", postgresql_where=sa.text("stage <> 'CLOSED'")
    )
    op.drop_index(
        "ix_cases_institution_id", table_name="cases", postgresql_where=sa.text("institution_id IS NOT NULL")
    )
    op.drop_index("ix_cases_child_id", table_name="cases")
    op.drop_index(
        "ix_cases_assigned_to_id", table_name="cases", postgresql_where=sa.text("assigned_to_id IS NOT NULL")
    )
    op.drop_table("cases")
    op.drop_index("ix_api_clients_path", table_name="api_clients", postgresql_using="gist")
    op.drop_index("ix_api_clients_organisation_id", table_name="api_clients")
    op.drop_table("api_clients")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.drop_index("ix_users_organisation_id", table_name="users")
    op.drop_table("users")
    op.drop_index("ix_programmes_path", table_name="programmes", postgresql_using="gist")
    op.drop_table("programmes")
    op.drop_index("ix_institutions_type_jurisdiction", table_name="institutions")
    op.drop_index("ix_institutions_path", table_name="institutions", postgresql_using="gist")
    op.drop_index("ix_institutions_organisation_id", table_name="institutions")
    op.drop_table("institutions")
    op.drop_index("ix_children_path", table_name="children", postgresql_using="gist")
    op.drop_index("ix_children_jurisdiction_id", table_name="children")
    op.drop_index("ix_children_household_id", table_name="children")
    op.drop_table("children")
    op.drop_index("ix_organisations_path", table_name="organisations", postgresql_using="gist")
    op.drop_table("organisations")
    op.drop_index("ix_households_path", table_name="households", postgresql_using="gist")
    op.drop_table("households")
    op.drop_index("ix_jurisdictions_path_gist", table_name="jurisdictions", postgresql_using="gist")
    op.drop_index("ix_jurisdictions_parent_id", table_name="jurisdictions")
    op.drop_index("ix_jurisdictions_level", table_name="jurisdictions")
    op.drop_table("jurisdictions")
    for name in reversed(ENUMS):
        postgresql.ENUM(name=name).drop(op.get_bind(), checkfirst=False)
