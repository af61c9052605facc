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

from graphql import ExecutionResult, GraphQLError
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
        if isinstance(context, Context) and self.execution_context.result is None:
            refusal = await self._admit(context)
            if refusal is not None:
                # A result set before execution is returned instead of running the operation.
                self.execution_context.result = ExecutionResult(data=None, errors=[graphql_error(refusal)])
        yield

    async def _admit(self, context: Context) -> RegistryError | None:
        """Why the operation may not run, if it may not: over the cost limit, or over budget."""
        settings = context.settings
        execution = self.execution_context
        assert execution.graphql_document is not None
        maximum = settings.max_query_cost
        cost = query_cost(
            execution.schema._schema,
            execution.graphql_document,
            operation_name=execution.operation_name,
            variables=execution.variables,
            max_page_size=settings.max_page_size,
            list_size=settings.query_cost_list_size,
            stop_above=maximum,
        )
        if cost > maximum:
            return LimitExceeded(
                f"The query could cost more than {maximum} (the fields its answer can hold, each page "
                "counted in full); ask for smaller pages or fewer fields.",
                limit="cost",
                maximum=maximum,
            )
        limiter = _rate_limiter(context)
        if limiter is None:
            return None
        request = context.request
        address = request.client.host if request is not None and request.client is not None else None
        self.decision = decision = await limiter.charge(caller_key(context.principal, address), max(cost, 1))
        if decision.allowed:
            return None
        metrics.record_rate_limit_rejection()
        if context.response is not None:
            context.response.status_code = 429
            context.response.headers["Retry-After"] = str(decision.retry_after_seconds)
        return RateLimited(
            f"Rate limit reached: this query costs {decision.cost} and {decision.remaining} is left; try "
            f"again in {decision.retry_after_seconds} s.",
            retry_after_seconds=decision.retry_after_seconds,
        )

    def get_results(self) -> dict[str, Any]:
        if self.decision is None:
            return {}
        return {
            "rateLimit": {
                "cost": self.decision.cost,
                "remaining": self.decision.remaining,
                "resetSeconds": self.decision.reset_seconds,
            }
        }


def _rate_limiter(context: Context) -> RateLimiter | None:
    """The app's rate limiter (``app.state.rate_limiter``), if it has one."""
    request = context.request
    limiter = getattr(request.app.state, "rate_limiter", None) if request is not None else None
    return limiter if isinstance(limiter, RateLimiter) else None
