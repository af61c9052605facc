"""SQL of administration: new nodes of the jurisdiction tree, organisations, institutions and people,
and the rows an administrator changes.

Inserts that the app's role makes go through here because row-level security shapes them: a person is
inserted without ``RETURNING`` (a new person holds no role yet, so the row-level security that lets the
app read people would refuse to return the row), and an insert that may clash with a unique code is made
in a savepoint, so that the clash can be answered as an error while the transaction goes on.
"""

from __future__ import annotations

from typing import Any

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry.db.models import Institution, Jurisdiction, Organisation, Role, RoleAssignment, User


async def next_id(session: AsyncSession, table: str) -> int:
    """An id for a new row of ``table``, taken before the insert (a jurisdiction's path ends with it)."""
    sequence = func.pg_get_serial_sequence(table, "id")
    return int(await session.scalar(select(func.nextval(sequence))) or 0)


async def insert_unless_clash(session: AsyncSession, row: Any) -> bool:
    """Insert ``row``; False (and nothing inserted) when a unique constraint refuses it. The check before
    an insert cannot see rows outside the principal's scope, nor rows a concurrent request is adding."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as error:
        if isinstance(getattr(error.orig, "__cause__", None), UniqueViolationError):
            return False
        raise
    return True


async def insert_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    email: str | None,
    organisation_id: int,
    password_hash: str | None,
) -> int | None:
    """A new person's id; None when the username is taken. Without ``RETURNING``: see the module."""
    user_id = await next_id(session, "users")
    statement = insert(User).values(
        id=user_id,
        username=username,
        display_name=display_name,
        email=email,
        organisation_id=organisation_id,
        password_hash=password_hash,
    )
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError as error:
        if isinstance(getattr(error.orig, "__cause__", None), UniqueViolationError):
            return None
        raise
    return user_id


async def insert_role_assignment(
    session: AsyncSession, user_id: int, role: Role, jurisdiction: Jurisdiction
) -> RoleAssignment | None:
    """The new assignment; None when the person already holds that role there."""
    assignment = RoleAssignment(
        user_id=user_id, role=role, jurisdiction_id=jurisdiction.id, path=jurisdiction.path
    )
    return assignment if await insert_unless_clash(session, assignment) else None


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return (await session.scalars(select(User).where(User.id == user_id))).one_or_none()


async def user_for_update(session: AsyncSession, visible: ColumnElement[bool], user_id: int) -> User | None:
    """The person, locked until the transaction ends, if ``visible`` admits them (their version and roles
    cannot change under a concurrent administrator)."""
    statement = select(User).where(User.id == user_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def role_assignment(
    session: AsyncSession, user_id: int, role: Role, jurisdiction_id: int
) -> RoleAssignment | None:
    statement = select(RoleAssignment).where(
        RoleAssignment.user_id == user_id,
        RoleAssignment.role == role,
        RoleAssignment.jurisdiction_id == jurisdiction_id,
    )
    return (await session.scalars(statement)).one_or_none()


async def role_assignments_of(session: AsyncSession, user_id: int) -> list[RoleAssignment]:
    """The person's roles, as far as the transaction's row-level security scope shows them."""
    statement = select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.id)
    return list(await session.scalars(statement))


async def delete_role_assignment(session: AsyncSession, assignment_id: int) -> None:
    await session.execute(delete(RoleAssignment).where(RoleAssignment.id == assignment_id))


async def jurisdiction_for_update(session: AsyncSession, code: str) -> Jurisdiction | None:
    statement = select(Jurisdiction).where(Jurisdiction.code == code).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def organisation_by_id(session: AsyncSession, organisation_id: int) -> Organisation | None:
    return (
        await session.scalars(select(Organisation).where(Organisation.id == organisation_id))
    ).one_or_none()


async def institution_for_update(
    session: AsyncSession, visible: ColumnElement[bool], institution_id: int
) -> Institution | None:
    statement = select(Institution).where(Institution.id == institution_id, visible).with_for_update()
    return (await session.scalars(statement)).one_or_none()
