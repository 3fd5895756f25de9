"""GitHub CI: workflow runs and jobs, check runs and suites, deployments and commit statuses."""

from __future__ import annotations

from adapters.github.delivery import (
    Delivery,
    Node,
    excerpt,
    first_time,
    lines,
    outcome,
    short,
    words,
)
from adapters.payload import Summary, commit_sha, escape, link
from hub.core.severity import Severity

_ERROR = frozenset({"failure", "timed_out", "startup_failure", "error"})
_WARNING = frozenset({"cancelled", "action_required", "stale"})


def severity_of(state: str | None) -> Severity:
    """The severity of a check or workflow conclusion, deployment or commit status state."""
    if state in _ERROR:
        return Severity.ERROR
    if state in _WARNING:
        return Severity.WARNING
    return Severity.SUCCESS if state == "success" else Severity.INFO


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
        labels={"status": status, "conclusion": conclusion, "commit": commit_sha(sha)},
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
        labels={
            "environment": env,
            "ref": ref,
            "task": dep["task"].as_str(),
            "commit": commit_sha(dep["sha"].value),
        },
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
        labels={"context": context, "commit": commit_sha(sha)},
    )
