"""Each HTTP request's id, its log line and metrics, and the answer when something unexpected escapes.

The request id is made here (never taken from the client: it is written into audit rows), returned in
``X-Request-ID``, put on every log record of the request and into masked errors. What is logged of a
request is its route template, method, status and duration: never its body, variables, query string or
headers (tokens and personal data travel there).
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import ContextVar

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.db.failures import MESSAGES, retryable_failure
from registry.errors import ErrorCode
from registry.observability import metrics

log = logging.getLogger("registry.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# Seconds a client should wait before retrying after UNAVAILABLE (a database restart takes a few).
RETRY_AFTER_SECONDS = 2

_request_id: ContextVar[str | None] = ContextVar("registry_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _request_id.get()


def error_body(message: str, code: ErrorCode, request_id: str | None) -> bytes:
    """A GraphQL-shaped error answer, for failures outside GraphQL execution."""
    extensions: dict[str, str] = {"code": code.value}
    if request_id is not None:
        extensions["requestId"] = request_id
    return orjson.dumps({"errors": [{"message": message, "extensions": extensions}]})


class RequestObservation:
    """ASGI middleware: request id, one log line and metrics per request; an exception that escapes the
    app becomes a 503 ``UNAVAILABLE`` (database unreachable, with ``Retry-After``) or a 500 ``INTERNAL``
    answer carrying only the request id; its details go to the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        reset = _request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            code = retryable_failure(error)
            if code is None:
                log.error("unexpected error", exc_info=error)
            else:
                log.warning("database failure: %s (%s)", code.value, type(error).__name__)
            if not response_started:
                await _answer_failure(send_with_id, code, request_id)
        finally:
            route = _route_of(scope)
            elapsed = time.perf_counter() - started
            metrics.http_requests.labels(route, scope["method"], str(status)).inc()
            metrics.http_latency.labels(route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "route": route,
                    "method": scope["method"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            _request_id.reset(reset)


async def _answer_failure(send: Send, code: ErrorCode | None, request_id: str) -> None:
    if code is None:
        status, body = 500, error_body("Unexpected error.", ErrorCode.INTERNAL, request_id)
        headers = []
    else:
        status = 503
        body = error_body(MESSAGES[code], code, request_id)
        headers = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_of(scope: Scope) -> str:
    """A bounded label for the request's route, never a path a client made up: the template of a route
    with parameters, the path of a fixed route that matched (all of ours; included routers do not expose
    their prefixed template), or ``unmatched``."""
    template = getattr(scope.get("route"), "path_format", None)
    if isinstance(template, str) and "{" in template:
        return template
    if "endpoint" in scope:
        return str(scope["path"])
    return metrics.UNMATCHED_ROUTE
