"""Schema extensions of our own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    StringValueNode,
    Visitor,
    VisitorAction,
    visit,
)
from strawberry.extensions import SchemaExtension

from registry.errors import InvalidInput
from registry.schema.context import Context

log = logging.getLogger(__name__)


class RecordPersonalDataReads(SchemaExtension):
    """No audit row, no answer: once the answer is built, the personal data it holds is recorded (and
    committed) before it leaves; if that fails, the answer is replaced by an error and nothing is shown."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if isinstance(context, Context) and isinstance(result, ExecutionResult):
            await record_personal_data_reads(context, result)


async def record_personal_data_reads(context: Context, result: ExecutionResult) -> None:
    """Record (and commit) the personal data ``result`` holds, or withhold the whole answer."""
    if not context.audit.has_reads:
        return
    try:
        await context.audit.record_reads(context.session)
        await context.session.commit()
    except Exception:
        # Logged without the answer: it holds the personal data that could not be recorded.
        log.exception("recording a read of personal data failed; the answer is withheld")
        await context.session.rollback()
        result.data = None
        result.errors = [GraphQLError("Unexpected error: the answer could not be recorded.")]


class RefuseTextWithNul(SchemaExtension):
    """PostgreSQL's text cannot hold the NUL character (U+0000): an operation whose string values or
    variables carry one is refused before it runs, as a bad input, rather than failing in the database
    halfway through (wherever the text was about to go: a code, a filter, a name, a note)."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if execution.result is None and (
            holds_nul(execution.variables)
            or (document is not None and _may_hold_nul(execution.query) and _literalholds_nul(document))
        ):
            refusal = InvalidInput("Text may not contain the NUL character (U+0000).")
            # A result set before execution is returned instead of running the operation.
            execution.result = ExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, extensions=refusal.extensions)]
            )
        yield


def _may_hold_nul(text: str | None) -> bool:
    """Whether the document's text could spell a NUL: itself, or an escape (``\\u0000``, ``\\u{0}``) in a
    string literal. Most documents have neither, and need no walk."""
    return text is None or "\x00" in text or "\\u" in text


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


class _NulInStrings(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> VisitorAction:
        if "\x00" in node.value:
            self.found = True
            return BREAK
        return None


def _literalholds_nul(document: DocumentNode) -> bool:
    finder = _NulInStrings()
    visit(document, finder)
    return finder.found
