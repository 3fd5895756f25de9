"""A running hub: malformed credentials are 401s, no token reaches its log, rotated secrets work."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from adapters.slack.verify import signature as slack_signature
from hub.core.settings import parse_hostport
from hub.testing import signing
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, hub_settings

pytestmark = pytest.mark.integration

ROUTES = """\
version: 1
routes:
  - name: everything
    match: {source: [github, sentry, kapacitor, travis]}
    channels: ["#all"]
"""
# The new secrets of a rotation; the old ones are hub.testing.signing's, which sign the fixtures.
NEW = {
    "github": "tok-new-github-9b1e",
    "sentry": "tok-new-sentry-5c7d",
    "kapacitor": "tok-new-kapacitor-3f8a",
    "slack": "tok-new-slack-signing-2d4c",
    "ops": "tok-new-ops-6e0b",
}
OLD_SLACK = "tok-old-slack-signing-8a3f"
OLD_OPS = "tok-old-ops-1c9e"


@dataclasses.dataclass
class Hub:
    """A `hub run` process with old and new secrets, its ports, and its captured log."""

    process: HubProcess
    log_path: Path
    travis_key: rsa.RSAPrivateKey

    @property
    def url(self) -> str:
        return f"http://{self.process.settings.listen}"

    @property
    def ops_url(self) -> str:
        return f"http://{self.process.settings.ops_listen}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
async def hub(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[Hub]:
    """hub run (embedded) mid-rotation: every secret has a new value and the previous one."""
    new_travis = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings = hub_settings(
        tmp_path,
        slack.base_url,
        ROUTES,
        broker_url=None,
        state_url=None,
        log_level="info",
        github_secret=NEW["github"],
        github_secret_previous=signing.GITHUB_SECRET,
        sentry_client_secret=NEW["sentry"],
        sentry_client_secret_previous=signing.SENTRY_SECRET,
        kapacitor_token=NEW["kapacitor"],
        kapacitor_token_previous=signing.KAPACITOR_TOKEN,
        travis_public_key=_pem(new_travis),
        travis_public_key_previous=signing.travis_public_pem(),
        slack_signing_secret=NEW["slack"],
        slack_signing_secret_previous=OLD_SLACK,
        ops_token=NEW["ops"],
        ops_token_previous=OLD_OPS,
    )
    log_path = tmp_path / "hub.log"
    process = HubProcess(settings, log_path=log_path)
    try:
        await process.start()
        yield Hub(process, log_path, new_travis)
    finally:
        await process.stop()


def _pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


async def raw_request(listen: str, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send exact request bytes (headers that no HTTP client would encode); status and body."""
    host, port = parse_hostport(listen)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head + b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _post(path: str, headers: dict[str, bytes], body: bytes = b"{}") -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: hub"]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n"


def _get(path: str, headers: dict[str, bytes]) -> bytes:
    lines = [f"GET {path} HTTP/1.1".encode(), b"Host: hub"]
    lines += [name.encode() + b": " + value for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n"


def _malformed() -> list[tuple[str, str, bytes, bytes]]:
    """(what, port, request head, body): credentials with non-UTF-8 bytes or non-ASCII digits."""
    now = str(int(time.time())).encode()
    form = b"text=help"
    json_ = b"application/json"
    slack = {"Content-Type": b"application/x-www-form-urlencoded"}
    cases: list[tuple[str, str, dict[str, bytes], str]] = [
        (
            "slack signature bytes",
            "public",
            {**slack, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": b"v0=\xff\xfe"},
            "/slack/commands",
        ),
        (
            "slack interaction signature bytes",
            "public",
            {**slack, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": b"v0=\xc3("},
            "/slack/interactions",
        ),
        (
            "slack timestamp arabic digits",
            "public",
            {
                **slack,
                "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠".encode(),
                "X-Slack-Signature": b"v0=ab",
            },
            "/slack/commands",
        ),
        (
            "slack timestamp superscript",
            "public",
            {**slack, "X-Slack-Request-Timestamp": "²".encode(), "X-Slack-Signature": b"v0=ab"},
            "/slack/commands",
        ),
        (
            "slack timestamp 5000 digits",
            "public",
            {**slack, "X-Slack-Request-Timestamp": b"9" * 5000, "X-Slack-Signature": b"v0=ab"},
            "/slack/commands",
        ),
        (
            "slack timestamp bytes",
            "public",
            {**slack, "X-Slack-Request-Timestamp": b"\xff\xfe", "X-Slack-Signature": b"v0=ab"},
            "/slack/commands",
        ),
        (
            "github signature bytes",
            "public",
            {
                "Content-Type": json_,
                "X-GitHub-Event": b"ping",
                "X-Hub-Signature-256": b"sha256=\xff\xfe",
            },
            "/hooks/github",
        ),
        (
            "sentry signature bytes",
            "public",
            {
                "Content-Type": json_,
                "Sentry-Hook-Resource": b"issue",
                "Sentry-Hook-Timestamp": now,
                "Sentry-Hook-Signature": b"\xff\xfe",
            },
            "/hooks/sentry",
        ),
        (
            "sentry timestamp arabic digits",
            "public",
            {
                "Content-Type": json_,
                "Sentry-Hook-Resource": b"issue",
                "Sentry-Hook-Timestamp": "١٧٠٠".encode(),
                "Sentry-Hook-Signature": b"ab",
            },
            "/hooks/sentry",
        ),
        (
            "travis signature bytes",
            "public",
            {"Content-Type": b"application/x-www-form-urlencoded", "Signature": b"\xff\xfe=="},
            "/hooks/travis",
        ),
        (
            "kapacitor bearer bytes",
            "public",
            {"Content-Type": json_, "Authorization": b"Bearer \xff\xfe"},
            "/hooks/kapacitor",
        ),
        (
            "kapacitor header token bytes",
            "public",
            {"Content-Type": json_, "X-Hub-Token": b"\xff\xfe"},
            "/hooks/kapacitor",
        ),
        (
            "kapacitor query token bytes",
            "public",
            {"Content-Type": json_},
            "/hooks/kapacitor?token=%FF%FE",
        ),
    ]
    requests = []
    for what, port, headers, path in cases:
        body = form if path.startswith("/slack/") else b"{}"
        requests.append((what, port, _post(path, headers, body), body))
    ops = [
        ("ops bearer bytes", {"Authorization": b"Bearer \xff\xfe"}, "/api/events"),
        ("ops bearer arabic digits", {"Authorization": "Bearer ١٢٣".encode()}, "/api/events"),
        ("ops cookie bytes", {"Cookie": b"hub_ops_session=\xff\xfe"}, "/api/events"),
        ("ops query token bytes", {}, "/?token=%FF%FE"),
    ]
    requests += [(what, "ops", _get(path, headers), b"") for what, headers, path in ops]
    return requests


async def test_malformed_credentials_are_401_without_a_traceback(hub: Hub) -> None:
    """Non-UTF-8 bytes and non-ASCII digits in every credential header hub reads answer 401,
    and neither the answer nor hub's log carries a traceback."""
    wrong = []
    for what, port, head, body in _malformed():
        listen = (
            hub.process.settings.listen if port == "public" else hub.process.settings.ops_listen
        )
        status, answer = await raw_request(listen, head, body)
        if status != 401 or b"Traceback" in answer:
            wrong.append(f"{what}: {status} {answer[:120]!r}")
    assert not wrong, "\n".join(wrong)
    log = hub.log()
    assert "Traceback" not in log
    assert '"level": "error"' not in log


async def test_oversized_request_lines_and_headers_never_log_a_token(hub: Hub) -> None:
    """Request lines and headers over aiohttp's 8190 bytes carrying a token are refused, and
    neither the configured tokens nor a stranger's reach a single log line."""
    stranger = "tok-stranger-0a7f5e"
    pad = "p" * 9000
    public, ops = hub.process.settings.listen, hub.process.settings.ops_listen
    requests = [
        (public, _get(f"/hooks/kapacitor?token={NEW['kapacitor']}&pad={pad}", {})),
        (public, _get(f"/hooks/kapacitor?token={signing.KAPACITOR_TOKEN}&pad={pad}", {})),
        (public, _get(f"/hooks/kapacitor?token={stranger}&pad={pad}", {})),
        (
            public,
            _post(
                "/hooks/kapacitor", {"Authorization": f"Bearer {NEW['kapacitor']}{pad}".encode()}
            ),
        ),
        (public, _post("/hooks/kapacitor", {"X-Hub-Token": f"{stranger}{pad}".encode()})),
        (ops, _get(f"/?token={NEW['ops']}&pad={pad}", {})),
        (ops, _get("/api/events", {"Authorization": f"Bearer {OLD_OPS}{pad}".encode()})),
        (ops, _get("/api/events", {"Authorization": f"Bearer {stranger}{pad}".encode()})),
    ]
    for listen, head in requests:
        status, _ = await raw_request(listen, head)
        assert 400 <= status < 500
    await asyncio.sleep(0.2)  # the log lines are written after the answers
    log = hub.log()
    assert log.count("malformed HTTP request refused") == len(requests), log[-2000:]
    for token in (*NEW.values(), signing.KAPACITOR_TOKEN, OLD_OPS, stranger):
        assert token[:10] not in log, f"{token[:10]}… is in hub's log"


def _slack_command(secret: str) -> tuple[bytes, dict[str, str]]:
    body = b"command=%2Fhub&text=help&user_id=U0TEST01&channel_id=C0TEST01"
    stamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(secret, stamp, body),
    }


def _resigned(signed: signing.Signed, hub: Hub) -> signing.Signed:
    """The same request signed with the rotation's new secret instead of the old one."""
    headers = dict(signed.headers)
    if signed.source == "github":
        digest = hmac.new(NEW["github"].encode(), signed.body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
        headers["X-GitHub-Delivery"] = "rotation-new-secret"
    elif signed.source == "sentry":
        digest = hmac.new(NEW["sentry"].encode(), signed.body, hashlib.sha256).hexdigest()
        headers["Sentry-Hook-Signature"] = digest
        headers["Request-ID"] = "rotation-new-secret"
    elif signed.source == "travis":
        raw = parse_qs(signed.body.decode())["payload"][0].encode()
        sig = hub.travis_key.sign(raw, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - Travis signs with SHA-1
        headers["Signature"] = base64.b64encode(sig).decode()
    else:
        headers["Authorization"] = f"Bearer {NEW['kapacitor']}"
    return dataclasses.replace(signed, headers=headers)


async def test_old_and_new_secrets_are_both_accepted_during_a_rotation(
    hub: Hub, fixtures_dir: Path
) -> None:
    """With <VAR> and <VAR>_PREVIOUS set, each sender, Slack and the ops port accept requests
    made with either secret, and refuse a third."""
    async with aiohttp.ClientSession() as http:
        for name in (
            "github/ping.json",
            "sentry/issue.created.json",
            "travis/build.failed.json",
            "kapacitor/alert.critical.json",
        ):
            old = signing.for_fixture(fixtures_dir / name)
            for signed in (old, _resigned(old, hub)):
                async with http.post(
                    hub.url + signed.path, data=signed.body, headers=signed.headers
                ) as resp:
                    assert resp.status == 202, f"{name}: {await resp.text()}"
            forged = dataclasses.replace(
                old,
                headers={
                    **old.headers,
                    "Authorization": "Bearer x",
                    "X-Hub-Signature-256": "sha256=" + "0" * 64,
                    "Sentry-Hook-Signature": "0" * 64,
                    "Signature": base64.b64encode(b"x" * 256).decode(),
                },
            )
            async with http.post(
                hub.url + forged.path, data=forged.body, headers=forged.headers
            ) as resp:
                assert resp.status == 401, name

        for secret, status in ((OLD_SLACK, 200), (NEW["slack"], 200), ("tok-neither", 401)):
            body, headers = _slack_command(secret)
            async with http.post(hub.url + "/slack/commands", data=body, headers=headers) as resp:
                assert resp.status == status, secret

        for token, status in ((OLD_OPS, 200), (NEW["ops"], 200), ("tok-neither", 401)):
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(hub.ops_url + "/api/events", headers=headers) as resp:
                assert resp.status == status, token
            url = hub.ops_url + "/?" + urlencode({"token": token})
            jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as browser, browser.get(url) as resp:
                assert resp.status == status, token  # a cookie for the page, then the page
