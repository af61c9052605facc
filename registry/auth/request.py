"""From a request's bearer token to a principal, and the transaction's row-level security scope."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from registry.auth.policy import Assignment, client_principal, row_security_scopes, user_principal
from registry.auth.principal import Principal, PrincipalKind
from registry.auth.tokens import AccessToken, TokenRejected, TokenService
from registry.db.models import Role
from registry.db.queries import auth as queries


class Unauthenticated(Exception):
    """No valid credentials: answered with 401 and ``WWW-Authenticate``."""


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("expected a bearer token")
    return value.strip()


async def load_principal(session: AsyncSession, token: AccessToken) -> Principal:
    if token.external_subject is not None:
        user_id = await queries.user_id_for_external_subject(session, token.external_subject)
        if user_id is None:
            raise Unauthenticated("no registry user for this external subject")
        token = replace(token, subject_id=user_id)
    row = await queries.authenticate(session, token.kind.value, token.subject_id, token.jti)
    if row is None:
        raise Unauthenticated("token revoked or subject disabled")
    assignments = [
        Assignment(Role(a["role"]), int(a["jurisdiction_id"]), str(a["path"])) for a in row.assignments
    ]
    if token.kind is PrincipalKind.USER:
        return user_principal(
            token.subject_id, row.name, row.organisation_id, assignments, token_id=token.jti
        )
    assert row.client_scopes is not None
    assert row.client_jurisdiction_id is not None
    assert row.client_path is not None
    assert row.created_by_id is not None
    return client_principal(
        token.subject_id,
        row.name,
        row.organisation_id,
        scopes=row.client_scopes,
        jurisdiction_id=row.client_jurisdiction_id,
        path=row.client_path,
        created_by_user_id=row.created_by_id,
        creator_assignments=assignments,
        token_scope=token.scope,
        token_id=token.jti,
    )


async def scope_transaction(session: AsyncSession, principal: Principal | None) -> None:
    scopes = row_security_scopes(principal)
    user_id = principal.id if principal is not None and principal.kind is PrincipalKind.USER else None
    await queries.set_row_scope(
        session,
        scopes,
        user_id=user_id,
        principal=(principal.kind.value, principal.id) if principal is not None else None,
    )


async def authenticate_request(
    session: AsyncSession, tokens: TokenService, authorization: str | None
) -> Principal | None:
    """The request's principal (None when anonymous), with the transaction scoped to it."""
    token_text = bearer_token(authorization)
    principal = None
    if token_text is not None:
        try:
            token = tokens.verify(token_text)
        except TokenRejected as error:
            raise Unauthenticated(str(error)) from None
        principal = await load_principal(session, token)
        await scope_transaction(session, principal)
    else:
        # Anonymous: nothing is set, and an unset scope matches no row. The session takes its connection
        # now all the same: root fields resolve side by side, and would otherwise race to open it.
        await session.connection()
    return principal
