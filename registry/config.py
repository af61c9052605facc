"""Settings read from the environment (``REGISTRY_*``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Deployment settings. Every field maps to ``REGISTRY_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    # The owner's connection: migrations and administration run through it. Unset means the embedded
    # PostgreSQL under ``data_dir``.
    database_url: SecretStr | None = None
    # The API's own login role: not the tables' owner, not a superuser, no BYPASSRLS. Migrations create
    # it when missing. ``app_database_url`` overrides the URL derived from ``database_url``.
    app_db_role: str = Field(default="registry_app", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    app_db_password: SecretStr | None = None
    app_database_url: SecretStr | None = None
    data_dir: Path = Path(".registry")
    redis_url: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 16
    max_page_size: int = 100
    # Tokens: ``iss`` and ``aud`` of the access tokens this deployment issues and accepts.
    token_issuer: str = "urn:registry:pk"  # noqa: S105 - an identifier, not a secret
    token_audience: str = "urn:registry:api"  # noqa: S105 - an identifier, not a secret
    access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=300)
    authorization_code_ttl_seconds: int = Field(default=120, ge=10, le=600)
    # Where the token-signing keys live; default ``<data_dir>/keys``.
    signing_keys_dir: Path | None = None
    # Optional: also accept ID or access tokens of an external OpenID Connect provider. Its ``sub`` claim is
    # matched to a registry user's ``external_subject``; the user's roles still come from the registry.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    # The provider's JWKS: an https URL (fetched at start-up) or a file path.
    oidc_jwks: str | None = None

    # How often the audit sealer chains newly committed audit rows (seconds); 0 turns it off (then run
    # ``registry audit seal`` from a scheduler).
    audit_seal_interval_seconds: float = Field(default=2.0, ge=0)

    # Statistics for callers without personal-data rights over the whole group: a count below this is
    # withheld (with enough other cells that it cannot be worked out).
    statistics_threshold: int = Field(default=5, ge=1, le=100)
    # How often statistics changes recorded by case writes are folded into the rollup tables (seconds);
    # 0 turns it off (then run ``registry stats compact`` from a scheduler). Reads are exact either way.
    statistics_compact_interval_seconds: float = Field(default=2.0, ge=0)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def keys_dir(self) -> Path:
        return self.signing_keys_dir or self.data_dir / "keys"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
