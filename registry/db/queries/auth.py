"""SQL of sign-in and tokens. Lookups before a principal exists go through SECURITY DEFINER functions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import RowScopes


@dataclass(frozen=True, slots=True)
class SubjectRow:
    name: str
    organisation_id: int
    created_by_id: int | None
    client_scopes: list[str] | None
    client_jurisdiction_id: int | None
    client_path: str | None
    assignments: list[dict[str, Any]]


async def authenticate(
    session: AsyncSession, kind: str, subject_id: int, jti: str | None
) -> SubjectRow | None:
    """The token subject as it is now; None if revoked, disabled or gone."""
    row = (
        await session.execute(
            text("SELECT * FROM registry_authenticate(:kind, :id, :jti)"),
            {"kind": kind, "id": subject_id, "jti": jti},
        )
    ).one_or_none()
    return SubjectRow(**row._mapping) if row is not None else None


async def set_row_scope(
    session: AsyncSession,
    scopes: RowScopes,
    *,
    user_id: int | None,
    principal: tuple[str, int] | None,
) -> None:
    """Scope this transaction's row-level security. Transaction-local: a pooled connection forgets it."""
    await session.execute(
        text(
            "SELECT set_config('registry.scope', :records, true),"
            " set_config('registry.admin_scope', :admin, true),"
            " set_config('registry.statistics_scope', :statistics, true),"
            " set_config('registry.user_id', :user_id, true),"
            " set_config('registry.principal_kind', :kind, true),"
            " set_config('registry.principal_id', :principal_id, true)"
        ),
        {
            "records": scopes.records or "",
            "admin": scopes.admin or "",
            "statistics": scopes.statistics or "",
            "user_id": str(user_id) if user_id else "",
            "kind": principal[0] if principal else "",
            "principal_id": str(principal[1]) if principal else "",
        },
    )


async def user_id_for_external_subject(session: AsyncSession, subject: str) -> int | None:
    value = await session.scalar(text("SELECT registry_user_for_subject(:subject)"), {"subject": subject})
    return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class LoginRow:
    id: int
    password_hash: str | None
    active: bool


async def find_login(session: AsyncSession, username: str) -> LoginRow | None:
    row = (
        await session.execute(text("SELECT * FROM registry_find_login(:username)"), {"username": username})
    ).one_or_none()
    return LoginRow(**row._mapping) if row is not None else None


@dataclass(frozen=True, slots=True)
class ClientSecretRow:
    id: int
    secret_hash: str
    scopes: list[str]
    revoked: bool


async def find_api_client(session: AsyncSession, client_id: str) -> ClientSecretRow | None:
    row = (
        await session.execute(
            text("SELECT * FROM registry_find_api_client(:client_id)"), {"client_id": client_id}
        )
    ).one_or_none()
    return ClientSecretRow(**row._mapping) if row is not None else None


@dataclass(frozen=True, slots=True)
class OAuthAppRow:
    id: int
    client_id: str
    name: str
    redirect_uris: list[str]


async def find_oauth_app(session: AsyncSession, client_id: str) -> OAuthAppRow | None:
    row = (
        await session.execute(
            text("SELECT id, client_id, name, redirect_uris FROM oauth_apps WHERE client_id = :client_id"),
            {"client_id": client_id},
        )
    ).one_or_none()
    return OAuthAppRow(**row._mapping) if row is not None else None


async def revoke_access_token(session: AsyncSession, jti: str, expires_at: dt.datetime) -> None:
    await session.execute(
        text(
            "INSERT INTO revoked_tokens (jti, expires_at) VALUES (:jti, :expires_at) ON CONFLICT DO NOTHING"
        ),
        {"jti": jti, "expires_at": expires_at},
    )


async def create_authorization_code(
    session: AsyncSession,
    *,
    code_hash: bytes,
    app_id: int,
    user_id: int,
    redirect_uri: str,
    code_challenge: str,
    scope: str,
    expires_at: dt.datetime,
) -> None:
    await session.execute(
        text(
            "INSERT INTO authorization_codes"
            " (code_hash, app_id, user_id, redirect_uri, code_challenge, scope, expires_at)"
            " VALUES (:code_hash, :app_id, :user_id, :redirect_uri, :code_challenge, :scope, :expires_at)"
        ),
        {
            "code_hash": code_hash,
            "app_id": app_id,
            "user_id": user_id,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "scope": scope,
            "expires_at": expires_at,
        },
    )


@dataclass(frozen=True, slots=True)
class AuthorizationCodeRow:
    app_id: int
    user_id: int
    redirect_uri: str
    code_challenge: str
    scope: str


async def consume_authorization_code(session: AsyncSession, code_hash: bytes) -> AuthorizationCodeRow | None:
    """Spend a code once: a second use, or an expired code, finds nothing."""
    row = (
        await session.execute(
            text(
                "UPDATE authorization_codes SET used_at = now()"
                " WHERE code_hash = :code_hash AND used_at IS NULL AND expires_at > now()"
                " RETURNING app_id, user_id, redirect_uri, code_challenge, scope"
            ),
            {"code_hash": code_hash},
        )
    ).one_or_none()
    return AuthorizationCodeRow(**row._mapping) if row is not None else None


async def create_refresh_token(
    session: AsyncSession,
    *,
    token_hash: bytes,
    family_id: uuid.UUID,
    app_id: int,
    user_id: int,
    scope: str,
    expires_at: dt.datetime,
) -> None:
    await session.execute(
        text(
            "INSERT INTO refresh_tokens (token_hash, family_id, app_id, user_id, scope, expires_at)"
            " VALUES (:token_hash, :family_id, :app_id, :user_id, :scope, :expires_at)"
        ),
        {
            "token_hash": token_hash,
            "family_id": family_id,
            "app_id": app_id,
            "user_id": user_id,
            "scope": scope,
            "expires_at": expires_at,
        },
    )


@dataclass(frozen=True, slots=True)
class RefreshTokenRow:
    family_id: uuid.UUID
    app_id: int
    user_id: int
    scope: str
    spendable: bool


async def spend_refresh_token(session: AsyncSession, token_hash: bytes) -> RefreshTokenRow | None:
    """Mark a refresh token used. ``spendable`` is False when it was already used, revoked or expired."""
    row = (
        await session.execute(
            text(
                "WITH target AS (SELECT id, used_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
                " AS spendable FROM refresh_tokens WHERE token_hash = :token_hash FOR UPDATE)"
                " UPDATE refresh_tokens r SET used_at = coalesce(r.used_at, now()) FROM target"
                " WHERE r.id = target.id"
                " RETURNING r.family_id, r.app_id, r.user_id, r.scope, target.spendable"
            ),
            {"token_hash": token_hash},
        )
    ).one_or_none()
    return RefreshTokenRow(**row._mapping) if row is not None else None


async def revoke_refresh_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        text(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = :family_id AND revoked_at IS NULL"
        ),
        {"family_id": family_id},
    )


async def find_refresh_token(session: AsyncSession, token_hash: bytes) -> tuple[uuid.UUID, int] | None:
    """The family and app of a refresh token, spent or not."""
    row = (
        await session.execute(
            text("SELECT family_id, app_id FROM refresh_tokens WHERE token_hash = :token_hash"),
            {"token_hash": token_hash},
        )
    ).one_or_none()
    return (row.family_id, row.app_id) if row is not None else None
