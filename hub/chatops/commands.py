"""Slash commands: `/hub help|status|routes|why|mute|unmute|silences|replay|run`, parsed and run."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.chatops.aar import aar
from hub.chatops.actions import run_command
from hub.chatops.context import ChatOps, Command
from hub.chatops.reply import Later, Reply, UsageError, code, escape, usage
from hub.chatops.silences import mute, silences, unmute
from hub.chatops.views import routes_for, status, why
from hub.core.deadletters import DeadFilter
from hub.core.log import get_logger
from hub.core.settings import parse_duration
from hub.router.replay import replay

log = get_logger("hub.chatops")

_CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")


Run = Callable[[ChatOps, Command, str], Awaitable[Reply | Later]]


@dataclass(frozen=True)
class Spec:
    """One command: its usage line (without `/hub`), what it does, how it runs."""

    usage: str
    summary: str
    run: Run


async def _help(ops: ChatOps, command: Command, args: str) -> Reply:
    lines = [f"`{command.name} {spec.usage}` — {spec.summary}" for spec in COMMANDS.values()]
    rules = "Anyone may mute one thread, subject or repo (a literal `threadkey`, `subject` or "
    rules += "`repo`) for up to 4h; wider or longer mutes and replay need HUB_SLACK_ADMINS."
    return Reply("*hub commands*", tuple(lines), note=rules)


async def _status(ops: ChatOps, command: Command, args: str) -> Later:
    if args:
        raise UsageError("status takes no arguments.")

    async def work() -> Reply:
        return await status(ops.history, ops.broker, ops.silences, ops.sources)

    return Later(Reply(":hourglass_flowing_sand: Gathering status…"), work)


async def _routes(ops: ChatOps, command: Command, args: str) -> Reply:
    if len(args.split()) > 1:
        raise UsageError("Name one channel.")
    if not args:
        return routes_for(ops.routes(), command.channels, f"#{command.channel_name}")
    link = _CHANNEL_LINK.fullmatch(args)
    if link is not None:  # Slack's escaped channel mention: <#C123|name>
        channel_id, name = link.groups()
        names = (f"#{name}", channel_id) if name else (channel_id,)
        return routes_for(ops.routes(), names, f"#{name}" if name else channel_id)
    return routes_for(ops.routes(), (args, "#" + args.lstrip("#")), args)


async def _why(ops: ChatOps, command: Command, args: str) -> Reply:
    if not args or len(args.split()) != 1:
        raise UsageError("Give one event id.")
    return await why(ops.history, ops.routes(), args)


async def _replay(ops: ChatOps, command: Command, args: str) -> Reply | Later:
    words = args.split()
    options: dict[str, str] = {}
    while words:
        flag = words.pop(0)
        if flag not in ("--reason", "--since") or flag[2:] in options:
            raise UsageError(f"Unexpected {code(flag)}.")
        if not words:
            raise UsageError(f"{flag} needs a value.")
        options[flag[2:]] = words.pop(0)
    if "since" in options:
        try:
            parse_duration(options["since"])
        except ValueError as exc:
            raise UsageError(f"--since: {exc}.") from None
    if not ops.is_admin(command.user_id):
        log.info("chatops replay refused", user=command.user_id)
        return Reply(":no_entry: Only users in HUB_SLACK_ADMINS may replay dead letters.")
    chosen = DeadFilter(reason=options.get("reason"), since=options.get("since"))

    async def work() -> Reply:
        return await _replay_dead_letters(ops, command, chosen)

    return Later(Reply(":hourglass_flowing_sand: Replaying dead letters…"), work)


async def _replay_dead_letters(ops: ChatOps, command: Command, chosen: DeadFilter) -> Reply:
    """Route the chosen dead letters through the current routes again, as the CLI does."""
    replayed = nowhere = unreadable = 0
    async with ops.broker.dead_letters() as session:
        records = chosen.select(session.records, datetime.now(UTC))
        async for done in replay(ops.broker, session, records, ops.routes()):
            if done.unreadable:
                unreadable += 1
                continue
            nowhere += not done.channels
            replayed += 1
    log.info("chatops replay", user=command.user_id, replayed=replayed, nowhere=nowhere)
    shown = " ".join(f"--{k} {v}" for k, v in vars(chosen).items() if v) or "all"
    lines = [f"{nowhere} of them match no route now and were dropped."] if nowhere else []
    if unreadable:
        lines.append(f"{unreadable} unreadable ones were left (`hub dead-letters purge`).")
    return Reply(
        f":repeat: {command.user} replayed {replayed} dead letters ({escape(shown)}).",
        tuple(lines),
        in_channel=True,
    )


COMMANDS: dict[str, Spec] = {
    "help": Spec("help", "this list", _help),
    "status": Spec("status", "ingest rate, backlog, dead letters, last event per source", _status),
    "routes": Spec("routes [#channel]", "what a channel receives, from which routes", _routes),
    "why": Spec("why <event-id>", "how one event was routed, and where it went", _why),
    "mute": Spec(
        "mute <key=glob>… <duration> [reason…]",
        "stop posting matching events for a while, e.g. `mute source=kapacitor "
        "labels.host=web-1 2h deploy`",
        mute,
    ),
    "unmute": Spec("unmute <id>", "end a silence now", unmute),
    "silences": Spec("silences", "the silences that have not ended", silences),
    "replay": Spec(
        "replay [--reason R] [--since 1h]", "re-route dead letters (admins only)", _replay
    ),
    "run": Spec(
        "run [<action> [key=value…]]",
        "run an action of actions.yaml (repo=, run_id=, build_id=, ref=, event=, inputs); "
        "alone, list them",
        run_command,
    ),
    "aar": Spec("aar [event-id]", "an incident's timeline in its thread, linking the draft", aar),
}


async def run(ops: ChatOps, command: Command) -> Reply | Later:
    """The answer to one slash command; bad input gets the command's usage line."""
    word, _, rest = command.text.partition(" ")
    spec = COMMANDS.get(word.lower() or "help")
    if spec is None:
        reply = usage(command.name, "help | status | routes | why | mute | unmute | …")
        return Reply(f"Unknown command {code(word)}. {reply.text}", note=reply.note)
    try:
        return await spec.run(ops, command, rest.strip())
    except UsageError as exc:
        reply = usage(command.name, spec.usage)
        return Reply(f"{escape(str(exc))} {reply.text}".strip(), note=reply.note)
