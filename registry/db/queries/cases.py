"""Reads of cases and their events. Every statement takes the policy's visibility predicate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import in_subtrees
from registry.db.models import (
    Case,
    CaseEvent,
    CaseEventType,
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


# Writes of the hot mutations in as few statements as row-level security allows, without the unit of work:
# a new case (its id, number and row at once) and its events; a change of stage with its events. The
# callers check the rows (visibility, workflow, version) before.

# Both statements below end alike: the events of the change (``recorded``), in the order given and at one
# moment, for the case of the CTE ``target``. Row-level security checks a new event against its case as the
# statement found it: a case and its first events cannot be inserted in one statement.

# The case number names the opening province (``PB`` for ``PK-PB``), the year and the id.
_INSERT_CASE = text(
    "WITH new AS (SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id)"
    " INSERT INTO cases (id, case_number, child_id, kind, stage, risk_level, assigned_to_id,"
    "   institution_id, opened_at, jurisdiction_id, path)"
    " SELECT new.id, concat_ws('-', coalesce((SELECT CASE WHEN code LIKE 'PK-%' THEN substr(code, 4)"
    "     ELSE code END FROM jurisdictions WHERE id = :province_id), 'PK'), CAST(:year AS text),"
    "     CASE WHEN length(new.id::text) < 8 THEN lpad(new.id::text, 8, '0') ELSE new.id::text END),"
    "   :child_id, CAST(:kind AS case_kind), CAST(:stage AS case_stage), CAST(:risk_level AS risk_level),"
    "   :assigned_to_id, :institution_id, :moment, :jurisdiction_id, CAST(:path AS ltree)"
    " FROM new RETURNING id"
)

_INSERT_EVENTS = text(
    "WITH target AS (SELECT CAST(:case_id AS bigint) AS id),"
    " recorded AS (INSERT INTO case_events"
    "   (case_id, type, occurred_at, actor_user_id, actor_client_id, from_stage, to_stage, data, note)"
    " SELECT target.id, e.type, :moment, :actor_user_id, :actor_client_id, e.from_stage, e.to_stage,"
    "   coalesce(e.data, '{}'::jsonb), e.note"
    " FROM target, ROWS FROM (jsonb_to_recordset(CAST(:events AS jsonb)) AS (type case_event_type,"
    "   from_stage case_stage, to_stage case_stage, data jsonb, note text))"
    "   WITH ORDINALITY AS e(type, from_stage, to_stage, data, note, position)"
    " ORDER BY e.position RETURNING id)"
    " SELECT array(SELECT id FROM recorded ORDER BY id) AS event_ids"
)

_CHANGE_STAGE = text(
    "WITH target AS (UPDATE cases SET stage = CAST(:stage AS case_stage),"
    "   risk_level = CAST(:risk_level AS risk_level), closed_at = :closed_at,"
    "   closure_reason = :closure_reason, version = version + 1, updated_at = :moment"
    " WHERE id = :case_id RETURNING id),"
    " recorded AS (INSERT INTO case_events"
    "   (case_id, type, occurred_at, actor_user_id, actor_client_id, from_stage, to_stage, data, note)"
    " SELECT target.id, e.type, :moment, :actor_user_id, :actor_client_id, e.from_stage, e.to_stage,"
    "   coalesce(e.data, '{}'::jsonb), e.note"
    " FROM target, ROWS FROM (jsonb_to_recordset(CAST(:events AS jsonb)) AS (type case_event_type,"
    "   from_stage case_stage, to_stage case_stage, data jsonb, note text))"
    "   WITH ORDINALITY AS e(type, from_stage, to_stage, data, note, position)"
    " ORDER BY e.position RETURNING id)"
    " SELECT array(SELECT id FROM recorded ORDER BY id) AS event_ids"
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: CaseEventType
    from_stage: CaseStage | None = None
    to_stage: CaseStage | None = None
    data: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EventActor:
    """Who acts, as case events record it: a person or an API client."""

    user_id: int | None
    client_id: int | None


def _event_parameters(events: Sequence[NewEvent], actor: EventActor, moment: dt.datetime) -> dict[str, Any]:
    rows = [
        {
            "type": e.type.value,
            "from_stage": e.from_stage.value if e.from_stage is not None else None,
            "to_stage": e.to_stage.value if e.to_stage is not None else None,
            "data": dict(e.data) if e.data else {},
            "note": e.note,
        }
        for e in events
    ]
    return {
        "events": json.dumps(rows),
        "moment": moment,
        "actor_user_id": actor.user_id,
        "actor_client_id": actor.client_id,
    }


async def insert_case(
    session: AsyncSession,
    *,
    province_id: int,
    child_id: int,
    kind: CaseKind,
    risk_level: RiskLevel,
    assigned_to_id: int | None,
    institution_id: int | None,
    jurisdiction_id: int,
    path: str,
    moment: dt.datetime,
    actor: EventActor,
    events: Sequence[NewEvent],
) -> tuple[int, list[int]]:
    """A new case at stage REGISTERED with its first events: ``(case id, event ids)``."""
    case_id = (
        await session.execute(
            _INSERT_CASE,
            {
                "province_id": province_id,
                "year": str(moment.year),
                "child_id": child_id,
                "kind": kind.value,
                "stage": CaseStage.REGISTERED.value,
                "risk_level": risk_level.value,
                "assigned_to_id": assigned_to_id,
                "institution_id": institution_id,
                "moment": moment,
                "jurisdiction_id": jurisdiction_id,
                "path": path,
            },
        )
    ).scalar_one()
    row = (
        await session.execute(_INSERT_EVENTS, {"case_id": case_id} | _event_parameters(events, actor, moment))
    ).one()
    return int(case_id), list(row.event_ids)


async def change_stage(
    session: AsyncSession,
    case_id: int,
    *,
    stage: CaseStage,
    risk_level: RiskLevel,
    closed_at: dt.datetime | None,
    closure_reason: str | None,
    moment: dt.datetime,
    actor: EventActor,
    events: Sequence[NewEvent],
) -> list[int]:
    """Move a case (locked and checked by the caller) and record the events of the move: their ids."""
    row = (
        await session.execute(
            _CHANGE_STAGE,
            {
                "case_id": case_id,
                "stage": stage.value,
                "risk_level": risk_level.value,
                "closed_at": closed_at,
                "closure_reason": closure_reason,
            }
            | _event_parameters(events, actor, moment),
        )
    ).one()
    return list(row.event_ids)
