"""Wake the consumer of an embedded queue when another process commits a message for it.

The embedded queue is one SQLite file that several processes may write (`hub run --workers N`:
the ingest workers publish, the first process routes and delivers). A publish in the consuming
process wakes its consumer directly; a publish in another process rings this doorbell: a
datagram to a Linux abstract unix socket named after the data directory and the queue. The
consumer's polling stays as the safety net (a lost datagram, another platform, a second
consumer), so the doorbell only ever makes things faster.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import Callable
from pathlib import Path

from hub.core.log import get_logger

log = get_logger("hub.doorbell")


class Doorbell:
    """One queue's doorbell: one process listens, any other may ring."""

    def __init__(self, data_dir: Path, queue: str) -> None:
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:24]
        self.address = f"\0hub-{digest}-{queue}"
        self._listener: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ringing = False

    def listen(self, answer: Callable[[], None]) -> bool:
        """Call `answer` whenever another process rings; False when this process cannot listen
        (another one does already, or the platform has no abstract unix sockets)."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setblocking(False)
        try:
            listener.bind(self.address)
        except OSError as exc:
            listener.close()
            log.debug("doorbell not answered here; polling", error=str(exc))
            return False
        self._loop = asyncio.get_running_loop()

        def readable() -> None:
            with contextlib.suppress(OSError):  # BlockingIOError once the inbox is empty
                while listener.recv(16):
                    pass
            answer()

        self._loop.add_reader(listener.fileno(), readable)
        self._listener = listener
        return True

    def ring(self) -> None:
        """Tell the listening process, if there is one and it is not this one, that a message
        waits. Rings of one event-loop turn go out as one datagram."""
        if self._listener is not None or self._ringing:
            return  # this process consumes: the publish woke it already
        self._ringing = True
        asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        self._ringing = False
        if self._sender is None:
            self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sender.setblocking(False)
        # Nobody listening (ECONNREFUSED) or an inbox already full (EAGAIN): nothing to do.
        with contextlib.suppress(OSError):
            self._sender.sendto(b"!", self.address)

    def close(self) -> None:
        """Stop listening and close the sockets."""
        if self._listener is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._listener.fileno())
            self._listener.close()
            self._listener = None
        if self._sender is not None:
            self._sender.close()
            self._sender = None
