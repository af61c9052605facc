"""OAuth state: first-party apps people sign in through, authorization codes, refresh tokens, revocations."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, LargeBinary, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.models.base import Base, IdMixin, created_at_column


class OAuthApp(IdMixin, Base):
    """A public client (no secret) that signs people in with the authorization code grant and PKCE."""

    __tablename__ = "oauth_apps"

    client_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()


class AuthorizationCode(Base):
    """A one-time code; only its hash is stored."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    app_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("oauth_apps.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), nullable=False)
    redirect_uri: Mapped[str] = mapped_column(Text, nullable=False)
    code_challenge: Mapped[str] = mapped_column(String(128), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(IdMixin, Base):
    """Rotating refresh tokens. Each use replaces the token; reusing a spent one revokes its whole family."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    app_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("oauth_apps.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    issued_at: Mapped[dt.datetime] = created_at_column()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)


class RevokedToken(Base):
    """Access tokens revoked before they expire (by their ``jti``); rows can go once ``expires_at`` passed."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[dt.datetime] = created_at_column()
