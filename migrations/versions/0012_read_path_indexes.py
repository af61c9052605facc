"""Read paths: pages of a subtree's cases and children in id order from one index, under row-level security.

Under row-level security PostgreSQL uses a query's own condition as an index condition, or estimates it from
the column's statistics, only when its operator is leakproof. ltree's operators are not: each ``path ?`` or
``path <@`` is guessed to keep 1 % of the rows, so "the newest 50 open cases of a district" was planned as a
bitmap scan of every case in the district (the policy's GiST condition) and a sort, ~40 ms at scale 1.

``cases`` and ``children`` get the ids at depths 2, 3 and 4 of their path as generated bigint columns
(``path_id_2 = 2`` is the province with id 2, ``path_id_4 = 67`` the district with id 67 below a division;
the same rows as ``path <@ '1.2.14.67'``, since a path is the chain of its ancestors' ids). bigint equality
is leakproof: an index condition, estimated from statistics. A btree on ``(path_id_N, id)`` that includes the
columns row-level security and the usual filters read gives a page newest first from the index alone.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPTHS = (2, 3, 4)

# (name, table, key column, included columns); the key is followed by ``id``.
INDEXES = (
    ("ix_cases_path_id_2_id", "cases", "path_id_2", ("path_id_3", "path", "stage")),
    ("ix_cases_path_id_4_id", "cases", "path_id_4", ("path_id_2", "path", "stage")),
    (
        "ix_children_path_id_2_id",
        "children",
        "path_id_2",
        ("path_id_3", "path", "identity_restricted", "sex", "birth_year"),
    ),
    (
        "ix_children_path_id_4_id",
        "children",
        "path_id_4",
        ("path_id_2", "path", "identity_restricted", "sex", "birth_year"),
    ),
)


def path_id(depth: int) -> str:
    """The id in the ``depth``-th label of the path; NULL for a shorter path. As
    :func:`registry.db.models.base.path_id_expression`, written out here so that this migration stays as
    it is when the models change."""
    return f"CASE WHEN nlevel(path) >= {depth} THEN ltree2text(subpath(path, {depth - 1}, 1))::bigint END"


def upgrade() -> None:
    # IF NOT EXISTS: the scale-1 bench database was given these by hand, with the same definitions, to
    # measure them before this migration ran there.
    for table in ("cases", "children"):
        # One statement: the table is rewritten once.
        columns = ", ".join(
            f"ADD COLUMN IF NOT EXISTS path_id_{depth} bigint GENERATED ALWAYS AS ({path_id(depth)}) STORED"
            for depth in DEPTHS
        )
        op.execute(f"ALTER TABLE {table} {columns}")
    for name, table, key, included in INDEXES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}, id) INCLUDE ({', '.join(included)})"
        )
    # Adding the columns rewrote both tables, which leaves their visibility maps empty: until a vacuum marks
    # the pages all-visible again, an index-only scan reads every row from the table as well, and the
    # planner, costing it so, keeps to the old plans. Nothing would trigger autovacuum soon (no row is dead).
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) cases, children")


def downgrade() -> None:
    for name, _, _, _ in INDEXES:
        op.execute(f"DROP INDEX {name}")
    for table in ("cases", "children"):
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN path_id_{depth}" for depth in DEPTHS))
