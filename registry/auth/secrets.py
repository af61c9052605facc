"""Random credentials and how they are stored: only hashes, never the values."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def secret_hash(secret: str) -> str:
    """Hash of a high-entropy machine secret (256 random bits): a plain SHA-256 is enough; passwords, which
    people choose, get argon2 instead."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), secret_hash(secret).encode())


def token_digest(token: str) -> bytes:
    """How one-time codes and refresh tokens are looked up."""
    return hashlib.sha256(token.encode()).digest()
