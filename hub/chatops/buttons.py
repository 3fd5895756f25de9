"""Message buttons: Acknowledge and Mute 1h, each updating the message in place and its thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.slack.buttons import ACK_ACTION, MUTE_ACTION, parse_action_value, where_pressed
from hub.chatops.context import ChatOps
from hub.chatops.reply import Reply, code, when
from hub.core.errors import DeliveryError
from hub.core.log import get_logger
from hub.deliverer.threads import Parent
from hub.history.entries import Entry
from hub.router.silences import Silence, literal, unconfirmed

log = get_logger("hub.interactions")

MUTE_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class Click:
    """One press of a hub button, from Slack's `block_actions` payload."""

    action_id: str
    key: str
    """The threadkey the message is about, or the event id when it has none."""
    event_id: str
    user_id: str
    channel_id: str
    channel_name: str
    message_ts: str
    message: Mapping[str, Any]
    """The message as Slack sent it back: what is edited when the event is no longer known."""

    @property
    def user(self) -> str:
        """The presser as a Slack mention."""
        return f"<@{self.user_id}>"


def click_of(payload: Mapping[str, Any]) -> Click | None:
    """The hub button pressed in `payload`; None for anything else (link buttons, other types)."""
    if payload.get("type") != "block_actions":
        return None
    for action in payload.get("actions") or []:
        if action.get("action_id") in HANDLERS:
            try:
                key, event_id = parse_action_value(str(action.get("value") or ""))
            except ValueError:
                return None
            return Click(
                action_id=action["action_id"],
                key=key,
                event_id=event_id,
                message=payload.get("message") or {},
                **where_pressed(payload),
            )
    return None


async def press(ops: ChatOps, click: Click) -> Reply | None:
    """Do what the button says; a Reply (for the presser only) when something went wrong."""
    return await HANDLERS[click.action_id](ops, click)


async def acknowledge(ops: ChatOps, click: Click) -> Reply | None:
    """Mark the thread acknowledged, show it on the message and log it in the thread."""
    entry = await ops.history.get(click.event_id)
    found = await _parent(ops, click, entry)
    if found is not None and found[1].acknowledged_by:
        return Reply(f"Already acknowledged by {found[1].acknowledged_by}.")
    if found is not None:
        await ops.threads.save(found[0], click.key, replace(found[1], acknowledged_by=click.user))
    notes = {"acknowledged_by": click.user, "acknowledged_at": datetime.now(UTC).isoformat()}
    if muted := await _thread_silence(ops, click.key):
        notes["muted_until"] = muted.ends_at.isoformat()
    log.info("chatops acknowledge", user=click.user_id, key=click.key, event_id=click.event_id)
    text = f"Acknowledged by {click.user}"
    return await _show(ops, click, entry, found, notes, text, f":eyes: {text}")


async def mute(ops: ChatOps, click: Click) -> Reply | None:
    """Silence the message's thread for an hour, show it on the message and in the thread."""
    if click.key == click.event_id:
        return Reply(
            "This message has no thread to mute: `/hub mute` mutes by fields, "
            "e.g. `/hub mute source=kapacitor labels.host=web-1 1h`."
        )
    if muted := await _thread_silence(ops, click.key):
        return Reply(f"Already muted until {when(muted.ends_at)} (silence {code(muted.id)}).")
    # The key is a literal, whatever it holds: `kapacitor:*` must not become a glob.
    silence, announced = await ops.silences.add(
        {"threadkey": literal(click.key)}, MUTE_FOR, "Mute 1h button", f"slack:{click.user_id}"
    )
    entry = await ops.history.get(click.event_id)
    found = await _parent(ops, click, entry)
    notes = {"muted_until": silence.ends_at.isoformat()}
    if found is not None and found[1].acknowledged_by:
        notes["acknowledged_by"] = found[1].acknowledged_by
    log.info("chatops mute button", user=click.user_id, key=click.key, silence=silence.id)
    text = f"Muted for 1h by {click.user} (silence {code(silence.id)})"
    line = f":mute: Muted until {when(silence.ends_at)} by {click.user}"
    problem = await _show(ops, click, entry, found, notes, text, line)
    late = unconfirmed(announced)
    if late is None:
        return problem
    return Reply(" ".join(r for r in (problem and problem.text, f"Muted, but {late}.") if r))


async def _thread_silence(ops: ChatOps, threadkey: str) -> Silence | None:
    """The silence in force that mutes exactly this thread, if any."""
    now = datetime.now(UTC)
    for silence in await ops.silences.list():
        if dict(silence.matchers) == {"threadkey": literal(threadkey)} and silence.active(now):
            return silence
    return None


async def _parent(ops: ChatOps, click: Click, entry: Entry | None) -> tuple[str, Parent] | None:
    if click.key == click.event_id:
        return None
    # The deliverer keys threads by the channel as routes.yaml names it; the history knows
    # those names, and Slack tells us the channel's name and ID.
    names = [*(entry.channels if entry else ()), f"#{click.channel_name}", click.channel_id]
    return await ops.find_parent(names, click.channel_id, click.key)


async def _show(
    ops: ChatOps,
    click: Click,
    entry: Entry | None,
    found: tuple[str, Parent] | None,
    notes: dict[str, str],
    text: str,
    line: str,
) -> Reply | None:
    """Update the pressed message with `notes` (or, for a forgotten event, `line`) and reply
    `text` in its thread."""
    if found is not None:
        parent = found[1]
        notes = {"since": parent.since, **notes}
        if parent.updates:
            notes["updates"] = str(parent.updates)
    if entry is not None:
        message = ops.renderer.render(
            entry.event, entry.routes, interactive=True, annotations=notes
        )
    else:
        drop = ACK_ACTION if click.action_id == ACK_ACTION else None
        message = annotated(click.message, line, drop)
    problem = None
    try:
        await ops.notifier.update(click.channel_id, click.message_ts, message)
    except DeliveryError as exc:
        log.warning("message not updated", error=str(exc), channel=click.channel_id)
        problem = exc.reason
    thread_ts = found[1].ts if found is not None else click.message_ts
    if not await ops.reply_in_thread(click.channel_id, thread_ts, text):
        problem = problem or "the thread reply failed"
    if problem is not None:
        return Reply(f"Done, but Slack did not take every change ({code(problem)}).")
    return None


def annotated(message: Mapping[str, Any], line: str, drop: str | None) -> dict[str, Any]:
    """`message` with a context `line` added and button `drop` removed: for events hub forgot."""
    result: dict[str, Any] = {"text": message.get("text") or line}
    blocks = list(message.get("blocks") or [])
    attachments = [dict(a) for a in message.get("attachments") or []]
    if attachments:
        attachments[0]["blocks"] = _noted(attachments[0].get("blocks") or [], line, drop)
        result["attachments"] = attachments
    else:
        blocks = _noted(blocks, line, drop)
    return result | ({"blocks": blocks} if blocks else {})


def _noted(blocks: list[dict[str, Any]], line: str, drop: str | None) -> list[dict[str, Any]]:
    """`blocks` with a context `line` above the buttons (or last), and button `drop` gone."""
    note: dict[str, Any] | None = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": line}],
    }
    noted: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") != "actions":
            noted.append(block)
            continue
        if note is not None:
            noted.append(note)
            note = None
        kept = [e for e in block.get("elements") or [] if e.get("action_id") != drop]
        if kept:
            noted.append({**block, "elements": kept})
    return [*noted, note] if note is not None else noted


HANDLERS: dict[str, Callable[[ChatOps, Click], Awaitable[Reply | None]]] = {
    ACK_ACTION: acknowledge,
    MUTE_ACTION: mute,
}
