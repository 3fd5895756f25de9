"""A fake GitHub REST API for actions: re-run failed jobs, workflow and repository dispatch.

It answers with the status codes and bodies GitHub documents: 201 `{}` for a re-run, 204 for
a dispatch (200 with the run's details when `return_run_details` is true), 401 `Bad
credentials`, 404 `Not Found` and 422 with `{"message", "documentation_url"}`, and rate limits
as 403 with `x-ratelimit-remaining: 0` or 429 with `retry-after`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from hub.testing.fakeapi import ApiCall, FakeApi, Forced

DOCS = "https://docs.github.com/rest"
_RERUN = re.compile(r"/repos/([^/]+/[^/]+)/actions/runs/([0-9]+)/rerun-failed-jobs")
_WORKFLOW = re.compile(r"/repos/([^/]+/[^/]+)/actions/workflows/([^/]+)/dispatches")
_DISPATCH = re.compile(r"/repos/([^/]+/[^/]+)/dispatches")


@dataclass
class Repo:
    """What the fake knows of one repository."""

    runs: dict[int, str] = field(default_factory=dict)
    """Workflow run id → its conclusion (`failure` runs may be re-run)."""
    workflows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Workflow file name → the inputs it declares."""


class FakeGitHub(FakeApi):
    """GitHub's REST API, for one token."""

    def __init__(self, token: str = "ghp_fake-token") -> None:  # noqa: S107 - a test fake
        super().__init__()
        self.token = token
        self.repos: dict[str, Repo] = {}
        self._next_run = 9_000_000_000

    def rate_limit_next(self, secondary: bool = False) -> None:
        """Answer the next call as GitHub does when the token's limit is spent."""
        if secondary:
            body = {
                "message": "You have exceeded a secondary rate limit.",
                "documentation_url": DOCS,
            }
            self.force_next(429, body, {"retry-after": "60"})
            return
        reset = str(int(time.time()) + 600)
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": reset,
        }
        message = "API rate limit exceeded for user ID 1."
        self.force_next(403, {"message": message, "documentation_url": DOCS}, headers)

    def refusal(self, call: ApiCall) -> Forced | None:
        auth = call.headers.get("Authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return Forced(401, {"message": "Bad credentials", "documentation_url": DOCS})
        return None

    def answer(self, call: ApiCall) -> Forced:
        if call.method != "POST":
            return _not_found()
        if found := _RERUN.fullmatch(call.path):
            repo = self.repos.get(found[1])
            run_id = int(found[2])
            if repo is None or run_id not in repo.runs:
                return _not_found()
            if repo.runs[run_id] == "success":
                return Forced(
                    403,
                    {"message": "This workflow run cannot be rerun.", "documentation_url": DOCS},
                )
            return Forced(201, {})
        if found := _WORKFLOW.fullmatch(call.path):
            return self._workflow(call, found[1], found[2])
        if found := _DISPATCH.fullmatch(call.path):
            body = call.body if isinstance(call.body, dict) else {}
            if found[1] not in self.repos:
                return _not_found()
            if not body.get("event_type"):
                return _invalid('Invalid request.\n\n"event_type" wasn\'t supplied.')
            return Forced(204, None)
        return _not_found()

    def _workflow(self, call: ApiCall, name: str, workflow: str) -> Forced:
        repo = self.repos.get(name)
        if repo is None or workflow not in repo.workflows:
            return _not_found()
        body = call.body if isinstance(call.body, dict) else {}
        if not body.get("ref"):
            return _invalid('Invalid request.\n\n"ref" wasn\'t supplied.')
        unexpected = sorted(set(body.get("inputs") or {}) - set(repo.workflows[workflow]))
        if unexpected:
            return _invalid(f"Unexpected inputs provided: {unexpected}")
        if body.get("return_run_details") is not True:
            return Forced(204, None)
        self._next_run += 1
        run = self._next_run
        repo.runs[run] = "in_progress"
        return Forced(
            200,
            {
                "workflow_run_id": run,
                "run_url": f"{self.base_url}/repos/{name}/actions/runs/{run}",
                "html_url": f"https://github.com/{name}/actions/runs/{run}",
            },
        )


def _not_found() -> Forced:
    return Forced(404, {"message": "Not Found", "documentation_url": DOCS})


def _invalid(message: str) -> Forced:
    return Forced(422, {"message": message, "documentation_url": DOCS})
