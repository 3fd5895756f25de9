"""How bad an event is: info < success < warning < error < critical."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Event severity, ordered info < success < warning < error < critical."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
