"""Who may run an action: Slack user IDs, and members of Slack user groups (cached briefly)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from hub.actions.model import Action
from hub.core.errors import DeliveryError
from hub.core.log import get_logger

log = get_logger("hub.actions")

Members = Callable[[str], Awaitable[frozenset[str]]]
"""A user group's member IDs (Slack's `usergroups.users.list`); raises DeliveryError."""

GROUP_TTL = 60.0
"""How long a group's members are trusted before Slack is asked again."""


class Refused(Exception):
    """The user may not run the action; the message says why, for the presser."""


class Permissions:
    """Decides whether a Slack user may run an action."""

    def __init__(
        self,
        members: Members | None,
        ttl: float = GROUP_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._members = members
        self._ttl = ttl
        self._clock = clock
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def check(self, action: Action, user_id: str) -> None:
        """Return if `user_id` may run `action`; raise Refused saying why not."""
        if user_id in action.users:
            return
        unknown = []
        for group in sorted(action.groups):
            try:
                if user_id in await self._group(group):
                    return
            except DeliveryError as exc:
                log.warning("user group not readable", group=group, error=exc.reason)
                unknown.append(f"{group} ({exc.reason})")
        if unknown:
            raise Refused(
                f"You are not allowed to run `{action.name}`, and hub could not read the user "
                f"group {', '.join(unknown)} to see whether you are in it (the bot needs the "
                "usergroups:read scope)."
            )
        raise Refused(
            f"You are not allowed to run `{action.name}`: actions.yaml allows only {_who(action)}."
        )

    async def _group(self, group: str) -> frozenset[str]:
        now = self._clock()
        cached = self._groups.get(group)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        if self._members is None:
            raise _NoSlack()
        members = await self._members(group)
        self._groups[group] = (now, members)
        return members


def _who(action: Action) -> str:
    users = [f"<@{u}>" for u in sorted(action.users)]
    groups = [f"<!subteam^{g}>" for g in sorted(action.groups)]
    return ", ".join(users + groups)


class _NoSlack(DeliveryError):
    def __init__(self) -> None:
        super().__init__("no_slack", "console mode has no Slack to ask")
