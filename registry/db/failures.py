"""Database failures a client may simply retry, told apart from bugs."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from registry.errors import ErrorCode

# SQLSTATEs: 57014 query_canceled (the statement timeout); 08xxx connection exceptions; 57P01-57P03
# admin/crash shutdown and "cannot connect now" (starting up or shutting down); 53300 too many connections.
_TIMED_OUT = {"57014"}
_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}
# 25P02: the transaction was already aborted by an earlier failure of the same request.
ABORTED_TRANSACTION = "25P02"

# What a client is told; both are worth retrying after a short wait.
MESSAGES = {
    ErrorCode.UNAVAILABLE: "The registry's database is unavailable; retry shortly.",
    ErrorCode.TIMEOUT: "The request took too long and was stopped; retry shortly, or ask for less.",
}


def retryable_failure(error: BaseException) -> ErrorCode | None:
    """``UNAVAILABLE`` when the database could not be reached or dropped the connection (a restart, a
    failover, an exhausted pool), ``TIMEOUT`` when a statement ran past the statement timeout, else None."""
    for cause in _causes(error):
        state = sqlstate(cause)
        if state in _TIMED_OUT:
            return ErrorCode.TIMEOUT
        if state is not None and (state in _UNAVAILABLE or state.startswith("08")):
            return ErrorCode.UNAVAILABLE
        if isinstance(cause, OSError | PoolTimeout):
            return ErrorCode.UNAVAILABLE
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return ErrorCode.UNAVAILABLE
    return None


def sqlstate(error: BaseException) -> str | None:
    """The PostgreSQL error code of an asyncpg error (or of SQLAlchemy's wrapper around one)."""
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else None


def is_aborted_transaction(error: BaseException) -> bool:
    return any(sqlstate(cause) == ABORTED_TRANSACTION for cause in _causes(error))


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (SQLAlchemy's ``orig``) and what caused it, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend(
            [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
        )
