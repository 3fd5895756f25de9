"""What each GitHub event means: one summary per event kind, read through a defensive view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from adapters._payload import clip, escape, link, one_line, string, timestamp, web_url
from hub.event import Severity

_ERROR = frozenset({"failure", "timed_out", "startup_failure", "error"})
_WARNING = frozenset({"cancelled", "action_required", "stale"})
_OUTCOMES = {
    "success": "succeeded",
    "failure": "failed",
    "error": "errored",
    "cancelled": "was cancelled",
    "timed_out": "timed out",
    "startup_failure": "failed to start",
    "action_required": "needs action",
    "stale": "went stale",
    "skipped": "was skipped",
    "neutral": "finished neutral",
    "in_progress": "is in progress",
}
_PR_ACTIONS = {
    "synchronize": "pushed to {}",
    "ready_for_review": "marked {} ready for review",
    "converted_to_draft": "converted {} to a draft",
    "review_requested": "requested a review of {}",
    "review_request_removed": "withdrew a review request for {}",
    "auto_merge_enabled": "enabled auto-merge for {}",
    "auto_merge_disabled": "disabled auto-merge for {}",
    "enqueued": "added {} to the merge queue",
    "dequeued": "removed {} from the merge queue",
}
_COMMENT_ACTIONS = {
    "created": "commented on {}",
    "edited": "edited a comment on {}",
    "deleted": "deleted a comment on {}",
}
_REVIEW_STATES = {
    "approved": "approved {}",
    "changes_requested": "requested changes on {}",
    "commented": "reviewed {}",
}
_REVIEW_ACTIONS = {"dismissed": "dismissed a review of {}", "edited": "edited a review of {}"}
_RELEASE_ACTIONS = {"released": "published {}", "prereleased": "published pre-{}"}
_MAX_COMMITS = 10


class Node:
    """A defensive view of parsed JSON: missing keys and values of the wrong type read as absent."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __getitem__(self, key: str) -> Node:
        return Node(self.value.get(key) if isinstance(self.value, dict) else None)

    def as_str(self) -> str | None:
        """A non-blank string, or a number (ids) as text."""
        return string(self.value)

    def as_int(self) -> int | None:
        """An integer."""
        value = self.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def as_bool(self) -> bool | None:
        """A boolean."""
        return self.value if isinstance(self.value, bool) else None

    def as_time(self) -> datetime | None:
        """An ISO 8601 string or Unix seconds, as an aware UTC time."""
        return timestamp(self.value)

    def as_url(self) -> str | None:
        """An http(s) URL that is safe inside a Slack link."""
        return web_url(self.value)

    def items(self) -> list[Node]:
        """The elements of a list; none for anything else."""
        return [Node(item) for item in self.value] if isinstance(self.value, list) else []


@dataclass
class Summary:
    """The Event fields an event kind decides; the adapter adds id, type, times, actor and repo."""

    title: str
    severity: Severity = Severity.INFO
    state: str | None = None
    subject: str | None = None
    threadkey: str | None = None
    text: str = ""
    url: str | None = None
    branch: str | None = None
    time: datetime | None = None
    labels: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """One parsed GitHub delivery: event name, action and payload."""

    event: str
    action: str | None
    body: Node

    @property
    def repo(self) -> str | None:
        return self.body["repository"]["full_name"].as_str()

    @property
    def actor(self) -> str | None:
        return self.body["sender"]["login"].as_str() or self.body["pusher"]["name"].as_str()

    @property
    def who(self) -> str:
        return self.actor or "Someone"

    @property
    def where(self) -> str:
        return self.repo or self.body["organization"]["login"].as_str() or "GitHub"

    @property
    def repo_url(self) -> str | None:
        return self.body["repository"]["html_url"].as_url()

    def key(self, kind: str, ident: object) -> str | None:
        """The threadkey `github:<repo>:<kind>:<ident>`, or None without a repo or an id."""
        return None if self.repo is None or ident is None else f"github:{self.repo}:{kind}:{ident}"

    def numbered(self, number: int | None) -> str | None:
        """`owner/repo#n`, or the repo alone when the number is unknown."""
        return f"{self.repo}#{number}" if self.repo and number is not None else self.repo

    def titled(self, verb_phrase: str, name: str | None = None) -> str:
        """'<who> <verb phrase> in <where>[: <name>]'."""
        suffix = f": {short(name)}" if name else ""
        return f"{self.who} {verb_phrase} in {self.where}{suffix}"


def excerpt(text: str | None, limit: int = 500, max_lines: int = 8) -> str:
    """An escaped mrkdwn quote of the start of user-written text."""
    whole = (text or "").replace("\r\n", "\n").strip()
    cut = clip("\n".join(whole.split("\n")[:max_lines]), limit)
    if cut and len(cut) < len(whole) and not cut.endswith("…"):
        cut += "…"
    return "\n".join("> " + escape(line) for line in cut.split("\n")) if cut else ""


def short(text: str, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters."""
    return clip(one_line(text), limit)


def lines(*parts: str | None) -> str:
    """The non-empty parts, one per line."""
    return "\n".join(part for part in parts if part)


def flag(value: bool | None) -> str | None:
    """A boolean as a label value."""
    return None if value is None else str(value).lower()


def label_names(item: Node) -> str | None:
    """The comma-joined names of an issue's or pull request's labels."""
    return ",".join(n for label in item["labels"].items() if (n := label["name"].as_str())) or None


def phrase(action: str | None, noun: str, templates: dict[str, str]) -> str:
    """'<verb> <noun>' for an action, e.g. 'opened pull request #2'."""
    template = templates.get(action or "")
    return template.format(noun) if template else f"{words(action or 'updated')} {noun}"


def words(token: str) -> str:
    """A snake_case token as words."""
    return token.replace("_", " ")


def severity_of(state: str | None) -> Severity:
    """The severity of a check or workflow conclusion, deployment or commit status state."""
    if state in _ERROR:
        return Severity.ERROR
    if state in _WARNING:
        return Severity.WARNING
    return Severity.SUCCESS if state == "success" else Severity.INFO


def outcome(state: str | None) -> str:
    """How a run, check, deployment or status ended or stands, e.g. 'failed', 'is queued'."""
    return _OUTCOMES.get(state or "", f"is {words(state or 'updated')}")


def first_time(*candidates: Node) -> datetime | None:
    """The first of the candidates that holds a usable timestamp."""
    return next((t for node in candidates if (t := node.as_time()) is not None), None)


def _pr_state(action: str | None, item: Node, merged: bool) -> str:
    if merged:
        return "merged"
    if item["state"].as_str() == "closed" or action == "closed":
        return "closed"
    if action == "reopened":
        return "reopened"
    return "draft" if item["draft"].as_bool() else "opened"


def _issue_state(action: str | None, item: Node) -> str:
    if action in ("deleted", "reopened"):
        return action
    return "closed" if item["state"].as_str() == "closed" or action == "closed" else "opened"


def _about_pull_request(d: Delivery, pr: Node) -> tuple[Summary, str]:
    """The fields every event about one pull request shares, and its noun ('pull request #n')."""
    number = pr["number"].as_int() or d.body["number"].as_int()
    merged = pr["merged"].as_bool() or pr["merged_at"].as_str() is not None
    summary = Summary(
        title="",
        state=_pr_state(d.action, pr, merged),
        subject=d.numbered(number),
        threadkey=d.key("pr", number),
        url=pr["html_url"].as_url(),
        branch=pr["base"]["ref"].as_str(),
        time=pr["updated_at"].as_time(),
        labels={
            "head_branch": pr["head"]["ref"].as_str(),
            "draft": flag(pr["draft"].as_bool()),
            "merged": flag(merged),
            "labels": label_names(pr),
        },
    )
    return summary, "a pull request" if number is None else f"pull request #{number}"


def pull_request(d: Delivery) -> Summary:
    pr = d.body["pull_request"]
    s, noun = _about_pull_request(d, pr)
    if d.action == "closed" and s.state == "merged":
        s.severity, verb = Severity.SUCCESS, f"merged {noun}"
    else:
        verb = phrase(d.action, noun, _PR_ACTIONS)
    s.title = d.titled(verb, pr["title"].as_str())
    head, base = s.labels["head_branch"] or "?", s.branch or "?"
    s.text = lines(f"`{escape(head)}` → `{escape(base)}`", excerpt(pr["body"].as_str()))
    reviewer = d.body["requested_reviewer"]["login"].as_str()
    reviewer = reviewer or d.body["requested_team"]["name"].as_str()
    s.labels |= {"label": d.body["label"]["name"].as_str(), "reviewer": reviewer}
    return s


def pull_request_review(d: Delivery) -> Summary:
    pr, review = d.body["pull_request"], d.body["review"]
    s, noun = _about_pull_request(d, pr)
    review_state = (review["state"].as_str() or "").lower() or None
    if d.action == "submitted":
        verb = phrase(review_state or "commented", noun, _REVIEW_STATES)
    else:
        verb = phrase(d.action, noun, _REVIEW_ACTIONS)
    s.title = d.titled(verb, pr["title"].as_str())
    shown = review_state and f"Review: *{escape(words(review_state))}*"
    s.text = lines(shown, excerpt(review["body"].as_str()))
    s.url = review["html_url"].as_url() or s.url
    s.time = first_time(review["submitted_at"], pr["updated_at"])
    s.labels["review_state"] = review_state
    return s


def pull_request_review_comment(d: Delivery) -> Summary:
    pr, comment = d.body["pull_request"], d.body["comment"]
    s, noun = _about_pull_request(d, pr)
    s.title = d.titled(phrase(d.action, noun, _COMMENT_ACTIONS), pr["title"].as_str())
    path = comment["path"].as_str()
    s.text = lines(path and f"`{escape(path)}`", excerpt(comment["body"].as_str()))
    s.url = comment["html_url"].as_url() or s.url
    s.time = first_time(comment["updated_at"], comment["created_at"], pr["updated_at"])
    return s


def issues(d: Delivery) -> Summary:
    issue = d.body["issue"]
    number = issue["number"].as_int()
    noun = "an issue" if number is None else f"issue #{number}"
    return Summary(
        title=d.titled(phrase(d.action, noun, {}), issue["title"].as_str()),
        state=_issue_state(d.action, issue),
        subject=d.numbered(number),
        threadkey=d.key("issue", number),
        text=excerpt(issue["body"].as_str()),
        url=issue["html_url"].as_url(),
        time=first_time(issue["updated_at"], issue["created_at"]),
        labels={
            "labels": label_names(issue),
            "label": d.body["label"]["name"].as_str(),
            "assignee": d.body["assignee"]["login"].as_str(),
        },
    )


def issue_comment(d: Delivery) -> Summary:
    """A comment on an issue or, when `issue.pull_request` is set, on a pull request."""
    issue, comment = d.body["issue"], d.body["comment"]
    number = issue["number"].as_int()
    on_pr = isinstance(issue["pull_request"].value, dict)
    if on_pr:
        state = _pr_state(None, issue, issue["pull_request"]["merged_at"].as_str() is not None)
        noun = "a pull request" if number is None else f"pull request #{number}"
    else:
        state = _issue_state(None, issue)
        noun = "an issue" if number is None else f"issue #{number}"
    return Summary(
        title=d.titled(phrase(d.action, noun, _COMMENT_ACTIONS), issue["title"].as_str()),
        state=state,
        subject=d.numbered(number),
        threadkey=d.key("pr" if on_pr else "issue", number),
        text=excerpt(comment["body"].as_str()),
        url=comment["html_url"].as_url() or issue["html_url"].as_url(),
        time=first_time(comment["updated_at"], comment["created_at"]),
        labels={"pr": flag(on_pr), "labels": label_names(issue)},
    )


def _split_ref(ref: str) -> tuple[str | None, str]:
    for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if ref.startswith(prefix) and len(ref) > len(prefix):
            return kind, ref.removeprefix(prefix)
    return None, ref or "?"


def _commit_line(commit: Node) -> str:
    sha = commit["id"].as_str() or "?"
    message = (commit["message"].as_str() or "").strip().split("\n", 1)[0]
    author = commit["author"]["username"].as_str() or commit["author"]["name"].as_str()
    by = f" – {escape(author)}" if author else ""
    return f"{link(commit['url'].as_url(), sha[:7])} {escape(short(message, 100))}{by}"


def push(d: Delivery) -> Summary:
    """A push to a branch or tag: commits listed; a deleted ref has none and no head_commit."""
    kind, name = _split_ref(d.body["ref"].as_str() or "")
    commits = d.body["commits"].items()
    deleted, created = d.body["deleted"].as_bool(), d.body["created"].as_bool()
    forced = d.body["forced"].as_bool()
    count = f"{len(commits)} commit{'' if len(commits) == 1 else 's'}"
    if deleted:
        title = f"{d.who} deleted {kind or 'ref'} {name} in {d.where}"
    elif kind == "tag":
        title = f"{d.who} pushed tag {name} to {d.where}"
    elif created:
        title = f"{d.who} created {kind or 'ref'} {name} in {d.where}"
        title += f" with {count}" if commits else ""
    else:
        title = f"{d.who} {'force-pushed' if forced else 'pushed'} {count} to {name} in {d.where}"
    shown = [_commit_line(c) for c in commits[:_MAX_COMMITS]]
    more = len(commits) - _MAX_COMMITS
    return Summary(
        title=title,
        state="deleted" if deleted else "created" if created else "forced" if forced else "pushed",
        subject=f"{d.where} {name}" if kind == "tag" else f"{d.where}@{name}",
        threadkey=d.key("push", name) if kind == "branch" else None,
        text=lines(*shown, f"… and {more} more" if more > 0 else None),
        url=d.body["compare"].as_url() or d.repo_url,
        branch=name if kind == "branch" else None,
        time=first_time(d.body["head_commit"]["timestamp"], d.body["repository"]["pushed_at"]),
        labels={"ref_type": kind, "tag": name if kind == "tag" else None, "forced": flag(forced)},
    )


def create_or_delete(d: Delivery) -> Summary:
    ref_type, ref = d.body["ref_type"].as_str(), d.body["ref"].as_str() or "?"
    verb = "created" if d.event == "create" else "deleted"
    url = d.repo_url
    if url and verb == "created" and ref_type in ("branch", "tag"):
        url += ("/tree/" if ref_type == "branch" else "/releases/tag/") + quote(
            ref, safe="/", errors="replace"
        )
    return Summary(
        title=f"{d.who} {verb} {ref_type or 'ref'} {ref} in {d.where}",
        state=verb,
        subject=f"{d.where}@{ref}" if ref_type == "branch" else f"{d.where} {ref}",
        threadkey=d.key("push", ref) if ref_type == "branch" else None,
        url=url,
        branch=ref if ref_type == "branch" else None,
        labels={"ref_type": ref_type, "tag": ref if ref_type == "tag" else None},
    )


def release(d: Delivery) -> Summary:
    rel = d.body["release"]
    tag, name = rel["tag_name"].as_str(), rel["name"].as_str()
    draft, prerelease = rel["draft"].as_bool(), rel["prerelease"].as_bool()
    if d.action in ("deleted", "unpublished"):
        state: str = d.action
    else:
        state = "draft" if draft else "prerelease" if prerelease else "published"
    noun = f"release {tag or name or '?'}"
    return Summary(
        title=d.titled(phrase(d.action, noun, _RELEASE_ACTIONS), name if name != tag else None),
        state=state,
        subject=f"{d.where} {tag}" if tag else d.repo,
        threadkey=d.key("release", tag),
        text=excerpt(rel["body"].as_str()),
        url=rel["html_url"].as_url(),
        time=first_time(rel["published_at"], rel["created_at"]),
        labels={
            "tag": tag,
            "target": rel["target_commitish"].as_str(),
            "draft": flag(draft),
            "prerelease": flag(prerelease),
        },
    )


def _ran(d: Delivery, item: Node, thing: str, branch: str | None) -> Summary:
    """The fields shared by workflow runs and jobs, check runs and suites."""
    status, conclusion = item["status"].as_str(), item["conclusion"].as_str()
    state = conclusion if conclusion and status in (None, "completed") else status
    if d.action in ("rerequested", "requested_action"):
        title = f"{d.who} {words(d.action)} {thing} in {d.where}"
    else:
        on = f" on {branch}" if branch else ""
        title = f"{thing[:1].upper()}{thing[1:]} {outcome(state)}{on} in {d.where}"
    sha = item["head_sha"].as_str()
    commit = f"{d.repo_url}/commit/{sha}" if d.repo_url and sha else None
    return Summary(
        title=title,
        severity=severity_of(state),
        state=state,
        subject=f"{d.where} {thing}",
        text=lines(sha and f"Commit {link(commit, sha[:7])}"),
        url=item["html_url"].as_url(),
        branch=branch,
        time=first_time(
            item["completed_at"], item["updated_at"], item["started_at"], item["created_at"]
        ),
        labels={"status": status, "conclusion": conclusion},
    )


def workflow_run(d: Delivery) -> Summary:
    run = d.body["workflow_run"]
    name = run["name"].as_str() or d.body["workflow"]["name"].as_str() or "?"
    number = run["run_number"].as_int()
    thing = f"workflow {name}" + (f" #{number}" if number is not None else "")
    s = _ran(d, run, thing, run["head_branch"].as_str())
    s.threadkey = d.key("workflow_run", run["id"].as_str())
    display_title = run["display_title"].as_str()
    s.text = lines(display_title and f"*{escape(short(display_title))}*", s.text)
    s.labels |= {"workflow": name, "trigger": run["event"].as_str()}
    return s


def workflow_job(d: Delivery) -> Summary:
    job = d.body["workflow_job"]
    name, workflow = job["name"].as_str() or "?", job["workflow_name"].as_str()
    s = _ran(d, job, f"job {name}", job["head_branch"].as_str())
    s.threadkey = d.key("workflow_run", job["run_id"].as_str())
    failed = [
        escape(step_name)
        for step in job["steps"].items()
        if step["conclusion"].as_str() in _ERROR and (step_name := step["name"].as_str())
    ]
    s.text = lines(f"Failed steps: {', '.join(failed)}" if failed else None, s.text)
    s.labels |= {"workflow": workflow, "job": name}
    return s


def check_run(d: Delivery) -> Summary:
    run = d.body["check_run"]
    suite, output = run["check_suite"], run["output"]
    name = run["name"].as_str() or "?"
    s = _ran(d, run, f"check {name}", suite["head_branch"].as_str())
    suite_id = suite["id"].as_str()
    s.threadkey = (
        d.key("check_suite", suite_id) if suite_id else d.key("check_run", run["id"].as_str())
    )
    heading = output["title"].as_str()
    heading_line = heading and f"*{escape(short(heading))}*"
    s.text = lines(heading_line, excerpt(output["summary"].as_str()), s.text)
    s.url = s.url or run["details_url"].as_url()
    app = run["app"]["slug"].as_str() or run["app"]["name"].as_str()
    s.labels |= {"check": name, "app": app}
    return s


def check_suite(d: Delivery) -> Summary:
    suite = d.body["check_suite"]
    app = suite["app"]["name"].as_str()
    s = _ran(d, suite, "check suite" + (f" by {app}" if app else ""), suite["head_branch"].as_str())
    suite_id = suite["id"].as_str()
    s.subject = f"{d.where} check suite {suite_id or '?'}"
    s.threadkey = d.key("check_suite", suite_id)
    sha = suite["head_sha"].as_str()
    s.url = f"{d.repo_url}/commit/{sha}/checks" if d.repo_url and sha else d.repo_url
    s.labels["app"] = suite["app"]["slug"].as_str() or app
    return s


def deployment(d: Delivery) -> Summary:
    """A deployment, or one of its statuses: all statuses of a deployment share a thread."""
    dep, status = d.body["deployment"], d.body["deployment_status"]
    env = status["environment"].as_str() or dep["environment"].as_str()
    ref = dep["ref"].as_str()
    what = f"{ref or '?'} to {env or '?'}"
    if d.event == "deployment_status":
        state = status["state"].as_str()
        title = f"Deployment of {what} {outcome(state)} in {d.where}"
    else:
        state, title = "created", f"{d.who} requested a deployment of {what} in {d.where}"
    description = status["description"].as_str() or dep["description"].as_str()
    urls = (status["log_url"], status["target_url"], status["environment_url"])
    return Summary(
        title=title,
        severity=severity_of(state),
        state=state,
        subject=f"{d.where} deployment to {env or '?'}",
        threadkey=d.key("deployment", dep["id"].as_str()),
        text=escape(short(description, 500)) if description else "",
        url=next((url for node in urls if (url := node.as_url())), d.repo_url),
        time=first_time(status["updated_at"], status["created_at"], dep["updated_at"]),
        labels={"environment": env, "ref": ref, "task": dep["task"].as_str()},
    )


def status(d: Delivery) -> Summary:
    """A commit status from an outside CI: one thread per commit and context."""
    sha, context = d.body["sha"].as_str(), d.body["context"].as_str() or "status"
    state, description = d.body["state"].as_str(), d.body["description"].as_str()
    return Summary(
        title=f"{context} {outcome(state)} for {(sha or '?')[:7]} in {d.where}",
        severity=severity_of(state),
        state=state,
        subject=f"{d.where}@{(sha or '?')[:7]}",
        threadkey=d.key("status", f"{sha}:{context}" if sha else None),
        text=escape(short(description, 500)) if description else "",
        url=d.body["target_url"].as_url() or d.body["commit"]["html_url"].as_url(),
        time=first_time(d.body["updated_at"], d.body["created_at"]),
        labels={"context": context},
    )


def star(d: Delivery) -> Summary:
    stars = d.body["repository"]["stargazers_count"].as_int()
    return Summary(
        title=f"{d.who} {'unstarred' if d.action == 'deleted' else 'starred'} {d.where}",
        subject=d.repo,
        text=f"{stars} star{'' if stars == 1 else 's'}" if stars is not None else "",
        url=d.repo_url,
        time=d.body["starred_at"].as_time(),
    )


def ping(d: Delivery) -> Summary:
    """Sent when a hook is created: says the hook works, with GitHub's zen quote."""
    hook = d.body["hook"]
    hook_id = d.body["hook_id"].as_str() or hook["id"].as_str()
    zen = d.body["zen"].as_str()
    events = ", ".join(f"`{escape(e)}`" for n in hook["events"].items() if (e := n.as_str()))
    app_id = hook["app_id"].as_str()
    scope = d.where if d.where != "GitHub" or not app_id else f"GitHub App {app_id}"
    return Summary(
        title=f"GitHub webhook{f' {hook_id}' if hook_id else ''} is working for {scope}",
        subject=scope,
        text=lines(zen and f"_{escape(short(zen, 500))}_", events and f"Events: {events}"),
        url=d.repo_url,
        labels={"hook_id": hook_id, "hook_type": hook["type"].as_str()},
    )


def generic(d: Delivery) -> Summary:
    """Any other event: titled from event, repository and sender; threads with its PR or issue."""
    primary = d.body[d.event]
    parents = (("pr", d.body["pull_request"]), ("issue", d.body["issue"]))
    kind, parent = next(((k, n) for k, n in parents if n["number"].as_int()), ("", Node(None)))
    number = parent["number"].as_int()
    name = primary["title"].as_str() or primary["name"].as_str()
    action = f" {words(d.action)}" if d.action else ""
    where = f"on {d.numbered(number)}" if number is not None else f"in {d.where}"
    title = f"{words(d.event).capitalize()}{action} {where} by {d.who}"
    return Summary(
        title=title + (f": {short(name)}" if name else ""),
        subject=d.numbered(number) if number is not None else d.where,
        threadkey=d.key(kind, number) if kind else None,
        text=excerpt(primary["body"].as_str() or primary["description"].as_str()),
        url=primary["html_url"].as_url() or parent["html_url"].as_url() or d.repo_url,
        time=first_time(primary["updated_at"], primary["created_at"]),
    )


KINDS: dict[str, Callable[[Delivery], Summary]] = {
    "ping": ping,
    "push": push,
    "create": create_or_delete,
    "delete": create_or_delete,
    "pull_request": pull_request,
    "pull_request_review": pull_request_review,
    "pull_request_review_comment": pull_request_review_comment,
    "issues": issues,
    "issue_comment": issue_comment,
    "release": release,
    "workflow_run": workflow_run,
    "workflow_job": workflow_job,
    "check_run": check_run,
    "check_suite": check_suite,
    "deployment": deployment,
    "deployment_status": deployment,
    "status": status,
    "star": star,
}
"""The event kinds hub knows by `X-GitHub-Event`; any other goes to `generic`."""
