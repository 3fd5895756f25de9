"""Build real, correctly signed requests for every shared fixture, as each sender would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote_plus

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GITHUB_SECRET = "test-github-secret"
SENTRY_SECRET = "test-sentry-client-secret"
KAPACITOR_TOKEN = "test-kapacitor-token"
ANSIBLE_SECRET = "test-ansible-secret"
ALERTMANAGER_TOKEN = "test-alertmanager-token"
GRAFANA_TOKEN = "test-grafana-token"
GRAFANA_SIGNING_SECRET = "test-grafana-hmac-secret"


@cache
def travis_key() -> rsa.RSAPrivateKey:
    """One RSA key per test session, standing in for Travis CI's signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def travis_public_pem() -> str:
    """The PEM public key hub is configured with (HUB_TRAVIS_PUBLIC_KEY)."""
    return (
        travis_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class Signed:
    """A request ready to POST: path, headers and the exact body bytes."""

    source: str
    path: str
    headers: dict[str, str]
    body: bytes


def github(body: bytes, event: str, delivery: str | None = None) -> Signed:
    """A GitHub JSON delivery signed with X-Hub-Signature-256."""
    digest = hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={digest}",
        "User-Agent": "GitHub-Hookshot/044aadd",
    }
    return Signed("github", "/hooks/github", headers, body)


def sentry(body: bytes, resource: str, timestamp: int | None = None) -> Signed:
    """A Sentry integration-platform delivery signed with Sentry-Hook-Signature."""
    digest = hmac.new(SENTRY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "Request-ID": uuid.uuid4().hex,
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "Sentry-Hook-Signature": digest,
    }
    return Signed("sentry", "/hooks/sentry", headers, body)


def travis(payload: bytes, slug: str) -> Signed:
    """A Travis CI form post `payload=<json>` signed with RSA-SHA1 over the payload value."""
    signature = travis_key().sign(payload, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - Travis signs with SHA-1
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Travis-Repo-Slug": slug,
        "Signature": base64.b64encode(signature).decode(),
        "User-Agent": "Travis CI Notifications",
    }
    body = b"payload=" + quote_plus(payload.decode()).encode()
    return Signed("travis", "/hooks/travis", headers, body)


def kapacitor(body: bytes) -> Signed:
    """A Kapacitor alert post carrying the shared token as a bearer token."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KAPACITOR_TOKEN}"}
    return Signed("kapacitor", "/hooks/kapacitor", headers, body)


def ansible(body: bytes) -> Signed:
    """A run event as hub's Ansible callback plugin posts it, signed with X-Hub-Signature-256."""
    digest = hmac.new(ANSIBLE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": f"sha256={digest}",
        "User-Agent": "hub-ansible-callback/1 ansible-core/2.19.14",
    }
    return Signed("ansible", "/hooks/ansible", headers, body)


def alertmanager(body: bytes) -> Signed:
    """An Alertmanager webhook post with `http_config.authorization` (Bearer) set to the token."""
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {ALERTMANAGER_TOKEN}",
        "User-Agent": "Alertmanager/0.34.0",
    }
    return Signed("alertmanager", "/hooks/alertmanager", headers, body)


def grafana(body: bytes, timestamp_header: str | None = None, sent_at: int | None = None) -> Signed:
    """A Grafana contact-point post: the token as Bearer credentials, signed as Grafana signs.

    Grafana's HMAC is hex SHA-256 over the body, or over `<unix seconds>:<body>` when a
    timestamp header is configured (grafana/alerting http/hmac.go).
    """
    signed = body
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {GRAFANA_TOKEN}",
        "User-Agent": "Grafana",
    }
    if timestamp_header:
        stamp = str(int(time.time()) if sent_at is None else sent_at)
        headers[timestamp_header] = stamp
        signed = stamp.encode() + b":" + body
    digest = hmac.new(GRAFANA_SIGNING_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    headers["X-Grafana-Alerting-Signature"] = digest
    return Signed("grafana", "/hooks/grafana", headers, body)


def for_fixture(path: Path) -> Signed:
    """The signed request for one shared fixture file, by its folder and name."""
    body = path.read_bytes()
    sender = path.parent.name
    kind = path.name.split(".", 1)[0]
    if sender == "github":
        return github(body, kind)
    if sender == "sentry":
        return sentry(body, kind)
    if sender == "travis":
        slug = "hl7-fhir/fhir-svn" if path.name == "build.passed.json" else "svenfuchs/minimal"
        return travis(body, slug)
    if sender == "kapacitor":
        return kapacitor(body)
    if sender == "ansible":
        return ansible(body)
    if sender == "alertmanager":
        return alertmanager(body)
    if sender == "grafana":
        return grafana(body)
    raise ValueError(f"no signing rule for {path}")


def all_fixtures(fixtures_dir: Path) -> list[Path]:
    """Every shared fixture, in a stable order."""
    return sorted(
        p
        for p in fixtures_dir.glob("*/*.json")
        if p.parent.name in {"github", "sentry", "travis", "kapacitor", "alertmanager", "grafana"}
    )
