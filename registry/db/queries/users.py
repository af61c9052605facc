"""SQL of people, their role assignments and API clients."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, cast, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from registry.db.models import ApiClient, Jurisdiction, Organisation, Role, RoleAssignment, User
from registry.db.types import Ltree


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.scalars(select(User).where(text("lower(username) = lower(:u)")).params(u=username))
    return result.one_or_none()


async def organisation_by_code(session: AsyncSession, code: str) -> Organisation | None:
    return (await session.scalars(select(Organisation).where(Organisation.code == code))).one_or_none()


async def nearest_organisation(session: AsyncSession, jurisdiction: Jurisdiction) -> Organisation | None:
    """The organisation working closest above (or at) a jurisdiction: deepest path first."""
    statement = (
        select(Organisation)
        .where(Organisation.path.op("@>")(jurisdiction.path))
        .order_by(text("nlevel(path) DESC"), Organisation.id)
        .limit(1)
    )
    return (await session.scalars(statement)).one_or_none()


async def insert_api_client(
    session: AsyncSession,
    *,
    client_id: str,
    name: str,
    organisation_id: int,
    scopes: list[str],
    secret_hash: str,
    created_by_id: int,
    jurisdiction: Jurisdiction,
) -> ApiClient:
    client = ApiClient(
        client_id=client_id,
        name=name,
        organisation_id=organisation_id,
        scopes=scopes,
        secret_hash=secret_hash,
        created_by_id=created_by_id,
        jurisdiction_id=jurisdiction.id,
        path=jurisdiction.path,
    )
    session.add(client)
    await session.flush()
    return client


async def api_client_by_id(session: AsyncSession, client_db_id: int) -> ApiClient | None:
    return await session.get(ApiClient, client_db_id)


async def api_client_by_client_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    return (await session.scalars(select(ApiClient).where(ApiClient.client_id == client_id))).one_or_none()


async def api_clients_by_ids(session: AsyncSession, ids: list[int]) -> dict[int, ApiClient]:
    result = await session.scalars(select(ApiClient).where(ApiClient.id.in_(ids)))
    return {row.id: row for row in result}


async def mark_api_client_revoked(session: AsyncSession, client_db_id: int) -> ApiClient | None:
    statement = (
        update(ApiClient)
        .where(ApiClient.id == client_db_id, ApiClient.revoked_at.is_(None))
        .values(revoked_at=text("now()"))
        .returning(ApiClient)
    )
    options = {"synchronize_session": False, "populate_existing": True}
    result = await session.scalars(statement, execution_options=options)
    return result.one_or_none()


async def users_by_ids(
    session: AsyncSession, visible: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, User]:
    result = await session.scalars(select(User).where(User.id.in_(ids), visible))
    return {row.id: row for row in result}


async def role_assignments_by_user_ids(
    session: AsyncSession, visible: ColumnElement[bool], user_ids: Sequence[int]
) -> dict[int, list[RoleAssignment]]:
    """Each person's roles inside the subtrees ``visible`` admits, in the order they were given."""
    statement = (
        select(RoleAssignment)
        .where(RoleAssignment.user_id.in_(user_ids), visible)
        .order_by(RoleAssignment.id)
    )
    found: dict[int, list[RoleAssignment]] = {user_id: [] for user_id in user_ids}
    for row in await session.scalars(statement):
        found[row.user_id].append(row)
    return found


async def roles_over(session: AsyncSession, user_id: int, path: str) -> list[Role]:
    """The roles ``user_id`` holds over the record at ``path`` (assigned at or above it), as far as the
    transaction's scope lets it see them. Only active people hold roles."""
    statement = (
        select(RoleAssignment.role)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.user_id == user_id,
            User.active,
            RoleAssignment.path.op("@>")(cast(literal(path, Text()), Ltree())),
        )
    )
    return list(await session.scalars(statement))
