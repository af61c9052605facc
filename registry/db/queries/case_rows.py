"""Cases with what their answer joins (child, the child's identity, institution, latest events), in one
statement of flat rows: the reads of the compiled path (:mod:`registry.fastpath`), which compiles it once
(:mod:`registry.db.raw`).

The caller gives the statement choosing the cases (with the policy's visibility predicate, order and
limit) and the predicates for the joined records; a record its predicate refuses comes back as nulls, as
the resolvers' loaders find nothing. A case with events comes back once per event, newest first. For a
child whose identity is restricted, the statement also brings what the identity rule needs of the child's
cases the caller may see (``child_cases_in_charge``), so that rule costs no second statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, select, true

from registry.db.models import Case, CaseEvent, CaseKind, Child, ChildIdentity, Institution

CASE_COLUMNS = (
    Case.id,
    Case.case_number,
    Case.kind,
    Case.stage,
    Case.risk_level,
    Case.version,
    Case.opened_at,
    Case.closed_at,
    Case.child_id,
    Case.institution_id,
    Case.path,
)


@dataclass(frozen=True, slots=True)
class Joins:
    """What to join to each case. ``identity``: the identity columns where ``identity_visible`` admits
    the child; ``events``: how many of the latest events (None: none)."""

    child_visible: ColumnElement[bool] | None = None
    identity_visible: ColumnElement[bool] | None = None
    # The cases of a restricted child the caller may see, for the identity rule (with the identity).
    cases_in_charge_visible: ColumnElement[bool] | None = None
    institution_visible: ColumnElement[bool] | None = None
    events: int | None = None


def case_rows(cases: Select[Any], joins: Joins, *, descending: bool) -> Select[Any]:
    """The cases ``cases`` selects (in id order, newest first when ``descending``) with ``joins``.
    Columns: the case's by name; ``child_*``, ``identity_*``, ``institution_*``, ``event_*``."""
    page = cases.with_only_columns(*CASE_COLUMNS).subquery("page")
    columns: list[Any] = list(page.c)
    joined: Any = page
    if joins.child_visible is not None:
        columns += [
            Child.id.label("child_id_"),
            Child.sex.label("child_sex"),
            Child.birth_year.label("child_birth_year"),
            Child.registered_on.label("child_registered_on"),
            Child.version.label("child_version"),
            Child.path.label("child_path"),
            Child.identity_restricted.label("child_identity_restricted"),
        ]
        joined = joined.outerjoin(Child, and_(Child.id == page.c.child_id, joins.child_visible))
        if joins.identity_visible is not None:
            columns += [
                ChildIdentity.child_id.label("identity_child_id"),
                ChildIdentity.full_name.label("identity_full_name"),
                ChildIdentity.date_of_birth.label("identity_date_of_birth"),
            ]
            joined = joined.outerjoin(
                ChildIdentity, and_(ChildIdentity.child_id == Child.id, joins.identity_visible)
            )
        if joins.cases_in_charge_visible is not None:
            in_charge = _cases_in_charge(joins.cases_in_charge_visible)
            columns.append(in_charge.c.child_cases_in_charge)
            joined = joined.outerjoin(in_charge, true())
    if joins.institution_visible is not None:
        columns += [
            Institution.id.label("institution_id_"),
            Institution.code.label("institution_code"),
            Institution.name.label("institution_name"),
            Institution.type.label("institution_type"),
            Institution.capacity.label("institution_capacity"),
            Institution.active.label("institution_active"),
            Institution.version.label("institution_version"),
        ]
        joined = joined.outerjoin(
            Institution, and_(Institution.id == page.c.institution_id, joins.institution_visible)
        )
    order: list[Any] = [page.c.id.desc() if descending else page.c.id.asc()]
    if joins.events is not None:
        latest = (
            select(
                CaseEvent.id.label("event_id"),
                CaseEvent.type.label("event_type"),
                CaseEvent.occurred_at.label("event_occurred_at"),
                CaseEvent.from_stage.label("event_from_stage"),
                CaseEvent.to_stage.label("event_to_stage"),
            )
            .where(CaseEvent.case_id == page.c.id)
            .order_by(CaseEvent.occurred_at.desc(), CaseEvent.id.desc())
            .limit(joins.events)
            .lateral("latest")
        )
        columns += list(latest.c)
        joined = joined.outerjoin(latest, true())
        order += [latest.c.event_occurred_at.desc(), latest.c.event_id.desc()]
    return select(*columns).select_from(joined).order_by(*order)


def _cases_in_charge(visible: ColumnElement[bool]) -> Any:
    """Of a restricted child's cases that ``visible`` admits: each one's path, whether it is of a child in
    conflict with the law, and its assignee, as a JSON array of arrays (null for any other child)."""
    return (
        select(
            func.jsonb_agg(
                func.jsonb_build_array(
                    cast(Case.path, Text),
                    Case.kind == CaseKind.CHILD_IN_CONFLICT_WITH_LAW,
                    Case.assigned_to_id,
                )
            ).label("child_cases_in_charge")
        )
        .where(Case.child_id == Child.id, Child.identity_restricted, visible)
        .lateral("in_charge")
    )
