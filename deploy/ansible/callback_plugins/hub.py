# hub's Ansible callback: report every playbook run to hub (POST <HUB_URL>/hooks/ansible).
# Standard library and ansible-core only, so it can be copied next to any playbook.

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Any

from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

DOCUMENTATION = """
    name: hub
    type: notification
    short_description: report playbook runs to hub, which posts them to Slack
    description:
      - POSTs one signed JSON event when a playbook starts and one when it ends to
        C(<url>/hooks/ansible), where hub turns them into one Slack thread per run
        (running, then passed or failed).
      - The end event carries the per-host recap (ok, changed, failed, unreachable, skipped),
        the failed tasks with host and message, the duration, the user, the inventory and
        limit, the playbook's git commit and the environment.
      - Never fails or holds up a playbook. When hub cannot be reached the run goes on and
        Ansible shows one warning naming hub; each send waits at most C(timeout) seconds,
        and after a send that timed out the run sends nothing more.
      - Enable it with C(callbacks_enabled = hub) and this file's folder in
        C(callback_plugins) (or C(ANSIBLE_CALLBACKS_ENABLED=hub) and
        C(ANSIBLE_CALLBACK_PLUGINS)).
    requirements:
      - hub with C(HUB_ANSIBLE_SECRET) set to the same secret
    options:
      url:
        description: hub's webhook base URL, e.g. C(https://hub.example.com); events go to
          C(<url>/hooks/ansible). Unset, the plugin reports nothing and says so once.
        type: str
        env:
          - name: HUB_URL
        ini:
          - section: callback_hub
            key: url
      secret:
        description: The shared secret; each body is signed with it as
          C(X-Hub-Signature-256) (hex HMAC-SHA256, as GitHub signs). Unset, events go
          unsigned, which hub accepts only with C(HUB_ALLOW_UNSIGNED=ansible).
        type: str
        env:
          - name: HUB_ANSIBLE_SECRET
        ini:
          - section: callback_hub
            key: secret
      timeout:
        description: Seconds one send may take, connecting included.
        type: float
        default: 3
        env:
          - name: HUB_ANSIBLE_TIMEOUT
        ini:
          - section: callback_hub
            key: timeout
      environment_var:
        description: The variable naming the environment a run deploys to. It is read from
          the extra vars, the first play's vars, and the vars of that play's first host
          (group_vars/all and the like), in that order, and may be a template.
        type: str
        default: hub_environment
        env:
          - name: HUB_ENVIRONMENT_VAR
        ini:
          - section: callback_hub
            key: environment_var
      environment:
        description: The environment when that variable is not set. With neither, the run
          has no environment (its Slack subject is the playbook alone).
        type: str
        env:
          - name: HUB_ENVIRONMENT
        ini:
          - section: callback_hub
            key: environment
"""

PAYLOAD_VERSION = 1
MAX_FAILURES = 20
MAX_MESSAGE = 1000
GIT_TIMEOUT = 2.0


class CallbackModule(CallbackBase):
    """Send a signed `started` and `finished` event for each playbook run to hub."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "hub"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display: Any = None) -> None:
        super().__init__(display=display)
        self._endpoint = ""
        self._secret = b""
        self._timeout = 3.0
        self._given_up = False
        self._warned = False
        self._run: dict[str, Any] = {}
        self._started = 0.0
        self._failures: list[dict[str, Any]] = []

    def set_options(
        self, task_keys: Any = None, var_options: Any = None, direct: Any = None
    ) -> None:
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        url = (self.get_option("url") or "").strip().rstrip("/")
        if url and not url.endswith("/hooks/ansible"):
            url += "/hooks/ansible"
        self._endpoint = url
        self._secret = (self.get_option("secret") or "").encode()
        self._timeout = max(0.1, float(self.get_option("timeout")))

    # Ansible's events

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._guarded(self._on_start, playbook)

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._guarded(self._on_play_start, play)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        if not ignore_errors:
            self._guarded(self._record_failure, result, False)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._guarded(self._record_failure, result, True)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._guarded(self._on_stats, stats)

    # What they do

    def _on_start(self, playbook: Any) -> None:
        path = os.path.abspath(getattr(playbook, "_file_name", "") or "")
        if self._run:
            # `ansible-playbook a.yml b.yml` is one run: one thread, one recap at the end.
            self._run["playbooks"].append(os.path.basename(path))
            return
        if not self._endpoint.startswith(("https://", "http://")):
            problem = "is not set" if not self._endpoint else "is not an http(s):// URL"
            self._warn(f"HUB_URL {problem}, so this run is not reported to hub")
            self._given_up = True
            return
        self._started = time.monotonic()
        args = context.CLIARGS
        self._run = {
            "version": PAYLOAD_VERSION,
            "run_id": str(uuid.uuid4()),
            "playbook": os.path.basename(path),
            "playbooks": [os.path.basename(path)],
            "playbook_path": path,
            "user": _user(),
            "controller": socket.gethostname(),
            "inventory": [str(source) for source in args.get("inventory") or ()],
            "limit": args.get("subset") or None,
            "check_mode": bool(args.get("check")),
            "tags": [str(tag) for tag in args.get("tags") or () if tag != "all"],
            "git": _git(os.path.dirname(path)),
            "ansible_version": ansible_version,
            "started_at": _now(),
        }

    def _on_play_start(self, play: Any) -> None:
        # The first play sends "started": only now are the variables known that name the
        # environment. The run has not done any task yet.
        if self._given_up or "environment" in self._run:
            return
        self._run["environment"] = self._environment(play)
        self._send("started", {"status": "running"})

    def _record_failure(self, result: Any, unreachable: bool) -> None:
        if self._given_up or len(self._failures) >= MAX_FAILURES:
            return
        task, host = result._task, result._host
        self._failures.append(
            {
                "host": host.get_name(),
                "task": task.get_name().strip() or task.action,
                "action": task.action,
                "unreachable": unreachable,
                "message": _message(_result_of(result)),
            }
        )

    def _on_stats(self, stats: Any) -> None:
        if self._given_up or not self._run:
            return
        if "environment" not in self._run:
            self._run["environment"] = self._environment_fallback()
        hosts = {
            host: {key: int(stats.summarize(host).get(key, 0)) for key in _RECAP}
            for host in sorted(stats.processed)
        }
        bad = {h for h, counts in hosts.items() if counts["failures"] or counts["unreachable"]}
        # A failure later rescued or ignored by the host's stats does not fail the run.
        failures = [f for f in self._failures if f["host"] in bad]
        self._send(
            "finished",
            {
                "status": "failed" if bad else "passed",
                "finished_at": _now(),
                "duration_seconds": round(time.monotonic() - self._started, 3),
                "hosts": hosts,
                "failures": failures,
            },
        )

    def _environment(self, play: Any) -> str | None:
        name = self.get_option("environment_var")
        manager = play.get_variable_manager()
        if name and manager is not None:
            # Ansible's own precedence (extra vars over play vars over inventory), as the
            # play's first host sees it.
            variables = manager.get_vars(play=play, host=_first_host(play, manager))
            value = variables.get(name)
            if isinstance(value, str) and "{{" in value:
                from ansible.template import Templar

                value = Templar(loader=play.get_loader(), variables=variables).template(value)
            if _text(value):
                return _text(value)
        return self._environment_fallback()

    def _environment_fallback(self) -> str | None:
        return (self.get_option("environment") or "").strip() or None

    # Sending

    def _send(self, event: str, fields: dict[str, Any]) -> None:
        if self._given_up:
            return
        body = json.dumps({**self._run, "event": event, **fields}, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"hub-ansible-callback/{PAYLOAD_VERSION} ansible-core/{ansible_version}",
        }
        if self._secret:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
        outcome: list[str] = []
        # A thread bounds the whole send, name resolution included, which no socket timeout does.
        sender = threading.Thread(
            target=self._post, args=(body, headers, outcome), name="hub-callback", daemon=True
        )
        sender.start()
        sender.join(self._timeout + 0.5)
        if sender.is_alive():
            outcome.append(f"no answer within {self._timeout:g} s")
        if outcome:
            error = outcome[0]
            if "within" in error or "timed out" in error:
                self._given_up = True
            self._warn(f"could not report the playbook run to hub at {self._endpoint}: {error}")

    def _post(self, body: bytes, headers: dict[str, str], outcome: list[str]) -> None:
        # S310: _on_start gave up on any URL that is not http(s)://.
        request = urllib.request.Request(self._endpoint, body, headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                response.read(65536)
        except urllib.error.HTTPError as exc:
            outcome.append(f"HTTP {exc.code}: {_hub_message(exc)}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            outcome.append("timed out" if isinstance(reason, TimeoutError) else str(reason))

    # Never let hub's trouble become the playbook's

    def _guarded(self, method: Any, *args: Any) -> None:
        try:
            method(*args)
        except Exception as exc:
            self._given_up = True
            self._warn(f"the hub callback stopped reporting this run: {type(exc).__name__}: {exc}")

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._display.warning(f"hub: {message}")


_RECAP = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")  # noqa: UP017 - runs on Python 3.9+ controllers


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _git(directory: str) -> dict[str, str] | None:
    """The commit and branch of the checkout holding `directory`; None outside one."""
    try:
        # S603/S607: fixed arguments; git from PATH, like any tool the playbook itself runs.
        found = subprocess.run(  # noqa: S603
            ["git", "-C", directory or ".", "rev-parse", "HEAD", "--abbrev-ref", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = found.stdout.split()
    if not lines:
        return None
    git = {"commit": lines[0]}
    if len(lines) > 1 and lines[1] != "HEAD":
        git["branch"] = lines[1]
    return git


def _first_host(play: Any, manager: Any) -> Any:
    try:
        hosts = manager._inventory.get_hosts(play.hosts)
    except Exception:  # a host pattern that is a template: no host, the play's vars only
        return None
    return hosts[0] if hosts else None


def _result_of(result: Any) -> Any:
    found = getattr(result, "result", None)
    return found if isinstance(found, dict) else result._result


def _message(result: Any) -> str:
    """What a failed task said: its msg, else its stderr or stdout, clipped."""
    if not isinstance(result, dict):
        return ""
    for key in ("msg", "stderr", "stdout", "reason"):
        text = _text(result.get(key))
        if text:
            return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return (value if isinstance(value, str) else json.dumps(value, default=str)).strip()


def _hub_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read(4096) or b"{}")
    except (ValueError, OSError):
        return str(error.reason)
    return str(body.get("message") or error.reason) if isinstance(body, dict) else str(error.reason)
