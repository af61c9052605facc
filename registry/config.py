"""Settings read from the environment (``REGISTRY_*``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # Answer the hot read operations through compiled plans instead of the resolvers (registry.fastpath);
    # off, every operation runs through the resolvers (the reference the compiled path is tested against).
    compiled_reads: bool = True
    # Tokens: ``iss`` and ``aud`` of the access tokens this deployment issues and accepts.
    token_issuer: str = "urn:registry:pk"  # noqa: S105 - an identifier, not a secret
    token_audience: str = "urn:registry:api"  # noqa: S105 - an identifier, not a secret
    access_token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=300)
    authorization_code_ttl_seconds: int = Field(default=120, ge=10, le=600)
    # Where the token-signing keys live; default ``<data_dir>/keys``.
    signing_keys_dir: Path | None = None
    # How often a running API process looks for added or retired keys in that directory (seconds; 0: on
    # every use). A token naming a key the process does not know makes it look at once.
    keys_check_interval_seconds: float = Field(default=2.0, ge=0, le=300)
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
    # The largest table protected for one answer (cells at the level asked for, across the caller's whole
    # statistics scope): protection is CPU work, and a finer grouping is mostly withheld anyway.
    statistics_max_cells: int = Field(default=20_000, ge=1)
    # How often statistics changes recorded by case writes are folded into the rollup tables (seconds);
    # 0 turns it off (then run ``registry stats compact`` from a scheduler). Reads are exact either way.
    statistics_compact_interval_seconds: float = Field(default=2.0, ge=0)

    # --- HTTP hardening and operations (registry.http, registry.observability) ---------------------------
    # The largest request body accepted (bytes); a larger one is refused with 413 before it is read.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Browser origins allowed to call the API (CORS), comma-separated; empty: none.
    cors_allowed_origins: str = ""
    # Every statement on the API's connections is stopped after this long (milliseconds); the request gets
    # a retryable TIMEOUT error. Maintenance jobs lift it for their own transactions.
    statement_timeout_ms: int = Field(default=5000, ge=100)
    # How long to wait for a new database connection, and for /readyz's answer (seconds).
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Level of the JSON logs (``registry serve``).
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")

    # --- Query limits, rate limits and trusted documents (registry.limits) -----------------------------
    # Checked before a query runs; over one, it is refused with LIMIT_EXCEEDED naming the limit.
    max_query_depth: int = Field(default=12, ge=2)
    max_query_aliases: int = Field(default=30, ge=0)
    max_query_tokens: int = Field(default=4000, ge=100)
    max_query_directives: int = Field(default=50, ge=0)
    # The most fields an answer could hold, each page counted in full (registry.limits.cost).
    max_query_cost: int = Field(default=25_000, ge=1)
    # The length a list without paging arguments is counted as, in the cost.
    query_cost_list_size: int = Field(default=10, ge=1)
    # Each person, API client and anonymous address has a bucket of this much cost, refilled at this rate
    # (per second); a request over what is left is refused with HTTP 429. Shared through Redis when
    # ``redis_url`` is set, under keys starting with ``redis_key_prefix``.
    rate_limit_burst: int = Field(default=250_000, ge=1)
    rate_limit_per_second: float = Field(default=2_500.0, gt=0)
    redis_key_prefix: str = "registry:"
    # A manifest of trusted documents (a JSON file or a directory; see registry.limits.trusted_documents),
    # and whose requests must use them: ``none``, ``clients`` (API clients) or ``all``.
    trusted_documents: Path | None = None
    require_trusted_documents_for: Literal["none", "clients", "all"] = "none"

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_allowed_origins.split(",") if origin.strip()]

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def keys_dir(self) -> Path:
        return self.signing_keys_dir or self.data_dir / "keys"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
