"""What a GraphQL answer may reveal: unexpected errors masked to a request id, production's closed doors.

One schema serves every app in the process (see ``build_schema``), so production's rules are applied per
request, from the settings in the request's context.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import FieldNode, GraphQLError, ValidationRule, VariableDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from registry.db.failures import MESSAGES, is_aborted_transaction, retryable_failure
from registry.errors import ErrorCode, RegistryError
from registry.observability.requests import RETRY_AFTER_SECONDS, current_request_id
from registry.schema.context import Context

log = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = "Unexpected error."
# graphql-core appends its suggestions to the end of a message: " Did you mean 'name'?"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class RegistrySchema(strawberry.Schema):
    """Strawberry logs every error with its message, and messages of invalid variables quote the values
    sent (personal data). :class:`MaskUnexpectedErrors` logs the unexpected ones instead, without them."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def _errors_of(execution_context: ExecutionContext) -> list[GraphQLError] | None:
    errors = getattr(execution_context.result, "errors", None)
    return errors if isinstance(errors, list) and errors else None


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any] | None) -> GraphQLError:
    """A new error (validation errors are cached and shared between requests: never change one)."""
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class IntrospectionDisabled(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in {"__schema", "__type"}:
            self.report_error(
                GraphQLError(
                    "Introspection is disabled on this deployment; the schema is published as SDL.",
                    node,
                    extensions={"code": ErrorCode.INTROSPECTION_DISABLED.value},
                )
            )


class ProductionRules(SchemaExtension):
    """In production: no introspection, and no "Did you mean ...?" in error messages (together they
    would let anyone map the schema)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        production = isinstance(context, Context) and context.settings.is_production
        if production:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                IntrospectionDisabled,
            )
        yield
        errors = _errors_of(self.execution_context)
        if production and errors is not None:
            self.execution_context.result.errors = [  # type: ignore[union-attr]
                _copy(error, _SUGGESTION.sub("", error.message), error.extensions)
                if _SUGGESTION.search(error.message)
                else error
                for error in errors
            ]


class MaskUnexpectedErrors(SchemaExtension):
    """Only the registry's own errors reach clients as they are. A database failure a client may retry
    becomes ``UNAVAILABLE`` or ``TIMEOUT`` (and the answer a 503 with ``Retry-After``); anything else
    becomes "Unexpected error." with code ``INTERNAL``. Each carries the request id, under which the
    details are logged."""

    def on_operation(self) -> Iterator[None]:
        yield
        errors = _errors_of(self.execution_context)
        if errors is None:
            return
        codes = {id(error): self._code_of(error) for error in errors}
        # A statement failing in a transaction an earlier failure already aborted shares its cause.
        cause = next((code for code in codes.values() if code in MESSAGES), ErrorCode.INTERNAL)
        request_id = current_request_id()
        masked: list[GraphQLError] = []
        for error in errors:
            code = codes[id(error)]
            if code is None:
                masked.append(_typed(error))
                continue
            if code is ErrorCode.INTERNAL and is_aborted_transaction(error.original_error or error):
                code = cause
            if code is ErrorCode.INTERNAL:
                log.error("unexpected error at %s", _path(error), exc_info=error.original_error)
            extensions: dict[str, Any] = {"code": code.value}
            if request_id is not None:
                extensions["requestId"] = request_id
            masked.append(_copy(error, MESSAGES.get(code, UNEXPECTED_MESSAGE), extensions))
        retryable = sorted({code.value for code in codes.values() if code in MESSAGES})
        if retryable:
            log.warning("database failure: %s", ", ".join(retryable))
            self._answer_unavailable()
        self.execution_context.result.errors = masked  # type: ignore[union-attr]

    @staticmethod
    def _code_of(error: GraphQLError) -> ErrorCode | None:
        """None for an error meant for the client: ours, a GraphQL syntax or validation error, or a
        variable whose value does not fit its type (that message quotes only what the client sent)."""
        original = error.original_error
        if original is None or isinstance(original, RegistryError | GraphQLError):
            return None
        if any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ()):
            return None
        return retryable_failure(original) or ErrorCode.INTERNAL

    def _answer_unavailable(self) -> None:
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


# Strawberry turning an ``ID`` argument into a global ID while executing, and refusing it, says so with
# this message (quoting only what the client sent) and no original error.
_UNREPRESENTABLE = "Value cannot represent a GlobalID: "


def _typed(error: GraphQLError) -> GraphQLError:
    """A GraphQL error raised while resolving a field (Strawberry refusing an argument's value, say) is
    about what the client sent: shown as it is, with code ``VALIDATION``."""
    extensions = error.extensions or {}
    refused_value = isinstance(error.original_error, GraphQLError) or (
        error.original_error is None and error.message.startswith(_UNREPRESENTABLE)
    )
    if error.path is None or not refused_value or "code" in extensions:
        return error
    return _copy(error, error.message, {**extensions, "code": ErrorCode.VALIDATION.value})


def _path(error: GraphQLError) -> str:
    """Where in the answer: field names and list positions, never values."""
    return ".".join(str(part) for part in error.path or ()) or "(operation)"
