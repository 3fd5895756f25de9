"""Structured JSON logging (structlog); secrets are never passed to it."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

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


def configure_logging(level: str = "info", fmt: str = "json", stream: Any = None) -> None:
    """Route structlog to one JSON (or console) line per event on stderr."""
    renderer: Any = (
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


def get_logger(name: str) -> Any:
    """A lazy structlog logger carrying `logger_name=name`.

    Lazy, because modules create their loggers at import time, before `configure_logging`.
    """
    return structlog.get_logger(logger_name=name)
