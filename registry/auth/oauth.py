"""The authorization server: ``/oauth/token``, ``/oauth/authorize``, ``/oauth/revoke`` and the JWKS.

Grants: client credentials for API clients (hashed secrets); authorization code with PKCE (S256 only) for
people, through a small sign-in page; rotating refresh tokens, where reusing a spent one revokes its whole
family. Error bodies and codes are authlib's (RFC 6749 section 5.2).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import secrets as random_secrets
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from registry.auth.passwords import verify_password
from registry.auth.principal import PrincipalKind
from registry.auth.secrets import new_secret, secret_matches, token_digest
from registry.auth.tokens import TokenRejected, TokenService
from registry.config import Settings
from registry.db.queries import auth as queries

router = APIRouter()

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; a parameter given twice is refused (RFC 6749 3.1)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise InvalidRequestError("expected application/x-www-form-urlencoded")
    parsed = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    repeated = [name for name, values in parsed.items() if len(values) > 1]
    if repeated:
        raise InvalidRequestError(f"repeated parameter: {repeated[0]}")
    return {name: values[0] for name, values in parsed.items()}


def _error(error: OAuth2Error) -> JSONResponse:
    status = error.status_code or 400
    headers = dict(_NO_STORE)
    if isinstance(error, InvalidClientError):
        status = 401
        headers["WWW-Authenticate"] = 'Basic realm="registry"'
    return JSONResponse(dict(error.get_body()), status_code=status, headers=headers)


def _client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str | None, str | None]:
    """client_secret_basic or client_secret_post (not both)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        if "client_secret" in form:
            raise InvalidRequestError("use one client authentication method")
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            raise InvalidClientError() from None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def _state(request: Request) -> tuple[Settings, async_sessionmaker[AsyncSession], TokenService]:
    return request.app.state.settings, request.app.state.sessions, request.app.state.tokens


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def jwks(request: Request) -> JSONResponse:
    tokens: TokenService = request.app.state.tokens
    return JSONResponse(tokens.keys.jwks, headers={"Cache-Control": "public, max-age=300"})


@router.post("/oauth/token", include_in_schema=False)
async def token(request: Request) -> Response:
    try:
        form = await _form(request)
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            body = await _client_credentials_grant(request, form)
        elif grant_type == "authorization_code":
            body = await _authorization_code_grant(request, form)
        elif grant_type == "refresh_token":
            body = await _refresh_token_grant(request, form)
        else:
            raise UnsupportedGrantTypeError(grant_type or "")
    except OAuth2Error as error:
        return _error(error)
    return JSONResponse(body, headers=_NO_STORE)


async def _client_credentials_grant(request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    settings, sessions, tokens = _state(request)
    client_id, secret = _client_credentials(request, form)
    if not client_id or not secret:
        raise InvalidClientError()
    async with sessions() as session:
        client = await queries.find_api_client(session, client_id)
    if client is None or client.revoked or not secret_matches(client.secret_hash, secret):
        raise InvalidClientError()
    requested = form.get("scope", "").split()
    if not set(requested) <= set(client.scopes):
        raise InvalidScopeError()
    scope = " ".join(requested or client.scopes)
    access_token, _ = tokens.issue(PrincipalKind.CLIENT, client.id, client_id=client_id, scope=scope)
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_seconds,
        "scope": scope,
    }


async def _authorization_code_grant(request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    _, sessions, _ = _state(request)
    code, verifier, client_id = form.get("code"), form.get("code_verifier"), form.get("client_id")
    if not code or not client_id or not form.get("redirect_uri"):
        raise InvalidRequestError("code, redirect_uri and client_id are required")
    if not verifier or not _VERIFIER.fullmatch(verifier):
        raise InvalidRequestError("a code_verifier of 43 to 128 characters is required (PKCE)")
    async with sessions() as session:
        async with session.begin():
            app = await queries.find_oauth_app(session, client_id)
            grant = await queries.consume_authorization_code(session, token_digest(code)) if app else None
        # The code is spent now, committed: a failed attempt below does not leave it usable.
        if app is None:
            raise InvalidClientError()
        if grant is None or grant.app_id != app.id or grant.redirect_uri != form["redirect_uri"]:
            raise InvalidGrantError()
        if create_s256_code_challenge(verifier) != grant.code_challenge:
            raise InvalidGrantError("PKCE verification failed")
        async with session.begin():
            return await _issue_user_tokens(request, session, app, grant.user_id, grant.scope, uuid.uuid4())


async def _refresh_token_grant(request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    _, sessions, _ = _state(request)
    refresh, client_id = form.get("refresh_token"), form.get("client_id")
    if not refresh or not client_id:
        raise InvalidRequestError("refresh_token and client_id are required")
    async with sessions() as session:
        async with session.begin():
            app = await queries.find_oauth_app(session, client_id)
            if app is None:
                raise InvalidClientError()
            spent = await queries.spend_refresh_token(session, token_digest(refresh))
            if spent is None or spent.app_id != app.id:
                raise InvalidGrantError()
            if not spent.spendable:
                # A spent token came back: it was stolen or replayed. End the whole session family.
                await queries.revoke_refresh_family(session, spent.family_id)
        if not spent.spendable:
            raise InvalidGrantError("refresh token already used; the session has been revoked")
        async with session.begin():
            if await queries.authenticate(session, PrincipalKind.USER.value, spent.user_id, None) is None:
                raise InvalidGrantError()
            return await _issue_user_tokens(
                request, session, app, spent.user_id, spent.scope, spent.family_id
            )


async def _issue_user_tokens(
    request: Request,
    session: AsyncSession,
    app: queries.OAuthAppRow,
    user_id: int,
    scope: str,
    family_id: uuid.UUID,
) -> dict[str, Any]:
    settings, _, tokens = _state(request)
    access_token, _ = tokens.issue(PrincipalKind.USER, user_id, client_id=app.client_id, scope=scope)
    refresh = new_secret("rt")
    await queries.create_refresh_token(
        session,
        token_hash=token_digest(refresh),
        family_id=family_id,
        app_id=app.id,
        user_id=user_id,
        scope=scope,
        expires_at=_now() + dt.timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_seconds,
        "refresh_token": refresh,
    }
    if scope:
        body["scope"] = scope
    return body


@router.post("/oauth/revoke", include_in_schema=False)
async def revoke(request: Request) -> Response:
    """RFC 7009. Unknown tokens are answered like known ones; an access token stops working at once."""
    _, sessions, tokens = _state(request)
    try:
        form = await _form(request)
        value = form.get("token")
        if not value:
            raise InvalidRequestError("token is required")
        client_id, secret = _client_credentials(request, form)
        if not client_id:
            raise InvalidClientError()
        async with sessions() as session, session.begin():
            if secret is not None:
                client = await queries.find_api_client(session, client_id)
                if client is None or not secret_matches(client.secret_hash, secret):
                    raise InvalidClientError()
            elif await queries.find_oauth_app(session, client_id) is None:
                raise InvalidClientError()
            await _revoke_token(session, tokens, value, client_id, form.get("token_type_hint"))
    except OAuth2Error as error:
        return _error(error)
    return Response(status_code=200, headers=_NO_STORE)


async def _revoke_token(
    session: AsyncSession, tokens: TokenService, value: str, client_id: str, hint: str | None
) -> None:
    if hint != "refresh_token":
        try:
            access = tokens.verify(value)
        except TokenRejected:
            access = None
        if access is not None:
            if access.client_id != client_id:
                raise UnauthorizedClientError("the token was issued to another client")
            expires = dt.datetime.fromtimestamp(access.expires_at, dt.UTC)
            await queries.revoke_access_token(session, access.jti, expires)
            return
    found = await queries.find_refresh_token(session, token_digest(value))
    if found is not None:
        family_id, app_id = found
        app = await queries.find_oauth_app(session, client_id)
        if app is None or app.id != app_id:
            raise UnauthorizedClientError("the token was issued to another client")
        await queries.revoke_refresh_family(session, family_id)


# --- sign-in page (authorization code grant with PKCE) -------------------------------------------------

_AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "state",
    "scope",
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<meta name=viewport content='width=device-width'>"
        "<body style='font-family:sans-serif;max-width:26rem;margin:3rem auto'>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        },
    )


async def _checked_authorize_request(
    sessions: async_sessionmaker[AsyncSession], params: Mapping[str, str]
) -> tuple[queries.OAuthAppRow | None, str | None]:
    """The app, or why the request cannot go on. Errors before the redirect URI is trusted are shown, never
    redirected to."""
    client_id = params.get("client_id", "")
    async with sessions() as session:
        app = await queries.find_oauth_app(session, client_id)
    if app is None:
        return None, "Unknown application."
    if params.get("redirect_uri") not in app.redirect_uris:
        return None, "The redirect address is not registered for this application."
    if params.get("response_type") != "code":
        return app, "unsupported_response_type"
    if params.get("code_challenge_method") != "S256" or not _VERIFIER.fullmatch(
        params.get("code_challenge", "")
    ):
        return app, "invalid_request"
    return app, None


def _redirect_error(params: Mapping[str, str], error: str) -> RedirectResponse:
    query = {"error": error} | ({"state": params["state"]} if "state" in params else {})
    return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", status_code=303)


def _sign_in_form(app: queries.OAuthAppRow, params: Mapping[str, str], message: str = "") -> str:
    hidden = "".join(
        f"<input type=hidden name={name} value='{html.escape(params[name], quote=True)}'>"
        for name in _AUTHORIZE_FIELDS
        if name in params
    )
    notice = f"<p role=alert style='color:#a00'>{html.escape(message)}</p>" if message else ""
    return (
        f"<p>Sign in to let <strong>{html.escape(app.name)}</strong> act for you.</p>{notice}"
        f"<form method=post action='/oauth/authorize'>{hidden}"
        "<p><label>Username<br><input name=username autocomplete=username required></label></p>"
        "<p><label>Password<br><input name=password type=password autocomplete=current-password required>"
        "</label></p><p><button type=submit>Sign in</button></p></form>"
    )


@router.get("/oauth/authorize", include_in_schema=False)
async def authorize_page(request: Request) -> Response:
    _, sessions, _ = _state(request)
    params = dict(request.query_params)
    app, problem = await _checked_authorize_request(sessions, params)
    if app is None:
        return _page("Cannot sign in", f"<p>{html.escape(problem or '')}</p>", status=400)
    if problem is not None:
        return _redirect_error(params, problem)
    return _page("Child Protection Registry", _sign_in_form(app, params))


@router.post("/oauth/authorize", include_in_schema=False)
async def authorize(request: Request) -> Response:
    settings, sessions, _ = _state(request)
    try:
        form = await _form(request)
    except OAuth2Error:
        return _page("Cannot sign in", "<p>Malformed request.</p>", status=400)
    app, problem = await _checked_authorize_request(sessions, form)
    if app is None:
        return _page("Cannot sign in", f"<p>{html.escape(problem or '')}</p>", status=400)
    if problem is not None:
        return _redirect_error(form, problem)
    async with sessions() as session, session.begin():
        login = await queries.find_login(session, form.get("username", ""))
        valid = verify_password(login.password_hash if login else None, form.get("password", ""))
        if login is None or not valid or not login.active:
            params = {name: form[name] for name in _AUTHORIZE_FIELDS if name in form}
            return _page(
                "Child Protection Registry",
                _sign_in_form(app, params, "Wrong username or password."),
                status=401,
            )
        code = random_secrets.token_urlsafe(32)
        await queries.create_authorization_code(
            session,
            code_hash=token_digest(code),
            app_id=app.id,
            user_id=login.id,
            redirect_uri=form["redirect_uri"],
            code_challenge=form["code_challenge"],
            scope=form.get("scope", ""),
            expires_at=_now() + dt.timedelta(seconds=settings.authorization_code_ttl_seconds),
        )
    query = {"code": code} | ({"state": form["state"]} if "state" in form else {})
    return RedirectResponse(f"{form['redirect_uri']}?{urlencode(query)}", status_code=303)
