"""Metrics of GraphQL operations: latency per (known) operation name, errors per code."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from registry.observability import metrics


class OperationMetrics(SchemaExtension):
    """Listed before the masking extension, so it sees each answer as it leaves (masked codes)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            label = metrics.operation_label(self.execution_context.operation_name)
            metrics.graphql_latency.labels(label).observe(time.perf_counter() - started)
            for error in getattr(self.execution_context.result, "errors", None) or ():
                code = (error.extensions or {}).get("code")
                metrics.graphql_errors.labels(metrics.error_code_label(code)).inc()
