"""`/hub aar [event-id|threadkey]`: an incident's timeline summary, posted in its thread."""

from __future__ import annotations

from urllib.parse import quote

from adapters.payload import link
from hub.chatops.context import ChatOps, Command
from hub.chatops.reply import Later, Reply, UsageError, code, escape
from hub.core.event import Event
from hub.core.log import get_logger
from hub.history.log import LoggedHistory
from hub.incident.gather import IncidentNotFound, gather
from hub.incident.relate import PROBLEMS, kind_of
from hub.incident.report import Report, clock, span

log = get_logger("hub.chatops")

"""The ops port's address as people reach it; `/hub aar` links the full draft there."""
SHOWN = 12
"""Timeline lines a thread summary shows; the full draft has them all."""
RECENT = 500
"""Newest events searched for this channel's latest alert when no id is given."""


async def aar(ops: ChatOps, command: Command, args: str) -> Reply | Later:
    """`/hub aar [id]`: the summary of an incident in its thread, with a link to the draft.

    Slack does not send slash commands from threads (nor says which thread one came from), so
    without an id the incident is the latest alert or error hub posted in this channel.
    """
    if len(args.split()) > 1:
        raise UsageError("Give one event id or threadkey, or none for this channel's latest alert.")
    if not isinstance(ops.history, LoggedHistory):
        return Reply(":warning: This hub keeps no event history to build a timeline from.")
    history = ops.history

    async def work() -> Reply:
        anchor = None if args else await _latest_problem(ops, command)
        if not args and anchor is None:
            return Reply(
                "No alert or error was posted in this channel lately. "
                f"Give one: `{command.name} aar <event-id>`."
            )
        key = args or (anchor.id if anchor else "")
        try:
            report = await gather(history.log, key, anchor=anchor)
        except IncidentNotFound:
            return Reply(f"No event and no thread {code(key)} in hub's event history.")
        text = summary(report, _draft_url(ops, report.threadkey))
        found = await ops.find_parent(command.channels, command.channel_id, report.threadkey)
        log.info("chatops aar", user=command.user_id, threadkey=report.threadkey)
        if found is not None and await ops.reply_in_thread(command.channel_id, found[1].ts, text):
            return Reply(
                f":memo: Posted the timeline of {escape(report.first.title)} in its thread."
            )
        return Reply(text)

    return Later(Reply(":hourglass_flowing_sand: Gathering the incident's timeline…"), work)


def summary(report: Report, draft_url: str | None) -> str:
    """The thread message: what happened, how long, the last change, the timeline, the link."""
    lasted = (
        f"resolved after *{span(report.duration)}*"
        if report.resolution is not None
        else f"open for *{span(report.duration)}* so far"
    )
    lines = [
        f":memo: *Timeline of {escape(report.first.title)}*",
        f"Began {clock(report.start)} UTC, {lasted}.",
    ]
    last = report.last_change
    if last is not None:
        change = link(last.event.url, last.event.title)
        lines.append(f"Last change before it: {change} at {clock(last.event.receivedat)}.")
    shown = report.timeline[-SHOWN:]
    if len(report.timeline) > len(shown):
        lines.append(f"… {len(report.timeline) - len(shown)} earlier events in the draft")
    lines += [
        f"• `{clock(r.event.receivedat)}` {escape(r.event.source)} · "
        f"{link(r.event.url, r.event.title)} _({escape(r.reason)})_"
        for r in shown
    ]
    lines += [f"• `{escape(group.line())}`" for group in report.groups]
    hint = f"`hub incident {escape(report.threadkey)}`"
    if draft_url:
        lines.append(f"The full <{draft_url}|after-action draft>, or {hint}")
    else:
        lines.append(f"The full after-action draft: {hint}")
    return "\n".join(lines)


def _draft_url(ops: ChatOps, threadkey: str) -> str | None:
    base = (ops.ops_url or "").rstrip("/")
    return f"{base}/incident?key={quote(threadkey, safe='')}" if base else None


async def _latest_problem(ops: ChatOps, command: Command) -> Event | None:
    """The newest alert or error hub routed to the command's channel."""
    names = set(command.channels)
    for entry in await ops.history.recent(RECENT):
        if names & set(entry.channels) and kind_of(entry.event) in PROBLEMS:
            return entry.event
    return None
