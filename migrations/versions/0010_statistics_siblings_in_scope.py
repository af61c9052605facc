"""The siblings' table of police, detention and programme figures only inside the statistics scope.

``registry_statistics_root(…, p_siblings => true)`` counted under the jurisdiction's parent once the
jurisdiction itself was inside the statistics scope, so a caller whose scope is one district made the app
read its neighbours' counts (to decide what to withhold, not to show). Now the parent must be inside the
scope too; the service asks for the siblings' table only then.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATISTICS = "nullif(current_setting('registry.statistics_scope', true), '')::lquery[]"


def _root(parent_check: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION registry_statistics_root(
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
        SELECT j.path INTO root_path FROM jurisdictions j WHERE j.id = v_node.parent_id;{parent_check}
    ELSE
        root_path := v_node.path;
    END IF;
END $$
"""


IN_SCOPE = """
        IF NOT (root_path ? v_scope) THEN
            RAISE EXCEPTION 'the parent of jurisdiction % is outside the statistics scope', p_jurisdiction_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;"""


def upgrade() -> None:
    op.execute(_root(IN_SCOPE))


def downgrade() -> None:
    op.execute(_root(""))
