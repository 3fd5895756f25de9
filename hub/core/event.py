"""The normalized event every adapter produces, and its CloudEvents 1.0 wire form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.core import jsonio
from hub.core.severity import Severity

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"

# Our own attributes, carried as CloudEvents extension attributes (lowercase a-z0-9 names).
# `subject` is a standard CloudEvents attribute; the rest are extensions.
_EXTENSIONS = (
    "receivedat",
    "severity",
    "state",
    "threadkey",
    "title",
    "text",
    "url",
    "actor",
    "repo",
    "branch",
)


class Event(BaseModel):
    """One normalized webhook: what happened, to what, how bad, and the untouched payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    source: str
    type: str
    time: datetime
    receivedat: datetime
    severity: Severity = Severity.INFO
    state: str | None = None
    subject: str | None = None
    threadkey: str | None = None
    title: str
    text: str = ""
    url: str | None = None
    actor: str | None = None
    repo: str | None = None
    branch: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    data: Any = None

    def to_cloudevent(self) -> dict[str, Any]:
        """The CloudEvents 1.0 structured-mode document of this event."""
        doc: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": _rfc3339(self.time),
            "datacontenttype": "application/json",
        }
        if self.subject is not None:
            doc["subject"] = self.subject
        for name in _EXTENSIONS:
            value = getattr(self, name)
            if value is None:
                continue
            doc[name] = _rfc3339(value) if isinstance(value, datetime) else str(value)
        # CloudEvents extension values are scalars, so the label map travels as a JSON string.
        doc["labels"] = jsonio.dumps_sorted(self.labels)
        doc["data"] = self.data
        return doc

    def to_json_bytes(self) -> bytes:
        """The CloudEvents JSON bytes carried on the broker."""
        return jsonio.dumps(self.to_cloudevent())

    @classmethod
    def from_cloudevent(cls, doc: dict[str, Any]) -> Event:
        """Rebuild an event from its CloudEvents document."""
        fields = {name: doc.get(name) for name in _EXTENSIONS}
        labels = doc.get("labels") or "{}"
        return cls(
            id=doc["id"],
            source=doc["source"],
            type=doc["type"],
            time=doc["time"],
            subject=doc.get("subject"),
            labels=jsonio.loads(labels) if isinstance(labels, str) else labels,
            data=doc.get("data"),
            **{k: v for k, v in fields.items() if v is not None},
        )

    @classmethod
    def from_json_bytes(cls, body: bytes) -> Event:
        """Parse the CloudEvents JSON bytes read from the broker."""
        return cls.from_cloudevent(jsonio.loads(body))


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
