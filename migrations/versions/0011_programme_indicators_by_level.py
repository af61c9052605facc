"""Programme indicators grouped at a level of the tree under the jurisdiction counted under.

Police, detention and programme figures are protected from the table of the caller's whole statistics scope,
from its top down to the level asked for (as ``caseStatistics`` are), no longer from the table of the asked
jurisdiction's siblings. ``registry_programme_indicators`` could count one jurisdiction, or its siblings'
table, only; it now takes ``p_level`` as the incident and detention functions do (the deepest node at or
above that level on each child's or household's path) in place of ``p_siblings``.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from alembic import op

from registry.db.roles import app_role

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


# Active in the period: begun by its last day, not ended before its first.
ACTIVE = "i.started_on <= p_to AND (i.ended_on IS NULL OR i.ended_on >= p_from)"
IN_PROGRAMME = "(p_programme_id IS NULL OR i.programme_id = p_programme_id)"
# With ``p_by_programme`` each programme is a row of its own (0: interventions in no programme).
PROGRAMME_KEY = "CASE WHEN p_by_programme THEN coalesce(i.programme_id, 0) ELSE 0 END"
COMMUNITY_UNITS = "'DROP_IN_CENTRE', 'OUTREACH_LEARNING_POINT', 'VOCATIONAL_CENTRE'"


class Variant(NamedTuple):
    parameters: str  # the first ones: the jurisdiction, and how to group under it
    root: str  # the arguments of ``registry_statistics_root``
    signature: str


def _programme_indicators(variant: Variant) -> str:
    """As in 0008: children and households count where they live (their jurisdiction now), once each per
    row; community units where they are. Villages and districts are the COMMUNITY and DISTRICT nodes on the
    paths of the children and households counted."""
    first, root = variant.parameters, variant.root
    return f"""
CREATE FUNCTION registry_programme_indicators(
    {first}, p_programme_id bigint, p_by_programme boolean, p_from date, p_to date
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
    FROM registry_statistics_root({root}) r;
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


BY_LEVEL = Variant(
    "p_jurisdiction_id bigint, p_level jurisdiction_level",
    "p_jurisdiction_id, false, p_level",
    "registry_programme_indicators(bigint, jurisdiction_level, bigint, boolean, date, date)",
)
WITH_SIBLINGS = Variant(
    "p_jurisdiction_id bigint, p_siblings boolean",
    "p_jurisdiction_id, p_siblings, NULL",
    "registry_programme_indicators(bigint, boolean, bigint, boolean, date, date)",
)


def _replace(old: Variant, new: Variant) -> None:
    op.execute(f"DROP FUNCTION {old.signature}")
    op.execute(_programme_indicators(new))
    op.execute(f"REVOKE ALL ON FUNCTION {new.signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {new.signature} TO {app_role()}")


def upgrade() -> None:
    _replace(WITH_SIBLINGS, BY_LEVEL)


def downgrade() -> None:
    _replace(BY_LEVEL, WITH_SIBLINGS)
