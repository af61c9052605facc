"""Running a plan: the rows of each root field in one statement, then the answer as plain values.

Every rule is the resolvers' own, called here the same way: the policy's visibility predicates
(:mod:`registry.auth.policy`), the same filter, page and cursor rules (:mod:`registry.schema.relay`), the same
identity rule and audit notes. A request this cannot answer as the resolvers would (a bad argument, a
cursor or ID that is not valid, another type's ID) raises :class:`NotCompiled` before anything is noted.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import asyncpg
from graphql import GraphQLError, GraphQLSchema, located_error
from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Dialect
from strawberry import relay
from strawberry.utils.str_converters import to_snake_case

from registry.auth.permissions import Permission
from registry.auth.policy import (
    CaseInCharge,
    can_see_identity,
    cases_open_to,
    child_filter,
    scope_filter,
)
from registry.auth.principal import Principal
from registry.db import raw
from registry.db.models import Case as CaseRow
from registry.db.models import Child, Institution
from registry.db.models.children import age_band
from registry.db.queries import case_rows
from registry.db.queries import cases as case_queries
from registry.db.queries.paging import Keyset, apply_keyset, in_list_order
from registry.errors import PersonalDataWithheld, RegistryError
from registry.fastpath.plan import TYPENAME, Field, NotCompiled, Plan, Selection
from registry.resolvers.cases import case_filter
from registry.schema.cases import MAX_EVENTS, CaseFilter
from registry.schema.context import Context
from registry.schema.relay import decode_cursor, encode_cursor, page_size, row_id

Path = list[str | int]
# How each leaf field's value comes from a flat row.
Leaves = dict[str, Callable[[Any], Any]]
Json = dict[str, Any]


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


# Leaves: response value from a flat row (prefix: the row's columns of that record).
# Enumerations come from the driver as their PostgreSQL labels, which are the GraphQL values.
CASE_LEAVES: Leaves = {
    "id": lambda r: relay.to_base64("Case", r["id"]),
    "caseNumber": lambda r: r["case_number"],
    "kind": lambda r: r["kind"],
    "stage": lambda r: r["stage"],
    "riskLevel": lambda r: r["risk_level"],
    "version": lambda r: r["version"],
    "openedAt": lambda r: r["opened_at"].isoformat(),
    "closedAt": lambda r: _iso(r["closed_at"]),
}
CHILD_LEAVES: Leaves = {
    "id": lambda r: relay.to_base64("Child", r["child_id_"]),
    "sex": lambda r: r["child_sex"],
    "registeredOn": lambda r: r["child_registered_on"].isoformat(),
    "version": lambda r: r["child_version"],
}
INSTITUTION_LEAVES: Leaves = {
    "id": lambda r: relay.to_base64("Institution", r["institution_id_"]),
    "code": lambda r: r["institution_code"],
    "name": lambda r: r["institution_name"],
    "type": lambda r: r["institution_type"],
    "capacity": lambda r: r["institution_capacity"],
    "active": lambda r: r["institution_active"],
    "version": lambda r: r["institution_version"],
}
EVENT_LEAVES: Leaves = {
    "type": lambda r: r["event_type"],
    "occurredAt": lambda r: r["event_occurred_at"].isoformat(),
    "fromStage": lambda r: r["event_from_stage"],
    "toStage": lambda r: r["event_to_stage"],
}
IDENTITY_FIELDS = {"fullName": "identity_full_name", "dateOfBirth": "identity_date_of_birth"}
WITHHELD = "Personal data withheld: you may not see this child's identity."


@dataclass
class Answer:
    """One request's answer being built: its errors, and the personal data it will have returned."""

    context: Context
    schema: GraphQLSchema
    variables: VariableValues
    errors: list[GraphQLError] = field(default_factory=list)
    # Children whose identity the policy lets this request show.
    shown: set[int] = field(default_factory=set)
    # (child id -> path) of each identity shown, noted in the audit trail once the answer is complete.
    identities: dict[int, str] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)

    def arguments(self, type_name: str, item: Field) -> dict[str, Any]:
        type_ = self.schema.get_type(type_name)
        definition = type_.fields[item.name]  # type: ignore[union-attr]
        return get_argument_values(definition, item.nodes[0], self.variables)


async def run(
    plan: Plan, context: Context, schema: GraphQLSchema, variables: VariableValues
) -> tuple[Json, list[GraphQLError]]:
    """The answer's ``data`` and its errors (personal data withheld)."""
    answer = Answer(context, schema, variables)
    data: Json = {}
    for item in plan.root.fields:
        if item.name == TYPENAME:
            data[item.key] = "Query"
        elif item.name == "cases":
            data[item.key] = await _cases(answer, item)
        else:
            data[item.key] = await _node(answer, item)
    for child_id, path in answer.identities.items():
        context.audit.note_personal_data("children", child_id, path=path, child_id=child_id, what="identity")
    return data, answer.errors


# --- root fields ------------------------------------------------------------------------------------------


async def _cases(answer: Answer, item: Field) -> Json:
    arguments = answer.arguments("Query", item)
    first, last = arguments["first"], arguments["last"]
    after, before = arguments["after"], arguments["before"]
    try:
        if first is not None and last is not None:
            raise NotCompiled("first and last")
        backwards = last is not None
        maximum = answer.context.settings.max_page_size
        size = page_size(last if backwards else first, maximum=maximum)
        keyset = Keyset(
            limit=size + 1,
            after=decode_cursor(after) if after is not None else None,
            before=decode_cursor(before, field="before") if before is not None else None,
            backwards=backwards,
        )
        given = arguments["filter"]
        flt = case_filter(CaseFilter(**_python_names(given)) if given is not None else None)
    except RegistryError as refused:
        raise NotCompiled("refused argument") from refused
    assert item.selection is not None
    edges = item.selection.get("edges")
    node = edges.selection.get("node") if edges is not None and edges.selection is not None else None
    selection = node.selection if node is not None else None
    rows: list[list[asyncpg.Record]] = []
    if edges is not None or item.selection.get("pageInfo") is not None:
        rows = in_list_order(await _page(answer, flt, keyset, selection), keyset)
    more = len(rows) > size
    window = rows[-size:] if backwards and more else rows[:size]
    if size == 0:
        window = []
    _decide_identities(answer, window, selection)
    values: Json = {}
    for part in item.selection.fields:
        if part.name == TYPENAME:
            values[part.key] = "CaseConnection"
        elif part.name == "totalCount":
            visible = cases_open_to(answer.context.principal, Permission.CASES_READ)
            values[part.key] = await case_queries.count_cases(answer.context.session, visible, flt)
        elif part.name == "edges":
            assert part.selection is not None
            edge = _built(part.selection, _edge_builder)
            values[part.key] = [
                edge(answer, group, [item.key, part.key, index]) for index, group in enumerate(window)
            ]
        else:
            assert part.selection is not None
            start = window[0][0]["id"] if window else None
            end = window[-1][0]["id"] if window else None
            values[part.key] = _page_info(
                part.selection,
                has_next=keyset.before is not None if backwards else more,
                has_previous=more if backwards else keyset.after is not None,
                start=encode_cursor(start) if start is not None else None,
                end=encode_cursor(end) if end is not None else None,
            )
    return values


async def _node(answer: Answer, item: Field) -> Json | None:
    global_id = answer.arguments("Query", item)["id"]
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except (ValueError, relay.GlobalIDValueError):
        raise NotCompiled("not a global ID") from None
    case_id = row_id(parsed.node_id)
    if parsed.type_name != "Case" or case_id is None:
        raise NotCompiled("not a case")
    assert item.selection is not None
    principal = answer.context.principal
    joins, shape = _joins(answer, item.selection)

    def build() -> Select[Any]:
        visible = cases_open_to(principal, Permission.CASES_READ)
        chosen = select(CaseRow).where(CaseRow.id == bindparam("fp_case_id", required=False), visible)
        return case_rows.case_rows(chosen, joins(), descending=True)

    groups = await _grouped(answer, ("node", shape), build, {"fp_case_id": case_id})
    _decide_identities(answer, groups, item.selection)
    if not groups:
        return None
    return _built(item.selection, _case_builder)(answer, groups[0], [item.key])


# --- reading ----------------------------------------------------------------------------------------------


async def _page(
    answer: Answer, flt: case_queries.CaseFilter, keyset: Keyset, selection: Selection | None
) -> list[list[asyncpg.Record]]:
    """The page's rows (one more than the page), in the keyset's order, grouped by case."""
    principal = answer.context.principal
    # The subtree's path is looked up first: matched by its ids, it shapes the statement (a key of its cache).
    flt = await case_queries.with_within_path(answer.context.session, flt)
    bound, filter_shape, given = _bound_filter(flt)
    # Cursor values are bound per request; whether there are any, and the page size, shape the statement.
    if keyset.after is not None:
        given["fp_after"] = keyset.after
    if keyset.before is not None:
        given["fp_before"] = keyset.before
    bound_keyset = Keyset(
        limit=keyset.limit,
        after=cast(int, bindparam("fp_after", required=False)) if keyset.after is not None else None,
        before=cast(int, bindparam("fp_before", required=False)) if keyset.before is not None else None,
        backwards=keyset.backwards,
    )
    keyset_shape = (keyset.limit, keyset.after is not None, keyset.before is not None, keyset.backwards)
    joins, joins_shape = _joins(answer, selection)

    def build() -> Select[Any]:
        visible = cases_open_to(principal, Permission.CASES_READ)
        chosen = apply_keyset(
            case_queries.filtered_cases(visible, bound), CaseRow.id, bound_keyset, descending=True
        )
        # The list is newest first; a backwards page is read oldest first.
        return case_rows.case_rows(chosen, joins(), descending=not keyset.backwards)

    return await _grouped(answer, ("cases", filter_shape, keyset_shape, joins_shape), build, given)


def _joins(answer: Answer, selection: Selection | None) -> tuple[Callable[[], case_rows.Joins], Hashable]:
    """What to join to the cases (made when the statement is built) and its shape."""
    principal = answer.context.principal
    if selection is None:
        return case_rows.Joins, ()
    child = selection.get("child")
    events = selection.get("events")
    last = None
    if events is not None:
        last = answer.arguments("Case", events)["last"]
        if not 0 <= last <= MAX_EVENTS:
            raise NotCompiled("events(last) out of range")
    identity = (
        child is not None
        and child.selection is not None
        and bool(child.selection.names() & IDENTITY_FIELDS.keys())
    )
    institution = selection.get("institution") is not None

    def joins() -> case_rows.Joins:
        return case_rows.Joins(
            child_visible=(
                child_filter(principal, Permission.CHILDREN_READ, Child.path, Child.id) if child else None
            ),
            identity_visible=scope_filter(principal, Permission.PII_READ, Child.path) if identity else None,
            cases_in_charge_visible=cases_open_to(principal, Permission.CASES_READ) if identity else None,
            institution_visible=(
                scope_filter(principal, Permission.JURISDICTIONS_READ, Institution.path)
                if institution
                else None
            ),
            events=last,
        )

    return joins, (child is not None, identity, institution, last)


async def _grouped(
    answer: Answer, shape: Hashable, build: Callable[[], Select[Any]], given: dict[str, Any]
) -> list[list[asyncpg.Record]]:
    """Rows of the statement ``build`` makes (compiled once per shape and principal), grouped by case (a
    case with events has one row per event), in the statement's order."""
    session = answer.context.session
    statement = _STATEMENTS.get(
        (shape, _principal_key(answer.context.principal)), build, raw.dialect_of(session)
    )
    groups: list[list[asyncpg.Record]] = []
    for row in await raw.fetch(session, statement, given):
        if groups and groups[-1][0]["id"] == row["id"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _principal_key(principal: Principal | None) -> Hashable:
    """What the policy's predicates depend on."""
    return None if principal is None else (principal.kind, principal.id, principal.grants)


def _bound_filter(
    flt: case_queries.CaseFilter,
) -> tuple[case_queries.CaseFilter, Hashable, dict[str, Any]]:
    """The filter with each value a bind parameter, its shape (which conditions, how many values in each
    list, and the flags), and the values by bind name."""
    given: dict[str, Any] = {}

    def one(name: str, value: Any) -> Any:
        if value is None:
            return None
        given[f"fp_{name}"] = value
        return bindparam(f"fp_{name}", required=False)

    def many(name: str, values: Sequence[Any]) -> list[Any]:
        return [one(f"{name}_{index}", value) for index, value in enumerate(values)]

    bound = case_queries.CaseFilter(
        kinds=many("kind", flt.kinds),
        stages=many("stage", flt.stages),
        risk_levels=many("risk", flt.risk_levels),
        within_code=one("within_code", flt.within_code),
        within_path=flt.within_path,
        levels=many("level", flt.levels),
        open=flt.open,
        assigned_to_id=one("assigned_to_id", flt.assigned_to_id),
        unassigned=flt.unassigned,
        opened_from=one("opened_from", flt.opened_from),
        opened_before=one("opened_before", flt.opened_before),
        closed_from=one("closed_from", flt.closed_from),
        closed_before=one("closed_before", flt.closed_before),
    )
    shape = (
        len(flt.kinds),
        len(flt.stages),
        len(flt.risk_levels),
        len(flt.levels),
        flt.open,
        flt.unassigned,
        flt.within_path,
        *(name for name in given if not name[-1].isdigit()),
    )
    return bound, shape, given


class _Statements:
    """Compiled statements by shape and principal, the least recently used forgotten first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.statements: OrderedDict[Hashable, raw.CompiledStatement] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Select[Any]], dialect: Dialect) -> raw.CompiledStatement:
        with self.lock:
            found = self.statements.get(key)
            if found is not None:
                self.statements.move_to_end(key)
                return found
        found = raw.compile_statement(build(), dialect)
        with self.lock:
            self.statements[key] = found
            while len(self.statements) > self.size:
                self.statements.popitem(last=False)
        return found


_STATEMENTS = _Statements(size=4096)


def _decide_identities(
    answer: Answer, groups: list[list[asyncpg.Record]], selection: Selection | None
) -> None:
    """Whose identity may be shown (``answer.shown``): ``pii:read`` over the child, and for a restricted
    identity the cases in charge (read in the same statement), as the resolvers decide."""
    child = selection.get("child") if selection is not None else None
    if child is None or child.selection is None or not (child.selection.names() & IDENTITY_FIELDS.keys()):
        return
    principal = answer.context.principal
    # Where the identity is not restricted the rule depends on the child's place alone.
    by_path: dict[str, bool] = {}
    for group in groups:
        row = group[0]
        if row["child_id_"] is None:
            continue
        path = row["child_path"]
        if not row["child_identity_restricted"]:
            shown = by_path.get(path)
            if shown is None:
                shown = by_path[path] = can_see_identity(principal, path, restricted=False, cases=())
        else:
            shown = can_see_identity(
                principal,
                path,
                restricted=True,
                cases=[
                    CaseInCharge(case_path, in_conflict_with_law, assigned_to_id)
                    for case_path, in_conflict_with_law, assigned_to_id in row["child_cases_in_charge"] or ()
                ],
            )
        if shown:
            answer.shown.add(row["child_id_"])


# --- building the answer ----------------------------------------------------------------------------------


# Each selection's answer is built by a function made once per plan (the plan is cached with its document):
# the fields' order, keys and value getters are decided there, not once per row. A path is built only for an
# error's location.
Group = list[asyncpg.Record]
Build = Callable[[Answer, Group, Path], Json]


def _built(selection: Selection, make: Callable[[Selection], Build]) -> Build:
    found = selection.built.get(make)
    if found is None:
        found = selection.built[make] = make(selection)
    return found


def _edge_builder(selection: Selection) -> Build:
    parts: list[tuple[str, Callable[[Answer, Group, Path], Any]]] = []
    for part in selection.fields:
        if part.name == TYPENAME:
            parts.append((part.key, partial(_constant, "CaseEdge")))
        elif part.name == "cursor":
            parts.append((part.key, _cursor))
        else:
            assert part.selection is not None
            parts.append((part.key, partial(_nested, _built(part.selection, _case_builder), part.key)))
    return partial(_object, parts)


def _page_info(
    selection: Selection, *, has_next: bool, has_previous: bool, start: str | None, end: str | None
) -> Json:
    known = {
        TYPENAME: "PageInfo",
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "startCursor": start,
        "endCursor": end,
    }
    return {part.key: known[part.name] for part in selection.fields}


def _case_builder(selection: Selection) -> Build:
    parts: list[tuple[str, Callable[[Answer, Group, Path], Any]]] = []
    for part in selection.fields:
        key, name = part.key, part.name
        if name == TYPENAME:
            parts.append((key, partial(_constant, "Case")))
        elif name in CASE_LEAVES:
            parts.append((key, partial(_case_leaf, CASE_LEAVES[name])))
        elif name == "child":
            parts.append((key, partial(_case_child, _child_builder(part), key)))
        elif name == "institution":
            assert part.selection is not None
            institution = _leaves_builder(part.selection, "Institution", INSTITUTION_LEAVES)
            parts.append((key, partial(_case_institution, institution)))
        else:
            assert part.selection is not None
            event = _leaves_builder(part.selection, "CaseEvent", EVENT_LEAVES)
            parts.append((key, partial(_case_events, event)))
    return partial(_object, parts)


def _object(
    parts: list[tuple[str, Callable[[Answer, Group, Path], Any]]], answer: Answer, group: Group, path: Path
) -> Json:
    return {key: get(answer, group, path) for key, get in parts}


def _constant(value: str, *_: Any) -> str:
    return value


def _cursor(_answer: Answer, group: Group, _path: Path) -> str:
    return encode_cursor(group[0]["id"])


def _nested(build: Build, key: str, answer: Answer, group: Group, path: Path) -> Json:
    return build(answer, group, [*path, key])


def _case_leaf(leaf: Callable[[Any], Any], _answer: Answer, group: Group, _path: Path) -> Any:
    return leaf(group[0])


ChildPart = Callable[[Answer, asyncpg.Record, Path, str], Any]
ChildBuild = Callable[[Answer, asyncpg.Record, Path, str], Json]


def _case_child(child: ChildBuild, key: str, answer: Answer, group: Group, path: Path) -> Json | None:
    return child(answer, group[0], path, key) if group[0]["child_id_"] is not None else None


def _case_institution(
    institution: Callable[[asyncpg.Record], Json], _answer: Answer, group: Group, _path: Path
) -> Json | None:
    return institution(group[0]) if group[0]["institution_id_"] is not None else None


def _case_events(
    event: Callable[[asyncpg.Record], Json], _answer: Answer, group: Group, _path: Path
) -> list[Json]:
    return [event(row) for row in group if row["event_id"] is not None]


def _child_builder(item: Field) -> ChildBuild:
    """The child's answer; an identity field the policy withholds is null with an error at its path."""
    assert item.selection is not None
    parts: list[tuple[str, ChildPart]] = []
    for part in item.selection.fields:
        key, name = part.key, part.name
        if name == TYPENAME:
            parts.append((key, partial(_constant, "Child")))
        elif name == "ageBand":
            parts.append((key, _age_band))
        elif name in IDENTITY_FIELDS:
            parts.append((key, partial(_identity, IDENTITY_FIELDS[name], part)))
        else:
            parts.append((key, partial(_child_leaf, CHILD_LEAVES[name])))
    return partial(_child_object, parts)


def _child_object(
    parts: list[tuple[str, ChildPart]], answer: Answer, row: asyncpg.Record, path: Path, key: str
) -> Json:
    return {part_key: get(answer, row, path, key) for part_key, get in parts}


def _child_leaf(
    leaf: Callable[[Any], Any], _answer: Answer, row: asyncpg.Record, _path: Path, _key: str
) -> Any:
    return leaf(row)


def _age_band(answer: Answer, row: asyncpg.Record, _path: Path, _key: str) -> str:
    return age_band(row["child_birth_year"], answer.today).name


def _identity(
    column: str, part: Field, answer: Answer, row: asyncpg.Record, path: Path, child_key: str
) -> Any:
    if row["child_id_"] not in answer.shown:
        answer.errors.append(
            located_error(PersonalDataWithheld(WITHHELD), list(part.nodes), [*path, child_key, part.key])
        )
        return None
    if row["identity_child_id"] is not None:
        answer.identities[row["child_id_"]] = row["child_path"]
    value = row[column]
    return value.isoformat() if isinstance(value, dt.date) else value


def _leaves_builder(selection: Selection, type_name: str, leaves: Leaves) -> Callable[[asyncpg.Record], Json]:
    parts = [
        (part.key, partial(_constant, type_name) if part.name == TYPENAME else leaves[part.name])
        for part in selection.fields
    ]
    return partial(_leaves_object, parts)


def _leaves_object(parts: list[tuple[str, Callable[[Any], Any]]], row: asyncpg.Record) -> Json:
    return {key: get(row) for key, get in parts}


def _python_names(given: dict[str, Any]) -> dict[str, Any]:
    """The filter's coerced value (GraphQL names) as keyword arguments of its Strawberry class, global IDs
    parsed as Strawberry parses them (one it would refuse is left to it)."""
    found = {to_snake_case(name): value for name, value in given.items()}
    if isinstance(found.get("assigned_to"), str):
        try:
            found["assigned_to"] = relay.GlobalID.from_id(found["assigned_to"])
        except (ValueError, relay.GlobalIDValueError):
            raise NotCompiled("not a global ID") from None
    return found
