"""Which operations compile, and into what: each response key's field, its AST nodes (for arguments and
error locations) and, for an object, the fields selected under it.

What compiles is declared here, type by type (:data:`FIELDS`): a field missing from it sends the whole
operation to the resolvers. Fragments and inline fragments are followed; an operation with any directive,
or that is not a query, does not compile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    visit,
)
from graphql.language import DirectiveNode

TYPENAME = "__typename"

# The fields each compiled type answers, and for an object field the type it leads to (None: a leaf).
FIELDS: dict[str, dict[str, str | None]] = {
    "Query": {TYPENAME: None, "cases": "CaseConnection", "node": "Node"},
    "CaseConnection": {TYPENAME: None, "edges": "CaseEdge", "pageInfo": "PageInfo", "totalCount": None},
    "CaseEdge": {TYPENAME: None, "cursor": None, "node": "Case"},
    "PageInfo": {
        TYPENAME: None,
        "hasNextPage": None,
        "hasPreviousPage": None,
        "startCursor": None,
        "endCursor": None,
    },
    "Case": {
        TYPENAME: None,
        "id": None,
        "caseNumber": None,
        "kind": None,
        "stage": None,
        "riskLevel": None,
        "version": None,
        "openedAt": None,
        "closedAt": None,
        "child": "Child",
        "institution": "Institution",
        "events": "CaseEvent",
    },
    "Child": {
        TYPENAME: None,
        "id": None,
        "sex": None,
        "registeredOn": None,
        "version": None,
        "ageBand": None,
        "fullName": None,
        "dateOfBirth": None,
    },
    "Institution": {
        TYPENAME: None,
        "id": None,
        "code": None,
        "name": None,
        "type": None,
        "capacity": None,
        "active": None,
        "version": None,
    },
    "CaseEvent": {TYPENAME: None, "type": None, "occurredAt": None, "fromStage": None, "toStage": None},
}
# Interfaces an inline fragment or fragment may name on each type.
INTERFACES: dict[str, frozenset[str]] = {
    "Case": frozenset({"Node"}),
    "Child": frozenset({"Node"}),
    "Institution": frozenset({"Node"}),
}
# The only type ``node(id)`` compiles for; another type's ID goes to the resolvers.
NODE_TYPE = "Case"


class NotCompiled(Exception):
    """The operation (or this request of it) is for the resolvers."""


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # where the answer puts it (the alias, or the name)
    name: str
    nodes: tuple[FieldNode, ...]  # every node merged under this key (same name and arguments)
    type_name: str | None = None  # the object type it leads to
    selection: Selection | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    type_name: str
    fields: tuple[Field, ...]
    # What runs the selection, made once (by :mod:`registry.fastpath.execute`) and kept with the plan.
    built: dict[Callable[..., Any], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def names(self) -> frozenset[str]:
        return frozenset(field.name for field in self.fields)

    def get(self, name: str) -> Field | None:
        """The first field of that name (several aliases of an object field are not compiled)."""
        return next((field for field in self.fields if field.name == name), None)


@dataclass(frozen=True, slots=True)
class Plan:
    operation: OperationDefinitionNode
    root: Selection


def compile_operation(document: DocumentNode, operation_name: str | None) -> Plan:
    """The plan of the operation, or :class:`NotCompiled`."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise NotCompiled("which operation")
        operation = operations[0]
    else:
        found = [o for o in operations if o.name is not None and o.name.value == operation_name]
        if len(found) != 1:
            raise NotCompiled("no such operation")
        operation = found[0]
    if operation.operation is not OperationType.QUERY:
        raise NotCompiled("not a query")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if _has_directives(operation, fragments):
        raise NotCompiled("directives")
    return Plan(operation, _selection("Query", [operation.selection_set], fragments))


def _selection(
    type_name: str, sets: Iterable[SelectionSetNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> Selection:
    allowed = FIELDS[type_name]
    grouped: dict[str, list[FieldNode]] = {}
    for node in _collect(type_name, sets, fragments, set()):
        grouped.setdefault((node.alias or node.name).value, []).append(node)
    fields: list[Field] = []
    seen_objects: set[str] = set()
    for key, nodes in grouped.items():
        name = nodes[0].name.value
        if name not in allowed:
            raise NotCompiled(f"{type_name}.{name}")
        target = allowed[name]
        if target is None:
            fields.append(Field(key, name, tuple(nodes)))
            continue
        if name in seen_objects:
            raise NotCompiled(f"{type_name}.{name} twice")
        seen_objects.add(name)
        if target == "Node":
            target = NODE_TYPE
        subsets = [node.selection_set for node in nodes if node.selection_set is not None]
        fields.append(Field(key, name, tuple(nodes), target, _selection(target, subsets, fragments)))
    return Selection(type_name, tuple(fields))


def _collect(
    type_name: str,
    sets: Iterable[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    visited: set[str],
) -> Iterable[FieldNode]:
    """The fields selected on ``type_name``, in document order, through fragments whose condition holds."""
    applies = {type_name} | INTERFACES.get(type_name, frozenset())
    for selection_set in sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value in applies:
                    yield from _collect(type_name, [selection.selection_set], fragments, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in visited:
                    continue
                if fragment.type_condition.name.value in applies:
                    yield from _collect(type_name, [fragment.selection_set], fragments, visited | {name})


class _FindDirective(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, _node: DirectiveNode, *_args: object) -> None:
        self.found = True


def _has_directives(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> bool:
    finder = _FindDirective()
    for node in (operation, *fragments.values()):
        visit(node, finder)
    return finder.found
