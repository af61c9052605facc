"""Limits on the shape of a document, checked while it is validated: depth, aliases and directives.

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` would do the first two, but they walk into a
fragment again at every spread of it (a document of twenty fragments, each spreading the next twice, keeps
them busy for a million steps), report errors without a code, and fail on a spread of an undefined fragment.
This rule measures all three in one pass that looks into each fragment once, and reports typed errors.
Tokens are limited by the parser itself (``max_tokens``, as Strawberry's ``MaxTokensLimiter`` sets it).
"""

from __future__ import annotations

import functools
from typing import Any, cast

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

from registry.errors import LimitExceeded, RegistryError

# How graphql-core's parser words its refusal of a document over ``max_tokens``.
_PARSER_REFUSAL = "Document contains more than {maximum} tokens."


def graphql_error(error: RegistryError) -> GraphQLError:
    """The GraphQL error for a refused request: its ``extensions`` are the error's (code, limit, maximum),
    and the masking extension lets it through (it is one of ours)."""
    return GraphQLError(error.message, original_error=error)


def token_limit_exceeded(error: GraphQLError, maximum: int) -> LimitExceeded | None:
    """The typed error for the parser's refusal of a document over ``maximum`` tokens, if ``error`` is it."""
    if _PARSER_REFUSAL.format(maximum=maximum) not in error.message:
        return None
    return LimitExceeded(
        f"The document has more than {maximum} tokens; at most {maximum} are allowed.",
        limit="tokens",
        maximum=maximum,
    )


def operation_depth(document: DocumentNode) -> int:
    """How deep the deepest operation of ``document`` nests its fields, through fragments. Each fragment's
    depth is worked out once; a fragment that spreads itself (refused by validation) adds nothing there."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    depths: dict[str, int] = {}
    in_progress: set[str] = set()

    def fragment_depth(name: str) -> int:
        fragment = fragments.get(name)
        if name not in depths and fragment is not None and name not in in_progress:
            in_progress.add(name)
            depths[name] = selection_depth(fragment.selection_set)
            in_progress.discard(name)
        return depths.get(name, 0)

    def selection_depth(selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = selection.selection_set
                # Introspection is bounded by the schema (and limited by graphql-core's own rule).
                if inner is None or selection.name.value.startswith("__"):
                    depth = 1
                else:
                    depth = 1 + selection_depth(inner)
            elif isinstance(selection, InlineFragmentNode):
                depth = selection_depth(selection.selection_set)
            else:
                depth = fragment_depth(cast(FragmentSpreadNode, selection).name.value)
            deepest = max(deepest, depth)
        return deepest

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return max((selection_depth(operation.selection_set) for operation in operations), default=0)


@functools.cache
def document_limits_rule(max_depth: int, max_aliases: int, max_directives: int) -> type[ValidationRule]:
    """A validation rule for these limits, counting aliases and directives as the validator walks the
    document. One class per set of limits, so that Strawberry's validation cache (keyed by the rules)
    keeps its entries."""

    class DocumentLimits(ValidationRule):
        aliases = 0
        directives = 0

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            if node.alias is not None:
                self.aliases += 1

        def enter_directive(self, _node: DirectiveNode, *_args: Any) -> None:
            self.directives += 1

        def leave_document(self, node: DocumentNode, *_args: Any) -> None:
            for limit, actual, maximum, message in (
                ("depth", operation_depth(node), max_depth, "The document nests fields {} levels deep"),
                ("aliases", self.aliases, max_aliases, "The document has {} aliases"),
                ("directives", self.directives, max_directives, "The document has {} directives"),
            ):
                if actual > maximum:
                    error = LimitExceeded(
                        f"{message.format(actual)}; at most {maximum} are allowed.",
                        limit=limit,
                        maximum=maximum,
                        actual=actual,
                    )
                    self.report_error(graphql_error(error))

    return DocumentLimits
