"""Kapacitor alert posts (`alert.Data` JSON), authenticated by a shared token."""

from __future__ import annotations

import hmac
import html
import re
from typing import Any

from adapters.payload import (
    clip,
    escape,
    first_line,
    human_duration,
    labels,
    number_text,
    obj,
    one_line,
    parse_object,
    seconds,
    seq,
    string,
    timestamp,
)
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id

_SEVERITY = {
    "ok": Severity.SUCCESS,
    "info": Severity.INFO,
    "warning": Severity.WARNING,
    "critical": Severity.CRITICAL,
}
_HTML_BLOCK = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
_MAX_SERIES, _MAX_ROWS, _MAX_COLUMNS, _MAX_CELL = 3, 5, 8, 40
# The post service's test (`POST /kapacitor/v1/service-tests/post`) sends an empty alert.
_TEST_TITLE = "Kapacitor test post: the post handler reaches hub (no alert)"
_TEST_TEXT = "Sent by Kapacitor's service test: an empty alert with no id and no time."


class KapacitorAdapter:
    """Checks the shared token and turns an alert into a `kapacitor.alert.<level>` event."""

    name = "kapacitor"
    secret_env = "HUB_KAPACITOR_TOKEN"  # noqa: S105 - the name of the variable holding the secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the request carries `secret` as its token."""
        token = _token(request)
        if token is None:
            raise VerificationError(
                "missing token: send `Authorization: Bearer <token>`, `X-Hub-Token: <token>`"
                " or `?token=<token>` (Kapacitor cannot sign)"
            )
        given = token.encode("utf-8", "surrogatepass")
        # An empty configured token would match an empty `?token=`: never accept it.
        if not secret or not hmac.compare_digest(given, secret.encode("utf-8", "surrogatepass")):
            raise VerificationError("the token does not match HUB_KAPACITOR_TOKEN")

    def signed_content(self, request: WebhookRequest) -> bytes | None:
        """None: a token signs nothing; the event id, a hash of the body, dedups a replay."""
        return None

    def normalize(self, request: WebhookRequest) -> Event:
        """The `kapacitor.alert.<level>` event of one alert post."""
        # With an alert-template configured Kapacitor sets no Content-Type at all.
        if request.content_type not in ("application/json", ""):
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type!r} is not application/json"
            )
        try:
            alert = parse_object(request.body, "Kapacitor alert")
            alert_id, raw_level = alert.get("id"), alert.get("level")
            if not isinstance(alert_id, str) or not isinstance(raw_level, str):
                raise BadPayload("the Kapacitor alert needs string `id` and `level` fields")
        except BadPayload:
            # No Content-Type: an alert-template rendered this body. Kapacitor does not retry a
            # refusal, so the alert would be lost; its words are the message instead.
            if request.content_type or not request.body.strip():
                raise
            return self._templated(request)
        test = not alert_id.strip() and timestamp(alert.get("time")) is None
        level = raw_level.strip().lower()
        if level not in _SEVERITY:
            level = "unknown"
        series = [obj(item) for item in seq(obj(alert.get("data")).get("series"))]
        first = series[0] if series else {}
        duration = seconds(alert.get("duration"), per_second=1_000_000_000)
        recoverable = alert.get("recoverable")
        subject = alert_id.strip() or None
        tags: dict[str, str | None] = {k: string(v) for k, v in obj(first.get("tags")).items()}
        return Event(
            id=body_id(self.name, request.body),
            source=self.name,
            type=f"kapacitor.alert.{level}",
            time=timestamp(alert.get("time")) or request.received_at,
            receivedat=request.received_at,
            severity=Severity.INFO if test else _SEVERITY.get(level, Severity.INFO),
            state=level,
            subject=subject,
            threadkey=f"kapacitor:{subject}" if subject else None,
            title=_TEST_TITLE if test else _title(raw_level, subject, string(alert.get("message"))),
            text=_TEST_TEXT if test else _text(alert, series),
            # Our own labels win over a series tag of the same name.
            labels=labels(tags)
            | labels(
                {
                    "previous_level": (string(alert.get("previousLevel")) or "").lower(),
                    "measurement": string(first.get("name")),
                    "recoverable": str(recoverable).lower()
                    if isinstance(recoverable, bool)
                    else None,
                    "duration": human_duration(duration) if duration is not None else None,
                    "duration_seconds": number_text(duration) if duration is not None else None,
                    "test": "true" if test else None,
                }
            ),
            data=alert,
        )

    def _templated(self, request: WebhookRequest) -> Event:
        """A post whose body an alert-template rendered: its text is the message, level unknown."""
        message = request.body.decode("utf-8", "replace").strip()
        return Event(
            id=body_id(self.name, request.body),
            source=self.name,
            type="kapacitor.alert.unknown",
            time=request.received_at,
            receivedat=request.received_at,
            severity=Severity.INFO,
            state="unknown",
            title=one_line(f"Kapacitor alert: {clip(first_line(message), 200)}"),
            text=escape(clip(message, 1500)),
            labels={"format": "text"},
            data=request.body.decode("utf-8", "replace"),
        )


def _token(request: WebhookRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("X-Hub-Token") or request.query.get("token") or None


def _title(level: str, subject: str | None, message: str | None) -> str:
    head = f"{one_line(level).upper() or 'UNKNOWN'}: "
    if message and subject and message.startswith(subject):
        return one_line(head + message)
    parts = [part for part in (subject, message) if part]
    return one_line(head + " — ".join(parts)) if parts else head + "alert"


def _text(alert: dict[str, Any], series: list[dict[str, Any]]) -> str:
    blocks: list[str] = []
    message = string(alert.get("message"))
    if message:
        blocks.append(escape(clip(message.strip(), 500)))
    # Cut before stripping: the regexes should never see a megabyte of someone's HTML page.
    details = _plain(clip(string(alert.get("details")) or "", 20_000))
    if details and details != (message or "").strip():
        blocks.append(escape(clip(details, 1000)))
    blocks.extend(table for table in map(_table, series[:_MAX_SERIES]) if table)
    return "\n".join(blocks)


def _plain(markup: str) -> str:
    """`markup` as plain text: tags, scripts and styles dropped, entities decoded."""
    text = _HTML_TAG.sub(" ", _HTML_BLOCK.sub(" ", markup))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)


def _table(series: dict[str, Any]) -> str:
    """One series as a code-block table: a header of columns over the first rows of values."""
    columns = [_cell(column) for column in seq(series.get("columns"))[:_MAX_COLUMNS]]
    values = seq(series.get("values"))
    # Only the rows shown are formatted: a series may carry a million points.
    rows = [[_cell(value) for value in seq(row)[:_MAX_COLUMNS]] for row in values[:_MAX_ROWS]]
    if not columns or not rows:
        return ""
    grid = [columns, *rows]
    widths = [max(len(row[i]) if i < len(row) else 0 for row in grid) for i in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in grid
    ]
    if len(values) > _MAX_ROWS:
        lines.append(f"… {len(values) - _MAX_ROWS} more rows")
    tags = ",".join(
        f"{key}={value}"
        for key, value in sorted(obj(series.get("tags")).items())
        if isinstance(value, str)
    )
    name = ",".join(part for part in (string(series.get("name")), tags) if part)
    heading = f"*{escape(name)}*\n" if name else ""
    return heading + "```\n" + escape("\n".join(lines)) + "\n```"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return clip(one_line(string(value) or ""), _MAX_CELL) or "-"


ADAPTER = KapacitorAdapter()
