"""GitHub's REST API for actions: re-run failed jobs, dispatch a workflow or a repository event."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from adapters.vendorapi import ApiError, Done, JsonApi
from hub.core.event import Event

API_VERSION = "2022-11-28"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_ID = re.compile(r"[0-9]{1,20}")


class GitHubApi(JsonApi):
    """GitHub (or GitHub Enterprise Server) with a token from HUB_GITHUB_TOKEN."""

    vendor = "GitHub"
    token_env = "HUB_GITHUB_TOKEN"  # noqa: S105 - the variable's name, not its value

    def headers(self, token: str) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "hub",
        }

    @property
    def web_url(self) -> str:
        """The web address beside the API: github.com, or a GHES host without `/api/v3`."""
        parts = urlsplit(self.base_url)
        if parts.netloc == "api.github.com":
            return "https://github.com"
        return f"{parts.scheme}://{parts.netloc}"

    async def rerun_failed(self, repo: str, run_id: str) -> Done:
        """Re-run the failed jobs (and their dependents) of workflow run `run_id`."""
        path = f"/repos/{_repo(repo)}/actions/runs/{_id(run_id, 'run_id')}/rerun-failed-jobs"
        answer = await self.call("POST", path, {})
        url = f"{self.web_url}/{repo}/actions/runs/{run_id}"
        return Done(f"re-running the failed jobs of run {run_id} in {repo}", url, answer.status)

    async def dispatch_workflow(
        self, repo: str, workflow: str, ref: str, inputs: Mapping[str, str]
    ) -> Done:
        """Start workflow `workflow` (a file name or id) on `ref` with `inputs`."""
        path = f"/repos/{_repo(repo)}/actions/workflows/{quote(workflow, safe='')}/dispatches"
        body = {"ref": ref, "inputs": dict(inputs), "return_run_details": True}
        answer = await self.call("POST", path, body)
        details: Any = answer.body if isinstance(answer.body, dict) else {}
        url = details.get("html_url") or f"{self.web_url}/{repo}/actions/workflows/{workflow}"
        return Done(f"dispatched workflow {workflow} on {ref} in {repo}", str(url), answer.status)

    async def repository_dispatch(
        self, repo: str, event_type: str, payload: Mapping[str, str]
    ) -> Done:
        """Send a `repository_dispatch` of `event_type` with `payload` as its client_payload."""
        body = {"event_type": event_type, "client_payload": dict(payload)}
        answer = await self.call("POST", f"/repos/{_repo(repo)}/dispatches", body)
        url = f"{self.web_url}/{repo}/actions"
        return Done(f"sent repository_dispatch {event_type} to {repo}", url, answer.status)


def targets(event: Event) -> dict[str, str]:
    """What a GitHub event tells an action: the workflow run it is about, if any."""
    if event.source != "github" or not isinstance(event.data, dict):
        return {}
    run = event.data.get("workflow_run")
    job = event.data.get("workflow_job")
    run_id = None
    if isinstance(run, dict):
        run_id = run.get("id")
    elif isinstance(job, dict):
        run_id = job.get("run_id")
    return {"run_id": str(run_id)} if isinstance(run_id, int) else {}


def _repo(repo: str) -> str:
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise ApiError(f"{repo!r} is not a GitHub repository (owner/name)")
    return repo


def _id(value: str, name: str) -> str:
    if not _ID.fullmatch(value):
        raise ApiError(f"{name} {value!r} is not a number")
    return value
