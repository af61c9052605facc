"""From a request's bearer token to a principal, and the transaction's row-level security scope.

A request costs one statement for both: it reads the token's subject as the database holds it now (so a
revoked token, a disabled person, a revoked client or a changed role takes effect on the very next
request) and, in the same statement, scopes the transaction with what this process derived the last time
it saw the subject exactly so (:class:`PrincipalCache`). When the subject has changed, or the token is new
here, the principal is derived again and the scope set by a second statement.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

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
    return principal_of(token, row)


def principal_of(token: AccessToken, row: queries.SubjectRow) -> Principal:
    """The principal a token's subject (``token.subject_id``, as ``row`` describes it now) acts as."""
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


def scope_settings(principal: Principal | None) -> queries.ScopeSettings:
    """What the transaction of ``principal`` is scoped to."""
    if principal is None:
        return queries.NO_SCOPE
    user_id = principal.id if principal.kind is PrincipalKind.USER else None
    return queries.ScopeSettings.of(
        row_security_scopes(principal), user_id=user_id, principal=(principal.kind.value, principal.id)
    )


async def scope_transaction(session: AsyncSession, principal: Principal | None) -> None:
    await queries.set_scope_settings(session, scope_settings(principal))


@dataclass(frozen=True, slots=True)
class KnownPrincipal:
    """What a token's subject was derived into, and from which snapshot of it."""

    snapshot: str
    principal: Principal
    settings: queries.ScopeSettings


class PrincipalCache:
    """The principals of recently seen tokens, each with the snapshot of the subject it was derived from.

    Not a way to skip the database: every request reads its subject anew, and a cached principal (and its
    scope) is used only when the subject is, to the byte, as it was when the principal was derived. It
    saves deriving the principal and setting its scope in a second statement. Entries go oldest first
    past ``size``; an expired token never gets here (its signature check refuses it first).
    """

    def __init__(self, size: int = 10_000) -> None:
        self._known: OrderedDict[AccessToken, KnownPrincipal] = OrderedDict()
        self._size = size

    def get(self, token: AccessToken) -> KnownPrincipal | None:
        known = self._known.get(token)
        if known is not None:
            self._known.move_to_end(token)
        return known

    def put(self, token: AccessToken, known: KnownPrincipal) -> None:
        self._known[token] = known
        self._known.move_to_end(token)
        if len(self._known) > self._size:
            self._known.popitem(last=False)


async def authenticate_request(
    session: AsyncSession,
    tokens: TokenService,
    authorization: str | None,
    principals: PrincipalCache | None = None,
) -> Principal | None:
    """The request's principal (None when anonymous), with the transaction scoped to it."""
    token_text = bearer_token(authorization)
    if token_text is None:
        # Anonymous: nothing is set, and an unset scope matches no row. The session takes its connection
        # now all the same: root fields resolve side by side, and would otherwise race to open it.
        await session.connection()
        return None
    try:
        token = tokens.verify(token_text)
    except TokenRejected as error:
        raise Unauthenticated(str(error)) from None
    known = principals.get(token) if principals is not None else None
    current = await queries.authenticate_and_scope(
        session,
        token.kind.value,
        subject_id=token.subject_id if token.external_subject is None else None,
        external_subject=token.external_subject,
        jti=token.jti,
        expected=known.snapshot if known is not None else None,
        settings=known.settings if known is not None else queries.NO_SCOPE,
    )
    if current is None:
        raise Unauthenticated("token revoked, subject disabled or unknown")
    if current.scoped and known is not None:
        return known.principal
    # New here, or the subject changed (roles, organisation, a client's scopes...): derive it anew.
    if current.snapshot is None or current.row is None:
        raise RuntimeError("the subject was scoped to a snapshot this process does not know")
    principal = principal_of(replace(token, subject_id=current.subject_id), current.row)
    settings = scope_settings(principal)
    await queries.set_scope_settings(session, settings)
    if principals is not None:
        principals.put(token, KnownPrincipal(current.snapshot, principal, settings))
    return principal
