"""Middleware every response passes through: security headers, CORS (closed unless configured), a body
size limit, and the request's id, log line and metrics (``registry.observability.requests``)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.config import Settings
from registry.errors import ErrorCode
from registry.observability.requests import RequestObservation, current_request_id, error_body

# An API answers data, never pages to frame, script or embed.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"
GRAPHQL_PATH = "/graphql"


def install_http_hardening(app: FastAPI, settings: Settings) -> None:
    """Wrap the app, outermost first: security headers, CORS, request observation, body limit."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(RequestObservation)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, production=settings.is_production)


class SecurityHeaders:
    """Headers every answer carries unless it set its own (the sign-in pages set a wider CSP). GraphQL
    answers are never cached; in production browsers are told to use HTTPS only."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if not self._is_development_ide(scope, headers):
                    headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
                if scope["path"] == GRAPHQL_PATH:
                    headers.setdefault("Cache-Control", "no-store")
                if self.production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _is_development_ide(self, scope: Scope, headers: MutableHeaders) -> bool:
        """GraphiQL (development only) loads its scripts and styles from a CDN and inline."""
        return (
            not self.production
            and scope["path"] == GRAPHQL_PATH
            and headers.get("content-type", "").startswith("text/html")
        )


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses a request body over ``max_bytes`` with 413 ``LIMIT_EXCEEDED``: at once when its declared
    length is too large, else as soon as the bytes read pass the limit (chunked bodies)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = error_body(
            f"The request body is too large: at most {self.max_bytes} bytes.",
            ErrorCode.LIMIT_EXCEEDED,
            current_request_id(),
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
