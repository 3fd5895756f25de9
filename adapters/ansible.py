"""Ansible playbook runs as hub's callback plugin `hub` reports them, signed like GitHub's hooks."""

from __future__ import annotations

import re
from typing import Any

from adapters.payload import (
    check_hub_signature,
    clip,
    commit_sha,
    escape,
    human_duration,
    labels,
    number_text,
    obj,
    one_line,
    parse_object,
    require_secret,
    seconds,
    seq,
    string,
    timestamp,
)
from hub.core.errors import BadPayload, UnsupportedMediaType
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id

_RUN_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
_STATUS = {"running", "passed", "failed"}
_SEVERITY = {"running": Severity.INFO, "passed": Severity.SUCCESS, "failed": Severity.ERROR}
RECAP = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")
"""The per-host counts of Ansible's PLAY RECAP, as the plugin sends them."""
MAX_FAILURES_SHOWN = 5


class AnsibleAdapter:
    """Checks the plugin's HMAC signature and turns a run event into `ansible.playbook.<state>`."""

    name = "ansible"
    secret_env = "HUB_ANSIBLE_SECRET"  # noqa: S105 - the variable's name, not a secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless X-Hub-Signature-256 is the body's HMAC with `secret`."""
        require_secret(secret, self.secret_env, "the secret the Ansible callback signs with")
        check_hub_signature(
            request.headers,
            request.body,
            secret,
            "set HUB_ANSIBLE_SECRET for the Ansible callback `hub` to the same secret as hub's",
            "check that the Ansible controller's HUB_ANSIBLE_SECRET equals hub's",
        )

    def signed_content(self, request: WebhookRequest) -> bytes:
        """The body: the signature covers it and no header, so one body is accepted once."""
        return request.body

    def normalize(self, request: WebhookRequest) -> Event:
        """The `ansible.playbook.<running|passed|failed>` event of one run event."""
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type!r} is not application/json"
            )
        run = parse_object(request.body, "Ansible run event")
        status = string(run.get("status"))
        if status not in _STATUS:
            raise BadPayload("the Ansible run event's `status` is not running, passed or failed")
        run_id = string(run.get("run_id"))
        if run_id is None or not _RUN_ID.fullmatch(run_id):
            raise BadPayload("the Ansible run event needs a `run_id` (letters, digits, ._:-)")
        playbook = one_line(clip(string(run.get("playbook")) or "", 200))
        if not playbook:
            raise BadPayload("the Ansible run event names no `playbook`")
        environment = one_line(clip(string(run.get("environment")) or "", 100)) or None
        user = one_line(clip(string(run.get("user")) or "", 100)) or None
        check = run.get("check_mode") is True
        failures = failed_tasks(run)
        duration = seconds(run.get("duration_seconds"))
        subject = f"{playbook} to {environment}" if environment else playbook
        return Event(
            id=body_id(self.name, request.body),
            source=self.name,
            type="ansible.playbook." + ("started" if status == "running" else status),
            time=timestamp(run.get("finished_at"))
            or timestamp(run.get("started_at"))
            or request.received_at,
            receivedat=request.received_at,
            severity=_SEVERITY[status],
            state=status,
            subject=subject,
            threadkey=f"ansible:run:{run_id}",
            title=clip(
                _title(subject, user, check, outcome(status, failures, failed_hosts(run))), 300
            ),
            text=_text(run, failures, duration),
            actor=user,
            labels=labels(
                {
                    "environment": environment,
                    "playbook": playbook,
                    "commit": _commit(run),
                    "git_branch": clip(string(obj(run.get("git")).get("branch")) or "", 100),
                    "check_mode": "true" if check else "false",
                    "limit": clip(one_line(string(run.get("limit")) or ""), 200),
                    "run_id": run_id,
                    "hosts": str(len(hosts(run))) if status != "running" else None,
                    "failed_hosts": str(len(failed_hosts(run))) if status != "running" else None,
                    "duration": human_duration(duration) if duration is not None else None,
                    "duration_seconds": number_text(duration) if duration is not None else None,
                }
            ),
            data=run,
        )


def hosts(run: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The run's recap: host → its counts (absent or malformed counts read 0)."""
    return {
        str(host): {key: _count(obj(counts).get(key)) for key in RECAP}
        for host, counts in obj(run.get("hosts")).items()
    }


def failed_hosts(run: dict[str, Any]) -> list[str]:
    """The hosts with a failed or unreachable task, in recap order."""
    return [h for h, c in hosts(run).items() if c["failures"] or c["unreachable"]]


def failed_tasks(run: dict[str, Any]) -> list[dict[str, str]]:
    """The failed tasks as (host, task, message) dicts of one-line, clipped text."""
    found: list[dict[str, str]] = []
    for item in seq(run.get("failures")):
        failure = obj(item)
        host = one_line(clip(string(failure.get("host")) or "", 100))
        task = one_line(clip(string(failure.get("task")) or "", 200))
        if host or task:
            message = clip(string(failure.get("message")) or "", 500).strip()
            unreachable = "unreachable" if failure.get("unreachable") is True else ""
            found.append({"host": host, "task": task, "message": message, "kind": unreachable})
    return found


def outcome(status: str, failures: list[dict[str, str]], failed: list[str]) -> str:
    """'running', 'passed', or 'failed on web-2: task 'restart api'' (+ how many more)."""
    if status != "failed":
        return status
    if not failures:
        where = f" on {failed[0]}" if failed else ""
        return f"failed{where}"
    first = failures[0]
    what = "unreachable" if first["kind"] else f"task '{first['task']}'"
    more = len({f["host"] for f in failures}) - 1
    tail = f" (and {more} more host{'s' if more > 1 else ''})" if more > 0 else ""
    return f"failed on {first['host']}: {what}{tail}"


def _title(subject: str, user: str | None, check: bool, result: str) -> str:
    who = f" by {user}" if user else ""
    mode = " (check mode)" if check else ""
    return f"{subject}{who}{mode}: {result}"


def _text(run: dict[str, Any], failures: list[dict[str, str]], duration: float | None) -> str:
    lines = [_failure_line(f) for f in failures[:MAX_FAILURES_SHOWN]]
    if len(failures) > MAX_FAILURES_SHOWN:
        lines.append(f"… and {len(failures) - MAX_FAILURES_SHOWN} more failed tasks")
    recap = hosts(run)
    if recap:
        failed = len(failed_hosts(run))
        tally = f"{len(recap)} host{'s' if len(recap) != 1 else ''}" + (
            f", {failed} failed" if failed else ""
        )
        took = f" · took {human_duration(duration)}" if duration is not None else ""
        lines.append(tally + took)
    return "\n".join(lines)


def _failure_line(failure: dict[str, str]) -> str:
    """'*web-2* · task `restart api`: <message>' in mrkdwn."""
    task = failure["task"].replace("`", "'")
    what = "unreachable" if failure["kind"] else f"task `{escape(task)}`"
    message = f": {escape(one_line(failure['message']))}" if failure["message"] else ""
    return f"*{escape(failure['host'])}* · {what}{message}"


def _commit(run: dict[str, Any]) -> str | None:
    return commit_sha(obj(run.get("git")).get("commit"))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


ADAPTER = AnsibleAdapter()
