"""Creating mutations take an idempotency key: a retry with the same key answers with what the first
attempt created, instead of creating it twice.

Requests with the same key are serialised by a transaction-level advisory lock, so two concurrent retries
cannot both pass the check. A key reused for a different request is refused (``CONFLICT``): answering it
with the old result would hide a client bug.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.principal import Principal
from registry.db.models import IdempotencyKey
from registry.errors import Conflict, InvalidInput

KEY_FIELD = "idempotencyKey"


def fingerprint(operation: str, request: Mapping[str, Any]) -> bytes:
    canonical = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).digest()


async def create_once(
    session: AsyncSession,
    principal: Principal,
    *,
    key: str | None,
    operation: str,
    request: Mapping[str, Any],
    create: Callable[[], Awaitable[int]],
) -> tuple[int, bool]:
    """``(id, replayed)``: the id ``create`` made now, or the one made by an earlier request with ``key``."""
    if key is None:
        return await create(), False
    if not 8 <= len(key) <= 100:
        raise InvalidInput("An idempotency key has 8 to 100 characters.", field=KEY_FIELD)
    lock = f"idempotency:{principal.kind.value}:{principal.id}:{key}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(lock, 0))))
    request_hash = fingerprint(operation, request)
    earlier = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal_kind == principal.kind.value,
            IdempotencyKey.principal_id == principal.id,
            IdempotencyKey.key == key,
        )
    )
    if earlier is not None:
        if earlier.operation != operation or earlier.request_hash != request_hash:
            raise Conflict("This idempotency key was used for a different request.", field=KEY_FIELD)
        return earlier.result_id, True
    created = await create()
    session.add(
        IdempotencyKey(
            principal_kind=principal.kind.value,
            principal_id=principal.id,
            key=key,
            operation=operation,
            request_hash=request_hash,
            result_type=operation,
            result_id=created,
        )
    )
    await session.flush()
    return created, False
