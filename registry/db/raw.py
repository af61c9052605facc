"""Statements compiled once to SQL text and run on the driver's connection.

SQLAlchemy spends milliseconds of CPU per execution of a large statement (its cache key, parameter and
result processing) where asyncpg alone spends a fraction of one. For the statements of the compiled read
path, built from the same SQLAlchemy expressions as everywhere else (the policy's predicates included),
:func:`compile_statement` keeps the SQL text and the values bound into it; each execution binds only what
the request gives, by name, and runs on the session's own connection, inside its transaction (row-level
security scope and all).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession


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


def compile_statement(statement: Select[Any], dialect: Dialect) -> CompiledStatement:
    # Lists bound into the statement (``IN`` of the policy's own constants) are expanded now, one
    # placeholder per value; a list given per request would not be (the compiled path binds none).
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    own = {name: p for name, p in compiled._bind_processors.items() if callable(p)}

    def processor(name: str) -> Callable[[Any], Any] | None:
        # An expanded value ``<name>_<n>`` is processed as its list's ``<name>`` would be.
        return own.get(name) or own.get(name.rpartition("_")[0])

    processors = {name: found for name in compiled.positiontup or () if (found := processor(name))}
    fixed = {
        name: processors[name](value) if name in processors and value is not None else value
        for name, value in compiled.construct_params().items()
    }
    return CompiledStatement(compiled.string, tuple(compiled.positiontup or ()), fixed, processors)


async def fetch(
    session: AsyncSession, statement: CompiledStatement, given: Mapping[str, Any]
) -> Sequence[asyncpg.Record]:
    """The statement's rows, on the session's connection and transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    if not driver.is_in_transaction():
        # SQLAlchemy begins on its first statement; the scope lives in the transaction, so begin it here.
        await connection.exec_driver_sql("SELECT 1")
    return await driver.fetch(statement.sql, *statement.parameters(given))


def dialect_of(session: AsyncSession) -> Dialect:
    bind = session.bind
    assert bind is not None, "the request's session is bound to the engine"
    return bind.dialect
