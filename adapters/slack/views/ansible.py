"""How an Ansible playbook run reads in Slack: the failed tasks, then the hosts' recap as fields."""

from __future__ import annotations

from typing import Any

from adapters.ansible import failed_hosts, failed_tasks, hosts, outcome
from adapters.payload import seq, string
from adapters.slack.blocks import MAX_FIELDS, escape
from adapters.slack.view import View, code, generic
from hub.core.event import Event

# PLAY RECAP's names, in its order; "failures" reads "failed" there.
_COUNTS = {
    "ok": "ok",
    "changed": "changed",
    "failures": "failed",
    "unreachable": "unreachable",
    "skipped": "skipped",
    "rescued": "rescued",
    "ignored": "ignored",
}


def view(event: Event) -> View:
    """A run: what failed where, each host's recap, and where it ran from (commit, inventory)."""
    if not isinstance(event.data, dict):
        return generic(event)  # built by hand, without the payload the fields come from
    run = event.data
    status = event.state or "running"
    commit = event.labels.get("commit", "")
    facts = [
        ("Environment", escape(event.labels.get("environment", ""))),
        ("Commit", code(commit[:12]) if commit else ""),
        ("Branch", code(event.labels.get("git_branch"))),
    ]
    if status == "running":
        inventory = ", ".join(s for s in map(string, seq(run.get("inventory"))) if s)
        facts += [("Limit", code(event.labels.get("limit"))), ("Inventory", code(inventory))]
    shown = [(name, value) for name, value in facts if value]
    shown += _recap(run, MAX_FIELDS - len(shown))
    duration = event.labels.get("duration", "")
    result = outcome(status, failed_tasks(run), failed_hosts(run))
    return View(
        body=event.text,
        fields=shown,
        context=[
            "Ansible",
            escape(f"by {event.actor}") if event.actor else "",
            "*check mode*" if event.labels.get("check_mode") == "true" else "",
        ],
        change=" · ".join(
            part
            for part in (
                f"*{escape(status)}*" + escape(result.removeprefix(status)),
                escape(event.subject or ""),
                escape(duration),
            )
            if part
        ),
    )


def _recap(run: dict[str, Any], room: int) -> list[tuple[str, str]]:
    """One field per host, failed ones first; what does not fit is summed in a last field."""
    recap = hosts(run)
    if not recap or room <= 0:
        return []
    failed = failed_hosts(run)
    order = failed + [h for h in recap if h not in failed]
    if len(order) > room:
        shown, rest = order[: room - 1], order[room - 1 :]
    else:
        shown, rest = order, []
    fields = [(host, _counts(recap[host])) for host in shown]
    if rest:
        total = {key: sum(recap[h][key] for h in rest) for key in _COUNTS}
        fields.append((f"{len(rest)} more hosts", _counts(total)))
    return fields


def _counts(counts: dict[str, int]) -> str:
    """'ok 5 · changed 2 · *failed 1*', zero counts left out (all zero: 'ok 0')."""
    parts = [
        f"*{name} {counts[key]}*" if key in ("failures", "unreachable") else f"{name} {counts[key]}"
        for key, name in _COUNTS.items()
        if counts.get(key)
    ]
    return " · ".join(parts) or "ok 0"
