"""JWT access tokens (RFC 9068 profile): issued by this deployment, verified without a database trip.

Revocation, disabled people and revoked clients are checked per request by ``registry_authenticate`` in
the database, in the transaction that does the work; here only the signature and claims are verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from registry.auth.keys import ALGORITHM, SigningKeyring, SigningKeys
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
    # Set for a token of the trusted external OpenID Connect provider; ``subject_id`` is then unknown (0)
    # until the subject is matched to a registry user.
    external_subject: str | None = None


@dataclass(frozen=True)
class ExternalIssuer:
    """An OpenID Connect provider whose tokens this deployment trusts."""

    issuer: str
    audience: str
    keys: KeySet
    algorithms: tuple[str, ...] = ("RS256", "ES256")


def subject_claim(kind: PrincipalKind, subject_id: int) -> str:
    return f"{kind.value.lower()}:{subject_id}"


def parse_subject(sub: str) -> tuple[PrincipalKind, int]:
    kind, _, number = sub.partition(":")
    try:
        return PrincipalKind(kind.upper()), int(number)
    except ValueError:
        raise TokenRejected("unknown subject") from None


class _Validator(JWTBearerTokenValidator):  # type: ignore[misc]
    def __init__(self, keyring: SigningKeyring, issuer: str, audience: str) -> None:
        super().__init__(issuer=issuer, resource_server=audience)
        self._keyring = keyring

    def get_jwks(self) -> KeySet:
        return self._keyring.current().verifying


class TokenService:
    """Issues and verifies access tokens. Verified tokens are cached by their text until they expire, or
    until the signing keys change (a retired key's tokens must stop working)."""

    def __init__(
        self,
        settings: Settings,
        keyring: SigningKeyring,
        *,
        external: ExternalIssuer | None = None,
        cache_size: int = 10_000,
    ) -> None:
        self.settings = settings
        self.keyring = keyring
        self.external = external
        self._validator = _Validator(keyring, settings.token_issuer, settings.token_audience)
        self._cache: OrderedDict[str, AccessToken] = OrderedDict()
        self._cache_size = cache_size
        self._cache_generation = keyring.generation

    @property
    def keys(self) -> SigningKeys:
        """The keys in force now: the newest signs, all of them verify."""
        return self.keyring.current()

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
        signing = self.keys.signing
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": signing.kid}
        return jwt.encode(header, claims, signing, algorithms=[ALGORITHM]), token

    def verify(self, token_text: str) -> AccessToken:
        self.keyring.current()  # looks at the keys directory when due
        if self._cache_generation != self.keyring.generation:
            self._cache.clear()
            self._cache_generation = self.keyring.generation
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
        if self.external is not None and _unverified_issuer(token_text) == self.external.issuer:
            return self._verify_external(token_text, self.external)
        if not self.keyring.current().knows(_unverified_header(token_text).get("kid")):
            # Signed with a key added since this process last looked (by another process), or forged.
            self.keyring.refresh()
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

    def _verify_external(self, token_text: str, external: ExternalIssuer) -> AccessToken:
        try:
            token = jwt.decode(token_text, external.keys, algorithms=list(external.algorithms))
            JWTClaimsRegistry(
                iss={"essential": True, "value": external.issuer},
                aud={"essential": True, "value": external.audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(token.claims)
        except JoseError:
            raise TokenRejected("invalid external token") from None
        claims = token.claims
        jti = str(claims.get("jti") or hashlib.sha256(token_text.encode()).hexdigest()[:32])
        return AccessToken(
            kind=PrincipalKind.USER,
            subject_id=0,
            client_id=str(claims.get("azp") or claims.get("client_id") or external.issuer),
            scope="",
            jti=jti,
            expires_at=int(claims["exp"]),
            external_subject=str(claims["sub"]),
        )


def _unverified_part(token_text: str, index: int) -> dict[str, Any]:
    """A token's header (0) or claims (1) as they say, before anything is verified; empty if unreadable."""
    try:
        part = token_text.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _unverified_issuer(token_text: str) -> str | None:
    """Which issuer a token claims to come from, only to pick the keys that must then verify it."""
    issuer = _unverified_part(token_text, 1).get("iss")
    return issuer if isinstance(issuer, str) else None


def _unverified_header(token_text: str) -> dict[str, Any]:
    """The token's header, only to see which key it names."""
    return _unverified_part(token_text, 0)


def load_external_issuer(settings: Settings) -> ExternalIssuer | None:
    """The trusted OpenID Connect provider from the settings; None when not configured."""
    if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks):
        return None
    source = settings.oidc_jwks
    if source.startswith("https://"):
        import httpx

        document = httpx.get(source, timeout=10).raise_for_status().json()
    else:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    return ExternalIssuer(settings.oidc_issuer, settings.oidc_audience, KeySet.import_key_set(document))
