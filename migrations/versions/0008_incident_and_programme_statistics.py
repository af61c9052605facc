"""Police, detention and programme figures: aggregate functions readable with ``statistics:read``.

The app's role cannot read incidents, placements, children, households or interventions outside its record
scope, and analysts and statistics-only clients have none. These functions count them as the owner
(SECURITY DEFINER) after checking, inside the database, that the jurisdiction asked about lies inside the
transaction's ``registry.statistics_scope`` (an ``lquery[]`` such as ``{1.2.*}``; empty or missing means
nothing), and return counts only, never a record.

Each function counts under one jurisdiction. ``p_level`` groups by the deepest node at or above that level
on each record's path (a node above the level holds the records kept above it). ``p_siblings`` counts under
the jurisdiction's parent at the jurisdiction's own level instead: the table small-cell protection needs,
so that the same cells under the same parent always get the same pattern, whoever asks (only the asked
jurisdiction's figures are reported; its siblings' decide what must be withheld).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from registry.db.roles import app_role

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATISTICS = "nullif(current_setting('registry.statistics_scope', true), '')::lquery[]"

# The node counted under and the level grouped at; refuses a jurisdiction outside the statistics scope.
# Called first by every function below (it is not callable by the app itself).
STATISTICS_ROOT = f"""
CREATE FUNCTION registry_statistics_root(
    p_jurisdiction_id bigint, p_siblings boolean, p_level jurisdiction_level,
    OUT root_path ltree, OUT group_level jurisdiction_level
)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public AS $$
DECLARE
    v_scope lquery[] := {STATISTICS};
    v_node jurisdictions%ROWTYPE;
BEGIN
    SELECT * INTO v_node FROM jurisdictions j WHERE j.id = p_jurisdiction_id;
    IF NOT FOUND OR v_scope IS NULL OR NOT (v_node.path ? v_scope) THEN
        RAISE EXCEPTION 'jurisdiction % is outside the statistics scope', p_jurisdiction_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_level IS NOT NULL AND p_level < v_node.level THEN
        RAISE EXCEPTION 'level % is above the jurisdiction', p_level USING ERRCODE = 'invalid_parameter_value';
    END IF;
    group_level := CASE WHEN p_siblings THEN v_node.level ELSE coalesce(p_level, v_node.level) END;
    IF p_siblings AND v_node.parent_id IS NOT NULL THEN
        SELECT j.path INTO root_path FROM jurisdictions j WHERE j.id = v_node.parent_id;
    ELSE
        root_path := v_node.path;
    END IF;
END $$
"""


def located(paths: str) -> str:
    """Two CTEs: ``ancestry``, each distinct path of ``paths`` (a FROM item with a ``path`` column) with its
    nodes (itself included; labels are ids, so by primary key) and their level and depth; ``located``,
    each path's node counted under: the deepest at or above ``v_level`` inside ``v_root``."""
    return f"""ancestry AS (
        SELECT d.path, a.id, a.level, label.depth
        FROM (SELECT DISTINCT x.path FROM {paths}) d
        CROSS JOIN LATERAL unnest(string_to_array(d.path::text, '.')::bigint[])
            WITH ORDINALITY AS label(id, depth)
        JOIN jurisdictions a ON a.id = label.id
    ),
    located AS (
        SELECT DISTINCT ON (x.path) x.path, x.id AS node_id
        FROM ancestry x
        WHERE x.depth >= nlevel(v_root) AND x.level <= v_level
        ORDER BY x.path, x.depth DESC
    )"""


PERIOD_UNIT_CHECK = """
    IF p_unit IS NOT NULL AND p_unit NOT IN ('month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown period unit %', p_unit USING ERRCODE = 'invalid_parameter_value';
    END IF;
"""

# A row per place (node, or institution with ``p_by_institution``), direction, offence (if grouped) and
# period (if grouped). Periods are of ``occurred_on``; ``p_from``/``p_to`` are inclusive, NULL is open.
INCIDENT_STATISTICS = f"""
CREATE FUNCTION registry_incident_statistics(
    p_jurisdiction_id bigint, p_siblings boolean, p_level jurisdiction_level, p_by_institution boolean,
    p_by_offence boolean, p_unit text, p_from date, p_to date,
    p_directions incident_direction[], p_offences offence_category[]
) RETURNS TABLE (
    place_id bigint, place_code text, place_path text, place_level jurisdiction_level,
    direction incident_direction, offence offence_category, period date, incidents bigint
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_root ltree;
    v_level jurisdiction_level;
BEGIN
    SELECT r.root_path, r.group_level INTO v_root, v_level
    FROM registry_statistics_root(p_jurisdiction_id, p_siblings, p_level) r;
    {PERIOD_UNIT_CHECK}
    RETURN QUERY
    WITH rec AS (
        SELECT i.path, i.police_station_id AS institution_id, i.direction,
               CASE WHEN p_by_offence THEN i.offence END AS offence,
               CASE WHEN p_unit IS NOT NULL THEN date_trunc(p_unit, i.occurred_on::timestamp)::date END
                   AS period
        FROM incidents i
        WHERE i.path <@ v_root
          AND (p_from IS NULL OR i.occurred_on >= p_from)
          AND (p_to IS NULL OR i.occurred_on <= p_to)
          AND (p_directions IS NULL OR i.direction = ANY (p_directions))
          AND (p_offences IS NULL OR i.offence = ANY (p_offences))
    ),
    {located("rec x WHERE NOT p_by_institution")},
    counted AS (
        SELECT CASE WHEN p_by_institution THEN r.institution_id ELSE l.node_id END AS place_id,
               r.direction, r.offence, r.period, count(*) AS n
        FROM rec r LEFT JOIN located l ON l.path = r.path
        GROUP BY 1, 2, 3, 4
    )
    SELECT c.place_id, coalesce(s.code, j.code)::text, coalesce(s.path, j.path)::text, j.level,
           c.direction, c.offence, c.period, c.n
    FROM counted c
    LEFT JOIN institutions s ON p_by_institution AND s.id = c.place_id
    LEFT JOIN jurisdictions j ON NOT p_by_institution AND j.id = c.place_id;
END $$
"""

# Placements in detention (never shelters or alternative care): how many began, and how many of those
# held the child apart from adults. Periods are of ``started_at`` in Pakistan time.
DETENTION_KINDS = "'ARREST', 'POLICE_CUSTODY', 'OBSERVATION_HOME', 'JUVENILE_REHABILITATION', 'PRISON'"
DETENTION_STATISTICS = f"""
CREATE FUNCTION registry_detention_statistics(
    p_jurisdiction_id bigint, p_siblings boolean, p_level jurisdiction_level, p_by_institution boolean,
    p_by_kind boolean, p_unit text, p_from date, p_to date, p_kinds placement_kind[]
) RETURNS TABLE (
    place_id bigint, place_code text, place_path text, place_level jurisdiction_level,
    kind placement_kind, period date, detentions bigint, segregated bigint
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_root ltree;
    v_level jurisdiction_level;
BEGIN
    SELECT r.root_path, r.group_level INTO v_root, v_level
    FROM registry_statistics_root(p_jurisdiction_id, p_siblings, p_level) r;
    {PERIOD_UNIT_CHECK}
    RETURN QUERY
    WITH rec AS (
        SELECT p.path, p.institution_id, p.segregated_from_adults,
               CASE WHEN p_by_kind THEN p.kind END AS kind,
               CASE WHEN p_unit IS NOT NULL
                    THEN date_trunc(p_unit, p.started_at AT TIME ZONE 'Asia/Karachi')::date END AS period
        FROM placements p
        WHERE p.path <@ v_root
          AND p.kind IN ({DETENTION_KINDS})
          AND (p_from IS NULL OR (p.started_at AT TIME ZONE 'Asia/Karachi')::date >= p_from)
          AND (p_to IS NULL OR (p.started_at AT TIME ZONE 'Asia/Karachi')::date <= p_to)
          AND (p_kinds IS NULL OR p.kind = ANY (p_kinds))
    ),
    {located("rec x WHERE NOT p_by_institution")},
    counted AS (
        SELECT CASE WHEN p_by_institution THEN r.institution_id ELSE l.node_id END AS place_id,
               r.kind, r.period, count(*) AS n, count(*) FILTER (WHERE r.segregated_from_adults) AS apart
        FROM rec r LEFT JOIN located l ON l.path = r.path
        GROUP BY 1, 2, 3
    )
    SELECT c.place_id, coalesce(s.code, j.code)::text, coalesce(s.path, j.path)::text, j.level,
           c.kind, c.period, c.n, c.apart
    FROM counted c
    LEFT JOIN institutions s ON p_by_institution AND s.id = c.place_id
    LEFT JOIN jurisdictions j ON NOT p_by_institution AND j.id = c.place_id;
END $$
"""

# Active in the period: begun by its last day, not ended before its first.
ACTIVE = "i.started_on <= p_to AND (i.ended_on IS NULL OR i.ended_on >= p_from)"
IN_PROGRAMME = "(p_programme_id IS NULL OR i.programme_id = p_programme_id)"
# With ``p_by_programme`` each programme is a row of its own (0: interventions in no programme).
PROGRAMME_KEY = "CASE WHEN p_by_programme THEN coalesce(i.programme_id, 0) ELSE 0 END"
COMMUNITY_UNITS = "'DROP_IN_CENTRE', 'OUTREACH_LEARNING_POINT', 'VOCATIONAL_CENTRE'"

# Children and households count where they live (their jurisdiction now), once each per row; community
# units where they are. Villages and districts are the COMMUNITY and DISTRICT nodes on the paths of the
# children and households counted.
PROGRAMME_INDICATORS = f"""
CREATE FUNCTION registry_programme_indicators(
    p_jurisdiction_id bigint, p_siblings boolean, p_programme_id bigint, p_by_programme boolean,
    p_from date, p_to date
) RETURNS TABLE (
    place_id bigint, place_code text, place_path text, place_level jurisdiction_level, programme_id bigint,
    children_supported bigint, children_mainstreamed bigint, children_reached bigint,
    households bigint, households_of_supported bigint, households_parent_trained bigint,
    villages bigint, community_units bigint, districts bigint
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_root ltree;
    v_level jurisdiction_level;
BEGIN
    SELECT r.root_path, r.group_level INTO v_root, v_level
    FROM registry_statistics_root(p_jurisdiction_id, p_siblings, NULL) r;
    IF p_from IS NULL OR p_to IS NULL OR p_from > p_to THEN
        RAISE EXCEPTION 'a period needs a first and a last day, in order'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH supported AS (
        SELECT c.id AS child_id, c.path, c.household_id, {PROGRAMME_KEY} AS programme_key,
               bool_or(i.type IN ('HEALTH_EDUCATION', 'LIFE_SKILLS')) AS reached
        FROM children c JOIN interventions i ON i.child_id = c.id
        WHERE c.path <@ v_root AND i.recipient = 'CHILD' AND {ACTIVE} AND {IN_PROGRAMME}
        GROUP BY 1, 2, 3, 4
    ),
    household_links AS (
        SELECT h.id AS household_id, h.path, s.programme_key, true AS of_supported, false AS parent_trained
        FROM supported s JOIN households h ON h.id = s.household_id
        WHERE h.path <@ v_root
        UNION ALL
        SELECT h.id, h.path, {PROGRAMME_KEY}, false,
               i.recipient = 'PARENT' AND i.type = 'VOCATIONAL_TRAINING'
        FROM households h JOIN interventions i ON i.household_id = h.id
        WHERE h.path <@ v_root AND i.recipient IN ('PARENT', 'HOUSEHOLD') AND {ACTIVE} AND {IN_PROGRAMME}
    ),
    covered AS (
        SELECT k.household_id, k.path, k.programme_key,
               bool_or(k.of_supported) AS of_supported, bool_or(k.parent_trained) AS parent_trained
        FROM household_links k
        GROUP BY 1, 2, 3
    ),
    units AS (
        SELECT DISTINCT u.id AS unit_id, u.path, {PROGRAMME_KEY} AS programme_key
        FROM interventions i JOIN institutions u ON u.id = i.institution_id
        WHERE u.path <@ v_root AND u.type IN ({COMMUNITY_UNITS}) AND {ACTIVE} AND {IN_PROGRAMME}
    ),
    residences AS (
        SELECT s.path, s.programme_key FROM supported s
        UNION
        SELECT c.path, c.programme_key FROM covered c
    ),
    {located("(SELECT r.path FROM residences r UNION ALL SELECT u.path FROM units u) x")},
    child_figures AS (
        SELECT l.node_id, s.programme_key, count(*) AS supported,
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM outcomes o
                   WHERE o.child_id = s.child_id AND o.type = 'MAINSTREAMED_INTO_FORMAL_SCHOOL'
                     AND o.achieved_on BETWEEN p_from AND p_to)) AS mainstreamed,
               count(*) FILTER (WHERE s.reached) AS reached
        FROM supported s JOIN located l ON l.path = s.path
        GROUP BY 1, 2
    ),
    household_figures AS (
        SELECT l.node_id, c.programme_key, count(*) AS households,
               count(*) FILTER (WHERE c.of_supported) AS of_supported,
               count(*) FILTER (WHERE c.of_supported AND c.parent_trained) AS parent_trained
        FROM covered c JOIN located l ON l.path = c.path
        GROUP BY 1, 2
    ),
    place_figures AS (
        SELECT l.node_id, r.programme_key,
               count(DISTINCT x.id) FILTER (WHERE x.level = 'COMMUNITY') AS villages,
               count(DISTINCT x.id) FILTER (WHERE x.level = 'DISTRICT') AS districts
        FROM residences r JOIN located l ON l.path = r.path JOIN ancestry x ON x.path = r.path
        GROUP BY 1, 2
    ),
    unit_figures AS (
        SELECT l.node_id, u.programme_key, count(*) AS units
        FROM units u JOIN located l ON l.path = u.path
        GROUP BY 1, 2
    ),
    keyed AS (
        SELECT f.node_id, f.programme_key FROM child_figures f
        UNION SELECT f.node_id, f.programme_key FROM household_figures f
        UNION SELECT f.node_id, f.programme_key FROM unit_figures f
    )
    SELECT j.id, j.code::text, j.path::text, j.level, nullif(k.programme_key, 0),
           coalesce(cf.supported, 0), coalesce(cf.mainstreamed, 0), coalesce(cf.reached, 0),
           coalesce(hf.households, 0), coalesce(hf.of_supported, 0), coalesce(hf.parent_trained, 0),
           coalesce(pf.villages, 0), coalesce(uf.units, 0), coalesce(pf.districts, 0)
    FROM keyed k
    JOIN jurisdictions j ON j.id = k.node_id
    LEFT JOIN child_figures cf ON cf.node_id = k.node_id AND cf.programme_key = k.programme_key
    LEFT JOIN household_figures hf ON hf.node_id = k.node_id AND hf.programme_key = k.programme_key
    LEFT JOIN place_figures pf ON pf.node_id = k.node_id AND pf.programme_key = k.programme_key
    LEFT JOIN unit_figures uf ON uf.node_id = k.node_id AND uf.programme_key = k.programme_key;
END $$
"""

# Each function's statement is planned for its own arguments (a plan cached for one jurisdiction is
# seconds slower for the nation), and without JIT: the estimates of set-returning calls and CTEs run high
# enough to trigger a compilation that costs seconds for queries that run in tens of milliseconds.

# Called only by the functions below, as their owner.
HELPERS = {
    "registry_statistics_root(bigint, boolean, jurisdiction_level)": STATISTICS_ROOT,
}
FUNCTIONS = {
    "registry_incident_statistics(bigint, boolean, jurisdiction_level, boolean, boolean, text, date, date,"
    " incident_direction[], offence_category[])": INCIDENT_STATISTICS,
    "registry_detention_statistics(bigint, boolean, jurisdiction_level, boolean, boolean, text, date, date,"
    " placement_kind[])": DETENTION_STATISTICS,
    "registry_programme_indicators(bigint, boolean, bigint, boolean, date, date)": PROGRAMME_INDICATORS,
}


def upgrade() -> None:
    role = app_role()
    for signature, definition in HELPERS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    for signature, definition in FUNCTIONS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    for signature in [*FUNCTIONS, *HELPERS]:
        op.execute(f"DROP FUNCTION {signature}")
