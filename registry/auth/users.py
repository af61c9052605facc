"""People: created with a role at a jurisdiction, by an operator or an administrator in scope."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.passwords import hash_password
from registry.db.models import Jurisdiction, Role, User
from registry.db.queries import administration as administration_queries
from registry.db.queries import jurisdictions as jurisdiction_queries
from registry.db.queries import users as queries
from registry.errors import Conflict, InvalidInput, NotFound

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


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
    return await add_user(
        session,
        username=username,
        display_name=display_name or username,
        email=None,
        organisation_id=organisation.id,
        password=password,
        role=role,
        jurisdiction=jurisdiction,
    )


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    email: str | None,
    organisation_id: int,
    password: str | None,
    role: Role,
    jurisdiction: Jurisdiction,
) -> User:
    """Insert a person and their first role, once who may do so has been decided. The password is kept
    only as its argon2 hash."""
    if len(username) > 100 or not USERNAME.fullmatch(username):
        raise InvalidInput(
            "A username has up to 100 lower-case letters, digits, dots, hyphens and underscores, "
            "and starts with a letter or digit.",
            field="username",
        )
    if password is not None and not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field="password")
    user_id = await administration_queries.insert_user(
        session,
        username=username,
        display_name=display_name,
        email=email,
        organisation_id=organisation_id,
        password_hash=hash_password(password) if password is not None else None,
    )
    if user_id is None:
        raise Conflict(f"The username {username} is taken.", field="username")
    await administration_queries.insert_role_assignment(session, user_id, role, jurisdiction)
    user = await administration_queries.user_by_id(session, user_id)
    assert user is not None  # it holds a role now, which lets whoever gave it see it
    return user
