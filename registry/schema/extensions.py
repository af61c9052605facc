"""Schema extensions of our own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from registry.schema.context import Context

log = logging.getLogger(__name__)


class RecordPersonalDataReads(SchemaExtension):
    """No audit row, no answer: once the answer is built, the personal data it holds is recorded (and
    committed) before it leaves; if that fails, the answer is replaced by an error and nothing is shown."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not isinstance(context, Context) or not context.audit.has_reads:
            return
        try:
            await context.audit.record_reads(context.session)
            await context.session.commit()
        except Exception:
            # Logged without the answer: it holds the personal data that could not be recorded.
            log.exception("recording a read of personal data failed; the answer is withheld")
            await context.session.rollback()
            if isinstance(result, ExecutionResult):
                result.data = None
                result.errors = [GraphQLError("Unexpected error: the answer could not be recorded.")]
