"""Statements compiled once to SQL text and run on the driver's connection.

SQLAlchemy spends milliseconds of CPU per execution of a large statement (its cache key, parameter and
result processing) where asyncpg alone spends a fraction of one. For the statements of the compiled read
path, built from the same SQLAlchemy expressions as everywhere else (the policy's predicates included),
:func:`compile_statement` keeps the SQL text and the values bound into it; each execution binds only what
the request gives, by name, and runs on the session's own connection, inside its transaction (row-level
security scope and all).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import ClauseElement, TextClause, bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    sql: str
    # Bind names in the order of their placeholders ($1, $2, ...).
    names: tuple[str, ...]
    # Values bound when the statement was built (the policy's scopes, constants), ready for the driver.
    fixed: Mapping[str, Any]
    processors: Mapping[str, Callable[[Any], Any]]

    def parameters(self, given: Mapping[str, Any]) -> list[Any]:
        """Positional parameters: ``given`` (by bind name, processed as SQLAlchemy would), else the fixed."""
        values: list[Any] = []
        for name in self.names:
            if name in given:
                processor = self.processors.get(name)
                value = given[name]
                values.append(processor(value) if processor is not None and value is not None else value)
            else:
                values.append(self.fixed[name])
        return values


def compile_statement(statement: ClauseElement, dialect: Dialect) -> CompiledStatement:
    # Lists bound into the statement (``IN`` of the policy's own constants) are expanded now, one
    # placeholder per value; a list given per request would not be (the compiled path binds none).
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    own = {name: p for name, p in compiled._bind_processors.items() if callable(p)}

    def processor(name: str) -> Callable[[Any], Any] | None:
        # An expanded value ``<name>_<n>`` is processed as its list's ``<name>`` would be.
        return own.get(name) or own.get(name.rpartition("_")[0])

    processors = {name: found for name in compiled.positiontup or () if (found := processor(name))}
    fixed = {
        name: processors[name](value) if name in processors and value is not None else value
        for name, value in (compiled.construct_params() or {}).items()
    }
    return CompiledStatement(compiled.string, tuple(compiled.positiontup or ()), fixed, processors)


class Statement:
    """A fixed statement (request values bound by name), compiled the first time it runs."""

    def __init__(self, build: Callable[[], ClauseElement]) -> None:
        self.build = build
        self.compiled: CompiledStatement | None = None
        self.lock = threading.Lock()

    def compile(self, dialect: Dialect) -> CompiledStatement:
        if self.compiled is None:
            with self.lock:
                if self.compiled is None:
                    self.compiled = compile_statement(self.build(), dialect)
        return self.compiled

    async def fetch(self, session: AsyncSession, given: Mapping[str, Any]) -> Sequence[asyncpg.Record]:
        return await fetch(session, self.compile(dialect_of(session)), given)

    async def scalar(self, session: AsyncSession, given: Mapping[str, Any]) -> Any:
        """The first column of the first row (None when there is no row)."""
        rows = await self.fetch(session, given)
        return rows[0][0] if rows else None


async def fetch(
    session: AsyncSession, statement: CompiledStatement, given: Mapping[str, Any]
) -> Sequence[asyncpg.Record]:
    """The statement's rows, on the session's connection and transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    try:
        if not driver.is_in_transaction():
            # The scope lives in the transaction. SQLAlchemy's driver adapter begins it (BEGIN, as
            # configured) on its first statement; it is begun here the same way, so that its commit or
            # rollback ends it.
            await raw.dbapi_connection._start_transaction()  # type: ignore[union-attr]
        return await driver.fetch(statement.sql, *statement.parameters(given))
    except BaseException as error:
        if not _connection_lost(error, driver):
            raise
        # As SQLAlchemy does for its own statements: a connection that was lost, or left halfway through
        # an operation (a cancelled request), is discarded rather than returned to the pool, and the
        # failure is reported as one of a connection the next request will not meet.
        await connection.invalidate(error if isinstance(error, Exception) else None)
        if not isinstance(error, Exception):
            raise
        raise DBAPIError(None, None, error, connection_invalidated=True) from error


# SQLSTATEs of a connection the server ended: admin or crash shutdown, cannot connect now.
_ENDED = ("57P01", "57P02", "57P03")


def _connection_lost(error: BaseException, driver: asyncpg.Connection[Any]) -> bool:
    if not isinstance(error, Exception) or driver.is_closed():
        return True
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, OSError | asyncpg.PostgresConnectionError | asyncpg.InternalClientError):
            return True
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _ENDED):
            return True
    return False


def text_statement(sql: str, *names: str) -> TextClause:
    """A textual statement whose bind parameters ``names`` are all given per execution."""
    return text(sql).bindparams(*(bindparam(name, required=False) for name in names))


def dialect_of(session: AsyncSession) -> Dialect:
    bind = session.bind
    assert bind is not None, "the request's session is bound to the engine"
    return bind.dialect
