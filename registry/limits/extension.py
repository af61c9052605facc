"""The schema extension that applies the query limits and the rate limit to every operation.

In order: the parser refuses a document over ``max_query_tokens`` tokens; validation refuses one nested
deeper than ``max_query_depth`` or writing more than ``max_query_aliases`` aliases or
``max_query_directives`` directives (and graphql-core's rule against deep introspection applies); then,
before anything runs, an operation whose cost (:mod:`registry.limits.cost`) is over ``max_query_cost`` is
refused, and the cost is taken from the caller's rate-limit bucket, or the request is refused with HTTP
429 and ``Retry-After``. Every refusal is a GraphQL error whose ``extensions`` give its code and the limit.
The answer's ``extensions.rateLimit`` tells the caller what the request cost and what is left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import SchemaExtension

from registry.config import Settings
from registry.errors import LimitExceeded, RateLimited, RegistryError
from registry.limits.cost import query_cost
from registry.limits.rate import RateDecision, RateLimiter, caller_key
from registry.limits.rules import document_limits_rule, graphql_error, token_limit_exceeded
from registry.observability import metrics
from registry.schema.context import Context


class QueryLimits(SchemaExtension):
    """Applies the limits in the request context's settings (the schema is shared by every app)."""

    def __init__(self) -> None:
        super().__init__()
        self.decision: RateDecision | None = None

    def _settings(self) -> Settings | None:
        context = self.execution_context.context
        return context.settings if isinstance(context, Context) else None

    def on_operation(self) -> Iterator[None]:
        settings = self._settings()
        if settings is not None:
            execution = self.execution_context
            execution.parse_options["max_tokens"] = settings.max_query_tokens
            rule = document_limits_rule(
                settings.max_query_depth, settings.max_query_aliases, settings.max_query_directives
            )
            execution.validation_rules = (*execution.validation_rules, rule, MaxIntrospectionDepthRule)
        try:
            yield
        except GraphQLError as error:
            # Behind Strawberry's ParserCache, the parser's errors are raised through the operation; the
            # token limit's is made typed here.
            refusal = token_limit_exceeded(error, settings.max_query_tokens) if settings else None
            if refusal is None:
                raise
            raise graphql_error(refusal) from None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        execution = self.execution_context
        if isinstance(context, Context) and execution.result is None:
            assert execution.graphql_document is not None
            refusal, self.decision = await admit(
                context,
                execution.schema._schema,
                execution.graphql_document,
                execution.operation_name,
                execution.variables,
            )
            if refusal is not None:
                # A result set before execution is returned instead of running the operation.
                execution.result = ExecutionResult(data=None, errors=[graphql_error(refusal)])
        yield

    def get_results(self) -> dict[str, Any]:
        return rate_limit_extensions(self.decision)


# Where a request the compiled route already charged keeps its decision (so a request it hands on to the
# resolvers is not charged twice).
CHARGED = "registry.rate_decision"


async def admit(
    context: Context,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> tuple[RegistryError | None, RateDecision | None]:
    """Why the operation may not run, if it may not (over the cost limit, or over budget), and the rate
    limiter's decision, charging the caller's bucket."""
    settings = context.settings
    maximum = settings.max_query_cost
    cost = query_cost(
        schema,
        document,
        operation_name=operation_name,
        variables=variables,
        max_page_size=settings.max_page_size,
        list_size=settings.query_cost_list_size,
        stop_above=maximum,
    )
    refusal: RegistryError
    if cost > maximum:
        refusal = LimitExceeded(
            f"The query could cost more than {maximum} (the fields its answer can hold, each page "
            "counted in full); ask for smaller pages or fewer fields.",
            limit="cost",
            maximum=maximum,
        )
        return refusal, None
    limiter = _rate_limiter(context)
    if limiter is None:
        return None, None
    request = context.request
    charged = request.scope.get(CHARGED) if request is not None else None
    if isinstance(charged, RateDecision):
        decision = charged
    else:
        address = request.client.host if request is not None and request.client is not None else None
        decision = await limiter.charge(caller_key(context.principal, address), max(cost, 1))
        if request is not None:
            request.scope[CHARGED] = decision
    if decision.allowed:
        return None, decision
    if charged is None:
        metrics.record_rate_limit_rejection()
    if context.response is not None:
        context.response.status_code = 429
        context.response.headers["Retry-After"] = str(decision.retry_after_seconds)
    refusal = RateLimited(
        f"Rate limit reached: this query costs {decision.cost} and {decision.remaining} is left; try "
        f"again in {decision.retry_after_seconds} s.",
        retry_after_seconds=decision.retry_after_seconds,
    )
    return refusal, decision


def rate_limit_extensions(decision: RateDecision | None) -> dict[str, Any]:
    """The answer's ``extensions``: what the request cost and what is left."""
    if decision is None:
        return {}
    return {
        "rateLimit": {
            "cost": decision.cost,
            "remaining": decision.remaining,
            "resetSeconds": decision.reset_seconds,
        }
    }


def _rate_limiter(context: Context) -> RateLimiter | None:
    """The app's rate limiter (``app.state.rate_limiter``), if it has one."""
    request = context.request
    limiter = getattr(request.app.state, "rate_limiter", None) if request is not None else None
    return limiter if isinstance(limiter, RateLimiter) else None
