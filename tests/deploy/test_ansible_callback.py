"""hub's Ansible callback plugin under real ansible-playbook runs: what it sends, and hub away."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from adapters.ansible import ADAPTER
from hub.core.event import Event
from hub.core.sources import WebhookRequest
from hub.testing import signing
from hub.testing.harness import free_port
from tests.adapter_support import RECEIVED
from tests.ansible_support import ansible_env, run_playbook, write_playbook
from tests.paths import FIXTURES

SECRET = signing.ANSIBLE_SECRET


@dataclass
class Capture:
    """What a stand-in hub received on /hooks/ansible."""

    url: str = ""
    requests: list[WebhookRequest] = field(default_factory=list)

    def events(self) -> list[Event]:
        """Each request verified with the test secret and normalized, as hub would."""
        for request in self.requests:
            ADAPTER.verify(request, SECRET)
        return [ADAPTER.normalize(request) for request in self.requests]

    def bodies(self) -> list[dict[str, Any]]:
        """Each request's JSON body."""
        return [json.loads(request.body) for request in self.requests]


@asynccontextmanager
async def capturing() -> AsyncIterator[Capture]:
    """An HTTP server answering 202 to POST /hooks/ansible and keeping each request."""
    capture = Capture()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        headers = CIMultiDict(request.headers)
        capture.requests.append(WebhookRequest(headers=headers, body=body, received_at=RECEIVED))
        return web.json_response({"duplicate": False}, status=202)

    app = web.Application()
    app.router.add_post("/hooks/ansible", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    capture.url = f"http://127.0.0.1:{port}"
    try:
        yield capture
    finally:
        await runner.cleanup()


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers: a hung hub."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def git_checkout(directory: Path) -> str:
    """Make `directory` a git repository with one commit of what is in it; its full SHA."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@x", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "deploy")
    return git("rev-parse", "HEAD")


async def test_a_run_sends_a_signed_start_and_finish_hub_reads(tmp_path: Path) -> None:
    """A failing run posts two signed events hub verifies: one run id, commit, failed task."""
    playbook = write_playbook(tmp_path)
    commit = git_checkout(tmp_path)
    async with capturing() as capture:
        env = ansible_env(tmp_path, capture.url, SECRET)
        args = ("-e", "fail_on=web-2", "-e", "hub_environment=prod")
        done = await asyncio.to_thread(run_playbook, playbook, env, *args)
    assert done.returncode == 2, done.output
    assert "hub:" not in done.output
    start, end = capture.events()
    assert (start.state, end.state) == ("running", "failed")
    assert start.threadkey == end.threadkey
    assert end.title == "deploy.yml to prod by alice: failed on web-2: task 'restart api'"
    assert end.labels["commit"] == commit
    body = capture.bodies()[1]
    assert body["hosts"]["web-1"]["failures"] == 0
    assert body["hosts"]["web-2"]["failures"] == 1
    assert body["inventory"] == ["web-1,web-2,"]
    assert body["duration_seconds"] > 0


async def test_the_fixtures_have_the_keys_the_plugin_sends(tmp_path: Path) -> None:
    """tests/fixtures/ansible holds bodies of the shape this plugin sends today."""
    playbook = write_playbook(tmp_path)
    async with capturing() as capture:
        env = ansible_env(tmp_path, capture.url, SECRET)
        done = await asyncio.to_thread(run_playbook, playbook, env)
    assert done.returncode == 0, done.output
    start, end = capture.bodies()
    fixtures = FIXTURES / "ansible"
    for sent, name in ((start, "playbook.started"), (end, "playbook.passed")):
        kept = json.loads((fixtures / f"{name}.json").read_text())
        assert sorted(sent) == sorted(kept), name
    kept_host = next(iter(kept["hosts"].values()))
    assert sorted(end["hosts"]["web-1"]) == sorted(kept_host)


async def test_check_mode_is_reported_with_the_default_environment(tmp_path: Path) -> None:
    """Under --check the run succeeds and says check mode; HUB_ENVIRONMENT names the default."""
    playbook = write_playbook(tmp_path)
    async with capturing() as capture:
        env = ansible_env(tmp_path, capture.url, SECRET) | {"HUB_ENVIRONMENT": "staging"}
        done = await asyncio.to_thread(run_playbook, playbook, env, "--check")
    assert done.returncode == 0, done.output
    start, end = capture.events()
    assert end.title == "deploy.yml to staging by alice (check mode): passed"
    assert (start.labels["check_mode"], end.labels["check_mode"]) == ("true", "true")


def test_a_closed_port_neither_fails_nor_slows_the_run(tmp_path: Path) -> None:
    """With hub down the playbook still succeeds, in about the same time, warning once about hub."""
    playbook = write_playbook(tmp_path)
    baseline = run_playbook(playbook, ansible_env(tmp_path, None, None))
    down = f"http://127.0.0.1:{free_port()}"
    done = run_playbook(playbook, ansible_env(tmp_path, down, SECRET))
    assert done.returncode == 0, done.output
    assert done.output.count("[WARNING]: hub: could not report the playbook run to hub at") == 1
    assert done.seconds < baseline.seconds + 2, (done.seconds, baseline.seconds)


def test_a_hung_hub_costs_at_most_one_timeout(tmp_path: Path) -> None:
    """A hub that accepts but never answers costs one HUB_ANSIBLE_TIMEOUT, then nothing more."""
    playbook = write_playbook(tmp_path)
    baseline = run_playbook(playbook, ansible_env(tmp_path, None, None))
    with silent_server() as url:
        env = ansible_env(tmp_path, url, SECRET) | {"HUB_ANSIBLE_TIMEOUT": "1"}
        done = run_playbook(playbook, env)
    assert done.returncode == 0, done.output
    assert "timed out" in done.output or "no answer within 1 s" in done.output
    assert done.seconds < baseline.seconds + 1 + 1.5, (done.seconds, baseline.seconds)


def test_without_hub_url_the_run_goes_on_and_says_so(tmp_path: Path) -> None:
    """Enabled but not configured, the plugin reports nothing and says why, once."""
    playbook = write_playbook(tmp_path)
    env = ansible_env(tmp_path, "", SECRET)
    done = run_playbook(playbook, env)
    assert done.returncode == 0, done.output
    assert done.output.count("[WARNING]: hub: HUB_URL is not set") == 1
