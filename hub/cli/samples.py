"""Bundled sample webhooks, signed the way each sender signs, for `hub send-sample`.

Every send is a new event: the sample's times are moved to now (keeping their order and
spacing) and each send gets fresh ids, so a second `hub send-sample` is never a duplicate of
the first, nor a replay of a signed body hub has already accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import quote_plus

from hub.core.settings import Settings

SAMPLES = {
    "github": ("push", "pull_request", "workflow_run", "ping"),
    "travis": ("build",),
    "kapacitor": ("alert",),
    "sentry": ("issue",),
    "ansible": ("playbook",),
    "alertmanager": ("alert",),
    "grafana": ("alert",),
}

DESCRIPTIONS = {
    ("github", "push"): "two commits pushed to Codertocat/Hello-World",
    ("github", "pull_request"): "a pull request opened",
    ("github", "workflow_run"): "a GitHub Actions run that failed",
    ("github", "ping"): "the ping GitHub sends when a webhook is added",
    ("travis", "build"): "a failed Travis CI build (needs HUB_ALLOW_UNSIGNED=travis)",
    ("kapacitor", "alert"): "a CRITICAL CPU alert on web-01 in prod",
    ("sentry", "issue"): "a new Sentry issue",
    ("ansible", "playbook"): "a failed Ansible run of deploy.yml to prod",
    ("alertmanager", "alert"): "an Alertmanager group notification: HighRequestLatency in prod",
    ("grafana", "alert"): "a Grafana alerting notification: High memory usage, firing",
}
"""One line per sample, for `hub send-sample --help`."""

_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def sample_body(source: str, kind: str) -> bytes:
    """The bundled payload for one sample (KeyError naming the choices if there is none)."""
    if kind not in SAMPLES.get(source, ()):
        choices = ", ".join(f"{s} {k}" for s, kinds in SAMPLES.items() for k in kinds)
        raise KeyError(f"no sample {source} {kind}; choose one of: {choices}")
    return resources.files("hub.cli").joinpath(f"sample_payloads/{source}-{kind}.json").read_bytes()


def fresh_body(source: str, kind: str, now: datetime | None = None) -> bytes:
    """The sample as a new event at `now`: its times moved so the latest is `now`, new ids.

    Without `now`: the current time, and random ids. With it (docs, tests): the same bytes for
    the same `now`.
    """
    payload = json.loads(sample_body(source, kind))
    times = [_parse(text) for text in _strings(payload) if _ISO.fullmatch(text)]
    at = now or datetime.now(UTC)
    shift = at - max(times) if times else timedelta(0)
    payload = _moved(payload, shift)
    if source == "ansible":  # a new run, its own thread
        payload["run_id"] = f"run-{int(at.timestamp())}" if now else uuid.uuid4().hex
    if source == "github" and kind == "ping":
        payload["hook_id"] = int(at.timestamp() * 1000) % 2_000_000_000
    return json.dumps(payload, separators=(",", ":")).encode()


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _moved(node: Any, shift: timedelta) -> Any:
    if isinstance(node, str) and _ISO.fullmatch(node):
        moved = (_parse(node) + shift).astimezone(UTC)
        return moved.isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(node, dict):
        return {key: _moved(value, shift) for key, value in node.items()}
    if isinstance(node, list):
        return [_moved(value, shift) for value in node]
    return node


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def sample_request(source: str, kind: str, settings: Settings) -> tuple[dict[str, str], bytes]:
    """Headers and a fresh body of a sample, signed with the configured secret when there is one."""
    body = fresh_body(source, kind)
    headers = {"Content-Type": "application/json"}
    if source == "github":
        headers |= {"X-GitHub-Event": kind, "X-GitHub-Delivery": str(uuid.uuid4())}
        if settings.github_secret:
            digest = hmac.new(settings.github_secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
    elif source == "sentry":
        headers |= {
            "Sentry-Hook-Resource": kind,
            "Sentry-Hook-Timestamp": str(int(time.time())),
            "Request-ID": uuid.uuid4().hex,
        }
        if settings.sentry_client_secret:
            secret = settings.sentry_client_secret.encode()
            headers["Sentry-Hook-Signature"] = hmac.new(secret, body, hashlib.sha256).hexdigest()
    elif source == "ansible":
        if settings.ansible_secret:
            digest = hmac.new(settings.ansible_secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
    elif source == "kapacitor":
        if settings.kapacitor_token:
            headers["Authorization"] = f"Bearer {settings.kapacitor_token}"
    elif source in ("alertmanager", "grafana"):
        token = settings.secret_for(f"HUB_{source.upper()}_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if source == "grafana" and settings.grafana_signing_secret:
            headers |= _grafana_signature(
                settings.grafana_signing_secret, settings.grafana_signing_timestamp_header, body
            )
    elif source == "travis":
        # Only Travis holds its private key: this sample is accepted only with
        # HUB_ALLOW_UNSIGNED=travis (as `make run` sets for local demos).
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Travis-Repo-Slug": "svenfuchs/minimal",
        }
        body = b"payload=" + quote_plus(body.decode()).encode()
    return headers, body


def _grafana_signature(secret: str, timestamp_header: str | None, body: bytes) -> dict[str, str]:
    """Grafana's HMAC headers: hex SHA-256 over the body, or over `<unix time>:<body>`."""
    headers: dict[str, str] = {}
    signed = body
    if timestamp_header:
        headers[timestamp_header] = str(int(time.time()))
        signed = headers[timestamp_header].encode() + b":" + body
    headers["X-Grafana-Alerting-Signature"] = hmac.new(
        secret.encode(), signed, hashlib.sha256
    ).hexdigest()
    return headers
