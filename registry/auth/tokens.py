"""JWT access tokens (RFC 9068 profile): issued by this deployment, verified without a database trip.

Revocation, disabled people and revoked clients are checked per request by ``registry_authenticate`` in
the database, in the transaction that does the work; here only the signature and claims are verified.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from joserfc import jwt
from joserfc.jwk import KeySet

from registry.auth.keys import ALGORITHM, SigningKeys
from registry.auth.principal import PrincipalKind
from registry.config import Settings


class TokenRejected(Exception):
    """The token is not one this deployment accepts (bad signature, algorithm, issuer, audience, expiry)."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    kind: PrincipalKind
    subject_id: int
    client_id: str
    scope: str
    jti: str
    expires_at: int


def subject_claim(kind: PrincipalKind, subject_id: int) -> str:
    return f"{kind.value.lower()}:{subject_id}"


def parse_subject(sub: str) -> tuple[PrincipalKind, int]:
    kind, _, number = sub.partition(":")
    try:
        return PrincipalKind(kind.upper()), int(number)
    except ValueError:
        raise TokenRejected("unknown subject") from None


class _Validator(JWTBearerTokenValidator):  # type: ignore[misc]
    def __init__(self, keys: KeySet, issuer: str, audience: str) -> None:
        super().__init__(issuer=issuer, resource_server=audience)
        self._keys = keys

    def get_jwks(self) -> KeySet:
        return self._keys


class TokenService:
    """Issues and verifies access tokens. Verified tokens are cached by their text until they expire."""

    def __init__(self, settings: Settings, keys: SigningKeys, *, cache_size: int = 10_000) -> None:
        self.settings = settings
        self.keys = keys
        self._validator = _Validator(keys.verifying, settings.token_issuer, settings.token_audience)
        self._cache: OrderedDict[str, AccessToken] = OrderedDict()
        self._cache_size = cache_size

    def issue(
        self, kind: PrincipalKind, subject_id: int, *, client_id: str, scope: str
    ) -> tuple[str, AccessToken]:
        now = int(time.time())
        token = AccessToken(
            kind=kind,
            subject_id=subject_id,
            client_id=client_id,
            scope=scope,
            jti=secrets.token_urlsafe(16),
            expires_at=now + self.settings.access_token_ttl_seconds,
        )
        claims: dict[str, Any] = {
            "iss": self.settings.token_issuer,
            "aud": self.settings.token_audience,
            "sub": subject_claim(kind, subject_id),
            "client_id": client_id,
            "iat": now,
            "exp": token.expires_at,
            "jti": token.jti,
        }
        if scope:
            claims["scope"] = scope
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": self.keys.signing.kid}
        return jwt.encode(header, claims, self.keys.signing, algorithms=[ALGORITHM]), token

    def verify(self, token_text: str) -> AccessToken:
        cached = self._cache.get(token_text)
        now = time.time()
        if cached is not None:
            if cached.expires_at > now:
                return cached
            del self._cache[token_text]
        token = self._verify_uncached(token_text)
        self._cache[token_text] = token
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return token

    def _verify_uncached(self, token_text: str) -> AccessToken:
        try:
            claims = self._validator.authenticate_token(token_text)
            if claims.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
                raise TokenRejected("not an access token")
            if claims.header.get("alg") != ALGORITHM:
                raise TokenRejected("unexpected algorithm")
            self._validator.validate_token(claims, scopes=None, request=None)
        except InvalidTokenError:
            raise TokenRejected("invalid token") from None
        kind, subject_id = parse_subject(str(claims["sub"]))
        return AccessToken(
            kind=kind,
            subject_id=subject_id,
            client_id=str(claims["client_id"]),
            scope=str(claims.get("scope", "")),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
