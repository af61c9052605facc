"""Prometheus metrics, served at ``/metrics``.

Every label has a bounded set of values, whatever clients send: routes are the app's route templates,
operation names are counted under their own name only when the deployment knows them (trusted documents
register theirs), error codes are the registry's ``ErrorCode`` values. One registry per process; with
several worker processes, each is scraped on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy.pool import Pool, QueuePool

from registry.errors import ErrorCode

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

ANONYMOUS = "anonymous"
OTHER = "other"
UNMATCHED_ROUTE = "unmatched"
# An error without a registry code: a GraphQL syntax or validation error.
GRAPHQL_ERROR = "GRAPHQL"

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_requests = Counter(
    "registry_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
http_latency = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
graphql_latency = Histogram(
    "registry_graphql_operation_duration_seconds",
    "Time to run a GraphQL operation, by operation name (known names only; others are 'other', unnamed "
    "ones 'anonymous'). Its _count is the number of operations.",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
graphql_errors = Counter(
    "registry_graphql_errors",
    "Errors in GraphQL answers, by code (GRAPHQL: syntax and validation errors).",
    ["code"],
    registry=REGISTRY,
)
rate_limit_rejections = Counter(
    "registry_rate_limit_rejections",
    "Requests refused because their caller had spent its rate-limit budget.",
    registry=REGISTRY,
)

_known_operations: set[str] = set()
_known_lock = threading.Lock()
_ERROR_CODES = frozenset(code.value for code in ErrorCode)


def register_operation_names(names: Iterable[str]) -> None:
    """Operation names to count under their own label (for example the trusted documents' names)."""
    with _known_lock:
        _known_operations.update(names)


def operation_label(name: str | None) -> str:
    if not name:
        return ANONYMOUS
    return name if name in _known_operations else OTHER


def error_code_label(code: object) -> str:
    return str(code) if isinstance(code, str) and code in _ERROR_CODES else GRAPHQL_ERROR


def record_rate_limit_rejection() -> None:
    """Count one request refused by a rate limit (called by ``registry.limits``)."""
    rate_limit_rejections.inc()


class PoolCollector:
    """The database connection pools of the running apps: size, connections in use, idle ones."""

    def __init__(self) -> None:
        self._pools: dict[int, Pool] = {}
        self._lock = threading.Lock()

    def watch(self, pool: Pool) -> None:
        with self._lock:
            self._pools[id(pool)] = pool

    def forget(self, pool: Pool) -> None:
        with self._lock:
            self._pools.pop(id(pool), None)

    def collect(self) -> Iterator[Metric]:
        size = GaugeMetricFamily("registry_db_pool_size", "Connections the database pool may hold.")
        checked_out = GaugeMetricFamily(
            "registry_db_pool_checked_out", "Database connections in use by requests and jobs now."
        )
        idle = GaugeMetricFamily("registry_db_pool_idle", "Open database connections waiting in the pool.")
        with self._lock:
            pools = list(self._pools.values())
        queue_pools = [pool for pool in pools if isinstance(pool, QueuePool)]
        size.add_metric([], sum(pool.size() for pool in queue_pools))
        checked_out.add_metric([], sum(pool.checkedout() for pool in queue_pools))
        idle.add_metric([], sum(pool.checkedin() for pool in queue_pools))
        yield from (size, checked_out, idle)


pools = PoolCollector()
REGISTRY.register(pools)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
