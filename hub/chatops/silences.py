"""`/hub mute`, `/hub unmute` and `/hub silences`, and who may mute what from Slack."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from hub.chatops.context import ChatOps, Command
from hub.chatops.reply import Reply, UsageError, code, escape, when
from hub.core.log import get_logger
from hub.core.settings import parse_duration
from hub.core.state import Announced
from hub.router.silences import (
    EXACT,
    Silence,
    format_matchers,
    is_literal,
    parse_matchers,
    unconfirmed,
)

log = get_logger("hub.chatops")

ANYONE_MAY_MUTE_FOR = timedelta(hours=4)
"""Anyone may mute one subject up to this long; longer needs HUB_SLACK_ADMINS."""
PINNING_KEYS = ("threadkey", "subject", "repo")
"""The matcher keys that, given a literal value, pin a mute to one subject of a source."""

# The leading `key=glob` words of `/hub mute`; a value may be quoted to hold spaces.
_MATCHERS = re.compile(r"""\s*(?:[^\s=]+=(?:"[^"]*"|'[^']*'|\S*)\s*)+""")


def pins_one_subject(matchers: Mapping[str, str]) -> bool:
    """Whether a threadkey, subject or repo matcher has a literal value (no `*`, `?` or `re:`,
    or an exact `==` value): then the mute cannot reach more than that one subject."""
    return any(is_literal(matchers[key]) for key in PINNING_KEYS if key in matchers)


def mute_refusal(matchers: Mapping[str, str], duration: timedelta, admin: bool) -> str | None:
    """Why this user may not make this mute, or None when they may."""
    if admin:
        return None
    if not pins_one_subject(matchers):
        return (
            "Only HUB_SLACK_ADMINS may mute more than one subject. Anyone may mute one thread, "
            "subject or repo: give `threadkey`, `subject` or `repo` a literal value, without "
            "`*`, `?` or `re:` (`key==value` matches a value exactly), e.g. "
            "`mute threadkey=kapacitor:cpu:host=web-1 1h`."
        )
    if duration > ANYONE_MAY_MUTE_FOR:
        return "Mutes longer than 4h need a user in HUB_SLACK_ADMINS."
    return None


async def mute(ops: ChatOps, command: Command, args: str) -> Reply:
    """`/hub mute <key=glob>… <duration> [reason…]`: a silence, if this user may make it."""
    found = _MATCHERS.match(args)
    if found is None:
        raise UsageError("Start with key=glob matchers.")
    try:
        matchers = parse_matchers(found.group())
    except ValueError as exc:
        raise UsageError(f"{exc}.") from None
    duration_text, _, reason = args[found.end() :].partition(" ")
    try:
        duration = parse_duration(duration_text)
    except ValueError:
        raise UsageError("Give a duration after the matchers, e.g. 2h.") from None
    if duration <= timedelta(0):
        raise UsageError("The duration must be longer than 0.")
    refusal = mute_refusal(matchers, duration, ops.is_admin(command.user_id))
    if refusal is not None:
        log.info("chatops mute refused", user=command.user_id, matchers=dict(matchers))
        return Reply(f":no_entry: {refusal}")
    silence, announced = await ops.silences.add(
        matchers, duration, reason.strip() or "muted from Slack", f"slack:{command.user_id}"
    )
    log.info("chatops mute", user=command.user_id, silence=silence.id, matchers=dict(matchers))
    text = f":mute: {command.user} muted {_shown(silence)} for {duration_text}"
    await _tell_thread(ops, command, silence, text)
    return Reply(
        f"{text} (until {when(silence.ends_at)}): {escape(silence.reason)}",
        _warning(announced),
        note=f"Silence {code(silence.id)} · `{command.name} unmute {silence.id}` ends it.",
        in_channel=True,
    )


async def unmute(ops: ChatOps, command: Command, args: str) -> Reply:
    """`/hub unmute <id>`: end a silence now (anyone may: it only lets events through)."""
    if not args or len(args.split()) != 1:
        raise UsageError("Give one silence id.")
    silence = next((s for s in await ops.silences.list() if s.id == args), None)
    announced = None if silence is None else await ops.silences.remove(args)
    if silence is None or announced is None:
        return Reply(f"No silence {code(args)}; `{command.name} silences` lists them.")
    log.info("chatops unmute", user=command.user_id, silence=silence.id)
    text = f":bell: {command.user} ended silence {code(silence.id)} on {_shown(silence)}"
    await _tell_thread(ops, command, silence, text)
    return Reply(text, _warning(announced), in_channel=True)


def _warning(announced: Announced) -> tuple[str, ...]:
    """A line for the answer when not every router confirmed the change."""
    problem = unconfirmed(announced)
    return () if problem is None else (f":warning: {escape(problem)}",)


async def silences(ops: ChatOps, command: Command, args: str) -> Reply:
    """`/hub silences`: every silence that has not ended, soonest end first."""
    if args:
        raise UsageError("silences takes no arguments.")
    found = await ops.silences.list()
    if not found:
        return Reply("No silences: every matching event is posted.")
    lines = [
        f"• {code(s.id)} {_shown(s)} until {when(s.ends_at)} by {_who(s.created_by)}: "
        f"{escape(s.reason)}"
        for s in found
    ]
    return Reply(f"*{len(found)} silence{'' if len(found) == 1 else 's'}*", tuple(lines))


def _shown(silence: Silence) -> str:
    return code(format_matchers(silence.matchers))


def _who(created_by: str) -> str:
    user = created_by.removeprefix("slack:")
    return f"<@{user}>" if user != created_by else escape(created_by or "?")


async def _tell_thread(ops: ChatOps, command: Command, silence: Silence, text: str) -> None:
    """A mute of one thread is also written into that thread, when it is in this channel."""
    threadkey = silence.matchers.get("threadkey")
    if threadkey and is_literal(threadkey):
        await ops.note_in_thread(
            command.channels, command.channel_id, threadkey.removeprefix(EXACT), text
        )
