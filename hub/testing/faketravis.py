"""A fake Travis CI API v3 for actions: restart a build.

`POST /build/{id}/restart` with `Travis-API-Version: 3` and `Authorization: token …` answers
202 with Travis's `pending` body; errors carry Travis's `{"@type": "error", "error_type",
"error_message"}` (403 login_required or insufficient_access, 404 not_found).
"""

from __future__ import annotations

import re

from hub.testing.fakeapi import ApiCall, FakeApi, Forced

_RESTART = re.compile(r"/build/([0-9]+)/restart")


class FakeTravis(FakeApi):
    """Travis CI's API v3, for one token."""

    def __init__(self, token: str = "travis-fake-token") -> None:  # noqa: S107 - a test fake
        super().__init__()
        self.token = token
        self.builds: dict[int, str] = {}
        """Build id → its number."""
        self.read_only: set[int] = set()
        """Builds the token may see but not restart."""

    def refusal(self, call: ApiCall) -> Forced | None:
        if call.headers.get("Travis-API-Version") != "3":
            return _error(400, "wrong_params", "this fake speaks only Travis-API-Version: 3")
        if call.headers.get("Authorization") != f"token {self.token}":
            return _error(403, "login_required", "login required")
        return None

    def answer(self, call: ApiCall) -> Forced:
        found = _RESTART.fullmatch(call.path)
        if call.method != "POST" or found is None:
            return _error(404, "not_found", "resource not found (or insufficient access)")
        build_id = int(found[1])
        if build_id not in self.builds:
            return _error(404, "not_found", "build not found (or insufficient access)", "build")
        if build_id in self.read_only:
            return _error(
                403, "insufficient_access", "operation requires restart access to build", "build"
            )
        build = {
            "@type": "build",
            "@href": f"/build/{build_id}",
            "@representation": "minimal",
            "id": build_id,
            "number": self.builds[build_id],
            "state": "created",
        }
        return Forced(
            202,
            {
                "@type": "pending",
                "build": build,
                "state_change": "restart",
                "resource_type": "build",
            },
        )


def _error(status: int, kind: str, message: str, resource: str | None = None) -> Forced:
    body = {"@type": "error", "error_type": kind, "error_message": message}
    if resource:
        body["resource_type"] = resource
    return Forced(status, body)
