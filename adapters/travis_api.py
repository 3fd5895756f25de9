"""Travis CI's API v3 for actions: restart a build."""

from __future__ import annotations

import re

from adapters.vendorapi import ApiError, Done, JsonApi
from hub.core.event import Event

_ID = re.compile(r"[0-9]{1,20}")


class TravisApi(JsonApi):
    """Travis CI with a token from HUB_TRAVIS_TOKEN."""

    vendor = "Travis CI"
    token_env = "HUB_TRAVIS_TOKEN"  # noqa: S105 - the variable's name, not its value
    message_key = "error_message"

    def headers(self, token: str) -> dict[str, str]:
        return {
            "Travis-API-Version": "3",
            "Authorization": f"token {token}",
            "Accept": "application/json",
            "User-Agent": "hub",
        }

    async def restart(self, build_id: str) -> Done:
        """Restart build `build_id` (a finished or cancelled one); Travis answers 202."""
        if not _ID.fullmatch(build_id):
            raise ApiError(f"build_id {build_id!r} is not a number")
        answer = await self.call("POST", f"/build/{build_id}/restart")
        return Done(f"restarting Travis CI build {build_id}", None, answer.status)


def targets(event: Event) -> dict[str, str]:
    """What a Travis CI event tells an action: the build's id."""
    if event.source != "travis" or not isinstance(event.data, dict):
        return {}
    build_id = event.data.get("id")
    return {"build_id": str(build_id)} if isinstance(build_id, int) else {}
