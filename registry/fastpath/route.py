"""The compiled route: a request for a document this app has already validated and compiled skips the
GraphQL machinery (Strawberry's view, FastAPI's dependencies, the extension chain) and runs its plan.

Only what the full path would do for such a document is done, through the same functions: authentication
and the transaction's scope (``get_context``), the query limits and rate limit (:func:`admit`), a NUL in
the variables sends the request on (to be refused there), the plan (:mod:`registry.fastpath.execute`), the
audit row of personal data returned (:func:`record_personal_data_reads`), the operation's metrics. Anything
else goes on to the full path with the body it was sent: another document, a document the plan declines
for these variables, an unexpected error (to be masked there), any use of trusted documents.

A document is registered by :class:`registry.fastpath.extension.CompiledReads` once the full path has
validated and answered it under this app's settings; validation does not depend on who asks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from fastapi import HTTPException
from graphql import DocumentNode, ExecutionResult, GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.errors import RegistryError
from registry.fastpath.extension import answer_plan, compiled_reads
from registry.fastpath.plan import Plan
from registry.limits.extension import admit, rate_limit_extensions
from registry.observability import metrics
from registry.schema.context import Context
from registry.schema.extensions import holds_nul, record_personal_data_reads

log = logging.getLogger(__name__)

ALLOWED_KEYS = frozenset({"query", "variables", "operationName"})
# A body larger than this is no compiled read's: the rest is left for the full path to read (and refuse).
MAX_BODY = 1 << 20


class CompiledDocuments:
    """Documents this app validated and compiled, by (text, operation name); the least recent forgotten."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, str | None], tuple[DocumentNode, Plan]] = OrderedDict()
        self.lock = threading.Lock()

    def add(self, text: str, operation_name: str | None, document: DocumentNode, plan: Plan) -> None:
        with self.lock:
            self.entries[(text, operation_name)] = (document, plan)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def get(self, text: str, operation_name: str | None) -> tuple[DocumentNode, Plan] | None:
        with self.lock:
            found = self.entries.get((text, operation_name))
            if found is not None:
                self.entries.move_to_end((text, operation_name))
            return found


class CompiledRoute:
    """ASGI middleware in front of the GraphQL endpoint at ``path``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        documents: CompiledDocuments,
        schema: GraphQLSchema,
        context: Callable[[Request], AsyncIterator[Context]],
    ) -> None:
        self.app = app
        self.path = path
        self.documents = documents
        self.schema = schema
        self.context = contextlib.asynccontextmanager(context)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        body, more, pending = await _read(receive)
        replay = _replaying(body, more, pending, receive)
        found = self._compiled(scope, body) if not more and pending is None else None
        if found is None:
            await self.app(scope, replay, send)
            return
        plan, document, operation_name, variables = found
        response = await self._answer(scope, replay, plan, document, operation_name, variables)
        if response is None:
            await self.app(scope, replay, send)
            return
        await response(scope, replay, send)

    def _compiled(
        self, scope: Scope, body: bytes
    ) -> tuple[Plan, DocumentNode, str | None, dict[str, Any] | None] | None:
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return None
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(request, dict) or not request.keys() <= ALLOWED_KEYS:
            return None
        text, operation_name, variables = (
            request.get("query"),
            request.get("operationName"),
            request.get("variables"),
        )
        if not isinstance(text, str) or not (operation_name is None or isinstance(operation_name, str)):
            return None
        if not (variables is None or isinstance(variables, dict)) or holds_nul(variables):
            return None
        found = self.documents.get(text, operation_name)
        if found is None:
            return None
        document, plan = found
        return plan, document, operation_name, variables

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        plan: Plan,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> Response | None:
        """The response, or None to hand the request on."""
        started = time.perf_counter()
        request = Request(scope, receive)
        sub_response = Response()
        try:
            async with self.context(request) as context:
                context.request = request
                context.response = sub_response
                refusal, decision = await admit(context, self.schema, document, operation_name, variables)
                if refusal is not None:
                    return None  # refused there, with its status and headers (charged once)
                result = await answer_plan(plan, context, self.schema, variables)
                if result is None or any(
                    not isinstance(error.original_error, RegistryError) for error in result.errors or ()
                ):
                    return None
                await record_personal_data_reads(context, result)
        except HTTPException as refused:
            return Response(
                orjson.dumps({"detail": refused.detail}),
                status_code=refused.status_code,
                headers=refused.headers,
                media_type="application/json",
            )
        except Exception as failure:
            # A failure (the database gone, say) is the full path's to report, as it reports its own. Only its
            # type is logged here: a driver's message may quote what was sent.
            log.warning("compiled route: %s; the request goes on to the full path", type(failure).__name__)
            return None
        _observe(operation_name, result, started)
        compiled_reads.labels("route").inc()
        extensions = rate_limit_extensions(decision)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        if extensions:
            answer["extensions"] = extensions
        headers = {k: v for k, v in sub_response.headers.items() if k.lower() != "content-length"}
        return Response(orjson.dumps(answer), headers=headers, media_type="application/json")


def _observe(operation_name: str | None, result: ExecutionResult, started: float) -> None:
    """What :class:`registry.observability.operations.OperationMetrics` records for the full path."""
    label = metrics.operation_label(operation_name)
    metrics.graphql_latency.labels(label).observe(time.perf_counter() - started)
    for error in result.errors or ():
        code = (error.extensions or {}).get("code")
        metrics.graphql_errors.labels(metrics.error_code_label(code)).inc()


async def _read(receive: Receive) -> tuple[bytes, bool, Message | None]:
    """The request body (whether more of it follows, unread: it is larger than a GraphQL request needs),
    and a message that came instead of the rest (the client went away)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True, message
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False, None
        if size > MAX_BODY:
            return b"".join(chunks), True, None


def _replaying(body: bytes, more: bool, pending: Message | None, receive: Receive) -> Receive:
    """``receive`` for the app behind: the body read so far, then what came instead of the rest, or the
    rest as it comes."""
    queue: list[Message] = [{"type": "http.request", "body": body, "more_body": more}]
    if pending is not None:
        queue.append(pending)

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay
