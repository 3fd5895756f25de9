"""Rendering events as Slack messages: valid Block Kit within Slack's limits, metadata, ChatOps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.attachments import BlockAttachment
from slack_sdk.models.blocks import Block

from adapters.slack.buttons import ACK_ACTION, MUTE_ACTION, parse_action_value
from adapters.slack.render import (
    COLOURS,
    MAX_BUTTON_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_SECTION_TEXT,
    render,
    render_digest,
    render_reply,
    truncate,
)
from hub.core.event import Event
from hub.core.severity import Severity

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
MAX_MESSAGE_JSON = 35_000  # ours: well under Slack's 40k, whatever the event holds


def make_event(**fields: Any) -> Event:
    """A GitHub pull-request event, with `fields` overriding its values."""
    values: dict[str, Any] = {
        "id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "source": "github",
        "type": "github.pull_request.opened",
        "time": WHEN,
        "receivedat": WHEN,
        "severity": Severity.INFO,
        "state": "opened",
        "subject": "acme/api#42",
        "threadkey": "github:acme/api:pr:42",
        "title": "acme/api#42 opened: Fix the <widget> & gadget",
        "text": "*Fix the widget* by <https://github.com/octocat|octocat>\n&gt; a quote",
        "url": "https://github.com/acme/api/pull/42",
        "actor": "octocat",
        "repo": "acme/api",
        "branch": "main",
        "labels": {"draft": "false", "head_branch": "fix/widget"},
    }
    values.update(fields)
    return Event(**values)


def alert(**fields: Any) -> Event:
    """A Kapacitor CRITICAL alert that was OK, with `fields` overriding its values."""
    values: dict[str, Any] = {
        "source": "kapacitor",
        "type": "kapacitor.alert.critical",
        "severity": Severity.CRITICAL,
        "state": "critical",
        "subject": "cpu:host=web-1",
        "threadkey": "kapacitor:cpu:host=web-1",
        "title": "CRITICAL: cpu:host=web-1 — cpu is high",
        "text": "cpu is high",
        "url": None,
        "actor": None,
        "repo": None,
        "branch": None,
        "labels": {"host": "web-1", "previous_level": "ok", "duration": "3s"},
    }
    return make_event(**(values | fields))


def attachment_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks inside the message's single, colour-barred attachment."""
    [attachment] = message["attachments"]
    blocks: list[dict[str, Any]] = attachment["blocks"]
    return blocks


def all_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level blocks, then those inside attachments."""
    nested = [b for a in message.get("attachments", []) for b in a["blocks"]]
    return [*message.get("blocks", []), *nested]


def texts(block: dict[str, Any]) -> list[str]:
    """Every text string in a block: section text, fields, context and button labels."""
    found = [block["text"]["text"]] if "text" in block else []
    found += [f["text"] for f in block.get("fields", [])]
    for element in block.get("elements", []):
        text = element["text"]
        found.append(text if isinstance(text, str) else text["text"])
    return found


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The elements of every actions block."""
    return [e for b in all_blocks(message) if b["type"] == "actions" for e in b["elements"]]


def assert_valid_message(message: dict[str, Any]) -> None:
    """Every block passes slack_sdk's validators and round-trips; every Slack limit holds."""
    blocks = all_blocks(message)
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict() == raw
        assert all(0 < len(t) <= MAX_SECTION_TEXT for t in texts(raw))
        assert len(raw.get("fields", [])) <= MAX_FIELDS
        assert all(len(f["text"]) <= MAX_FIELD_TEXT for f in raw.get("fields", []))
    for attachment in message.get("attachments", []):
        BlockAttachment(
            blocks=Block.parse_all(attachment["blocks"]),
            color=attachment["color"],
            fallback=attachment["fallback"],
        ).validate_json()
        assert len(attachment["blocks"]) <= 50
    assert len(message["blocks"]) <= 50
    assert 0 < len(message["text"]) <= MAX_FALLBACK_TEXT
    assert len(json.dumps(message, ensure_ascii=False)) < MAX_MESSAGE_JSON


MINIMAL = make_event(
    state=None, subject=None, threadkey=None, text="", url=None, actor=None, repo=None, branch=None
)
HUGE_FIELDS: dict[str, Any] = {
    "severity": Severity.CRITICAL,
    "title": "T<&>" * 5_000,
    "text": "detail <https://example.com/a|link> &amp; more\n```\n" * 5_000,
    "subject": "s&" * 5_000,
    "threadkey": "k" * 5_000,
    "actor": "a" * 5_000,
    "repo": "r/" * 5_000,
    "branch": "b`" * 5_000,
    "state": "s_" * 5_000,
    "labels": {f"label-{i}-{'k' * 300}": "v&" * 3_000 for i in range(40)}
    | dict.fromkeys(
        ("previous_level", "duration", "culprit", "labels", "tag", "review_state"), "<" * 5_000
    ),
    "url": "https://example.com/" + "p" * 2_900,
}
HUGE_NOTES = dict.fromkeys(
    ("acknowledged_by", "acknowledged_at", "muted_until", "previous_state", "since"),
    "<@U1>" * 2_000,
) | {"updates": "9" * 5_000}
_PERSON = {"login": "l<" * 3_000, "name": "n&" * 3_000}
_ITEM = {
    "user": _PERSON,
    "body": "b<" * 5_000,
    "requested_reviewers": [_PERSON] * 200,
    "requested_teams": [_PERSON] * 200,
    "assignees": [_PERSON] * 200,
    "html_url": "https://example.com/" + "h" * 2_900,
    "additions": 10**300,
    "status": "completed",
    "started_at": "2024-05-01T12:00:00Z",
    "completed_at": "2024-05-01T13:00:00Z",
}
HUGE_DATA = {
    "number": "9" * 5_000,
    "commit": "a" * 40,
    "message": "m<" * 5_000,
    "pull_request_title": "p" * 5_000,
    "matrix": [{"state": f"s{i}" * 300} for i in range(200)],
    "compare_url": "https://x/" + "c" * 2_990,
    "repository": {"url": "https://example.com/" + "r" * 2_900, "html_url": "https://e/" * 300},
    "commits": [{}] * 5_000,
    "data": {"issue": {"userCount": "u" * 5_000}},
} | dict.fromkeys(("pull_request", "review", "issue", "workflow_run", "check_run"), _ITEM)
HUGE_FIELDS["data"] = HUGE_DATA
TYPES = [
    "github.pull_request.opened",
    "github.pull_request_review.submitted",
    "github.issue_comment.created",
    "github.push",
    "github.workflow_run.completed",
    "github.release.published",
    "github.ping",
    "travis.build.failed",
    "kapacitor.alert.critical",
    "sentry.issue.created",
    "sentry.event_alert.triggered",
    "fifth.thing.happened",
    "x" * 3_000,
]


def huge(event_type: str, url_length: int = 2_900) -> Event:
    """An event of `event_type` with every field, label and payload value far over any limit."""
    url = "https://example.com/" + "p" * (url_length - 20)
    values = HUGE_FIELDS | {"url": url}
    return make_event(source=event_type.split(".")[0], type=event_type, **values)


@pytest.mark.parametrize(
    "event",
    [make_event(severity=s) for s in Severity] + [MINIMAL, alert()],
    ids=[*Severity, "minimal", "alert"],
)
def test_every_message_validates_with_slack_sdk_models(event: Event) -> None:
    """Standalone, interactive, annotated, reply and digest messages all pass slack_sdk's checks."""
    notes = {"acknowledged_by": "<@U024BE7LH>", "since": WHEN.isoformat(), "updates": "3"}
    assert_valid_message(render(event, ["backend-ci"]))
    assert_valid_message(render(event, ["r"], interactive=True, annotations=notes))
    assert_valid_message(render_reply(event, ["backend-ci"], mention=["<!here>"]))
    assert_valid_message(render_digest([event, MINIMAL], ["backend-ci"], reason="burst"))


@pytest.mark.parametrize("event_type", TYPES, ids=[t[:40] for t in TYPES])
def test_enormous_event_is_truncated_within_every_slack_limit(event_type: str) -> None:
    """Huge titles, texts, labels, mentions and annotations are cut to fit, in every renderer."""
    mention = ["<!here>"] * 2_000
    # 1000 characters is the longest URL still linked inside text, 2900 one only buttons take.
    for event in (huge(event_type), huge(event_type, url_length=1_000)):
        message = render(event, ["r"], mention, interactive=True, annotations=HUGE_NOTES)
        assert_valid_message(message)
        assert message["text"].endswith("…")
        assert_valid_message(render_reply(event, ["r"], mention))
        assert_valid_message(render_digest([event] * 100, ["r"], reason="x" * 5_000))


def test_truncation_never_leaves_half_a_link_or_entity() -> None:
    """A cut that would fall inside `<url|text>` or `&amp;` drops that whole token instead."""
    assert truncate("see <https://example.com/long|here>", 20) == "see …"
    assert truncate("fish &amp; chips", 9) == "fish …"
    assert truncate("short", 5) == "short"


def test_truncation_inside_a_code_block_closes_it() -> None:
    """A cut inside ``` leaves the code block closed, so the rest of Slack's view is not code."""
    cut = truncate("values\n```\n" + "1  2\n" * 100 + "```", 40)
    assert len(cut) <= 40
    assert cut.endswith("…\n```")


def test_header_is_a_top_level_section_shown_once() -> None:
    """The title line is the top-level block; `text` is only the notification fallback."""
    message = render(make_event(severity=Severity.ERROR), [])
    [header] = message["blocks"]
    assert header["text"]["text"] == (
        ":x: *<https://github.com/acme/api/pull/42|"
        "acme/api#42 opened: Fix the &lt;widget&gt; &amp; gadget>*"
    )
    assert message["text"] == ":x: acme/api#42 opened: Fix the &lt;widget&gt; &amp; gadget"
    details = json.dumps(attachment_blocks(message))
    assert "Fix the &lt;widget&gt;" not in details


def test_event_text_is_kept_as_mrkdwn_in_the_coloured_attachment() -> None:
    """A generic event's mrkdwn text is the first block beside the colour bar, not re-escaped."""
    event = make_event(source="fifth", type="fifth.thing.happened")
    assert attachment_blocks(render(event, []))[0]["text"]["text"] == event.text


def test_mentions_lead_the_header_and_the_fallback_text() -> None:
    """Mentions come first in the header and in `text`, where Slack notifies the people named."""
    message = render(make_event(), [], mention=["<!subteam^S0123ABC>", "<@U024BE7LH>"])
    assert message["text"].startswith("<!subteam^S0123ABC> <@U024BE7LH> :information_source: ")
    assert message["blocks"][0]["text"]["text"].startswith("<!subteam^S0123ABC> <@U024BE7LH> ")


def test_too_many_mentions_are_dropped_whole() -> None:
    """Mentions past the budget are left out entirely, never cut into a broken `<!subt…`."""
    header = render(make_event(), [], mention=["<!subteam^S0123ABC>"] * 500)["blocks"][0]
    mentions = header["text"]["text"].split(" :information_source: ")[0].split(" ")
    assert 1 < len(mentions) < 500
    assert set(mentions) == {"<!subteam^S0123ABC>"}


def test_metadata_names_the_event_and_its_routes() -> None:
    """Every message carries hub_event metadata with the event id and the routes that sent it."""
    for message in (
        render(make_event(), ("backend-ci", "firehose")),
        render_reply(make_event(), ("backend-ci", "firehose")),
    ):
        assert message["metadata"] == {
            "event_type": "hub_event",
            "event_payload": {
                "event_ids": ["72d3162e-cc78-11e3-81ab-4c9367dc0958"],
                "routes": ["backend-ci", "firehose"],
            },
        }


def test_each_severity_has_its_own_colour() -> None:
    """The attachment's colour bar is a distinct hex colour per severity."""
    colours = [render(make_event(severity=s), [])["attachments"][0]["color"] for s in Severity]
    assert colours == [COLOURS[s] for s in Severity]
    assert len(set(colours)) == len(Severity)
    assert all(c.startswith("#") and len(c) == 7 for c in colours)


def test_unknown_source_shows_its_labels_without_registration() -> None:
    """A fifth source with no view of its own reads generically: where, who, state, labels."""
    event = make_event(source="fifth", type="fifth.thing.happened", labels={"zone_name": "eu"})
    fields = [f["text"] for b in attachment_blocks(render(event, [])) for f in b.get("fields", [])]
    assert fields == [
        "*Repo*\n`acme/api`",
        "*Branch*\n`main`",
        "*Actor*\noctocat",
        "*State*\nopened",
        "*Zone name*\neu",
    ]


def test_context_names_source_type_and_local_time() -> None:
    """The last context line shows the source, the type and the time in each reader's zone."""
    [context] = [b for b in attachment_blocks(render(make_event(), [])) if b["type"] == "context"]
    text = context["elements"][0]["text"]
    assert text.startswith("GitHub · ")
    assert text.endswith(
        "<!date^1714566600^{date_short_pretty} {time}|2024-05-01T12:30:00Z> · "
        "`github.pull_request.opened`"
    )


def test_link_buttons_open_the_event_url() -> None:
    """An event with a url gets link buttons, the main one first, with hub_link_ action ids."""
    [open_button, *_] = buttons(render(make_event(), []))
    assert open_button["url"] == "https://github.com/acme/api/pull/42"
    assert open_button["text"]["text"] == "Open"
    assert open_button["action_id"] == "hub_link_open"
    assert len(open_button["text"]["text"]) <= MAX_BUTTON_TEXT


def test_no_url_and_overlong_url_get_no_button() -> None:
    """Without a usable url (absent, or over 3000 chars) there is no link button."""
    for url in (None, "https://example.com/" + "x" * 3_000):
        assert buttons(render(make_event(url=url, source="fifth"), [])) == []


def test_interactive_alert_gets_acknowledge_and_mute_buttons() -> None:
    """An alert rendered interactively offers Acknowledge and Mute 1h naming thread and event."""
    found = {b["action_id"]: b for b in buttons(render(alert(), [], interactive=True))}
    assert set(found) == {ACK_ACTION, MUTE_ACTION}
    for button in found.values():
        assert json.loads(button["value"]) == {"k": "kapacitor:cpu:host=web-1", "e": alert().id}
        assert parse_action_value(button["value"]) == ("kapacitor:cpu:host=web-1", alert().id)


@pytest.mark.parametrize(
    ("event", "offered"),
    [
        (alert(severity=Severity.WARNING), True),
        (alert(severity=Severity.SUCCESS), False),
        (make_event(severity=Severity.ERROR), True),
        (make_event(severity=Severity.WARNING), False),
        (make_event(severity=Severity.INFO), False),
    ],
    ids=["alert-warning", "alert-ok", "build-error", "github-warning", "github-info"],
)
def test_chatops_buttons_only_where_someone_should_act(event: Event, offered: bool) -> None:
    """Errors, and an alert source's warnings, get ChatOps buttons; other events do not."""
    ids = {b["action_id"] for b in buttons(render(event, [], interactive=True))}
    assert (ACK_ACTION in ids) is offered
    assert not {ACK_ACTION, MUTE_ACTION} & {b["action_id"] for b in buttons(render(event, []))}


def test_acknowledged_alert_offers_only_mute() -> None:
    """Once someone acknowledged, the message stops asking for it."""
    notes = {"acknowledged_by": "<@U024BE7LH>"}
    ids = [
        b["action_id"] for b in buttons(render(alert(), [], interactive=True, annotations=notes))
    ]
    assert ids == [MUTE_ACTION]


def test_overlong_threadkey_falls_back_to_the_event_id() -> None:
    """A threadkey too long for Slack's 2000-character value is replaced by the event id."""
    [ack, _] = buttons(render(alert(threadkey="k" * 3_000), [], interactive=True))
    assert parse_action_value(ack["value"]) == (alert().id, alert().id)


def test_foreign_button_values_are_refused() -> None:
    """A value hub did not write is a ValueError, not a guess."""
    for value in ("", "[]", '{"k": 1, "e": "x"}', "not json"):
        with pytest.raises(ValueError, match="button value"):
            parse_action_value(value)


def test_annotations_show_who_acknowledged_and_what_changed() -> None:
    """Deliverer facts read as one context line: state since, previous, ack, mute, updates."""
    since = WHEN - timedelta(minutes=5)
    notes = {
        "since": since.isoformat(),
        "previous_state": "passed",
        "acknowledged_by": "<@U024BE7LH>",
        "acknowledged_at": "2024-05-01T12:31:00Z",
        "muted_until": "not a time <!channel>",
        "updates": "3",
        "ignored": "x",
    }
    message = render(make_event(state="failed"), [], annotations=notes)
    [line, _] = [b["elements"][0]["text"] for b in all_blocks(message) if b["type"] == "context"]
    assert line == (
        "*failed* since <!date^1714566300^{date_short_pretty} {time}|2024-05-01T12:25:00Z>"
        " · was passed"
        " · :eyes: Acknowledged by <@U024BE7LH>"
        " <!date^1714566660^{date_short_pretty} {time}|2024-05-01T12:31:00Z>"
        " · :mute: Muted until not a time &lt;!channel&gt;"
        " · :speech_balloon: 3 updates in thread"
    )


def test_acknowledged_by_that_is_not_a_mention_is_escaped() -> None:
    """Only a real user or group mention passes through; anything else cannot ping."""
    notes = {"acknowledged_by": "<!channel>"}
    message = render(alert(), [], annotations=notes)
    assert "Acknowledged by &lt;!channel&gt;" in json.dumps(message)


def test_reply_is_one_line_of_what_changed() -> None:
    """A thread reply says the transition at a glance, keeps the colour and has no buttons."""
    event = alert(
        state="ok",
        severity=Severity.SUCCESS,
        labels={"previous_level": "critical", "duration": "3s"},
    )
    message = render_reply(event, ["ops"], mention=["<!here>"])
    [line] = message["blocks"]
    assert line["text"]["text"] == (
        "<!here> :white_check_mark: *CRITICAL → OK* after 3s · `cpu:host=web-1`"
    )
    assert message["text"] == line["text"]["text"]
    assert message["attachments"][0]["color"] == COLOURS[Severity.SUCCESS]
    assert buttons(message) == []


def test_digest_lists_every_event_oldest_first_with_its_link() -> None:
    """A digest has one line per event in the given order, linked, under a counting header."""
    events = [
        make_event(id=f"e{i}", title=f"event {i}", severity=s)
        for i, s in enumerate([Severity.INFO, Severity.ERROR, Severity.SUCCESS])
    ]
    message = render_digest(events, ["backend-ci"], reason="burst")
    assert message["blocks"][0]["text"]["text"] == (
        ":x: *3 events (burst digest)* · :x: 1 :white_check_mark: 1 :information_source: 1"
    )
    lines = attachment_blocks(message)[0]["text"]["text"].split("\n")
    assert [line.split("|")[1].split(">")[0] for line in lines] == ["event 0", "event 1", "event 2"]
    assert lines[0].startswith(":information_source: <https://github.com/acme/api/pull/42|")
    assert message["attachments"][0]["color"] == COLOURS[Severity.ERROR]
    assert message["metadata"]["event_payload"] == {
        "event_ids": ["e0", "e1", "e2"],
        "routes": ["backend-ci"],
    }


def test_digest_with_a_phrase_as_reason() -> None:
    """A reason of several words reads after 'digest:'."""
    message = render_digest([make_event()], [], reason="quiet hours ended")
    assert "*1 event (digest: quiet hours ended)*" in message["blocks"][0]["text"]["text"]


def test_long_digest_shows_forty_lines_and_counts_the_rest() -> None:
    """Past forty events the digest says how many more, and still names every id in metadata."""
    events = [make_event(id=f"e{i}", title=f"event {i}") for i in range(100)]
    message = render_digest(events, [])
    shown = "\n".join(t for b in attachment_blocks(message) for t in texts(b))
    assert shown.count(":information_source:") == 40
    assert shown.endswith("_… and 60 more_")
    assert len(message["metadata"]["event_payload"]["event_ids"]) == 100


def test_empty_digest_is_refused() -> None:
    """A digest of nothing is a caller's mistake, not an empty message."""
    with pytest.raises(ValueError, match="at least one"):
        render_digest([], [])


def test_link_unfurling_is_off() -> None:
    """Links in a message do not unfurl into previews that would crowd the channel."""
    assert render(make_event(), [])["unfurl_links"] is False


@pytest.mark.parametrize("source", ["github", "travis"])
def test_event_without_its_payload_reads_generically(source: str) -> None:
    """An event built by hand, with no payload to read, still shows its text and fields."""
    event = make_event(source=source, type=f"{source}.build.failed", data=None)
    blocks = attachment_blocks(render(event, []))
    assert blocks[0]["text"]["text"] == event.text
    assert "*Branch*\n`main`" in [f["text"] for f in blocks[1]["fields"]]
