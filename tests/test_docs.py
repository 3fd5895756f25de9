"""The README and docs as a new user reads them: every command listed, every example working,
every picture of a Slack message made from the current renderer.

The README's quick-start blocks run for real (bash, the listed `hub` and `curl` commands) against
a real `hub run` started the way `make run` starts it, on a free port in place of 8080. Every
other `hub …` line of a fenced `sh` block in README.md and docs/ is checked against the CLI:
its command exists and each option it uses is one that command declares.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from hub.cli.main import main as cli
from hub.testing.harness import free_port, hub_cli
from hub.testing.slack_gallery import digest, gallery
from tests.paths import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def sh_blocks(path: Path) -> list[str]:
    """The fenced `sh` blocks of a Markdown file."""
    return [body for lang, body in _FENCE.findall(path.read_text()) if lang in ("sh", "bash")]


def hub_lines(path: Path) -> Iterator[list[str]]:
    """Each `hub …` command of the file's sh blocks, as words, comments dropped."""
    for block in sh_blocks(path):
        for line in block.replace("\\\n", " ").splitlines():
            words = (
                shlex.split(line, comments=True)
                if "'" in line or '"' in line
                else line.split("#")[0].split()
            )
            if words and Path(words[0]).name == "hub" and words[0] != "hub:":
                yield words[1:]


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every visible command path of the CLI, e.g. ('dead-letters', 'list')."""
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


def wait_ready(ops: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll the hub's /readyz until it answers 200 (or fail if the process exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()[-2000:]
        try:
            with urllib.request.urlopen(f"http://{ops}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise TimeoutError("hub not ready")


def test_slack_pictures_are_drawn_from_the_current_renderer() -> None:
    """docs/img/slack/DIGEST matches the messages, slack.js and slack.css of today's code."""
    recorded = (REPO / "docs" / "img" / "slack" / "DIGEST").read_text().strip()
    assert digest(gallery()) == recorded, (
        "the Slack messages changed: run `.venv/bin/python scripts/slack_screenshots.py`"
    )
    for shot in gallery():
        assert (REPO / "docs" / "img" / "slack" / f"{shot.name}.png").exists()
        assert f"img/slack/{shot.name}.png" in (REPO / "docs" / "slack-messages.md").read_text()


def test_readme_command_table_lists_every_command() -> None:
    """Every command of `hub` (and each subcommand of a group) has a row in the README's table."""
    table = (REPO / "README.md").read_text().split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `hub ")]
    for path in commands():
        group, _, leaf = " ".join(path).rpartition(" ")
        listed = any(
            f"`hub {' '.join(path)}" in row
            or (group and f"`hub {group} " in row and re.search(rf"[ |\\]{re.escape(leaf)}\b", row))
            for row in rows
        )
        assert listed, f"`hub {' '.join(path)}` is missing from the README's command table"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_hub_command_in_the_docs_exists_with_its_options(doc: Path) -> None:
    """Each `hub …` line of a doc names a real command and only options that command has."""
    for words in hub_lines(doc):
        command: click.Command = cli
        rest = list(words)
        while isinstance(command, click.Group) and rest and rest[0] in command.commands:
            command = command.commands[rest.pop(0)]
        assert not isinstance(command, click.Group), f"{doc.name}: `hub {' '.join(words)}`"
        declared = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        declared.add("--help")
        for word in rest:
            option = word.strip("[]").split("=")[0]
            if option.startswith("-") and option != "-":
                assert option in declared, f"{doc.name}: `hub {' '.join(words)}`: no {option}"


def test_readme_quick_start_runs_as_written(tmp_path: Path) -> None:
    """The quick start's commands, run in a fresh directory beside `hub run`, all succeed; the
    samples and the signed curl give new events every time, never duplicates."""
    port, ops = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SLACK_"))}
    env |= {
        "HUB_LISTEN": f"127.0.0.1:{port}",  # as `make run` sets it, on a free port
        "HUB_OPS_LISTEN": f"127.0.0.1:{ops}",
        "HUB_ALLOW_UNSIGNED": "github,travis,kapacitor,sentry",
        "HUB_GITHUB_SECRET": "s3cret",
    }
    shutil.copy(REPO / "routes.yaml", tmp_path / "routes.yaml")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "hub").symlink_to(hub_cli())
    blocks = sh_blocks(REPO / "README.md")
    quick = [b for b in blocks if "send-sample" in b or "openssl dgst" in b]
    assert len(quick) == 2, "the README's quick start changed shape"
    process = subprocess.Popen(
        [hub_cli(), "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_ready(f"127.0.0.1:{ops}", process)
        for block in quick * 2:  # twice: a second run is new events too
            script = block.replace("localhost:8080", f"localhost:{port}")
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            answers = [
                json.loads(m) for m in re.findall(r"\{[^{}]*\"duplicate\"[^{}]*\}", result.stdout)
            ]
            assert answers, result.stdout
            assert all(a["duplicate"] is False for a in answers), result.stdout
        tail = subprocess.run(
            [str(tmp_path / ".venv/bin/hub"), "tail", "--since", "10m"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert tail.returncode == 0, tail.stderr
        assert "kapacitor.alert.critical" in tail.stdout
        assert "#ops-alerts" in tail.stdout
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert "── #ops-alerts" in out.decode()
