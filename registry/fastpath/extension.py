"""The schema extension that answers compiled operations before graphql-core's executor would run.

It comes after the limits and the other checks (their refusals are answers already, and it then does
nothing); the audit extension records the personal data the answer holds as it does for the resolvers'.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable

from graphql import DocumentNode, ExecutionResult, GraphQLError
from graphql.execution.values import get_variable_values
from prometheus_client import Counter
from strawberry.extensions import SchemaExtension

from registry.fastpath.execute import run
from registry.fastpath.plan import NotCompiled, Plan, compile_operation
from registry.observability.metrics import REGISTRY
from registry.schema.context import Context

compiled_reads = Counter(
    "registry_compiled_reads",
    "Queries answered by a compiled plan (compiled) or handed to the resolvers (resolvers).",
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
                answer = await _answer(plan, context, execution.schema._schema, execution.variables)
            if answer is not None:
                execution.result = answer
            compiled_reads.labels("compiled" if answer is not None else "resolvers").inc()
        yield


async def _answer(
    plan: Plan, context: Context, schema: object, variables: dict[str, object] | None
) -> ExecutionResult | None:
    from graphql import GraphQLSchema

    assert isinstance(schema, GraphQLSchema)
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
