"""How a Travis CI build reads in Slack: number, branch, linked commit, author, time, jobs."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from adapters.payload import clip, first_line, obj, seq, string, web_url
from adapters.slack.blocks import escape, link
from adapters.slack.view import View, code, generic, words
from hub.core.event import Event

_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
# The status messages that say more than the state: what it was before, in a reply.
_CHANGE = {
    "broken": "*failed* (was passed)",
    "still_failing": "*still failing*",
    "fixed": "*fixed*",
}


def view(event: Event) -> View:
    """A build: what ran where, whose commit, how long, and links to the build and the diff."""
    if not isinstance(event.data, dict):
        return generic(event)  # built by hand, without the payload the fields come from
    build = event.data
    number = string(build.get("number"))
    compare_url = web_url(build.get("compare_url"))
    # Older payloads name no repository URL; the compare URL starts with it.
    repo_url = web_url(obj(build.get("repository")).get("url")) or (
        compare_url.split("/compare/", 1)[0] if compare_url and "/compare/" in compare_url else None
    )
    sha = string(build.get("commit"))
    commit_url = f"{repo_url}/commit/{sha}" if repo_url and sha and _SHA.fullmatch(sha) else None
    pr_number = event.labels.get("pull_request_number")
    duration = event.labels.get("duration")
    build_name = f"build #{number}" if number else "build"
    return View(
        body=escape(clip(first_line(string(build.get("message")) or ""), 300)),
        fields=[
            ("Build", link(event.url, f"#{escape(number)}") if number else ""),
            ("Branch", code(event.branch)),
            ("Pull request", _pull_request(build, repo_url, pr_number)),
            ("Commit", link(commit_url, escape(sha[:7])) if sha else ""),
            ("Author", escape(event.actor or "")),
            ("Duration", escape(duration or "")),
            ("Jobs", _jobs(build)),
            ("Tag", code(event.labels.get("tag"))),
        ],
        links=[("Build", event.url), ("Compare", compare_url)],
        context=["Travis CI", escape(words(event.labels.get("build_type", "")) + " build")],
        change=" · ".join(
            part
            for part in (_state(event), link(event.url, escape(build_name)), escape(duration or ""))
            if part
        ),
    )


def _state(event: Event) -> str:
    status = event.state or ""
    if status in _CHANGE:
        return _CHANGE[status]
    # A pending build's status says only "pending"; the raw state says started or queued.
    shown = event.type.rsplit(".", 1)[-1] if status == "pending" else status
    return f"*{escape(words(shown))}*"


def _pull_request(build: dict[str, Any], repo_url: str | None, number: str | None) -> str:
    if not number:
        return ""
    url = f"{repo_url}/pull/{number}" if repo_url and number.isdigit() else None
    title = string(build.get("pull_request_title"))
    label = f"#{escape(number)}" + (f" {escape(clip(title, 200))}" if title else "")
    return link(url, label)


def _jobs(build: dict[str, Any]) -> str:
    """How the build's jobs ended, e.g. '1 failed, 1 passed'; empty for a single-job build."""
    states = Counter(s for job in seq(build.get("matrix")) if (s := string(obj(job).get("state"))))
    if sum(states.values()) < 2:
        return ""
    return ", ".join(f"{count} {escape(state)}" for state, count in states.most_common())
