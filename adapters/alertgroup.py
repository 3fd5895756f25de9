"""One notification of an Alertmanager-style alert group (Alertmanager's and Grafana's webhooks)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.payload import (
    clip,
    escape,
    number_text,
    obj,
    one_line,
    string,
    timestamp,
    web_url,
)
from hub.core.errors import BadPayload
from hub.core.severity import Severity

STATUSES = ("firing", "resolved")
MAX_LISTED = 10
"""Alerts listed per state in the text; the rest are counted."""

_SEVERITY = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.ERROR,
    "high": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "none": Severity.INFO,
}
_ABSENT = Severity.WARNING


@dataclass(frozen=True)
class Alert:
    """One alert of the group as the sender lists it."""

    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str | None
    fingerprint: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class AlertGroup:
    """A group notification: who it went to, the group, its alerts (firing first)."""

    receiver: str
    status: str
    group_key: str
    external_url: str
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    alerts: list[Alert]
    truncated: int

    @property
    def firing(self) -> list[Alert]:
        """The alerts firing now."""
        return [alert for alert in self.alerts if alert.status == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        """The alerts resolved by now."""
        return [alert for alert in self.alerts if alert.status != "firing"]


def parse_group(body: dict[str, Any], what: str) -> AlertGroup:
    """The group of an Alertmanager-shaped body; `BadPayload` without its `status` and `alerts`."""
    status = (string(body.get("status")) or "").strip().lower()
    alerts = body.get("alerts")
    if status not in STATUSES or not isinstance(alerts, list):
        raise BadPayload(
            f"the {what} needs `status` (firing or resolved) and an `alerts` array;"
            " a custom payload template must keep the default body"
        )
    parsed = [_alert(obj(item)) for item in alerts]
    truncated = body.get("truncatedAlerts")
    return AlertGroup(
        receiver=string(body.get("receiver")) or "",
        status=status,
        group_key=string(body.get("groupKey")) or "",
        external_url=string(body.get("externalURL")) or "",
        group_labels=kv(body.get("groupLabels")),
        common_labels=kv(body.get("commonLabels")),
        common_annotations=kv(body.get("commonAnnotations")),
        # Firing first; otherwise the sender's order, which is stable across its repeats.
        alerts=sorted(parsed, key=lambda alert: alert.status != "firing"),
        truncated=truncated if isinstance(truncated, int) and truncated > 0 else 0,
    )


def _alert(raw: dict[str, Any]) -> Alert:
    labels = kv(raw.get("labels"))
    status = (string(raw.get("status")) or "").lower()
    return Alert(
        status="firing" if status == "firing" else "resolved",
        labels=labels,
        annotations=kv(raw.get("annotations")),
        starts_at=timestamp(raw.get("startsAt")),
        ends_at=timestamp(raw.get("endsAt")),
        generator_url=web_url(raw.get("generatorURL")),
        fingerprint=string(raw.get("fingerprint"))
        or json.dumps(sorted(labels.items()), ensure_ascii=False),
        raw=raw,
    )


def kv(value: Any) -> dict[str, str]:
    """A label or annotation map: string values only, none blank, none of the senders' internal
    `__name__` labels."""
    return {
        key: text
        for key, item in obj(value).items()
        if (text := string(item)) is not None and not (key.startswith("__") and key.endswith("__"))
    }


def severity(group: AlertGroup) -> Severity:
    """Resolved: success; else the worst `severity` label of the firing alerts (absent: warning)."""
    if group.status == "resolved":
        return Severity.SUCCESS
    labelsets = [alert.labels for alert in group.firing] or [group.common_labels]
    return max(
        (
            _SEVERITY.get(labels.get("severity", "").strip().lower(), _ABSENT)
            for labels in labelsets
        ),
        key=lambda level: level.rank,
    )


def content_id(source: str, group: AlertGroup, *scope: str) -> str:
    """The event id: the same group with the same alerts in the same states hashes alike.

    A repeat notification (`repeat_interval`, or the twin sent by an Alertmanager HA peer)
    differs only in fields left out here (`notification_reason`, values, `endsAt` of alerts still
    firing), so it is answered as a duplicate; an alert that fires again has a new `startsAt`.
    """
    alerts = sorted(
        (alert.fingerprint, alert.status, string(alert.raw.get("startsAt")) or "")
        for alert in group.alerts
    )
    key = [source, *scope, group.receiver, group.external_url, group.group_key, group.truncated]
    return _hash([*key, alerts])[:32]


def thread_key(source: str, group: AlertGroup, *scope: str) -> str | None:
    """One thread per receiver, sender and group; None when the body names no group."""
    if not group.group_key:
        return None
    digest = _hash([source, *scope, group.receiver, group.external_url, group.group_key])[:16]
    return f"{source}:{group.receiver or '-'}:{digest}"


def _hash(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def alertnames(group: AlertGroup) -> list[str]:
    """The distinct alert names, firing ones first."""
    names = [alert.labels.get("alertname", "") for alert in group.alerts]
    return list(dict.fromkeys(name for name in names if name))


def subject(group: AlertGroup) -> str | None:
    """The alert name with the group labels, as Prometheus writes a series: `Name{job="api"}`."""
    name = group.group_labels.get("alertname") or group.common_labels.get("alertname")
    name = name or ", ".join(alertnames(group)[:3])
    others = [(k, v) for k, v in sorted(group.group_labels.items()) if k != "alertname"]
    selector = "{" + ", ".join(f'{k}="{v}"' for k, v in others) + "}" if others else ""
    return one_line(clip(name + selector, 200)) or None


def route_labels(group: AlertGroup) -> dict[str, str | None]:
    """The common labels (so `labels: {env: prod}` routes a group) plus `alertname`."""
    return {
        **group.common_labels,
        "alertname": group.common_labels.get("alertname") or ",".join(alertnames(group)) or None,
    }


def summary(group: AlertGroup) -> str | None:
    """The group's summary: the common one, else that of its only alert."""
    found = group.common_annotations.get("summary")
    if not found and len(group.alerts) == 1:
        found = group.alerts[0].annotations.get("summary")
    return found


def title(group: AlertGroup) -> str:
    """'FIRING (2): Name{job="api"} — summary · 1 resolved', 'RESOLVED: Name{…}'."""
    firing, resolved = len(group.firing), len(group.resolved)
    head = "RESOLVED" if group.status == "resolved" else "FIRING"
    if group.status == "firing" and firing + group.truncated > 1:
        head += f" ({firing + group.truncated})"
    line = f"{head}: {subject(group) or 'alert group'}"
    said = summary(group)
    if said:
        line += f" — {said}"
    if group.status == "firing" and resolved:
        line += f" · {resolved} resolved"
    return one_line(clip(line, 300))


def state_words(group: AlertGroup) -> str:
    """'2 firing, 1 resolved', 'all 3 resolved', '1 firing'."""
    firing, resolved = len(group.firing) + group.truncated, len(group.resolved)
    if not firing:
        return f"all {resolved} resolved" if resolved > 1 else "resolved"
    return f"{firing} firing" + (f", {resolved} resolved" if resolved else "")


def alert_name(alert: Alert, group: AlertGroup) -> str:
    """What tells one alert from the others: its labels that are not common to the group."""
    own = [(k, v) for k, v in sorted(alert.labels.items()) if group.common_labels.get(k) != v]
    return ", ".join(f"{k}={v}" for k, v in own) or alert.labels.get("alertname") or "alert"


def alert_summary(alert: Alert, group: AlertGroup) -> str:
    """The alert's own summary (else description) when the group's does not say it already."""
    said = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    return "" if said == group.common_annotations.get("summary") else said


def text(group: AlertGroup, extra: dict[str, str] | None = None) -> str:
    """The common summary and description, then the alerts listed firing first (mrkdwn).

    `extra` adds a suffix per alert fingerprint (Grafana's values)."""
    lines: list[str] = []
    for key in ("summary", "description"):
        said = group.common_annotations.get(key)
        if said:
            lines.append(escape(clip(said.strip(), 500)))
    for label, alerts, more in (
        ("Firing", group.firing, group.truncated),
        ("Resolved", group.resolved, 0),
    ):
        if not alerts:
            continue
        lines.append(f"*{label} ({len(alerts) + more})*")
        for alert in alerts[:MAX_LISTED]:
            name = clip(alert_name(alert, group), 200).replace("`", "'")
            parts = [f"`{escape(name)}`"]
            said = alert_summary(alert, group)
            if said:
                parts.append(escape(clip(one_line(said), 200)))
            suffix = (extra or {}).get(alert.fingerprint)
            if suffix:
                parts.append(suffix)
            lines.append("• " + " — ".join(parts))
        hidden = len(alerts) - MAX_LISTED + more
        if hidden > 0:
            lines.append(f"_… and {hidden} more_")
    return "\n".join(lines)


def event_time(group: AlertGroup) -> datetime | None:
    """When the news happened: the latest start of a firing alert, else the latest end."""
    starts = [alert.starts_at for alert in group.firing if alert.starts_at]
    if group.status == "firing" and starts:
        return max(starts)
    ends = [alert.ends_at for alert in group.resolved if alert.ends_at]
    return max(ends) if ends else None


def url(group: AlertGroup) -> str | None:
    """The first listed alert's generator URL, else the sender's external URL."""
    for alert in group.alerts:
        if alert.generator_url:
            return alert.generator_url
    return web_url(group.external_url)


MAX_VALUES = 6
"""At most this many of a Grafana alert's values are shown."""


def values(alert: Alert) -> list[tuple[str, str]]:
    """A Grafana alert's `values` (the query results that set its state) as (ref, number) pairs."""
    pairs = []
    for ref, value in sorted(obj(alert.raw.get("values")).items()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            pairs.append((ref, number_text(float(value))))
    return pairs[:MAX_VALUES]
