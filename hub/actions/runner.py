"""Running one action: permission first, then once per press, the rate limit, and the call."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

import aiohttp

from adapters.github.api import GitHubApi
from adapters.travis_api import TravisApi
from adapters.vendorapi import ApiError, Done, explain
from hub.actions.limits import Limits
from hub.actions.model import Action, ActionTable
from hub.actions.params import BadParams, inputs_of, resolve
from hub.actions.permission import Permissions, Refused
from hub.actions.request import Outcome, Request
from hub.actions.template import context_of, fill, fill_url
from hub.core import jsonio

MAX_ANSWER_BYTES = 64 * 1024
TIMEOUT = 10.0


class Runner:
    """Runs actions from the live table through the vendor APIs hub has credentials for."""

    def __init__(
        self,
        table: Callable[[], ActionTable],
        permissions: Permissions,
        limits: Limits,
        github: GitHubApi | None = None,
        travis: TravisApi | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.table = table
        self.permissions = permissions
        self.limits = limits
        self.github = github
        self.travis = travis
        self._http: aiohttp.ClientSession | None = None
        self._on_close = on_close

    async def check(self, request: Request) -> Action | Outcome:
        """The action, if it exists and the user may run it; else the refusal."""
        action = self.table().get(request.name)
        if action is None:
            names = ", ".join(f"`{a.name}`" for a in self.table().actions) or "none"
            return Outcome(
                "refused", f"There is no action `{escape(request.name)}` (actions: {names})."
            )
        try:
            await self.permissions.check(action, request.user_id)
        except Refused as exc:
            return Outcome("refused", str(exc), action)
        return action

    async def run(self, request: Request) -> Outcome:
        """Check, claim, limit and call: the outcome of `request`, never an exception."""
        checked = await self.check(request)
        if isinstance(checked, Outcome):
            return checked
        action = checked
        try:
            params = resolve(action, request.found, request.given)
        except BadParams as exc:
            return Outcome("failed", str(exc), action)  # mrkdwn already: given keys escaped
        if not await self.limits.first_time(request.press):
            return Outcome("repeat", "This press was already acted on.", action, params)
        if action.limit is not None:
            wait = await self.limits.take(action.name, action.limit)
            if wait is not None:
                return Outcome(
                    "limited",
                    f"`{action.name}` may run {action.limit.count} times per "
                    f"{str(action.limit).split('/')[1]}; try again in {wait} s.",
                    action,
                    params,
                )
        try:
            done = await self._call(action, params, request)
        except ApiError as exc:
            return Outcome("failed", escape(exc.words), action, params)
        return Outcome("done", escape(done.text), action, params, done.url)

    async def _call(self, action: Action, params: Mapping[str, str], request: Request) -> Done:
        kind = action.kind
        if kind == "http":
            return await self._http_call(action, params, request)
        if kind == "travis_restart":
            if self.travis is None:
                raise ApiError("HUB_TRAVIS_TOKEN is not set, so hub cannot call Travis CI.")
            return await self.travis.restart(params["build_id"])
        if self.github is None:
            raise ApiError("HUB_GITHUB_TOKEN is not set, so hub cannot call GitHub.")
        if kind == "github_rerun_failed":
            return await self.github.rerun_failed(params["repo"], params["run_id"])
        if kind == "github_workflow_dispatch":
            assert action.workflow is not None
            inputs = inputs_of(action, params)
            return await self.github.dispatch_workflow(
                params["repo"], action.workflow, params["ref"], inputs
            )
        assert action.event_type is not None
        payload = inputs_of(action, params)
        return await self.github.repository_dispatch(params["repo"], action.event_type, payload)

    async def _http_call(self, action: Action, params: Mapping[str, str], request: Request) -> Done:
        call = action.http
        assert call is not None
        values = context_of(request.event, params, request.user_id, action.name)
        url = fill_url(call.url, values)
        body = b"" if call.body is None else jsonio.dumps(fill(call.body, values))
        headers = {"User-Agent": "hub", "X-Hub-Action": action.name, **call.headers}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        if call.secret_env is not None:
            secret = os.environ.get(call.secret_env)
            if not secret:
                state = "empty" if secret == "" else "not set"
                raise ApiError(f"{call.secret_env} is {state}, so hub cannot sign the call.")
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
        host = urlsplit(url).netloc or url
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        try:
            async with self._http.request(
                call.method, url, data=body or None, headers=headers, allow_redirects=False
            ) as response:
                raw = await response.content.read(MAX_ANSWER_BYTES)
                status, answer_headers = response.status, response.headers
        except TimeoutError:
            raise ApiError(f"{host} did not answer in {TIMEOUT:g} s; try again") from None
        except aiohttp.ClientError as exc:
            raise ApiError(f"could not reach {host} ({type(exc).__name__}); try again") from None
        if 200 <= status < 300:
            location = answer_headers.get("Location", "")
            link = location if location.startswith(("https://", "http://")) else None
            return Done(f"{call.method} {host} answered {status}", link, status)
        message = raw.decode("utf-8", "replace") if raw else ""
        raise explain(host, call.secret_env or "its credentials", status, message, answer_headers)

    async def close(self) -> None:
        """Close every HTTP session."""
        for client in (self.github, self.travis):
            if client is not None:
                await client.close()
        if self._http is not None:
            await self._http.close()
        if self._on_close is not None:
            await self._on_close()


def escape(text: str) -> str:
    """Words from outside (a vendor's message, a parameter) made safe for Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
