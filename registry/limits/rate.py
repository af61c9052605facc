"""Rate limits by query cost: a token bucket for each person, API client and anonymous address.

A bucket holds up to ``capacity`` units and refills at ``per_second`` units a second; each request takes
its query cost out of its caller's bucket, or is refused (HTTP 429, ``Retry-After``) if the bucket holds
less than that. Buckets live in the process, or in Redis when ``REGISTRY_REDIS_URL`` is set, where an
atomic script takes from them so that every API process shares one budget per caller. If Redis cannot be
reached, each process falls back to its own buckets (and logs it) rather than refusing every request.
The script reads Redis's clock, which needs Redis 5 or newer.

Callers are keyed ``user:<id>``, ``client:<id>`` (every token of an API client shares its budget) or
``address:<host>``. :meth:`RateLimiter.observe` registers a callback that sees every decision, for
metrics.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from registry.auth.principal import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What a caller's bucket said to one request."""

    allowed: bool
    cost: int
    # Whole units left in the bucket after this request.
    remaining: int
    # Seconds until the bucket is full again.
    reset_seconds: int
    # Seconds until a refused request would be let through; 0 when allowed.
    retry_after_seconds: int


RateObserver = Callable[[str, RateDecision], None]


def caller_key(principal: Principal | None, address: str | None) -> str:
    """The bucket of a request: its person or API client, or the address of an anonymous caller."""
    if principal is not None:
        return f"{principal.kind.lower()}:{principal.id}"
    return f"address:{address or 'unknown'}"


class RateLimiter:
    """Token buckets of ``capacity`` units refilled at ``per_second`` units a second."""

    def __init__(self, capacity: int, per_second: float) -> None:
        if capacity < 1 or per_second <= 0:
            raise ValueError("a rate limit needs a capacity of at least 1 and a positive refill rate")
        self.capacity = capacity
        self.per_second = per_second
        self._observers: list[RateObserver] = []

    def observe(self, observer: RateObserver) -> None:
        """Call ``observer(key, decision)`` after every decision (for metrics)."""
        self._observers.append(observer)

    async def charge(self, key: str, cost: int) -> RateDecision:
        """Take ``cost`` units from ``key``'s bucket if it holds them."""
        allowed, level = await self._take(key, cost)
        decision = RateDecision(
            allowed=allowed,
            cost=cost,
            remaining=math.floor(level),
            reset_seconds=math.ceil((self.capacity - level) / self.per_second),
            retry_after_seconds=0 if allowed else max(1, math.ceil((cost - level) / self.per_second)),
        )
        for observer in self._observers:
            observer(key, decision)
        return decision

    async def _take(self, key: str, cost: int) -> tuple[bool, float]:
        """Whether the bucket held ``cost`` units (then they are taken), and its level afterwards."""
        raise NotImplementedError

    async def close(self) -> None:
        """Let go of connections."""


class InProcessRateLimiter(RateLimiter):
    """Buckets in this process's memory. ``clock`` is seconds on a monotonic clock."""

    # Past this many buckets, those refilled to the brim (as good as new) are dropped.
    PRUNE_ABOVE = 10_000

    def __init__(
        self, capacity: int, per_second: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(capacity, per_second)
        self.clock = clock
        # key -> (level, when it was measured)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._prune_above = self.PRUNE_ABOVE

    def _level(self, key: str, now: float) -> float:
        level, at = self._buckets.get(key, (float(self.capacity), now))
        return min(float(self.capacity), level + max(0.0, now - at) * self.per_second)

    async def _take(self, key: str, cost: int) -> tuple[bool, float]:
        now = self.clock()
        level = self._level(key, now)
        allowed = level >= cost
        if allowed:
            level -= cost
        self._buckets[key] = (level, now)
        if len(self._buckets) > self._prune_above:
            self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.capacity}
            self._prune_above = max(self.PRUNE_ABOVE, 2 * len(self._buckets))
        return allowed, level


# KEYS[1]: the bucket, a hash of its level and when that was measured (Redis's own clock, the same for every
# API process). ARGV: capacity, refill per second, cost. Returns {1 if taken else 0, level afterwards}.
_TAKE = """
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(bucket[1])
local at = tonumber(bucket[2])
if level == nil or at == nil then
  level = capacity
  at = now
end
level = math.min(capacity, level + math.max(0, now - at) * per_second)
local taken = 0
if level >= cost then
  level = level - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / per_second * 1000) + 1000)
return {taken, tostring(level)}
"""


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every API process that uses the same Redis and ``prefix``."""

    def __init__(self, redis: Redis, capacity: int, per_second: float, *, prefix: str) -> None:
        super().__init__(capacity, per_second)
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_TAKE)
        self._fallback = InProcessRateLimiter(capacity, per_second)
        self._unreachable = False

    async def _take(self, key: str, cost: int) -> tuple[bool, float]:
        try:
            taken, level = await self._script(
                keys=[f"{self.prefix}{key}"], args=[self.capacity, self.per_second, cost]
            )
        except (RedisError, OSError):
            if not self._unreachable:
                log.warning(
                    "rate limits: Redis is unreachable; this process counts on its own", exc_info=True
                )
            self._unreachable = True
            return await self._fallback._take(key, cost)
        if self._unreachable:
            log.warning("rate limits: Redis is reachable again")
            self._unreachable = False
        return bool(taken), float(level)

    async def close(self) -> None:
        await self.redis.aclose()


def create_rate_limiter(
    *, capacity: int, per_second: float, redis_url: str | None, prefix: str
) -> RateLimiter:
    """Buckets in Redis when a URL is given, otherwise in this process."""
    if redis_url is None:
        return InProcessRateLimiter(capacity, per_second)
    # Short timeouts: a slow Redis must not hold up every request (the fallback takes over).
    redis = Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return RedisRateLimiter(redis, capacity, per_second, prefix=prefix)
