"""Reads of cases and their events. Every statement takes the policy's visibility predicate."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import in_subtrees
from registry.db.models import (
    Case,
    CaseEvent,
    CaseKind,
    CaseStage,
    Jurisdiction,
    JurisdictionLevel,
    RiskLevel,
)
from registry.db.queries.paging import (
    Keyset,
    apply_keyset,
    below_looked_up_root,
    counts_within,
    in_list_order,
    pages_within,
    subtree_path,
)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    kinds: Sequence[CaseKind] = ()
    stages: Sequence[CaseStage] = ()
    risk_levels: Sequence[RiskLevel] = ()
    # Only cases in the subtree of this jurisdiction.
    within_code: str | None = None
    # ``within_code``'s path, once looked up (:func:`with_within_path`): the subtree is then matched by the
    # path's ids, which the planner can use (see :func:`registry.auth.policy.in_subtrees`).
    within_path: str | None = None
    # Only cases owned by a jurisdiction at one of these levels.
    levels: Sequence[JurisdictionLevel] = ()
    open: bool | None = None
    assigned_to_id: int | None = None
    unassigned: bool | None = None
    opened_from: dt.datetime | None = None
    opened_before: dt.datetime | None = None
    closed_from: dt.datetime | None = None
    closed_before: dt.datetime | None = None


def filtered_cases(visible: ColumnElement[bool], flt: CaseFilter) -> Select[Case]:
    statement = select(Case).where(visible)
    if flt.kinds:
        statement = statement.where(Case.kind.in_(flt.kinds))
    if flt.stages:
        statement = statement.where(Case.stage.in_(flt.stages))
    if flt.risk_levels:
        statement = statement.where(Case.risk_level.in_(flt.risk_levels))
    if flt.within_path is not None:
        statement = statement.where(in_subtrees(Case.path, [flt.within_path]))
    elif flt.within_code is not None:
        root = select(Jurisdiction.path).where(Jurisdiction.code == flt.within_code).scalar_subquery()
        statement = statement.where(below_looked_up_root(Case.path, root))
    if flt.levels:
        at_levels = select(Jurisdiction.id).where(Jurisdiction.level.in_(flt.levels))
        statement = statement.where(Case.jurisdiction_id.in_(at_levels))
    if flt.open is not None:
        statement = statement.where(
            (Case.stage != CaseStage.CLOSED) if flt.open else (Case.stage == CaseStage.CLOSED)
        )
    if flt.assigned_to_id is not None:
        statement = statement.where(Case.assigned_to_id == flt.assigned_to_id)
    if flt.unassigned is not None:
        statement = statement.where(
            Case.assigned_to_id.is_(None) if flt.unassigned else Case.assigned_to_id.is_not(None)
        )
    if flt.opened_from is not None:
        statement = statement.where(Case.opened_at >= flt.opened_from)
    if flt.opened_before is not None:
        statement = statement.where(Case.opened_at < flt.opened_before)
    if flt.closed_from is not None:
        statement = statement.where(Case.closed_at >= flt.closed_from)
    if flt.closed_before is not None:
        statement = statement.where(Case.closed_at < flt.closed_before)
    return statement


async def with_within_path(session: AsyncSession, flt: CaseFilter) -> CaseFilter:
    """``flt`` with the path of its ``within_code`` looked up (unchanged when there is none, or no such
    jurisdiction: then the statement finds no subtree and no case)."""
    if flt.within_code is None or flt.within_path is not None:
        return flt
    path = await subtree_path(session, flt.within_code)
    return flt if path is None else dataclasses.replace(flt, within_path=path)


async def cases_page(
    session: AsyncSession, visible: ColumnElement[bool], flt: CaseFilter, *, keyset: Keyset
) -> list[Case]:
    """Newest first (by id, which follows creation), keyset-paged."""
    flt = await with_within_path(session, flt)
    statement = apply_keyset(filtered_cases(visible, flt), Case.id, keyset, descending=True)
    return in_list_order(list(await session.scalars(statement)), keyset)


async def count_cases(session: AsyncSession, visible: ColumnElement[bool], flt: CaseFilter) -> int:
    flt = await with_within_path(session, flt)
    subquery = filtered_cases(visible, flt).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def cases_pages_within(
    session: AsyncSession, visible: ColumnElement[bool], flt: CaseFilter, roots: Sequence[str], keyset: Keyset
) -> dict[str, list[Case]]:
    """A page of cases inside each of the subtrees ``roots``, newest first, in one statement."""
    return await pages_within(
        session,
        filtered_cases(visible, flt),
        Case,
        path_column=Case.path,
        id_column=Case.id,
        roots=roots,
        keyset=keyset,
        descending=True,
    )


async def count_cases_within(
    session: AsyncSession, visible: ColumnElement[bool], flt: CaseFilter, roots: Sequence[str]
) -> dict[str, int]:
    return await counts_within(session, filtered_cases(visible, flt), path_column=Case.path, roots=roots)


async def cases_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, Case]:
    result = await session.scalars(select(Case).where(Case.id.in_(ids), visible))
    return {row.id: row for row in result}


async def cases_by_child_ids(
    session: AsyncSession, visible: ColumnElement[bool], child_ids: Sequence[int]
) -> dict[int, list[Case]]:
    result = await session.scalars(
        select(Case).where(Case.child_id.in_(child_ids), visible).order_by(Case.id)
    )
    found: dict[int, list[Case]] = {child_id: [] for child_id in child_ids}
    for row in result:
        found[row.child_id].append(row)
    return found


async def events_of_cases(
    session: AsyncSession, case_ids: Sequence[int], *, last: int
) -> dict[int, list[CaseEvent]]:
    """The ``last`` most recent events of each case, newest first (one statement for all cases)."""
    ranked = (
        select(
            CaseEvent,
            func.row_number()
            .over(
                partition_by=CaseEvent.case_id, order_by=(CaseEvent.occurred_at.desc(), CaseEvent.id.desc())
            )
            .label("position"),
        )
        .where(CaseEvent.case_id.in_(case_ids))
        .subquery()
    )
    from sqlalchemy.orm import aliased

    event = aliased(CaseEvent, ranked)
    statement = (
        select(event)
        .where(ranked.c.position <= last)
        .order_by(event.case_id, event.occurred_at.desc(), event.id.desc())
    )
    found: dict[int, list[CaseEvent]] = {case_id: [] for case_id in case_ids}
    for row in await session.scalars(statement):
        found[row.case_id].append(row)
    return found


async def case_for_update(session: AsyncSession, visible: ColumnElement[bool], case_id: int) -> Case | None:
    """The case, locked until the transaction ends, if ``visible`` admits it: concurrent changes of one
    case queue here, and the later one then sees the version the earlier one left."""
    statement = select(Case).where(Case.id == case_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def next_case_id(session: AsyncSession) -> int:
    """An id for a new case, taken before the insert so that the case number can contain it."""
    sequence = func.pg_get_serial_sequence("cases", "id")
    return int(await session.scalar(select(func.nextval(sequence))) or 0)
