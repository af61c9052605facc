"""The FastAPI application: ``/graphql``, ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from registry.auth import oauth
from registry.auth.keys import load_signing_keys
from registry.auth.request import PrincipalCache, Unauthenticated, authenticate_request
from registry.auth.tokens import TokenService, load_external_issuer
from registry.config import Settings
from registry.db.engine import create_engine, create_session_factory
from registry.db.queries import audit as audit_queries
from registry.db.queries import case_statistics as case_statistics_queries
from registry.fastpath.route import CompiledDocuments, CompiledRoute
from registry.http.hardening import install_http_hardening
from registry.identity_numbers import IdentityKeyring
from registry.limits import rate_limiter_for
from registry.limits.router import RegistryGraphQLRouter
from registry.limits.trusted_documents import load_trusted_documents
from registry.observability import metrics
from registry.observability.requests import current_request_id
from registry.schema.builder import build_schema
from registry.schema.context import Context
from registry.services.audit import AuditTrail

log = logging.getLogger(__name__)


async def get_context(request: Request) -> AsyncIterator[Context]:
    """The request's context: one session, authenticated and scoped before any resolver runs, closed (its
    connection returned) when the response is done. One dependency, not two: FastAPI's dependency
    resolution is a fixed cost of every request."""
    state = request.app.state
    sessions: async_sessionmaker[AsyncSession] = state.sessions
    async with sessions() as session:
        try:
            principal = await authenticate_request(
                session, state.tokens, request.headers.get("authorization"), state.principals
            )
        except Unauthenticated:
            raise HTTPException(
                status_code=401,
                detail="invalid or expired access token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        audit = AuditTrail(
            principal,
            request_id=current_request_id() or uuid.uuid4().hex,
            client_address=request.client.host if request.client is not None else None,
        )
        audit.attach(session)
        identity_numbers: IdentityKeyring = state.identity_numbers
        yield Context(state.settings, session, principal, identity_numbers.current(), audit)


async def every(
    interval: float, engine: AsyncEngine, job: Callable[[AsyncConnection], Awaitable[object]]
) -> None:
    """Run a maintenance job every ``interval`` seconds in its own transaction. Every API process may run
    one: the database functions behind the jobs let one caller in at a time; the others skip their turn."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with engine.connect() as connection:
                # Jobs are not bound by the requests' statement timeout.
                await connection.execute(text("SET LOCAL statement_timeout = 0"))
                await job(connection)
                await connection.commit()
        except Exception:
            log.exception("maintenance job %s failed; retrying", getattr(job, "__name__", job))


def create_app(settings: Settings, app_database_url: URL) -> FastAPI:
    """The API, connected as the app's login role to the given database."""
    engine: AsyncEngine = create_engine(
        app_database_url,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout_seconds=settings.db_connect_timeout_seconds,
    )
    sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)
    rate_limiter = rate_limiter_for(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Chain the audit rows requests commit, and fold statistics changes into the rollups.
        jobs = [
            asyncio.create_task(every(interval, engine, job))
            for interval, job in (
                (settings.audit_seal_interval_seconds, audit_queries.seal),
                (settings.statistics_compact_interval_seconds, case_statistics_queries.compact_case_counts),
            )
            if interval > 0
        ]
        metrics.pools.watch(engine.pool)
        yield
        metrics.pools.forget(engine.pool)
        for task in jobs:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()
        await rate_limiter.close()

    app = FastAPI(
        title="Child Protection Registry",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    # Keys are re-read when their directory changes: rotation needs no restart (see registry.auth.keys).
    interval = settings.keys_check_interval_seconds
    app.state.tokens = TokenService(
        settings,
        load_signing_keys(settings.keys_dir, check_interval=interval),
        external=load_external_issuer(settings),
    )
    app.state.principals = PrincipalCache()
    app.state.identity_numbers = IdentityKeyring(settings.keys_dir, check_interval=interval)
    app.state.rate_limiter = rate_limiter
    app.include_router(oauth.router)

    trusted_documents = load_trusted_documents(settings.trusted_documents)
    if trusted_documents is not None:
        metrics.register_operation_names(trusted_documents.operation_names())
    graphql = RegistryGraphQLRouter(
        build_schema(),
        trusted_documents=trusted_documents,
        require_trusted_documents_for=settings.require_trusted_documents_for,
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
    )
    app.include_router(graphql, prefix="/graphql")
    if settings.compiled_reads and trusted_documents is None:
        # Innermost of the middleware: the hardening below (body size, headers, request ids) wraps it.
        app.state.compiled_documents = documents = CompiledDocuments()
        app.add_middleware(
            CompiledRoute,
            path="/graphql",
            documents=documents,
            schema=build_schema()._schema,
            context=get_context,
        )
    install_http_hardening(app, settings)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (it does not look at the database)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready to serve: the database answers, within the connect timeout (a dead connection found here
        is dropped, so readiness returns by itself with the database)."""
        try:
            async with asyncio.timeout(settings.db_connect_timeout_seconds), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus metrics of this process (requests, latency, errors, database pool, rate limits)."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return app
