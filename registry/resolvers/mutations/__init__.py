"""Mutation root fields, one module per domain, and :func:`perform`, which runs every one of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.exc import IntegrityError

from registry.auth.principal import Principal
from registry.auth.request import scope_transaction
from registry.errors import Conflict, NotSignedIn, RegistryError
from registry.schema.context import Context, DataLoaders
from registry.schema.errors import MutationError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Performed(Generic[T]):
    """What a mutation did: its result, or the error that stopped it (nothing was changed then)."""

    result: T | None
    error: RegistryError | None

    @property
    def errors(self) -> list[MutationError]:
        return [MutationError.from_error(self.error)] if self.error is not None else []


async def perform(
    info: strawberry.Info[Context, None], work: Callable[[Principal], Awaitable[T]]
) -> Performed[T]:
    """Run ``work`` for the signed-in principal in the request's transaction and commit it; on a
    :class:`RegistryError` roll everything back. Either way the next transaction (in which the payload is
    read) is scoped again and the request's loaders start afresh, so the payload shows the new state."""
    context = info.context
    principal = context.principal
    if principal is None:
        return Performed(None, NotSignedIn("Sign in first: this needs an access token."))
    try:
        result = await work(principal)
        # No audit row, no change: it commits with the work or not at all.
        await context.audit.record_write(context.session, info.field_name)
        await context.session.commit()
    except RegistryError as error:
        await context.session.rollback()
        failed: Performed[T] = Performed(None, error)
        return await _rescoped(context, principal, failed)
    except IntegrityError as error:
        # A unique constraint lost a race with a concurrent request (the checks before it passed).
        await context.session.rollback()
        if not isinstance(getattr(error.orig, "__cause__", None), UniqueViolationError):
            raise
        clash = Conflict("This clashes with a record created at the same moment; read and retry.")
        clashed: Performed[T] = Performed(None, clash)
        return await _rescoped(context, principal, clashed)
    return await _rescoped(context, principal, Performed(result, None))


async def _rescoped(context: Context, principal: Principal, performed: Performed[T]) -> Performed[T]:
    await scope_transaction(context.session, principal)
    context.loaders = DataLoaders(context.session, principal, context.audit)
    return performed
