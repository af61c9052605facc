"""Typed errors in mutation payloads."""

from __future__ import annotations

import strawberry

from registry.errors import ErrorCode, RegistryError

strawberry.enum(
    ErrorCode,
    description="What kind of problem a mutation or a request met: a mutation's `errors { code }`, or "
    "`extensions.code` of a GraphQL error.",
)


@strawberry.type(description="A problem that stopped a mutation; nothing was changed.")
class MutationError:
    code: ErrorCode = strawberry.field(description="Machine-readable kind of problem.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="Human-readable explanation.")

    @classmethod
    def from_error(cls, error: RegistryError) -> MutationError:
        return cls(code=error.code, field=error.field, message=error.message)
