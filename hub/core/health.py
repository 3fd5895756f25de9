"""The shape of a readiness check, shared by the parts that make checks and the ops port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Check = Callable[[], Awaitable[None]]
"""A readiness check: returns when healthy, raises with a readable message when not."""
