"""People: created with a role at a jurisdiction, by an operator or an administrator in scope."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.passwords import hash_password
from registry.db.models import Role, User
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import users as queries
from registry.errors import InvalidInput, NotFound


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    role: Role,
    jurisdiction_code: str,
    display_name: str | None = None,
    organisation_code: str | None = None,
    password: str | None = None,
) -> User:
    """A person with one role. Without a password they can only get tokens from an operator."""
    jurisdiction = await jurisdiction_queries.jurisdiction_by_code(session, jurisdiction_code)
    if jurisdiction is None:
        raise NotFound(f"No jurisdiction {jurisdiction_code}.", field="jurisdiction")
    if organisation_code is not None:
        organisation = await queries.organisation_by_code(session, organisation_code)
    else:
        organisation = await queries.nearest_organisation(session, jurisdiction)
    if organisation is None:
        raise NotFound("No organisation found for the user.", field="organisation")
    if await queries.user_by_username(session, username) is not None:
        raise InvalidInput(f"The username {username} is taken.", field="username")
    if password is not None and len(password) < 12:
        raise InvalidInput("A password needs at least 12 characters.", field="password")
    user = await queries.insert_user(
        session,
        username=username,
        display_name=display_name or username,
        organisation_id=organisation.id,
        password_hash=hash_password(password) if password is not None else None,
    )
    await queries.insert_role_assignment(session, user.id, role, jurisdiction)
    return user
