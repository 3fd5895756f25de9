"""Change notices between the processes sharing one HUB_DATA_DIR, confirmed by each listener.

Every listener binds a Linux abstract unix datagram socket named after the data directory,
the topic and a slot (the first free of `SLOTS`). An announcer sends a nonce to every slot: a
slot nobody holds refuses at once (ECONNREFUSED), so the sends count the listeners. Each
listener acts on the change, then sends the nonce back to the announcer's own socket. A
listener that dies frees its slot with its process; nothing is registered anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hub.core.log import get_logger
from hub.core.state import Announced

log = get_logger("hub.notices")

SLOTS = 64
"""Listeners one topic may have per data directory (one per router process, and a few more)."""


class SocketNotices:
    """Announce and listen for changes among the processes of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:24]
        self._base = f"\0hub-{digest}-notice"
        self._listeners: list[_Listener] = []

    def _address(self, topic: str, slot: int) -> str:
        return f"{self._base}-{topic}-{slot}"

    async def listen(self, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        """Take the first free slot of `topic` and run `act` (then confirm) on each notice."""
        for slot in range(SLOTS):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            try:
                sock.bind(self._address(topic, slot))
            except OSError:
                sock.close()
                continue
            self._listeners.append(_Listener(sock, act))
            return
        log.warning("no free slot to hear changes on; reading them by polling", topic=topic)

    async def announce(self, topic: str, within: float) -> Announced:
        """Send a nonce to every slot of `topic`; count the listeners and their confirmations."""
        nonce = secrets.token_bytes(8)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            try:
                sock.bind("")  # an abstract address of its own, which the listeners answer to
            except OSError as exc:
                return Announced(0, 0, f"no unix socket to announce from: {exc}")
            listeners = 0
            for slot in range(SLOTS):
                try:
                    sock.sendto(nonce, self._address(topic, slot))
                except BlockingIOError:  # a listener whose inbox is full: it is not keeping up
                    listeners += 1
                except OSError:  # ECONNREFUSED: nobody holds this slot
                    continue
                else:
                    listeners += 1
            confirmed = 0
            loop = asyncio.get_running_loop()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    while confirmed < listeners:
                        if await loop.sock_recv(sock, 64) == nonce:
                            confirmed += 1
        return Announced(listeners, confirmed)

    async def close(self) -> None:
        """Stop listening and free the slots."""
        for listener in self._listeners:
            await listener.close()
        self._listeners.clear()


class _Listener:
    """One bound slot: each batch of notices runs `act` once, then confirms every one of them."""

    def __init__(self, sock: socket.socket, act: Callable[[], Awaitable[None]]) -> None:
        self._sock = sock
        self._act = act
        self._waiting: list[tuple[bytes, Any]] = []
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        self._task = asyncio.create_task(self._serve())

    def _readable(self) -> None:
        while True:
            try:
                nonce, announcer = self._sock.recvfrom(64)
            except OSError:  # BlockingIOError once the inbox is empty
                break
            self._waiting.append((nonce, announcer))
        self._wake.set()

    async def _serve(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            waiting, self._waiting = self._waiting, []
            try:
                await self._act()
            except Exception as exc:  # not confirmed: the announcer says a listener did not
                log.warning("could not act on a change notice", error=str(exc))
                continue
            for nonce, announcer in waiting:
                with contextlib.suppress(OSError):  # the announcer gave up and went away
                    self._sock.sendto(nonce, announcer)

    async def close(self) -> None:
        self._loop.remove_reader(self._sock.fileno())
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._sock.close()
