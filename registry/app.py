"""The FastAPI application: ``/graphql``, ``/healthz``, ``/readyz``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.fastapi import GraphQLRouter

from registry.config import Settings
from registry.db.engine import create_engine, create_session_factory
from registry.schema.builder import build_schema
from registry.schema.context import Context


def create_app(settings: Settings, app_database_url: URL) -> FastAPI:
    """The API, connected as the app's login role to the given database."""
    engine: AsyncEngine = create_engine(app_database_url, pool_size=settings.db_pool_size)
    sessions: async_sessionmaker[AsyncSession] = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(
        title="Child Protection Registry",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    async def get_context(session: Annotated[AsyncSession, Depends(get_session)]) -> Context:
        return Context(settings, session)

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
