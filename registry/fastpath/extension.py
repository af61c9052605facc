"""The schema extension that answers compiled operations before graphql-core's executor would run.

It comes after the limits and the other checks (their refusals are answers already, and it then does
nothing); the audit extension records the personal data the answer holds as it does for the resolvers'.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import get_variable_values
from prometheus_client import Counter
from strawberry.extensions import SchemaExtension

from registry.fastpath.execute import run
from registry.fastpath.plan import NotCompiled, Plan, compile_operation
from registry.observability.metrics import REGISTRY
from registry.schema.context import Context

compiled_reads = Counter(
    "registry_compiled_reads",
    "Queries answered by a compiled plan through the full path (compiled) or the compiled route (route), "
    "or handed to the resolvers (resolvers).",
    ["path"],
    registry=REGISTRY,
)


class _Plans:
    """Plans by document (the parser cache hands out the same document for the same text) and operation
    name; None where the operation does not compile."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.plans: OrderedDict[Hashable, tuple[DocumentNode, Plan | None]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, document: DocumentNode, operation_name: str | None) -> Plan | None:
        key = (id(document), operation_name)
        with self.lock:
            cached = self.plans.get(key)
            if cached is not None and cached[0] is document:
                self.plans.move_to_end(key)
                return cached[1]
        try:
            plan: Plan | None = compile_operation(document, operation_name)
        except NotCompiled:
            plan = None
        with self.lock:
            # The document is kept with its plan, so its id is not reused while the entry lives.
            self.plans[key] = (document, plan)
            while len(self.plans) > self.size:
                self.plans.popitem(last=False)
        return plan


_PLANS = _Plans(size=1024)


class CompiledReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if (
            execution.result is None
            and document is not None
            and isinstance(context, Context)
            and context.settings.compiled_reads
        ):
            plan = _PLANS.get(document, execution.operation_name)
            answer = None
            if plan is not None:
                answer = await answer_plan(plan, context, execution.schema._schema, execution.variables)
            if answer is not None:
                execution.result = answer
                _register(context, execution.query, execution.operation_name, document, plan)
            compiled_reads.labels("compiled" if answer is not None else "resolvers").inc()
        yield


def _register(
    context: Context, text: str | None, operation_name: str | None, document: DocumentNode, plan: Plan | None
) -> None:
    """Let the compiled route answer this document from now on (where the app has one)."""
    request = context.request
    documents = getattr(request.app.state, "compiled_documents", None) if request is not None else None
    if documents is not None and text is not None and plan is not None:
        documents.add(text, operation_name, document, plan)
        # A request of a one-operation document need not name it.
        if sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) == 1:
            documents.add(text, None, document, plan)


async def answer_plan(
    plan: Plan, context: Context, schema: GraphQLSchema, variables: dict[str, Any] | None
) -> ExecutionResult | None:
    """The plan's answer, or None where the resolvers must answer (variables that do not fit, arguments
    they would refuse, another type's ID)."""
    coerced = get_variable_values(schema, plan.operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return None  # the executor reports what is wrong with them
    try:
        data, errors = await run(plan, context, schema, coerced)
    except NotCompiled:
        return None
    except Exception as failure:
        # Masked as the resolvers' failures are (a database failure a client may retry, or INTERNAL).
        return ExecutionResult(data=None, errors=[GraphQLError(str(failure), original_error=failure)])
    found: list[GraphQLError] | None = errors or None
    return ExecutionResult(data=data, errors=found)
