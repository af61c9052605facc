"""Case statistics: rollups kept current in the case's own transaction.

Triggers on ``cases`` (and on ``children`` for sex and birth year) append -1/+1 rows to
``case_count_changes`` keyed by the case's district path, kind, stage, risk, sex, age band at opening and
month of opening. ``registry_compact_case_counts`` folds them into ``case_counts``, one row per key of each
cuboid (a set of dimensions), and deletes what it folded; a reader adds the pending rows, so figures are
exact at every moment. Appending instead of updating counters means concurrent case writes never wait on,
or deadlock over, the same counter row.

The tables hold counts only. The app role reads them where it holds ``statistics:read``
(``registry.statistics_scope``) and cannot write them; the trigger and compaction run as the owner.
``registry_case_counts_raw`` recounts from the cases themselves (for groupings no cuboid covers), again only
inside the statistics scope.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.db.roles import app_role
from registry.db.types import Ltree

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATISTICS = "nullif(current_setting('registry.statistics_scope', true), '')::lquery[]"

# Cuboid number -> its dimensions (besides the district path). Keep in step with
# registry/db/queries/case_statistics.py CUBOIDS.
CUBOIDS: dict[int, tuple[str, ...]] = {
    1: ("kind", "stage", "risk_level", "sex", "age_band"),
    2: ("kind", "sex", "age_band", "is_open"),
    3: ("kind", "is_open", "opened_month"),
}
DIMENSIONS = ("kind", "stage", "risk_level", "sex", "age_band", "is_open", "opened_month")
FROM_CHANGE = {"is_open": "(stage <> 'CLOSED')"}

KEY_FUNCTION = """
CREATE FUNCTION registry_case_count_key(
    p_path ltree, p_child_id bigint, p_opened_at timestamptz,
    OUT district_path ltree, OUT sex sex, OUT age_band smallint, OUT opened_month date
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_birth_year integer;
    v_local date := (p_opened_at AT TIME ZONE 'Asia/Karachi')::date;
    v_age integer;
BEGIN
    -- The district among the path's labels (ids never change when a subtree moves), else the node itself.
    SELECT subpath(p_path, 0, o.i) INTO district_path
    FROM generate_series(1, nlevel(p_path)) AS o(i)
    JOIN jurisdictions j ON j.id = subpath(p_path, o.i - 1, 1)::text::bigint
    WHERE j.level = 'DISTRICT';
    district_path := coalesce(district_path, p_path);
    SELECT c.sex, c.birth_year INTO sex, v_birth_year FROM children c WHERE c.id = p_child_id;
    v_age := extract(year FROM v_local)::integer - v_birth_year
             - CASE WHEN v_local < make_date(extract(year FROM v_local)::integer, 7, 1) THEN 1 ELSE 0 END;
    age_band := CASE WHEN v_age < 5 THEN 0 WHEN v_age < 10 THEN 1 WHEN v_age < 15 THEN 2
                     WHEN v_age < 18 THEN 3 ELSE 4 END;
    opened_month := date_trunc('month', v_local)::date;
END $$
"""

CASE_TRIGGER_FUNCTION = """
CREATE FUNCTION registry_case_counts_on_case() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    o record;
    n record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        o := registry_case_count_key(OLD.path, OLD.child_id, OLD.opened_at);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        n := registry_case_count_key(NEW.path, NEW.child_id, NEW.opened_at);
    END IF;
    IF TG_OP = 'UPDATE' AND o IS NOT DISTINCT FROM n AND OLD.kind = NEW.kind AND OLD.stage = NEW.stage
       AND OLD.risk_level = NEW.risk_level THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO case_count_changes (path, kind, stage, risk_level, sex, age_band, opened_month, delta)
        VALUES (o.district_path, OLD.kind, OLD.stage, OLD.risk_level, o.sex, o.age_band, o.opened_month, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO case_count_changes (path, kind, stage, risk_level, sex, age_band, opened_month, delta)
        VALUES (n.district_path, NEW.kind, NEW.stage, NEW.risk_level, n.sex, n.age_band, n.opened_month, 1);
    END IF;
    RETURN NULL;
END $$
"""

# A child's sex or birth year corrected: every one of its cases moves key. The old key is computed from the
# old values, so it is written out here rather than through registry_case_count_key.
CHILD_TRIGGER_FUNCTION = """
CREATE FUNCTION registry_case_counts_on_child() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF OLD.sex = NEW.sex AND OLD.birth_year = NEW.birth_year THEN
        RETURN NULL;
    END IF;
    INSERT INTO case_count_changes (path, kind, stage, risk_level, sex, age_band, opened_month, delta)
    SELECT k.district_path, c.kind, c.stage, c.risk_level, OLD.sex,
           registry_age_band(OLD.birth_year, c.opened_at), k.opened_month, -1
    FROM cases c, LATERAL registry_case_count_key(c.path, c.child_id, c.opened_at) k
    WHERE c.child_id = NEW.id
    UNION ALL
    SELECT k.district_path, c.kind, c.stage, c.risk_level, k.sex, k.age_band, k.opened_month, 1
    FROM cases c, LATERAL registry_case_count_key(c.path, c.child_id, c.opened_at) k
    WHERE c.child_id = NEW.id;
    RETURN NULL;
END $$
"""

AGE_BAND_FUNCTION = """
CREATE FUNCTION registry_age_band(p_birth_year integer, p_at timestamptz) RETURNS smallint
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
    SELECT CASE WHEN a < 5 THEN 0 WHEN a < 10 THEN 1 WHEN a < 15 THEN 2 WHEN a < 18 THEN 3 ELSE 4 END::smallint
    FROM (SELECT extract(year FROM (p_at AT TIME ZONE 'Asia/Karachi'))::integer - p_birth_year
                 - CASE WHEN (p_at AT TIME ZONE 'Asia/Karachi')::date
                             < make_date(extract(year FROM (p_at AT TIME ZONE 'Asia/Karachi'))::integer, 7, 1)
                        THEN 1 ELSE 0 END AS a) s
$$
"""


def _fold(cuboid: int, dims: tuple[str, ...], source: str) -> str:
    """Adds the rows of ``source`` (changes or recounted cases) to one cuboid's counts."""
    columns = ", ".join(DIMENSIONS)
    values = ", ".join((FROM_CHANGE.get(d, d) if d in dims else f"NULL::{_type(d)}") for d in DIMENSIONS)
    return f"""
    INSERT INTO case_counts (cuboid, path, {columns}, n)
    SELECT {cuboid}, path, {values}, sum(delta)
    FROM {source} GROUP BY 2, {", ".join(str(i + 3) for i in range(len(DIMENSIONS)))}
    ON CONFLICT (cuboid, path, {columns}) DO UPDATE SET n = case_counts.n + EXCLUDED.n;
"""


def _type(dimension: str) -> str:
    return {
        "kind": "case_kind",
        "stage": "case_stage",
        "risk_level": "risk_level",
        "sex": "sex",
        "age_band": "smallint",
        "is_open": "boolean",
        "opened_month": "date",
    }[dimension]


def compact_function() -> str:
    folds = "".join(_fold(c, dims, "folded") for c, dims in CUBOIDS.items())
    return f"""
CREATE FUNCTION registry_compact_case_counts() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_rows integer;
BEGIN
    -- One compactor at a time; another caller simply finds nothing to do this round.
    IF NOT pg_try_advisory_xact_lock(hashtext('registry_compact_case_counts')) THEN
        RETURN 0;
    END IF;
    CREATE TEMP TABLE folded ON COMMIT DROP AS
        WITH moved AS (DELETE FROM case_count_changes RETURNING *) SELECT * FROM moved;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    {folds}
    DELETE FROM case_counts WHERE n = 0;
    DROP TABLE folded;
    RETURN v_rows;
END $$
"""


RAW_FUNCTION = """
CREATE FUNCTION registry_case_counts_raw(p_within ltree)
RETURNS TABLE (path ltree, kind case_kind, stage case_stage, risk_level risk_level, sex sex,
               age_band smallint, opened_month date, n bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF {STATISTICS} IS NULL OR NOT (p_within ? {STATISTICS}) THEN
        RAISE EXCEPTION 'outside the statistics scope' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
    SELECT c.path, c.kind, c.stage, c.risk_level, ch.sex, registry_age_band(ch.birth_year, c.opened_at),
           date_trunc('month', c.opened_at AT TIME ZONE 'Asia/Karachi')::date, count(*)
    FROM cases c JOIN children ch ON ch.id = c.child_id
    WHERE c.path <@ p_within
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
END $$
""".replace("{STATISTICS}", STATISTICS)

FUNCTIONS = {
    "registry_age_band(integer, timestamptz)": AGE_BAND_FUNCTION,
    "registry_case_count_key(ltree, bigint, timestamptz)": KEY_FUNCTION,
    "registry_case_counts_on_case()": CASE_TRIGGER_FUNCTION,
    "registry_case_counts_on_child()": CHILD_TRIGGER_FUNCTION,
    "registry_compact_case_counts()": compact_function(),
    "registry_case_counts_raw(ltree)": RAW_FUNCTION,
}


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(name=name, create_type=False)


def upgrade() -> None:
    op.create_table(
        "case_count_changes",
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("kind", _enum("case_kind"), nullable=False),
        sa.Column("stage", _enum("case_stage"), nullable=False),
        sa.Column("risk_level", _enum("risk_level"), nullable=False),
        sa.Column("sex", _enum("sex"), nullable=False),
        sa.Column("age_band", sa.SmallInteger(), nullable=False),
        sa.Column("opened_month", sa.Date(), nullable=False),
        sa.Column("delta", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_count_changes")),
    )
    op.create_table(
        "case_counts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("cuboid", sa.SmallInteger(), nullable=False),
        sa.Column("path", Ltree(), nullable=False),
        sa.Column("kind", _enum("case_kind"), nullable=True),
        sa.Column("stage", _enum("case_stage"), nullable=True),
        sa.Column("risk_level", _enum("risk_level"), nullable=True),
        sa.Column("sex", _enum("sex"), nullable=True),
        sa.Column("age_band", sa.SmallInteger(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.Column("opened_month", sa.Date(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_counts")),
    )
    op.create_index(
        "uq_case_counts_key",
        "case_counts",
        ["cuboid", "path", *DIMENSIONS],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    role = app_role()
    for table in ("case_count_changes", "case_counts"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"CREATE POLICY app_read ON {table} FOR SELECT TO {role} USING (path ? {STATISTICS})")
        op.execute(f"GRANT SELECT ON {table} TO {role}")
    for signature, body in FUNCTIONS.items():
        op.execute(body)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    for signature in ("registry_compact_case_counts()", "registry_case_counts_raw(ltree)"):
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")
    op.execute(
        "CREATE TRIGGER case_counts AFTER INSERT OR DELETE OR UPDATE OF path, kind, stage, risk_level,"
        " child_id, opened_at ON cases FOR EACH ROW EXECUTE FUNCTION registry_case_counts_on_case()"
    )
    op.execute(
        "CREATE TRIGGER case_counts AFTER UPDATE OF sex, birth_year ON children"
        " FOR EACH ROW EXECUTE FUNCTION registry_case_counts_on_child()"
    )
    # Whatever cases exist already (an upgraded deployment) are counted once, straight into the cuboids.
    op.execute(
        "INSERT INTO case_count_changes (path, kind, stage, risk_level, sex, age_band, opened_month, delta)"
        " SELECT k.district_path, c.kind, c.stage, c.risk_level, k.sex, k.age_band, k.opened_month, 1"
        " FROM cases c, LATERAL registry_case_count_key(c.path, c.child_id, c.opened_at) k"
    )
    op.execute("SELECT registry_compact_case_counts()")


def downgrade() -> None:
    op.execute("DROP TRIGGER case_counts ON children")
    op.execute("DROP TRIGGER case_counts ON cases")
    for signature in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
    op.drop_index("uq_case_counts_key", table_name="case_counts")
    op.drop_table("case_counts")
    op.drop_table("case_count_changes")
