"""What every write needs: who acts, the permission check, the version check and the case event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.permissions import Permission
from registry.auth.policy import can
from registry.auth.principal import Principal, PrincipalKind
from registry.db.models import CaseEvent, CaseEventType, CaseStage
from registry.errors import Conflict, InvalidInput, NotFound

# Free texts (notes, reasons, outcomes): enough for a paragraph, not a document.
MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it, as the history records it: a person, or an API client."""

    user_id: int | None
    client_id: int | None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if principal.kind is PrincipalKind.USER:
            return cls(user_id=principal.id, client_id=None)
        return cls(user_id=None, client_id=principal.id)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clean_text(value: str | None, *, field: str, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """A free text with surrounding blanks removed; blank is "not given", refused when ``required``."""
    cleaned = value.strip() if value is not None else None
    if not cleaned:
        if required:
            raise InvalidInput("This needs a text.", field=field)
        return None
    if len(cleaned) > limit:
        raise InvalidInput(f"At most {limit} characters.", field=field)
    return cleaned


def require(principal: Principal, permission: Permission, path: str, *, what: str, field: str) -> None:
    """Deny as "not found": a record one may not change is, for that purpose, not there."""
    if not can(principal, permission, path):
        raise NotFound(f"No such {what}.", field=field)


def expect_version(current: int, expected: int | None, *, what: str) -> None:
    """Optimistic concurrency: the caller sends back the ``version`` it read; if the record has moved on
    since, the change is refused and the caller must read it again."""
    if expected is not None and current != expected:
        raise Conflict(
            f"The {what} was changed by someone else (version {current}, you sent {expected}); "
            "read it again and retry.",
            field="version",
        )


async def record_case_event(
    session: AsyncSession,
    case_id: int,
    type: CaseEventType,
    actor: Actor,
    *,
    from_stage: CaseStage | None = None,
    to_stage: CaseStage | None = None,
    data: dict[str, Any] | None = None,
    note: str | None = None,
) -> CaseEvent:
    """Append one entry to the case's history, in the transaction of the change it records."""
    event = CaseEvent(
        case_id=case_id,
        type=type,
        occurred_at=now(),
        actor_user_id=actor.user_id,
        actor_client_id=actor.client_id,
        from_stage=from_stage,
        to_stage=to_stage,
        data=data or {},
        note=note,
    )
    session.add(event)
    await session.flush()
    return event
