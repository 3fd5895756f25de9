"""Actions from Slack: a run button pressed, and `/hub run <action> [key=value…]`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.blocks import button
from adapters.slack.buttons import (
    RUN_ACTION_PREFIX,
    RunValue,
    confirm_dialog,
    parse_run_value,
    run_value,
    where_pressed,
)
from hub.actions.params import BadParams, from_event, resolve
from hub.actions.record import action_event
from hub.actions.request import ActionRunner, Outcome, Request
from hub.chatops.context import ChatOps, Command
from hub.chatops.reply import Later, Reply, UsageError, code, escape
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.metrics import ACTIONS

log = get_logger("hub.actions")

OFF = "No actions are declared: write actions.yaml (HUB_ACTIONS) to run things from Slack."
_ICON = {
    "done": ":arrow_forward:",
    "failed": ":x:",
    "refused": ":no_entry:",
    "limited": ":hourglass:",
}


@dataclass(frozen=True)
class RunPress:
    """One press of a run button, from Slack's `block_actions` payload."""

    value: RunValue
    user_id: str
    channel_id: str
    channel_name: str
    message_ts: str
    press: str
    """Slack's trigger id and action time: the same for a repeat of this very request."""


def run_press_of(payload: Mapping[str, Any]) -> RunPress | None:
    """The run button pressed in `payload`; None for anything else."""
    if payload.get("type") != "block_actions":
        return None
    for action in payload.get("actions") or []:
        if not str(action.get("action_id") or "").startswith(RUN_ACTION_PREFIX):
            continue
        try:
            value = parse_run_value(str(action.get("value") or ""))
        except ValueError:
            return None
        return RunPress(
            value=value,
            press=f"{payload.get('trigger_id', '')}:{action.get('action_ts', '')}",
            **where_pressed(payload),
        )
    return None


async def pressed(ops: ChatOps, press: RunPress) -> Reply | None:
    """Run the pressed button's action; a Reply (for the presser only) on refusal or failure."""
    if ops.actions is None:
        return Reply(OFF)
    value = press.value
    entry = await ops.history.get(value.event_id) if value.event_id else None
    event = entry.event if entry is not None else None
    found = {**value.params, **({"event": value.event_id} if value.event_id else {})}
    request = Request(value.name, press.user_id, f"press:{press.press}", found, {}, event)
    outcome = await ops.actions.run(request)
    await _record(ops, request, outcome, "button")
    if outcome.result == "repeat":
        return None
    if outcome.result != "done":
        return Reply(f"{_ICON[outcome.result]} {outcome.text}")
    note = _note(press.user_id, outcome, event)
    if value.key and value.event_id:
        names = [*(entry.channels if entry else ()), f"#{press.channel_name}", press.channel_id]
        found_parent = None
        if value.key != value.event_id:
            found_parent = await ops.find_parent(names, press.channel_id, value.key)
        thread_ts = found_parent[1].ts if found_parent is not None else press.message_ts
        if await ops.reply_in_thread(press.channel_id, thread_ts, note):
            return None
        return Reply(f"{note}\n(The note could not be posted in the thread.)")
    return Reply(note, in_channel=True)


async def run_command(ops: ChatOps, command: Command, args: str) -> Reply | Later:
    """`/hub run`: the actions you may run, or run one with `key=value` parameters."""
    runner = ops.actions
    if runner is None:
        return Reply(OFF)
    name, _, rest = args.partition(" ")
    if not name:
        return _listing(runner)
    given = _key_values(rest)
    request = Request(name, command.user_id, f"command:{command.trigger_id}", {}, given)
    checked = await runner.check(request)
    if isinstance(checked, Outcome):
        await _record(ops, request, checked, "command")
        return Reply(f"{_ICON[checked.result]} {checked.text}")
    event: Event | None = None
    found: dict[str, str] = {}
    if "event" in given:
        entry = await ops.history.get(given["event"])
        if entry is None:
            return Reply(f"hub has no event {code(given['event'])} in its history.")
        event = entry.event
        found = from_event(event)
    try:
        resolve(checked, found, given)
    except BadParams as exc:
        return Reply(f":x: {exc}")
    if checked.confirm:
        return _confirmation(
            checked.name,
            checked.button.label if checked.button else checked.name,
            event,
            {**found, **given},
        )
    request = Request(name, command.user_id, request.press, found, given, event)

    async def work() -> Reply:
        outcome = await runner.run(request)
        await _record(ops, request, outcome, "command")
        if outcome.result != "done":
            return Reply(f"{_ICON[outcome.result]} {outcome.text}")
        note = _note(command.user_id, outcome, event)
        if event is not None and event.threadkey:
            names = [*command.channels]
            entry = await ops.history.get(event.id)
            names[:0] = entry.channels if entry else ()
            parent = await ops.find_parent(names, command.channel_id, event.threadkey)
            if parent is not None and await ops.reply_in_thread(
                command.channel_id, parent[1].ts, note
            ):
                return Reply(f"Done; noted in the event's thread. {outcome.text}")
        return Reply(note, in_channel=True)

    return Later(Reply(f":hourglass_flowing_sand: Running {code(name)}…"), work)


def _listing(runner: ActionRunner) -> Reply:
    actions = runner.table().actions
    if not actions:
        return Reply("actions.yaml declares no actions.")
    lines = []
    for action in actions:
        about = f" — {escape(action.description)}" if action.description else ""
        takes = " ".join(f"{k}=…" for k in action.accepts if k != "event")
        lines.append(f"{code(action.name)} ({action.kind}){about}\n    takes {takes}")
    return Reply(
        "*Actions* (`/hub run <action> [key=value…]`)",
        tuple(lines),
        note="event=<event-id> takes the parameters from an event, as its button would.",
    )


def _confirmation(name: str, label: str, event: Event | None, params: dict[str, str]) -> Reply:
    """The answer to `/hub run` of an action marked confirm: a button that asks once more."""
    params.pop("event", None)
    key = (event.threadkey or event.id) if event is not None else ""
    value = run_value(name, key, event.id if event is not None else "", params)
    if value is None:
        return Reply("Those parameters are too long for a Slack button.")
    shown = " ".join(f"{k}={v}" for k, v in params.items())
    element = button(label, RUN_ACTION_PREFIX + name, value=value, style="danger")
    element["confirm"] = confirm_dialog(label, f"{name} {shown}".strip())
    return Reply(
        f"{code(name)} asks for confirmation: {escape(shown) or 'no parameters'}",
        buttons=(element,),
    )


def _key_values(text: str) -> dict[str, str]:
    given: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"Expected key=value, got {code(word)}.")
        if key in given:
            raise UsageError(f"{code(key)} is given twice.")
        given[key] = value
    return given


def _note(user_id: str, outcome: Outcome, event: Event | None) -> str:
    """The thread note: who ran which action, what it did, and the link to what it started."""
    action = outcome.action
    label = (
        action.button.label
        if action is not None and action.button
        else (action.name if action else "?")
    )
    url = outcome.url or (event.url if event is not None else None)
    link = f" <{url}|the new run>" if url else ""
    return f"{_ICON['done']} <@{user_id}> ran *{escape(label)}*: {outcome.text}.{link}"


async def _record(ops: ChatOps, request: Request, outcome: Outcome, via: str) -> None:
    """One JSON log line, a metric, and a `hub.action.<name>` event in the stream."""
    action = outcome.action
    log.info(
        "action",
        action=request.name,
        kind=action.kind if action is not None else None,
        outcome=outcome.result,
        user=request.user_id,
        via=via,
        params=dict(outcome.params or request.given),
        message=outcome.text,
        url=outcome.url,
    )
    ACTIONS.labels(
        action=action.name if action is not None else "(unknown)", outcome=outcome.result
    ).inc()
    if outcome.result == "repeat":
        return
    event = action_event(request, outcome, via)
    try:
        await ops.broker.publish_event(event)
        await ops.history.record_event(event)
    except Exception as exc:
        log.warning("action event not published", error=str(exc), action=request.name)
