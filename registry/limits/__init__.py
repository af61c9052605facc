"""What a request may ask of the API: query limits (``rules``: depth, aliases, directives; the parser's token
limit; ``cost``: the most fields an answer can hold), rate limits by cost per caller (``rate``), and
trusted documents (``trusted_documents``). ``extension`` applies the first two to every operation and
``router`` the third to every request."""

from __future__ import annotations

from registry.config import Settings
from registry.limits.rate import RateLimiter, create_rate_limiter


def rate_limiter_for(settings: Settings) -> RateLimiter:
    """The deployment's rate limiter: in Redis if ``redis_url`` is set, otherwise in this process."""
    if settings.rate_limit_burst < settings.max_query_cost:
        raise ValueError(
            "rate_limit_burst must be at least max_query_cost, or the costliest query never runs"
        )
    return create_rate_limiter(
        capacity=settings.rate_limit_burst,
        per_second=settings.rate_limit_per_second,
        redis_url=settings.redis_url.get_secret_value() if settings.redis_url is not None else None,
        prefix=f"{settings.redis_key_prefix}rate:",
    )
