"""Structured JSON logging (structlog); secrets are never passed to it, nor shown by it."""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import structlog
from aiohttp.http_exceptions import HttpProcessingError

from hub.core.errors import EngineUnavailable

_REDACT = frozenset({"secret", "token", "signature", "authorization", "password"})


def _redact(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """Last line of defence: drop any key that smells of a credential."""
    for key in event_dict:
        if _smells(key):
            event_dict[key] = "[redacted]"
    return event_dict


@functools.lru_cache(maxsize=4096)
def _smells(key: str) -> bool:
    # Keys come from a small fixed vocabulary: decide each once, not on every log line.
    return any(word in key.lower() for word in _REDACT)


_CREDENTIALS = re.compile(r"(?i)(?P<keep>\bbearer\s+|\btoken=)[^\s&'\"\\<>@,;]+")
"""Credentials by their shape, whoever's they are: `Bearer x`, `token=x`."""

_URL_PASSWORD = re.compile(r"(?P<keep>://[^/\s:@'\"]+:)[^\s/'\"\\<>@]+(?=@)")
"""A URL's password, `scheme://user:x@`, all of it up to the `@` (`,` and `;` included); only
when the `@` follows, so that `http://host:8080/` keeps its port."""


class Scrubber:
    """Replaces the configured secrets, and credentials by their shape, in a rendered line."""

    def __init__(self) -> None:
        self._secrets: re.Pattern[str] | None = None

    def hide(self, secrets: Iterable[str]) -> None:
        """From now on, show each of `secrets` (as written, or JSON-escaped) as [redacted]."""
        forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1], repr(s)[1:-1])}
        ordered = sorted(forms, key=len, reverse=True)  # a secret inside a longer one: the longer
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, line: str) -> str:
        """`line` with no secret in it."""
        if self._secrets is not None:
            line = self._secrets.sub("[redacted]", line)
        line = _CREDENTIALS.sub(r"\g<keep>[redacted]", line)
        return _URL_PASSWORD.sub(r"\g<keep>[redacted]", line)


SCRUB = Scrubber()


class _Scrubbed:
    """A structlog renderer whose lines pass through `SCRUB` on their way out."""

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> str:
        return SCRUB(str(self.renderer(logger, name, event_dict)))


class LibraryRecords(logging.Handler):
    """Library log records (aiohttp, asyncio, aio-pika) as hub's own lines, scrubbed likewise.

    Without it they fall to Python's last-resort handler: plain text and tracebacks on stderr.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Log `record` through structlog; a client's malformed request as one line, no quote."""
        logger = get_logger(record.name)
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            # aiohttp answered 400 to bytes that are not HTTP (an 8 KiB line, a bad header).
            # Its message quotes them, and they may carry a token: say only what kind it was.
            logger.info(
                "malformed HTTP request refused", status=error.code, error=type(error).__name__
            )
            return
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        logger.log(record.levelno, message, exc_info=record.exc_info or None)


def configure_logging(
    level: str = "info", fmt: str = "json", stream: Any = None, secrets: Iterable[str] = ()
) -> None:
    """Route structlog, and the libraries' logging, to one JSON (or console) line per event.

    No line shows any of `secrets` (the configured secret values) or a credential by its shape.
    """
    SCRUB.hide(secrets)
    renderer: Any = _Scrubbed(
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, LibraryRecords)]:
        root.removeHandler(handler)
    root.addHandler(LibraryRecords())


def get_logger(name: str) -> Any:
    """A lazy structlog logger carrying `logger_name=name`.

    Lazy, because modules create their loggers at import time, before `configure_logging`.
    """
    return structlog.get_logger(logger_name=name)


def log_failure(logger: Any, event: str, exc: Exception, **fields: Any) -> None:
    """Log why work on a message failed (it goes back to its queue): an engine away, which is no
    fault of the message (hub stopped while the work waited for it), is one warning line;
    anything else is an error with its traceback."""
    if isinstance(exc, EngineUnavailable):
        logger.warning(event, error=str(exc), **fields)
    else:
        logger.exception(event, error=str(exc), **fields)
