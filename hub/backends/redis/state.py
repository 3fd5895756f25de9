"""The state store on Redis (distributed profile)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import redis.asyncio as redis
from redis import exceptions as redis_errors

from hub.backends.redis.notices import RedisNotices
from hub.core.batching import TurnBatch
from hub.core.errors import EngineUnavailable
from hub.core.state import Announced

_UNAVAILABLE = (
    redis_errors.ConnectionError,  # refused, reset, a Sentinel that knows no primary, loading
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # a replica (a primary demoted by a failover) refuses writes
    OSError,
)
_UNAVAILABLE_REPLIES = ("MASTERDOWN", "LOADING", "TRYAGAIN", "CLUSTERDOWN")


def unavailable(exc: BaseException) -> EngineUnavailable | None:
    """The `EngineUnavailable` that `exc` amounts to, or None when it is not Redis being away."""
    if isinstance(exc, _UNAVAILABLE) or (
        isinstance(exc, redis_errors.ResponseError) and str(exc).startswith(_UNAVAILABLE_REPLIES)
    ):
        return EngineUnavailable("state store", f"Redis: {exc or type(exc).__name__}")
    return None


@contextmanager
def _classified() -> Iterator[None]:
    """Raise Redis being away as `EngineUnavailable`, decided here once for every caller."""
    try:
        yield
    except Exception as exc:
        engine = unavailable(exc)
        if engine is None:
            raise
        raise engine from exc


class RedisState:
    """`StateStore` on Redis; keys live under one prefix."""

    def __init__(self, url: str, prefix: str = "hub") -> None:
        self.url = url
        self.prefix = prefix + ":"
        self._redis: redis.Redis | None = None
        self._batch: TurnBatch[tuple[Any, ...], Any] | None = None
        self._notices: RedisNotices | None = None

    async def start(self) -> None:
        """Connect and check the server answers."""
        self._redis = redis.Redis.from_url(self.url, decode_responses=True)
        self._batch = TurnBatch(self._pipelined)
        self._notices = RedisNotices(self._redis, self.prefix)
        await self.ping()

    async def close(self) -> None:
        """Stop listening, then close the connection pool."""
        if self._notices is not None:
            await self._notices.close()
            self._notices = None
        if self._batch is not None:
            await self._batch.close()
            self._batch = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    @property
    def _r(self) -> redis.Redis:
        if self._redis is None:
            raise ConnectionError("state store not started")
        return self._redis

    async def _command(self, *args: Any) -> Any:
        # The commands of one loop turn go out as one pipeline (hub/core/batching.py).
        if self._batch is None:
            raise ConnectionError("state store not started")
        return await self._batch.ask(args)

    async def _pipelined(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        with _classified():
            if len(commands) == 1:
                return [await self._r.execute_command(*commands[0])]  # type: ignore[no-untyped-call]
            async with self._r.pipeline(transaction=False) as pipe:
                for args in commands:
                    pipe.execute_command(*args)
                results: list[Any] = await pipe.execute(raise_on_error=False)
        return [unavailable(r) or r if isinstance(r, Exception) else r for r in results]

    async def ping(self) -> None:
        """Raise (`EngineUnavailable`) unless Redis answers PING."""
        with _classified():
            await self._r.ping()

    async def add(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> bool:
        """SET NX with expiry (pipelined with whatever else is asked in this loop turn)."""
        return bool(await self._command("SET", self.prefix + key, value, *_px(ttl), "NX"))

    async def put(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> None:
        """SET with optional expiry (how soon it reaches disk is Redis' own `appendfsync`)."""
        await self._command("SET", self.prefix + key, value, *_px(ttl))

    async def get(self, key: str) -> str | None:
        """GET."""
        value = await self._command("GET", self.prefix + key)
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        """DEL."""
        await self._command("DEL", self.prefix + key)

    async def scan(self, prefix: str) -> dict[str, str]:
        """SCAN MATCH prefix* then MGET."""
        pattern = _glob_escape(self.prefix + prefix) + "*"
        with _classified():
            keys = [k async for k in self._r.scan_iter(match=pattern, count=1000)]
            if not keys:
                return {}
            values = await self._r.mget(keys)
        cut = len(self.prefix)
        return {k[cut:]: str(v) for k, v in zip(keys, values, strict=True) if v is not None}

    async def push(self, key: str, value: str) -> None:
        """RPUSH."""
        with _classified():
            await self._r.rpush(self.prefix + "list:" + key, value)

    async def take(self, key: str) -> list[str]:
        """LRANGE and DEL in one MULTI."""
        name = self.prefix + "list:" + key
        with _classified():
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.lrange(name, 0, -1)
                pipe.delete(name)
                values, _ = await pipe.execute()
        return [str(v) for v in values]

    @property
    def _n(self) -> RedisNotices:
        if self._notices is None:
            raise ConnectionError("state store not started")
        return self._notices

    async def listen(self, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        """Hear announcements from every process on this Redis and prefix (pub/sub)."""
        await self._n.listen(topic, act)

    async def announce(self, topic: str, within: float) -> Announced:
        """PUBLISH to the listeners of `topic`; count their confirmations."""
        return await self._n.announce(topic, within)


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _px(ttl: timedelta | None) -> tuple[str | int, ...]:
    return () if ttl is None else ("PX", max(1, int(ttl.total_seconds() * 1000)))
