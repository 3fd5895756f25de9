"""The command line: routes check/explain, send-sample, and one clear line for bad configuration."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import cli_env, hub_cli, run_hub
from tests.conftest_integration import SettingsFactory
from tests.paths import REPO


def hub(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """Run the `hub` console script with a clean HUB_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SLACK_"))}
    return subprocess.run(
        [hub_cli(), *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_routes_check_accepts_the_repository_routes_file() -> None:
    """`hub routes check` on the shipped routes.yaml exits 0 and counts the routes."""
    result = hub("routes", "check", str(REPO / "routes.yaml"))
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_routes_check_names_file_line_and_key(tmp_path: Path) -> None:
    """A bad routes file exits 1 with file:line: key: message and no traceback."""
    bad = tmp_path / "routes.yaml"
    bad.write_text(
        "version: 1\nroutes:\n  - name: x\n    match: {severity: '>=warn'}\n    channels: ['#a']\n"
    )
    result = hub("routes", "check", str(bad))
    assert result.returncode == 1
    assert "routes.yaml:4: routes[0].match.severity: '>=warn' is not a severity" in result.stderr
    assert "Traceback" not in result.stderr


def test_routes_explain_shows_event_verdicts_channels_and_message(fixtures_dir: Path) -> None:
    """`hub routes explain` prints the event, MATCH/NO-MATCH per route, channels and the message."""
    result = hub(
        "routes",
        "explain",
        "--source",
        "travis",
        "--routes",
        str(REPO / "routes.yaml"),
        str(fixtures_dir / "travis/build.failed.json"),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert '"type": "travis.build.failed"' in out
    assert "MATCH" in out
    assert "NO-MATCH" in out
    assert "channels:" in out
    assert "── #ci" in out  # the message drawn as Slack shows it: rule, header, colour bar
    assert "❌ Build #2 of svenfuchs/minimal@master failed" in out
    assert "▌ [ Build ]  [ Compare ]" in out
    assert '"metadata"' not in out


def test_routes_explain_json_prints_the_block_kit_message(fixtures_dir: Path) -> None:
    """`hub routes explain --json` keeps the raw chat.postMessage arguments."""
    payload = str(fixtures_dir / "travis/build.failed.json")
    result = hub("routes", "explain", "--source", "travis", "--json", payload)
    assert result.returncode == 0, result.stderr
    assert '"metadata"' in result.stdout
    assert '"attachments"' in result.stdout


def test_routes_explain_without_the_event_header_says_what_is_missing(fixtures_dir: Path) -> None:
    """A GitHub payload explained without X-GitHub-Event names the header and the option."""
    result = hub("routes", "explain", "--source", "github", str(fixtures_dir / "github/ping.json"))
    assert result.returncode == 2
    assert "missing X-GitHub-Event header" in result.stderr
    assert "--header X-GitHub-Event:push" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HUB_LISTEN": "nonsense"}, "HUB_LISTEN: 'nonsense' is not host:port"),
        ({"HUB_BROKER_URL": "http://x"}, "HUB_BROKER_URL:"),
        ({"HUB_DELIVERY_MAX_AGE": "soon"}, "HUB_DELIVERY_MAX_AGE: 'soon' is not a duration"),
        ({"HUB_TRAVIS_PUBLIC_KEY": "/nonexistent/key.pem"}, "HUB_TRAVIS_PUBLIC_KEY:"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET: is set but empty"),
        ({"HUB_KAPACITOR_TOKEN": " "}, "HUB_KAPACITOR_TOKEN: is set but empty"),
        ({"HUB_ALLOW_UNSIGNED": "githb"}, "HUB_ALLOW_UNSIGNED: 'githb' is not a source; use one"),
        ({"HUB_LOG_LEVEL": "verbose"}, "HUB_LOG_LEVEL: 'verbose' is not a log level; use one"),
    ],
)
def test_misconfiguration_fails_at_start_with_one_line(env: dict[str, str], expected: str) -> None:
    """Bad settings stop `hub run` at once with one line naming the variable, not a traceback."""
    result = hub("run", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_unwritable_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    """HUB_DATA_DIR that is a file (not a directory) stops `hub run` with one line."""
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = hub(
        "run", env={"HUB_DATA_DIR": str(not_a_dir), "HUB_ROUTES": str(REPO / "routes.yaml")}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hub: HUB_DATA_DIR:")


def test_corrupt_queue_file_is_one_clear_line(tmp_path: Path) -> None:
    """A queue.db that is not SQLite stops `hub run` with one line naming the file."""
    (tmp_path / "queue.db").write_bytes(b"this is not a database" * 100)
    result = hub(
        "run", env={"HUB_DATA_DIR": str(tmp_path), "HUB_ROUTES": str(REPO / "routes.yaml")}
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("hub:")]
    assert lines, result.stderr
    assert "queue.db" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.integration
@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
@pytest.mark.parametrize(
    "sample", [("github", "push"), ("alertmanager", "alert"), ("grafana", "alert")]
)
async def test_send_sample_posts_a_signed_sample_that_reaches_slack(
    make_settings: SettingsFactory, slack: FakeSlack, sample: tuple[str, str]
) -> None:
    """`hub send-sample SOURCE KIND` signs as the sender does (Grafana: HMAC too); hub takes it."""
    settings = make_settings('version: 1\ndefaults: {unrouted: "#firehose"}\nroutes: []\n')
    async with run_hub(settings):
        result = await asyncio.to_thread(
            subprocess.run,
            [hub_cli(), "send-sample", *sample],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("202 ")
        await slack.wait_for(1, timeout=15, channel="#firehose")


@pytest.mark.integration
@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_send_sample_ansible_posts_a_signed_failed_run(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """`hub send-sample ansible` posts a failed playbook run signed with HUB_ANSIBLE_SECRET."""
    settings = make_settings('version: 1\ndefaults: {unrouted: "#firehose"}\nroutes: []\n')
    async with run_hub(settings):
        result = await asyncio.to_thread(
            subprocess.run,
            [hub_cli(), "send-sample", "ansible"],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert '"type": "ansible.playbook.failed"' in result.stdout
        await slack.wait_for(1, timeout=15, channel="#firehose")
    assert "failed on web-2: task 'restart api'" in slack.posts()[0].text


def test_sources_check_accepts_the_shipped_examples() -> None:
    """`hub sources check` on an example exits 0 and lists the endpoints it declares."""
    result = hub("sources", "check", str(REPO / "examples/sources/gitlab.yaml"))
    assert result.returncode == 0, result.stderr
    assert "ok, 1 sources: POST /hooks/gitlab" in result.stdout


def test_sources_check_names_file_line_and_key(tmp_path: Path) -> None:
    """A bad sources file exits 1 with file:line: key: message and no traceback."""
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "version: 1\nsources:\n  ci:\n    verify: {kind: token, secret: HUB_CI}\n"
        '    fields: {type: "\'x\'", title: "a.["}\n'
    )
    result = hub("sources", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:5: sources.ci.fields.title: invalid JMESPath expression 'a.['" in result.stderr
    assert "Traceback" not in result.stderr


def test_routes_explain_takes_a_declared_source(fixtures_dir: Path) -> None:
    """`--source gitlab` with HUB_SOURCES set explains a GitLab payload offline."""
    result = hub(
        "routes",
        "explain",
        "--source",
        "gitlab",
        str(fixtures_dir / "gitlab/pipeline.failed.json"),
        env={"HUB_SOURCES": str(REPO / "examples/sources/gitlab.yaml")},
    )
    assert result.returncode == 0, result.stderr
    assert '"type": "gitlab.pipeline.failed"' in result.stdout


def test_the_cli_imports_no_metrics_before_it_prepares_them() -> None:
    """Loading the `hub` command leaves prometheus_client unimported: `hub run --workers N`
    must point it at the per-process metric files first, or the workers' counts are lost."""
    probe = "import sys, hub.cli.main; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [str(Path(hub_cli()).parent / "python"), "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
