"""SQL of sign-in and tokens. Lookups before a principal exists go through SECURITY DEFINER functions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import RowScopes
from registry.db import raw


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


@dataclass(frozen=True, slots=True)
class ScopeSettings:
    """The transaction settings row-level security reads; ``''`` grants nothing."""

    records: str = ""
    admin: str = ""
    statistics: str = ""
    user_id: str = ""
    principal_kind: str = ""
    principal_id: str = ""

    @classmethod
    def of(
        cls, scopes: RowScopes, *, user_id: int | None, principal: tuple[str, int] | None
    ) -> ScopeSettings:
        return cls(
            records=scopes.records or "",
            admin=scopes.admin or "",
            statistics=scopes.statistics or "",
            user_id=str(user_id) if user_id else "",
            principal_kind=principal[0] if principal else "",
            principal_id=str(principal[1]) if principal else "",
        )


NO_SCOPE = ScopeSettings()
_SCOPE_NAMES = ("records", "admin", "statistics", "user_id", "principal_kind", "principal_id")


async def set_row_scope(
    session: AsyncSession,
    scopes: RowScopes,
    *,
    user_id: int | None,
    principal: tuple[str, int] | None,
) -> None:
    """Scope this transaction's row-level security. Transaction-local: a pooled connection forgets it."""
    await set_scope_settings(session, ScopeSettings.of(scopes, user_id=user_id, principal=principal))


_SET_SCOPE = raw.Statement(
    lambda: raw.text_statement(
        "SELECT set_config('registry.scope', :records, true),"
        " set_config('registry.admin_scope', :admin, true),"
        " set_config('registry.statistics_scope', :statistics, true),"
        " set_config('registry.user_id', :user_id, true),"
        " set_config('registry.principal_kind', :principal_kind, true),"
        " set_config('registry.principal_id', :principal_id, true)",
        *_SCOPE_NAMES,
    )
)


async def set_scope_settings(session: AsyncSession, settings: ScopeSettings) -> None:
    await _SET_SCOPE.fetch(session, _scope_parameters(settings))


def _scope_parameters(settings: ScopeSettings) -> dict[str, str]:
    return {
        "records": settings.records,
        "admin": settings.admin,
        "statistics": settings.statistics,
        "user_id": settings.user_id,
        "principal_kind": settings.principal_kind,
        "principal_id": settings.principal_id,
    }


@dataclass(frozen=True, slots=True)
class CurrentSubject:
    """A token's subject as the database holds it now."""

    subject_id: int
    # The subject is, to the byte, the snapshot expected: the scope given with it was set (and nothing more
    # was read back). Otherwise ``snapshot`` and ``row`` describe the subject, and nothing was set.
    scoped: bool
    snapshot: str | None
    row: SubjectRow | None


# One round trip: who the token's subject is now (revoked token, disabled person, revoked client: no row)
# and, only when that is exactly the snapshot the caller expects, the transaction's scope the caller
# derived from that snapshot. Otherwise every setting is '' (nothing), and the subject is read back for the
# caller to derive the scope anew. The snapshot is the subject's id and row as text: whatever the principal
# is derived from.
_AUTHENTICATE_AND_SCOPE = raw.Statement(
    lambda: raw.text_statement(
        "SELECT subject.id AS subject_id, c.scoped,"
        " CASE WHEN c.scoped THEN NULL ELSE t.snapshot END AS snapshot,"
        " a.name, a.organisation_id, a.created_by_id, a.client_scopes, a.client_jurisdiction_id,"
        " a.client_path, CASE WHEN c.scoped THEN NULL ELSE a.assignments END AS assignments,"
        " set_config('registry.scope', CASE WHEN c.scoped THEN :records ELSE '' END, true),"
        " set_config('registry.admin_scope', CASE WHEN c.scoped THEN :admin ELSE '' END, true),"
        " set_config('registry.statistics_scope', CASE WHEN c.scoped THEN :statistics ELSE '' END, true),"
        " set_config('registry.user_id', CASE WHEN c.scoped THEN :user_id ELSE '' END, true),"
        " set_config('registry.principal_kind', CASE WHEN c.scoped THEN :principal_kind ELSE '' END, true),"
        " set_config('registry.principal_id', CASE WHEN c.scoped THEN :principal_id ELSE '' END, true)"
        " FROM (SELECT coalesce(CAST(:id AS bigint), registry_user_for_subject(:external_subject)) AS id)"
        " AS subject,"
        " registry_authenticate(:kind, subject.id, :jti) AS a,"
        " LATERAL (SELECT concat_ws(' ', subject.id, a) AS snapshot) AS t,"
        " LATERAL (SELECT coalesce(t.snapshot = CAST(:expected AS text), false) AS scoped) AS c",
        "kind",
        "id",
        "external_subject",
        "jti",
        "expected",
        *_SCOPE_NAMES,
    )
)


async def authenticate_and_scope(
    session: AsyncSession,
    kind: str,
    *,
    subject_id: int | None,
    external_subject: str | None,
    jti: str | None,
    expected: str | None,
    settings: ScopeSettings,
) -> CurrentSubject | None:
    """The token subject as it is now (None if revoked, disabled or gone), in the statement that scopes the
    transaction with ``settings`` if, and only if, the subject's snapshot is still ``expected``. A subject
    named by an external provider (``external_subject``) is matched to its registry user here too."""
    rows = await _AUTHENTICATE_AND_SCOPE.fetch(
        session,
        {
            "kind": kind,
            "id": subject_id,
            "external_subject": external_subject,
            "jti": jti,
            "expected": expected,
            **_scope_parameters(settings),
        },
    )
    if not rows:
        return None
    row = rows[0]
    if row["scoped"]:
        return CurrentSubject(int(row["subject_id"]), scoped=True, snapshot=None, row=None)
    return CurrentSubject(
        int(row["subject_id"]),
        scoped=False,
        snapshot=str(row["snapshot"]),
        row=SubjectRow(
            name=row["name"],
            organisation_id=row["organisation_id"],
            created_by_id=row["created_by_id"],
            client_scopes=row["client_scopes"],
            client_jurisdiction_id=row["client_jurisdiction_id"],
            client_path=row["client_path"],
            assignments=row["assignments"],
        ),
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
