"""The FastAPI application: ``/graphql``, ``/healthz``, ``/readyz``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.fastapi import GraphQLRouter

from registry.auth import oauth
from registry.auth.keys import load_signing_keys
from registry.auth.request import Unauthenticated, authenticate_request
from registry.auth.tokens import TokenService, load_external_issuer
from registry.config import Settings
from registry.db.engine import create_engine, create_session_factory
from registry.db.queries import audit as audit_queries
from registry.db.queries import case_statistics as case_statistics_queries
from registry.identity_numbers import load_vault
from registry.schema.builder import build_schema
from registry.schema.context import Context
from registry.services.audit import AuditTrail

log = logging.getLogger(__name__)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, closed (and its connection returned) when the response is done."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        yield session


async def get_context(request: Request, session: Annotated[AsyncSession, Depends(get_session)]) -> Context:
    """Authenticates the request and scopes its transaction before any resolver runs."""
    settings: Settings = request.app.state.settings
    try:
        principal = await authenticate_request(
            session, request.app.state.tokens, request.headers.get("authorization")
        )
    except Unauthenticated:
        raise HTTPException(
            status_code=401,
            detail="invalid or expired access token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    audit = AuditTrail(
        principal,
        request_id=uuid.uuid4().hex,
        client_address=request.client.host if request.client is not None else None,
    )
    audit.attach(session)
    return Context(settings, session, principal, request.app.state.identity_numbers, audit)


async def every(
    interval: float, engine: AsyncEngine, job: Callable[[AsyncConnection], Awaitable[object]]
) -> None:
    """Run a maintenance job every ``interval`` seconds in its own transaction. Every API process may run
    one: the database functions behind the jobs let one caller in at a time; the others skip their turn."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with engine.connect() as connection:
                await job(connection)
                await connection.commit()
        except Exception:
            log.exception("maintenance job %s failed; retrying", getattr(job, "__name__", job))


def create_app(settings: Settings, app_database_url: URL) -> FastAPI:
    """The API, connected as the app's login role to the given database."""
    engine: AsyncEngine = create_engine(app_database_url, pool_size=settings.db_pool_size)
    sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)

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
        yield
        for task in jobs:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()

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
    app.state.tokens = TokenService(
        settings, load_signing_keys(settings.keys_dir), external=load_external_issuer(settings)
    )
    app.state.identity_numbers = load_vault(settings.keys_dir)
    app.include_router(oauth.router)

    graphql = GraphQLRouter[Context, None](
        build_schema(),
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
    )
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (it does not look at the database)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready to serve: the database answers."""
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
