"""Bundled sample webhooks, signed the way each sender signs, for `hub send-sample`."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from importlib import resources
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


def sample_body(source: str, kind: str) -> bytes:
    """The bundled payload for one sample (KeyError naming the choices if there is none)."""
    if kind not in SAMPLES.get(source, ()):
        choices = ", ".join(f"{s} {k}" for s, kinds in SAMPLES.items() for k in kinds)
        raise KeyError(f"no sample {source} {kind}; choose one of: {choices}")
    return resources.files("hub.cli").joinpath(f"sample_payloads/{source}-{kind}.json").read_bytes()


def sample_request(source: str, kind: str, settings: Settings) -> tuple[dict[str, str], bytes]:
    """Headers and body of a sample, signed with the configured secret when there is one."""
    body = sample_body(source, kind)
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
