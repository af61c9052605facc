"""Counts of cases from the rollup tables (or, for what no rollup covers, recounted from the cases)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from registry.db.models import JurisdictionLevel

# Cuboid number -> its dimensions besides the district path, smallest first (see migration 0009).
CUBOIDS: dict[int, frozenset[str]] = {
    2: frozenset({"kind", "sex", "age_band", "is_open"}),
    3: frozenset({"kind", "is_open", "opened_month"}),
    1: frozenset({"kind", "stage", "risk_level", "sex", "age_band"}),
}
# Every dimension, in the order of a cell's key; ``is_open`` is derived from the stage.
DIMENSIONS = ("kind", "stage", "risk_level", "sex", "age_band", "is_open")
PERIODS = {"MONTH": "month", "QUARTER": "quarter", "YEAR": "year"}
# Rollups are keyed by district: a grouping below district level is recounted from the cases.
ROLLUP_LEVELS = frozenset(
    {
        JurisdictionLevel.NATIONAL,
        JurisdictionLevel.PROVINCIAL,
        JurisdictionLevel.DIVISIONAL,
        JurisdictionLevel.DISTRICT,
    }
)


@dataclass(frozen=True, slots=True)
class CaseCountQuery:
    """What to count: cases under ``within`` (a path), grouped by the jurisdiction at ``level`` (the deepest
    node at or above that level on each case's path), by ``dimensions`` and by ``period`` of opening."""

    within: str
    within_level: JurisdictionLevel
    level: JurisdictionLevel | None = None
    dimensions: tuple[str, ...] = ()
    period: str | None = None
    # Dimension -> the values to keep.
    only: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    opened_from: dt.date | None = None  # first month counted
    opened_until: dt.date | None = None  # first month no longer counted


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """Counts per key ``(jurisdiction id or None, *dimension values, period start or None)``."""

    cells: dict[tuple[Any, ...], int]
    from_rollup: bool


def _needed(query: CaseCountQuery) -> set[str]:
    needed = set(query.dimensions) | set(query.only)
    if query.period is not None or query.opened_from is not None or query.opened_until is not None:
        needed.add("opened_month")
    return needed


def _cuboid(query: CaseCountQuery) -> int | None:
    if query.level is not None and query.level not in ROLLUP_LEVELS:
        return None
    if query.within_level not in ROLLUP_LEVELS:
        return None
    needed = _needed(query)
    return next((number for number, dims in CUBOIDS.items() if needed <= dims), None)


async def count_cases(session: AsyncSession, query: CaseCountQuery) -> CaseCounts:
    """One statement: sum the cuboid's rows and the changes not yet folded in (or recount the cases),
    filter, and group; the jurisdiction at ``level`` is found once per distinct path."""
    # Identifiers below are spliced into SQL: only the fixed names are allowed through.
    unknown = (set(query.dimensions) | set(query.only)) - set(DIMENSIONS)
    if unknown or (query.period is not None and query.period not in PERIODS):
        raise ValueError(f"unknown dimension or period: {sorted(unknown)} {query.period}")
    cuboid = _cuboid(query)
    params: dict[str, Any] = {"within": query.within}
    if cuboid is not None:
        columns = ", ".join(_change_column(d) for d in (*DIMENSIONS, "opened_month"))
        source = (
            f"SELECT path, {', '.join((*DIMENSIONS, 'opened_month'))}, n FROM case_counts"  # noqa: S608 - fixed identifiers only (checked above)
            " WHERE cuboid = :cuboid AND path <@ CAST(:within AS ltree)"
            f" UNION ALL SELECT path, {columns}, delta FROM case_count_changes"
            " WHERE path <@ CAST(:within AS ltree)"
        )
        params["cuboid"] = cuboid
    else:
        source = (
            "SELECT path, kind, stage, risk_level, sex, age_band, stage <> 'CLOSED' AS is_open,"
            " opened_month, n FROM registry_case_counts_raw(CAST(:within AS ltree))"
        )
    conditions: list[str] = []
    for number, (dimension, values) in enumerate(sorted(query.only.items())):
        conditions.append(f"{dimension} = ANY(:only_{number})")
        params[f"only_{number}"] = list(values)
    if query.opened_from is not None:
        conditions.append("opened_month >= :opened_from")
        params["opened_from"] = query.opened_from
    if query.opened_until is not None:
        conditions.append("opened_month < :opened_until")
        params["opened_until"] = query.opened_until
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    period = f"date_trunc('{PERIODS[query.period]}', opened_month)::date" if query.period else "NULL::date"
    dims = [d for d in DIMENSIONS if d in query.dimensions]
    selected = ", ".join([*dims, f"{period} AS period"])
    if query.level is None:
        statement = (
            f"SELECT NULL::bigint AS node, {selected}, sum(n)::bigint AS n FROM ({source}) s {where}"  # noqa: S608 - fixed identifiers only (checked above)
            f" GROUP BY {', '.join(str(i + 2) for i in range(len(dims) + 1))}"
        )
    else:
        params["level"] = query.level.value
        statement = f"""
            WITH g AS (
                SELECT path, {selected}, sum(n)::bigint AS n FROM ({source}) s {where}
                GROUP BY {", ".join(str(i + 1) for i in range(len(dims) + 2))}
            ),
            m AS MATERIALIZED (
                -- Once per distinct path: a path's labels are its nodes' ids, looked up by key.
                SELECT p.path, (
                    SELECT a.id FROM unnest(string_to_array(ltree2text(p.path), '.')::bigint[]) AS l(id)
                    JOIN jurisdictions a ON a.id = l.id
                    WHERE a.level <= CAST(:level AS jurisdiction_level)
                    ORDER BY nlevel(a.path) DESC LIMIT 1
                ) AS node
                FROM (SELECT DISTINCT path FROM g) p
            )
            SELECT m.node, {", ".join([*dims, "period"])}, sum(g.n)::bigint AS n
            FROM g JOIN m USING (path)
            GROUP BY {", ".join(str(i + 1) for i in range(len(dims) + 2))}
        """  # noqa: S608 - fixed identifiers only (checked above)
    rows = (await session.execute(text(statement), params)).all()
    cells: dict[tuple[Any, ...], int] = {}
    for row in rows:
        count = int(row[-1])
        if count:
            cells[tuple(row[:-1])] = count
    return CaseCounts(cells=cells, from_rollup=cuboid is not None)


def _change_column(dimension: str) -> str:
    return "stage <> 'CLOSED' AS is_open" if dimension == "is_open" else dimension


@dataclass(frozen=True, slots=True)
class TreeNode:
    id: int
    parent_id: int | None
    level: JurisdictionLevel
    path: str


async def subtree_down_to(session: AsyncSession, within: str, level: JurisdictionLevel) -> list[TreeNode]:
    """The nodes under ``within`` (itself included) down to ``level``: the tree the cells nest in."""
    rows = await session.execute(
        text(
            "SELECT id, parent_id, level, path::text AS path FROM jurisdictions"
            " WHERE path <@ CAST(:within AS ltree) AND level <= CAST(:level AS jurisdiction_level)"
        ),
        {"within": within, "level": level.value},
    )
    return [TreeNode(row.id, row.parent_id, JurisdictionLevel(row.level), row.path) for row in rows]


async def compact_case_counts(connection: AsyncConnection | AsyncSession) -> int:
    """Fold pending changes into the rollups; the number of change rows folded (0 also when another
    compactor is at work)."""
    return int((await connection.execute(text("SELECT registry_compact_case_counts()"))).scalar_one())


async def rebuild_case_counts(session: AsyncSession) -> int:
    """Recount every rollup from the cases, as the owner, in one snapshot (the caller's transaction must be
    REPEATABLE READ): changes committed after it stay pending and are folded later, so none is lost or
    counted twice. Returns the number of cases counted."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('registry_compact_case_counts'))"))
    await session.execute(text("DELETE FROM case_count_changes"))
    await session.execute(text("DELETE FROM case_counts"))
    counted = await session.execute(
        text(
            "INSERT INTO case_count_changes"
            " (path, kind, stage, risk_level, sex, age_band, opened_month, delta)"
            " SELECT k.district_path, c.kind, c.stage, c.risk_level, k.sex, k.age_band, k.opened_month, 1"
            " FROM cases c, LATERAL registry_case_count_key(c.path, c.child_id, c.opened_at) k"
        )
    )
    await compact_case_counts(session)
    return int(counted.rowcount)  # type: ignore[attr-defined]
