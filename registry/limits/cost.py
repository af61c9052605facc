"""The cost of a query: how many fields its answer can hold at most, worked out from the document.

Every field selected costs one for each time it can appear in the answer. A list multiplies what is
selected inside it by its length: a connection (or a list) that takes ``first``/``last`` by the page asked
for (the field's default, else the maximum page size, when the argument is left out; never more than the
maximum page size, which the field refuses anyway), ``nodes(ids:)`` by the number of IDs, and any other
list by ``list_size``. Nested lists multiply. So ``cases(first: 100) { edges { node { caseNumber
events(last: 5) { type } } } }`` costs 1 + 1 + 100 * (1 + 1 + 1 + 5 * 1) = 802.

Variables are read from the request (a variable left out takes its default in the operation). A type
condition is counted as if it matched (an upper bound). Introspection fields cost one each (introspection
is bounded by the schema). The walk stops as soon as the cost passes ``stop_above``, so a document of
fragments spreading one another many times is refused without being walked through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.utilities import get_operation_ast, value_from_ast_untyped

PAGE_ARGUMENTS = ("first", "last")


class _CostOverrun(Exception):
    """The walk has passed the cost it was asked to check; no need to go on."""


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        *,
        max_page_size: int,
        list_size: int,
        stop_above: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page_size = max_page_size
        self.list_size = list_size
        self.stop_above = stop_above
        self.total = 0

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: Any,
        times: int,
        page: int | None,
        spreading: frozenset[str],
    ) -> None:
        """Add the cost of ``selection_set`` on type ``parent``, which appears ``times`` times in the
        answer; ``page`` is the page size a connection asked for, taken by its list (``edges``)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, times, page, spreading)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                self.selections(selection.selection_set, inner, times, page, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreading:
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value)
                self.selections(fragment.selection_set, inner, times, page, spreading | {name})

    def field(
        self, node: FieldNode, parent: Any, times: int, page: int | None, spreading: frozenset[str]
    ) -> None:
        self.total += times
        if self.total > self.stop_above:
            raise _CostOverrun
        definition = (
            parent.fields.get(node.name.value)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        if node.selection_set is None or definition is None or node.name.value.startswith("__"):
            return
        length, inner_page = self.length(node, definition, page)
        if length > 0:
            inner = get_named_type(definition.type)
            self.selections(node.selection_set, inner, times * length, inner_page, spreading)

    def length(self, node: FieldNode, definition: GraphQLField, page: int | None) -> tuple[int, int | None]:
        """How many items the field yields for each time it appears, and the page size its own list
        (a connection's ``edges``) takes."""
        is_list = is_list_type(get_nullable_type(definition.type))
        if any(name in definition.args for name in PAGE_ARGUMENTS):
            size = min(max(self.page_size(node, definition), 0), self.max_page_size)
            return (size, None) if is_list else (1, size)
        if not is_list:
            return 1, None
        if page is not None:
            return page, None
        ids = self.argument(node, "ids")
        if isinstance(ids, list):
            return len(ids), None
        return self.list_size, None

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        for name in PAGE_ARGUMENTS:
            value = self.argument(node, name)
            if _is_int(value):
                return int(value)
        for name in PAGE_ARGUMENTS:
            argument = definition.args.get(name)
            if argument is not None and _is_int(argument.default_value):
                return int(argument.default_value)
        return self.max_page_size

    def argument(self, node: FieldNode, name: str) -> Any:
        value: ValueNode | None = next(
            (argument.value for argument in node.arguments or () if argument.name.value == name), None
        )
        if value is None:
            return None
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode | ListValueNode):
            return value_from_ast_untyped(value)
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _variables(operation: OperationDefinitionNode, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The request's variables, with the operation's defaults for those left out."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if given is not None and name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            default = value_from_ast_untyped(definition.default_value)
            values[name] = None if default is Undefined else default
    return values


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_page_size: int,
    list_size: int,
    stop_above: int,
) -> int:
    """The cost of the operation the request runs (see the module's docstring); once it passes
    ``stop_above`` the walk stops and returns ``stop_above + 1``."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walk = _Walk(
        schema,
        fragments,
        _variables(operation, variables),
        max_page_size=max_page_size,
        list_size=list_size,
        stop_above=stop_above,
    )
    try:
        walk.selections(operation.selection_set, root, 1, None, frozenset())
    except _CostOverrun:
        return stop_above + 1
    return walk.total
