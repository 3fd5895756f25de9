"""What a new user meets first: samples, the CLI finding its hub, Ctrl-C, a second hub."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import aiohttp

from hub.backends.sqlite.broker import SqliteBroker
from hub.core.messages import DeadLetter, Delivery
from hub.core.settings import Settings
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import (
    HubProcess,
    cli_env,
    free_port,
    hub_cli,
    hub_settings,
    info_event,
    run_hub,
)

ROUTES = 'version: 1\ndefaults: {unrouted: "#firehose"}\nroutes: []\n'


def embedded(tmp_path: Path, slack: FakeSlack, **overrides: object) -> Settings:
    """Settings of an embedded hub (SQLite, no services) posting to the fake Slack."""
    return hub_settings(
        tmp_path, slack.base_url, ROUTES, broker_url=None, state_url=None, **overrides
    )


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `hub <args>` to completion (call through asyncio.to_thread from async tests)."""
    return subprocess.run(
        [hub_cli(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_a_sample_sent_twice_is_two_events(tmp_path: Path, slack: FakeSlack) -> None:
    """Each `hub send-sample` is a new event: twice is never a duplicate, for every source."""
    settings = embedded(tmp_path, slack, travis_public_key=None, allow_unsigned="travis")
    sends = [("kapacitor", "alert"), ("travis", "build"), ("github", "push"), ("sentry", "issue")]
    async with run_hub(settings):
        for source, kind in sends:
            for _ in range(2):
                result = await asyncio.to_thread(
                    run_cli, "send-sample", source, kind, env=cli_env(settings)
                )
                assert result.returncode == 0, result.stderr
                answer = json.loads(result.stdout.partition(" ")[2])
                assert answer["duplicate"] is False, (source, result.stdout)
        await slack.wait_until(lambda: len(slack.event_ids()) >= 2 * len(sends), timeout=20)


def test_cli_without_hub_data_says_so_and_creates_nothing(tmp_path: Path) -> None:
    """From a directory with no hub, reading and acting commands exit non-zero, creating nothing."""
    env = _plain_env()
    commands = [
        ("silence", "add", "--match", "source=github", "--for", "1h", "--reason", "x"),
        ("silence", "list"),
        ("dead-letters", "list"),
        ("tail",),
    ]
    for command in commands:
        result = run_cli(*command, env=env, cwd=tmp_path)
        assert result.returncode != 0, (command, result.stdout)
        assert f"no hub data in {tmp_path / 'hub-data'}" in result.stderr, result.stderr
        assert "HUB_DATA_DIR" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_with_unreachable_broker_and_state_fails_and_creates_nothing(tmp_path: Path) -> None:
    """Distributed profile: RabbitMQ or Redis out of reach is one line and a non-zero exit."""
    env = _plain_env()
    env |= {
        "HUB_BROKER_URL": "amqp://guest:guest@127.0.0.1:1/",
        "HUB_STATE_URL": "redis://127.0.0.1:1/0",
    }
    for command, says in [
        (("dead-letters", "list"), "dead letters unavailable"),
        (("tail",), "history unavailable"),
        (("silence", "list"), "state store unavailable"),
    ]:
        result = run_cli(*command, env=env, cwd=tmp_path)
        assert result.returncode != 0, command
        assert says in result.stderr
    assert list(tmp_path.iterdir()) == []


async def test_a_second_hub_on_a_data_dir_in_use_exits_naming_the_first(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A second `hub run` on the same data dir exits at once naming the first hub's pid; the
    reading and acting commands still work beside the running hub, from any directory."""
    settings = embedded(tmp_path, slack)
    first = HubProcess(settings, log_path=tmp_path / "hub.log")
    await first.start()
    try:
        assert first.process is not None
        other_ports = cli_env(settings) | {
            "HUB_LISTEN": f"127.0.0.1:{free_port()}",
            "HUB_OPS_LISTEN": f"127.0.0.1:{free_port()}",
        }
        started = time.monotonic()
        second = await asyncio.to_thread(run_cli, "run", env=other_ports, timeout=20)
        assert second.returncode == 2
        assert time.monotonic() - started < 10
        assert f"is in use by the hub with pid {first.process.pid}" in second.stderr
        env, elsewhere = cli_env(settings), tmp_path / "elsewhere"
        elsewhere.mkdir()
        added = await asyncio.to_thread(
            run_cli, "silence", "add", "--match", "source=travis", "--for", "1h",
            "--reason", "noisy", env=env, cwd=elsewhere,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        listed = await asyncio.to_thread(run_cli, "silence", "list", env=env, cwd=elsewhere)
        assert "source=travis" in listed.stdout
        for command in (("dead-letters", "list"), ("tail", "--since", "1h")):
            result = await asyncio.to_thread(run_cli, *command, env=env, cwd=elsewhere)
            assert result.returncode == 0, (command, result.stderr)
            assert "no hub is running" not in result.stderr
    finally:
        await first.stop()


async def test_ctrl_c_stops_an_idle_hub_at_once_and_a_second_one_stops_work_in_flight(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Idle, one Ctrl-C stops hub at once; with a delivery retrying, a second Ctrl-C stops it
    within seconds of a 60 s grace, and the delivery stays queued for the next start."""
    settings = embedded(tmp_path, slack, shutdown_grace="60s", log_level="info")
    hub = HubProcess(settings, log_path=tmp_path / "hub.log")
    await hub.start()
    assert hub.process is not None
    started = time.monotonic()
    hub.process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(hub.process.wait(), 5) == 0
    assert time.monotonic() - started < 2

    slack.fail_for(600)
    await hub.start()
    async with aiohttp.ClientSession() as http:
        body = b'{"id":"disk:db-1","level":"CRITICAL","message":"disk full"}'
        async with http.post(
            f"http://{settings.listen}/hooks/kapacitor",
            data=body,
            headers={
                "Authorization": "Bearer " + (settings.kapacitor_token or ""),
                "Content-Type": "application/json",
            },
        ) as resp:
            assert resp.status == 202
    await slack.wait_until(lambda: len(slack.calls) >= 1, timeout=10)  # failing, retried
    hub.process.send_signal(signal.SIGINT)
    await asyncio.sleep(1.5)
    assert hub.process.returncode is None, "the first Ctrl-C waits for the delivery in flight"
    started = time.monotonic()
    hub.process.send_signal(signal.SIGINT)
    await asyncio.wait_for(hub.process.wait(), 10)
    assert time.monotonic() - started < 5
    assert "stopping now" in (tmp_path / "hub.log").read_text()

    slack.fail_for(0)
    await hub.start()
    try:
        await slack.wait_for(1, timeout=20, channel="#firehose")
    finally:
        await hub.stop()
    assert "disk full" in slack.posts("#firehose")[0].text


def test_ctrl_c_in_a_command_ends_with_one_line_and_exit_130(tmp_path: Path) -> None:
    """A Ctrl-C while a command waits (here for a payload on stdin) is "interrupted", no failure.

    click on its own turns it into "Aborted!" and exit 1; a script around hub would read that
    as an error.
    """
    (tmp_path / "routes.yaml").write_text(ROUTES)
    explain = ["routes", "explain", "--source", "github", "--routes", "routes.yaml", "-"]
    returncode, err = _ctrl_c_while_reading_stdin(explain, tmp_path)
    assert returncode == 130, err
    assert err.strip() == "hub: interrupted"


def test_ctrl_c_at_the_purge_prompt_stops_at_once_and_deletes_nothing(tmp_path: Path) -> None:
    """The first Ctrl-C at "delete N dead letters for good?" ends hub; the dead letter stays.

    The prompt runs inside the command's event loop, whose own Ctrl-C handler would only cancel
    the command's task and leave the prompt waiting for an answer.
    """
    data_dir = tmp_path / "hub-data"
    data_dir.mkdir()

    async def one_dead_letter() -> None:
        broker = SqliteBroker(data_dir)
        await broker.start()
        delivery = Delivery(info_event(1), "#gone", ("team",))
        await broker.publish_dead_letter(DeadLetter(delivery, "channel_not_found", 1, "e", "e"))
        await broker.close()

    asyncio.run(one_dead_letter())
    returncode, err = _ctrl_c_while_reading_stdin(["dead-letters", "purge"], tmp_path)
    assert returncode == 130, err
    assert err.strip().splitlines()[-1] == "hub: interrupted"
    listed = subprocess.run(
        [hub_cli(), "dead-letters", "list"], cwd=tmp_path, env=_plain_env(), capture_output=True
    )
    assert b"1 dead letters" in listed.stdout + listed.stderr


def _plain_env() -> dict[str, str]:
    """This environment without hub's or Slack's settings: a hub run from a fresh shell."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SLACK_"))}


def _ctrl_c_while_reading_stdin(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run `hub <args>` in `cwd`, Ctrl-C it once it waits on stdin; its exit status and stderr.

    stdin stays open until hub has ended: an end of input would end a prompt by itself.
    """
    process = subprocess.Popen(
        [hub_cli(), *args],
        env=_plain_env(),
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _reading_stdin(process.pid):  # loaded, parsed, and now waiting on its input
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "hub never started reading stdin"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("hub still runs 10 s after a Ctrl-C") from None
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    return process.returncode, err


def _reading_stdin(pid: int) -> bool:
    """Whether process `pid` is blocked in read(2) on fd 0 (Linux: /proc/PID/syscall)."""
    read_syscall = {"x86_64": "0", "aarch64": "63"}[os.uname().machine]
    try:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return fields[:2] == [read_syscall, "0x0"]


def test_ctrl_c_while_hub_starts_prints_no_traceback(tmp_path: Path) -> None:
    """SIGINT at any moment of the start ends hub with one line and exit 130, no traceback.

    The start has phases (loading the code, reading settings, taking the data dir, opening the
    queue, listening); the delays step through all of them, so a Ctrl-C lands in each.
    """
    env = _plain_env()
    for delay in [0.3 + step * 0.08 for step in range(14)]:
        ports = {
            "HUB_LOG_LEVEL": "warning",
            "HUB_LISTEN": f"127.0.0.1:{free_port()}",
            "HUB_OPS_LISTEN": f"127.0.0.1:{free_port()}",
            "HUB_ROUTES": str(tmp_path / "routes.yaml"),
        }
        (tmp_path / "routes.yaml").write_text(ROUTES)
        process = subprocess.Popen(
            [hub_cli(), "run"],
            env=env | ports,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert "Traceback" not in err, err
        assert len(err.strip().splitlines()) <= 1, err
        assert process.returncode in (0, 130), err
        if process.returncode == 130:  # stopped before it started: says so
            assert "hub: interrupted" in err
