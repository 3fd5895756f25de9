"""Change notices between the processes of one hub on Redis pub/sub, confirmed by each listener.

A listener subscribes to `<prefix>:notice:<topic>`. An announcer subscribes to a reply channel
of its own, then publishes that channel's name: PUBLISH answers how many listeners got it. Each
listener acts on the change, then publishes to the reply channel, and the announcer counts
those confirmations.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from hub.core.log import get_logger
from hub.core.state import Announced

log = get_logger("hub.notices")

RESUBSCRIBE_SECONDS = 1.0
"""How long a listener whose connection broke waits before it subscribes again."""


class RedisNotices:
    """Announce and listen for changes among the processes sharing one Redis prefix."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._listeners: list[asyncio.Task[None]] = []

    def _channel(self, topic: str) -> str:
        return f"{self._prefix}notice:{topic}"

    async def listen(self, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        """Subscribe (confirmed by Redis before this returns), then act on every notice."""
        pubsub = await _subscribed(self._redis, self._channel(topic))
        self._listeners.append(asyncio.create_task(self._serve(pubsub, topic, act)))

    async def _serve(self, pubsub: Any, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                try:
                    replies = await _next_batch(pubsub)
                except (RedisError, OSError) as exc:
                    log.warning("lost change notices; subscribing again", error=str(exc))
                    await pubsub.aclose()
                    pubsub = await self._resubscribe(topic, act)
                    continue
                try:
                    await act()
                except Exception as exc:  # not confirmed: the announcer says a listener did not
                    log.warning("could not act on a change notice", error=str(exc))
                    continue
                for reply in replies:
                    with contextlib.suppress(RedisError, OSError):
                        await self._redis.publish(reply, "done")
        finally:
            await pubsub.aclose()

    async def _resubscribe(self, topic: str, act: Callable[[], Awaitable[None]]) -> Any:
        """Subscribe again once Redis answers, and act: a notice may have been missed."""
        while True:
            await asyncio.sleep(RESUBSCRIBE_SECONDS)
            try:
                pubsub = await _subscribed(self._redis, self._channel(topic))
                await act()
            except Exception as exc:
                log.warning("cannot hear change notices yet", error=str(exc))
                continue
            return pubsub

    async def announce(self, topic: str, within: float) -> Announced:
        """Publish to the listeners of `topic`; count the ones that confirm within `within` s."""
        reply = f"{self._channel(topic)}:done:{secrets.token_hex(8)}"
        try:
            pubsub = await _subscribed(self._redis, reply)
        except (RedisError, OSError) as exc:
            return Announced(0, 0, str(exc))
        try:
            listeners = int(await self._redis.publish(self._channel(topic), reply))
            confirmed = 0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    while confirmed < listeners:
                        message = await pubsub.get_message(timeout=None)
                        if message is not None and message["type"] == "message":
                            confirmed += 1
        except (RedisError, OSError) as exc:
            return Announced(0, 0, str(exc))
        finally:
            await pubsub.aclose()
        return Announced(listeners, confirmed)

    async def close(self) -> None:
        """Stop listening."""
        for task in self._listeners:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()


async def _subscribed(client: redis.Redis, channel: str) -> Any:
    """A pub/sub connection subscribed to `channel`, once Redis has confirmed it."""
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None and message["type"] == "subscribe":
                return pubsub
    except BaseException:
        await pubsub.aclose()
        raise


async def _next_batch(pubsub: Any) -> list[str]:
    """The reply channels of the next notice and of every other one already waiting."""
    replies: list[str] = []
    while not replies:
        message = await pubsub.get_message(timeout=None)
        if message is not None and message["type"] == "message":
            replies.append(str(message["data"]))
    while (message := await pubsub.get_message(timeout=0)) is not None:
        if message["type"] == "message":
            replies.append(str(message["data"]))
    return replies
