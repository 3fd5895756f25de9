"""actions.yaml: strict loading with file:line: key errors, the shipped example, hot reload."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from adapters.github.adapter import GitHubAdapter
from adapters.travis import TravisAdapter
from hub.actions.load import ActionsError, load_actions, parse_actions
from hub.actions.reload import ActionsHolder, actions_path
from hub.actions.render import ActionRenderer
from hub.core.errors import ConfigError
from hub.core.event import Event
from hub.testing import signing
from tests.adapter_support import from_signed
from tests.paths import FIXTURES, REPO

ISSUE_EXAMPLE = """\
version: 1
actions:
  - name: rerun
    kind: github_rerun_failed   # github_rerun_failed | github_workflow_dispatch |
                                # github_repository_dispatch | travis_restart | http
    button:
      label: Re-run
      match: {source: github, type: github.workflow_run.completed, severity: ">=error"}
    allow: [U0ADMIN, S0DEPLOYERS]   # Slack user and user-group IDs
    confirm: false
"""


def workflow_run(name: str) -> Event:
    """The GitHub adapter's event for a workflow_run fixture."""
    return GitHubAdapter().normalize(from_signed(signing.for_fixture(FIXTURES / "github" / name)))


def test_the_issues_example_loads_and_its_button_matches_failed_runs_only() -> None:
    """The documented shape loads; its Re-run button belongs on failed workflow runs only."""
    table = parse_actions(ISSUE_EXAMPLE)
    action = table.get("rerun")
    assert action is not None
    assert action.users == {"U0ADMIN"}
    assert action.groups == {"S0DEPLOYERS"}
    assert [
        a.name for a in table.buttons_for(workflow_run("workflow_run.completed-failure.json"))
    ] == ["rerun"]
    assert table.buttons_for(workflow_run("workflow_run.completed-success.json")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "  - name: x\n    kind: github_rerun\n    allow: [U0A]\n",
            "actions.yaml:4: actions[0].kind: 'github_rerun' is not an action kind",
        ),
        (
            "  - name: x\n    kind: github_rerun_failed\n    allow: [alice]\n",
            "actions.yaml:5: actions[0].allow[0]: 'alice' is not a Slack user ID",
        ),
        (
            "  - name: x\n    kind: travis_restart\n    alow: [U0A]\n",
            "actions.yaml:5: actions[0].alow: unknown key; did you mean 'allow'?",
        ),
        (
            "  - name: x\n    kind: github_workflow_dispatch\n    allow: [U0A]\n",
            "actions.yaml:3: actions[0].workflow: required for kind github_workflow_dispatch",
        ),
        (
            "  - name: x\n    kind: travis_restart\n    allow: [U0A]\n    workflow: a.yml\n",
            "actions.yaml:6: actions[0].workflow: not a key of kind travis_restart",
        ),
        (
            "  - name: x\n    kind: travis_restart\n    allow: [U0A]\n    rate_limit: often\n",
            "actions.yaml:6: actions[0].rate_limit: 'often' is not a rate",
        ),
        (
            "  - name: x\n    kind: travis_restart\n    allow: [U0A]\n"
            "  - name: x\n    kind: travis_restart\n    allow: [U0A]\n",
            "actions.yaml:6: actions[1].name: duplicate action name 'x' (first at line 3)",
        ),
        (
            "  - name: x\n    kind: travis_restart\n    allow: [U0A]\n"
            "    button: {label: Go, match: {severity: '>=bad'}}\n",
            "actions.yaml:6: actions[0].button.match.severity: '>=bad'",
        ),
        (
            "  - name: x\n    kind: http\n    allow: [U0A]\n    http: {url: 'https://x/${nope}'}\n",
            "actions.yaml:6: actions[0].http.url: unknown placeholder ${nope}",
        ),
    ],
)
def test_a_mistake_is_named_by_file_line_and_key(text: str, expected: str) -> None:
    """Each kind of mistake is reported as `actions.yaml:<line>: <key path>: <what is wrong>`."""
    with pytest.raises(ActionsError) as caught:
        parse_actions("version: 1\nactions:\n" + text)
    assert any(error.startswith(expected) for error in caught.value.errors), caught.value.errors


def test_the_shipped_example_loads() -> None:
    """actions.example.yaml, as shipped, passes the checks and declares every kind."""
    table = load_actions(REPO / "actions.example.yaml")
    assert {a.kind for a in table.actions} == {
        "github_rerun_failed",
        "github_workflow_dispatch",
        "github_repository_dispatch",
        "travis_restart",
        "http",
    }


def test_a_named_actions_file_must_exist_and_an_absent_default_means_none(tmp_path: Path) -> None:
    """HUB_ACTIONS naming a missing file is an error; no ./actions.yaml means no actions."""
    with pytest.raises(ConfigError, match=r"HUB_ACTIONS: .*missing\.yaml: no such file"):
        actions_path(tmp_path / "missing.yaml")
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert actions_path(None) is None
    finally:
        os.chdir(here)


async def test_a_changed_file_is_reloaded_and_an_invalid_one_keeps_the_old_table(
    tmp_path: Path,
) -> None:
    """A valid change is in force after the next poll; an invalid one keeps the previous table."""
    path = tmp_path / "actions.yaml"
    path.write_text(ISSUE_EXAMPLE)
    holder = ActionsHolder(path, poll_interval=0.05)
    holder.start()
    try:
        path.write_text(ISSUE_EXAMPLE.replace("name: rerun", "name: retry"))
        for _ in range(100):
            if holder().get("retry") is not None:
                break
            await asyncio.sleep(0.05)
        assert holder().get("retry") is not None
        path.write_text(ISSUE_EXAMPLE.replace("github_rerun_failed", "nonsense") + "\n")
        assert holder.reload() is False
        assert holder().get("retry") is not None
    finally:
        await holder.stop()


def test_buttons_carry_the_run_and_a_confirm_dialog_when_marked() -> None:
    """The rendered message has the action's button naming action, event and run id, and the
    Slack confirm object when the action is marked confirm."""
    table = parse_actions(ISSUE_EXAMPLE.replace("confirm: false", "confirm: true"))
    event = workflow_run("workflow_run.completed-failure.json")
    message = ActionRenderer(lambda: table).render(event, ["ci"], interactive=True)
    buttons = [
        e
        for b in message["attachments"][0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    rerun = next(b for b in buttons if b["action_id"] == "hub_run_rerun")
    value = json.loads(rerun["value"])
    run_id = str(event.data["workflow_run"]["id"])
    params = {"repo": event.repo, "ref": event.branch, "run_id": run_id}
    assert value == {"a": "rerun", "k": event.threadkey, "e": event.id, "p": params}
    assert len(rerun["value"]) <= 2000
    assert set(rerun["confirm"]) == {"title", "text", "confirm", "deny", "style"}
    plain = ActionRenderer(lambda: parse_actions(ISSUE_EXAMPLE)).render(
        event, ["ci"], interactive=True
    )
    assert "confirm" not in json.dumps(plain)
    assert "hub_run_" not in json.dumps(ActionRenderer(lambda: table).render(event, ["ci"]))


def test_a_rerun_and_a_restarted_build_land_in_the_thread_of_the_original() -> None:
    """A workflow run's next attempt (same id, run_attempt 2, in progress) and a restarted
    Travis build (same number, started) keep the original's threadkey."""
    failed = json.loads((FIXTURES / "github" / "workflow_run.completed-failure.json").read_text())
    again = json.loads(json.dumps(failed))
    again["action"] = "requested"
    again["workflow_run"].update(run_attempt=2, status="in_progress", conclusion=None)
    adapter = GitHubAdapter()
    first = adapter.normalize(
        from_signed(signing.github(json.dumps(failed).encode(), "workflow_run"))
    )
    rerun = adapter.normalize(
        from_signed(signing.github(json.dumps(again).encode(), "workflow_run"))
    )
    assert rerun.threadkey == first.threadkey is not None
    build = json.loads((FIXTURES / "travis" / "build.failed.json").read_text())
    restarted = {**build, "state": "started", "status_message": "Pending", "finished_at": None}
    travis = TravisAdapter()

    def normalized(payload: dict[str, object]) -> Event:
        signed = signing.travis(json.dumps(payload).encode(), "svenfuchs/minimal")
        return travis.normalize(from_signed(signed))

    assert normalized(restarted).threadkey == normalized(build).threadkey is not None
