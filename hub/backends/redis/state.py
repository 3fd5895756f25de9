"""The state store on Redis (distributed profile)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import redis.asyncio as redis
from redis import exceptions as redis_errors
from redis.asyncio.sentinel import Sentinel

from hub.backends.redis.notices import RedisNotices
from hub.core.batching import TurnBatch
from hub.core.errors import EngineUnavailable
from hub.core.log import get_logger
from hub.core.state import Announced
from hub.core.urls import is_sentinel_url, parse_sentinel_url

log = get_logger("hub.redis")

REPLICA_WAIT_MS = 1000
"""Behind Sentinel: how long a durable write waits for a replica to acknowledge it (WAIT)."""

UNREPLICATED_RETRY = 10.0
"""Seconds durable writes go on without WAIT after no replica acknowledged one in time."""

SENTINEL_TIMEOUT = 2.0
"""Seconds to wait for one Sentinel to answer before asking the next."""

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
        self._sentinel: Sentinel | None = None
        self._batch: TurnBatch[tuple[bool, tuple[Any, ...]], Any] | None = None
        self._notices: RedisNotices | None = None
        self._unreplicated_until = 0.0

    async def start(self) -> None:
        """Connect (behind Sentinel: to the primary it names) and check the server answers."""
        if is_sentinel_url(self.url):
            spec = parse_sentinel_url(self.url)
            timeouts = {
                "socket_timeout": SENTINEL_TIMEOUT,
                "socket_connect_timeout": SENTINEL_TIMEOUT,
            }
            self._sentinel = Sentinel(
                spec.sentinels,
                sentinel_kwargs={**timeouts, "password": spec.sentinel_password},
                username=spec.username,
                password=spec.password,
                db=spec.db,
                decode_responses=True,
                socket_connect_timeout=5.0,
            )
            self._redis = self._sentinel.master_for(spec.service)
        else:
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
        if self._sentinel is not None:
            for client in self._sentinel.sentinels:
                await client.aclose()
            self._sentinel = None

    @property
    def _r(self) -> redis.Redis:
        if self._redis is None:
            raise ConnectionError("state store not started")
        return self._redis

    async def _command(self, *args: Any, durable: bool = False) -> Any:
        # The commands of one loop turn go out as one pipeline (hub/core/batching.py).
        if self._batch is None:
            raise ConnectionError("state store not started")
        return await self._batch.ask((durable, args))

    def _replicate(self, durable: bool) -> bool:
        """Whether a write must reach a replica before it counts (durable, behind Sentinel)."""
        return (
            durable and self._sentinel is not None and time.monotonic() >= self._unreplicated_until
        )

    async def _pipelined(self, commands: list[tuple[bool, tuple[Any, ...]]]) -> list[Any]:
        # Behind Sentinel a failover promotes a replica, which may lack the newest writes
        # (replication is asynchronous). A durable write (a posting or posted mark, a thread
        # parent, a silence) is only answered once a replica has it: WAIT, on the connection
        # that wrote it, at the end of the pipeline.
        wait = self._replicate(any(durable for durable, _ in commands))
        with _classified():
            if len(commands) == 1 and not wait:
                return [await self._r.execute_command(*commands[0][1])]  # type: ignore[no-untyped-call]
            async with self._r.pipeline(transaction=False) as pipe:
                for _, args in commands:
                    pipe.execute_command(*args)
                if wait:
                    pipe.execute_command("WAIT", 1, REPLICA_WAIT_MS)
                results: list[Any] = await pipe.execute(raise_on_error=False)
        if wait:
            self._replicated(results.pop())
        return [unavailable(r) or r if isinstance(r, Exception) else r for r in results]

    def _replicated(self, replicas: Any) -> None:
        if isinstance(replicas, int) and replicas >= 1:
            return
        # No replica in reach: durable writes go on unreplicated for a while rather than each
        # waiting out the timeout (a failover now could lose them; the log says so).
        now = time.monotonic()
        if now < self._unreplicated_until:
            return  # said already, by a write that was waiting beside this one
        self._unreplicated_until = now + UNREPLICATED_RETRY
        log.warning(
            "no Redis replica acknowledged a durable write; going on without waiting for one",
            answer=str(replicas),
            retry_seconds=UNREPLICATED_RETRY,
        )

    async def ping(self) -> None:
        """Raise (`EngineUnavailable`) unless Redis answers PING."""
        with _classified():
            await self._r.ping()

    async def add(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> bool:
        """SET NX with expiry (pipelined with whatever else is asked in this loop turn)."""
        return bool(
            await self._command("SET", self.prefix + key, value, *_px(ttl), "NX", durable=durable)
        )

    async def put(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> None:
        """SET with optional expiry (how soon it reaches disk is Redis' own `appendfsync`;
        behind Sentinel a durable one is answered once a replica has it)."""
        await self._command("SET", self.prefix + key, value, *_px(ttl), durable=durable)

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
        """RPUSH (durable: behind Sentinel, answered once a replica has it)."""
        await self._command("RPUSH", self.prefix + "list:" + key, value, durable=True)

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
