"""The Ansible adapter: the callback plugin's HMAC signature and its run events normalized."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.ansible import ADAPTER
from adapters.registry import SOURCES
from adapters.slack.render import render, render_reply, view_of
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import body_id
from hub.testing import signing
from tests.adapter_support import (
    NOT_JSON_OBJECTS,
    RECEIVED,
    assert_cloudevent,
    assert_event_or_bad_payload,
    assert_fields,
    digest,
    from_signed,
    json_objects,
    json_scalars,
    webhook_request,
)

SECRET = signing.ANSIBLE_SECRET
RUN = "36dab64f-9d43-451e-8617-39fe751335cd"
COMMIT = "3852abf5537d4d95cebdbabbb399f848ca3aa366"


def fixture(fixtures_dir: Path, name: str) -> bytes:
    """The bytes of tests/fixtures/ansible/<name>.json, as the plugin sent them."""
    return (fixtures_dir / "ansible" / f"{name}.json").read_bytes()


def normalized(body: bytes) -> Event:
    """The event of a signed run event body."""
    return ADAPTER.normalize(from_signed(signing.ansible(body)))


def run_event(**changes: Any) -> bytes:
    """A finished, failed run event as the plugin sends it, with some fields changed."""
    data: dict[str, Any] = {
        "version": 1,
        "event": "finished",
        "status": "failed",
        "run_id": RUN,
        "playbook": "deploy.yml",
        "environment": "prod",
        "user": "alice",
        "check_mode": False,
        "git": {"commit": COMMIT, "branch": "main"},
        "limit": "web-*",
        "started_at": "2024-05-01T11:59:00+00:00",
        "finished_at": "2024-05-01T12:00:03+00:00",
        "duration_seconds": 63.2,
        "hosts": {
            "web-1": {"ok": 5, "changed": 2, "failures": 0, "unreachable": 0, "skipped": 1},
            "web-2": {"ok": 3, "changed": 1, "failures": 1, "unreachable": 0, "skipped": 0},
        },
        "failures": [
            {"host": "web-2", "task": "restart api", "message": "api did not answer on :8000"}
        ],
    }
    data.update(changes)
    return json.dumps(data, sort_keys=True).encode()


def test_registered_as_the_ansible_source() -> None:
    """POST /hooks/ansible is served by this adapter, its secret read from HUB_ANSIBLE_SECRET."""
    assert SOURCES["ansible"] is ADAPTER
    assert ADAPTER.secret_env == "HUB_ANSIBLE_SECRET"


def test_plugin_fixtures_verify_with_the_shared_secret(fixtures_dir: Path) -> None:
    """Each body the plugin sent, signed as the plugin signs, passes verification."""
    for name in ("playbook.started", "playbook.passed", "playbook.failed"):
        ADAPTER.verify(from_signed(signing.ansible(fixture(fixtures_dir, name))), SECRET)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(None, "missing X-Hub-Signature-256", id="missing"),
        pytest.param("sha1=" + "0" * 40, "malformed", id="sha1"),
        pytest.param("sha256=xyz", "malformed", id="not-hex"),
        pytest.param("sha256=" + digest("other-secret", run_event()), "does not match", id="wrong"),
    ],
)
def test_bad_signatures_are_refused(header: str | None, message: str) -> None:
    """A missing, malformed or wrong X-Hub-Signature-256 is refused, saying which."""
    request = from_signed(signing.ansible(run_event()), {"X-Hub-Signature-256": header})
    with pytest.raises(VerificationError, match=message):
        ADAPTER.verify(request, SECRET)


def test_a_signature_over_other_bytes_is_refused() -> None:
    """A signature of the body before someone changed it does not verify the changed body."""
    signed = signing.ansible(run_event())
    request = webhook_request(run_event(status="passed"), signed.headers)
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(request, SECRET)


def test_an_empty_secret_is_refused() -> None:
    """An empty configured secret refuses, naming HUB_ANSIBLE_SECRET, and never matches."""
    with pytest.raises(VerificationError, match="HUB_ANSIBLE_SECRET is empty"):
        ADAPTER.verify(from_signed(signing.ansible(run_event())), "")


def test_start_is_running_info_in_the_run_thread(fixtures_dir: Path) -> None:
    """The plugin's start event is ansible.playbook.started, state running, in the run's thread."""
    body = fixture(fixtures_dir, "playbook.started")
    event = normalized(body)
    assert_fields(
        event,
        {
            "id": body_id("ansible", body),
            "type": "ansible.playbook.started",
            "severity": Severity.INFO,
            "state": "running",
            "subject": "deploy.yml to prod",
            "threadkey": f"ansible:run:{json.loads(body)['run_id']}",
            "title": "deploy.yml to prod by alice: running",
            "actor": "alice",
        },
    )
    assert event.labels["commit"] == COMMIT
    assert event.labels["check_mode"] == "false"
    assert_cloudevent(event, "ansible")


def test_passed_run_is_success_in_the_same_thread_as_its_start(fixtures_dir: Path) -> None:
    """The plugin's finish of a clean run is passed/success and shares its start's thread."""
    start = normalized(fixture(fixtures_dir, "playbook.started"))
    end = normalized(fixture(fixtures_dir, "playbook.passed"))
    assert (end.type, end.severity, end.state) == (
        "ansible.playbook.passed",
        Severity.SUCCESS,
        "passed",
    )
    assert end.threadkey == start.threadkey
    assert end.title == "deploy.yml to prod by alice: passed"
    assert (end.labels["hosts"], end.labels["failed_hosts"]) == ("3", "0")


def test_failed_run_names_the_host_and_task_that_failed(fixtures_dir: Path) -> None:
    """The plugin's finish of a run failing on web-2 is an error naming web-2 and its task."""
    event = normalized(fixture(fixtures_dir, "playbook.failed"))
    assert_fields(
        event,
        {
            "type": "ansible.playbook.failed",
            "severity": Severity.ERROR,
            "state": "failed",
            "title": "deploy.yml to prod by alice: failed on web-2: task 'restart api'",
        },
    )
    assert event.text.startswith(
        "*web-2* · task `restart api`: api did not answer on :8000 within 30 s\n"
    )
    assert event.labels["environment"] == "prod"
    assert event.labels["playbook"] == "deploy.yml"


def test_labels_carry_environment_commit_check_mode_and_duration() -> None:
    """Routing labels: environment, playbook, full commit, check mode, limit, duration."""
    event = normalized(run_event(check_mode=True))
    assert event.labels == {
        "environment": "prod",
        "playbook": "deploy.yml",
        "commit": COMMIT,
        "git_branch": "main",
        "check_mode": "true",
        "limit": "web-*",
        "run_id": RUN,
        "hosts": "2",
        "failed_hosts": "1",
        "duration": "1m 3s",
        "duration_seconds": "63.2",
    }
    assert (
        event.title
        == "deploy.yml to prod by alice (check mode): failed on web-2: task 'restart api'"
    )


def test_without_an_environment_the_subject_is_the_playbook() -> None:
    """A run with no environment reads 'deploy.yml by alice', and has no environment label."""
    event = normalized(run_event(environment=None, status="passed", failures=[], hosts={}))
    assert (event.subject, event.title) == ("deploy.yml", "deploy.yml by alice: passed")
    assert "environment" not in event.labels


def test_unreachable_host_and_more_failed_hosts_are_said() -> None:
    """An unreachable first host reads 'unreachable', and the other failed hosts are counted."""
    failures = [
        {"host": "db-1", "task": "Gathering Facts", "message": "ssh: timeout", "unreachable": True},
        {"host": "web-2", "task": "restart api", "message": "x"},
        {"host": "web-3", "task": "restart api", "message": "x"},
    ]
    event = normalized(run_event(failures=failures))
    assert event.title.endswith("failed on db-1: unreachable (and 2 more hosts)")


def test_a_commit_that_is_not_a_sha_is_left_out() -> None:
    """Only a full hex SHA-1 or SHA-256 becomes labels.commit."""
    event = normalized(run_event(git={"commit": "HEAD; rm -rf /"}))
    assert "commit" not in event.labels


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"status": "exploded"}, "status", id="status"),
        pytest.param({"run_id": None}, "run_id", id="no-run-id"),
        pytest.param({"run_id": "a b"}, "run_id", id="run-id-space"),
        pytest.param({"run_id": "x" * 101}, "run_id", id="run-id-long"),
        pytest.param({"playbook": " "}, "playbook", id="no-playbook"),
    ],
)
def test_events_missing_what_threads_them_are_bad_payloads(
    changes: dict[str, Any], message: str
) -> None:
    """A run event without a known status, a plain run id or a playbook is a 400, saying which."""
    with pytest.raises(BadPayload, match=message):
        normalized(run_event(**changes))


@pytest.mark.parametrize(("body", "message"), NOT_JSON_OBJECTS)
def test_bodies_that_are_not_one_json_object_are_bad_payloads(body: bytes, message: str) -> None:
    """Empty, non-UTF-8, non-JSON and non-object bodies are refused, saying which."""
    with pytest.raises(BadPayload, match=message):
        ADAPTER.normalize(webhook_request(body, {"Content-Type": "application/json"}))


def test_other_content_types_are_refused() -> None:
    """The plugin always sends application/json; anything else is a 415."""
    request = webhook_request(run_event(), {"Content-Type": "text/plain"})
    with pytest.raises(UnsupportedMediaType):
        ADAPTER.normalize(request)


def test_hosts_recap_shows_as_fields_with_failed_hosts_first() -> None:
    """The Slack message lists the failed task and each host's recap, failed hosts first."""
    message = render(normalized(run_event()), ["deploys"])
    blocks = message["attachments"][0]["blocks"]
    assert blocks[0]["text"]["text"].startswith("*web-2* · task `restart api`")
    fields = [f["text"] for f in blocks[1]["fields"]]
    hosts = [f for f in fields if f.startswith("*web-")]
    assert hosts == [
        "*web-2*\nok 3 · changed 1 · *failed 1*",
        "*web-1*\nok 5 · changed 2 · skipped 1",
    ]


def test_many_hosts_fold_into_one_field() -> None:
    """Past Slack's ten fields the remaining hosts are summed in one field."""
    recap = {f"web-{n:02d}": {"ok": 2, "changed": 1} for n in range(30)}
    shown = view_of(normalized(run_event(hosts=recap, failures=[], status="passed")))
    assert len(shown.fields) == 10
    assert shown.fields[-1] == ("24 more hosts", "ok 48 · changed 24")


def test_reply_says_the_new_state_first() -> None:
    """A thread reply reads '*failed* on web-2: task …', the state in words."""
    reply = render_reply(normalized(run_event()), ["deploys"])
    assert reply["text"].startswith(
        ":x: *failed* on web-2: task 'restart api' · deploy.yml to prod"
    )


def test_received_time_when_the_run_has_none() -> None:
    """Without started_at or finished_at the event's time is when hub received it."""
    event = normalized(run_event(started_at=None, finished_at=None))
    assert event.time == RECEIVED


_KEYS = (
    "event",
    "status",
    "run_id",
    "playbook",
    "environment",
    "user",
    "check_mode",
    "git",
    "commit",
    "hosts",
    "failures",
    "host",
    "task",
    "message",
    "unreachable",
    "ok",
    "failures",
    "duration_seconds",
    "started_at",
)
_SCALARS = json_scalars("running", "passed", "failed", "web-2", RUN, COMMIT, "2024-05-01T12:00Z")
_RUNS = json_objects(
    _KEYS,
    _SCALARS,
    {
        "status": st.sampled_from(["running", "passed", "failed"]),
        "run_id": st.just(RUN),
        "playbook": _SCALARS,
    },
)


@settings(max_examples=300, deadline=None)
@given(payload=_RUNS)
def test_any_json_object_gives_an_event_or_bad_payload(payload: dict[str, Any]) -> None:
    """Any JSON object gives BadPayload or a serializable Event that renders for Slack."""
    body = json.dumps(payload).encode()

    def normalize_and_render() -> Event:
        event = ADAPTER.normalize(webhook_request(body, {"Content-Type": "application/json"}))
        render(event, ["deploys"])
        render_reply(event, ["deploys"])
        return event

    assert_event_or_bad_payload("ansible", normalize_and_render)
