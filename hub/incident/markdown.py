"""The after-action report draft in Markdown: what the team fills in after an incident."""

from __future__ import annotations

import re

from hub.incident.relate import Related
from hub.incident.report import Report, clock, iso, span

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
WHYS = 5


def markdown(report: Report) -> str:
    """The draft: Summary, Impact, Timeline, What changed before it, 5 Whys, Action items."""
    return "\n".join(
        [
            f"# After-action report: {text(report.first.title)}",
            "",
            f"_Draft from hub's event history, {iso(report.now)}. Times are UTC, when hub "
            f"received each event; the timeline covers {span(report.before)} before the first "
            "alert up to its resolution._",
            "",
            *_summary(report),
            *_impact(report),
            *_timeline(report),
            *_changes(report),
            *_whys(report),
            "## Action items",
            "",
            "- [ ] _What will be done, by whom, by when_",
            "",
        ]
    )


def text(value: str) -> str:
    """Plain text made literal in Markdown."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def linked(item: Related) -> str:
    """The event's title, linked to the event where it has a link."""
    title, url = text(item.event.title), item.event.url
    if not url:
        return title
    return f"[{title}]({url.replace('(', '%28').replace(')', '%29')})"


def line(item: Related) -> str:
    """One timeline line: `- 14:02:07 · github · <title> — same repo acme/api`."""
    e = item.event
    return f"- {clock(e.receivedat)} · {e.source} · {linked(item)} — {item.reason}"


def summary_line(report: Report) -> str:
    """One sentence: what happened, when, how long, and the last change before it."""
    began = f"{report.first.title} began at {clock(report.start)} UTC"
    if report.resolution is not None:
        lasted = f"was resolved after {span(report.duration)}"
    else:
        lasted = f"has lasted {span(report.duration)} so far"
    last = report.last_change
    change = (
        f" The last change before it: {last.event.title} at {clock(last.event.receivedat)}."
        if last
        else f" No change to the same repo or service in the {span(report.before)} before it."
    )
    return f"{began} and {lasted}.{change}"


def _summary(report: Report) -> list[str]:
    return ["## Summary", "", text(summary_line(report)), ""]


def _impact(report: Report) -> list[str]:
    first = report.first
    rows = [
        "## Impact",
        "",
        f"- **First alert:** {clock(report.start)} · {first.source} · {text(first.title)}",
    ]
    if report.resolution is not None:
        rows.append(f"- **Resolved:** {clock(report.end)} · {text(report.resolution.title)}")
    else:
        rows.append(f"- **Not resolved** as of {clock(report.now)}")
    rows.append(f"- **Duration:** {span(report.duration)}")
    rows.append("- **What fired:**")
    rows += [
        f"  - {clock(r.event.receivedat)} · {r.event.source} · {linked(r)} ({r.event.severity})"
        for r in report.fired
    ]
    rows += ["- **Who or what was affected:** _to fill in_", ""]
    return rows


def _timeline(report: Report) -> list[str]:
    rows = ["## Timeline", ""]
    rows += [line(item) for item in report.timeline] or ["_No events in the window._"]
    if report.groups:
        rows += ["", "Events of one commit:", ""]
        rows += [f"- {text(group.line())}" for group in report.groups]
    return [*rows, ""]


def _changes(report: Report) -> list[str]:
    rows = ["## What changed before it", ""]
    last = report.last_change
    if last is None:
        rows.append(
            f"Nothing hub saw changed the same repo or service in the {span(report.before)} "
            "before the first alert."
        )
        return [*rows, ""]
    ahead = span(report.start - last.event.receivedat)
    rows.append(
        f"The last change before the alert: {linked(last)} at "
        f"{clock(last.event.receivedat)}, {ahead} before it ({last.reason})."
    )
    earlier = [r for r in report.changes_before if r is not last]
    if earlier:
        rows += ["", "Before that:", ""]
        rows += [line(r) for r in reversed(earlier)]
    return [*rows, ""]


def _whys(report: Report) -> list[str]:
    rows = ["## 5 Whys", ""]
    subject = text(report.first.title)
    for n in range(1, WHYS + 1):
        question = f"Why did {subject} happen?" if n == 1 else "Why?"
        rows += [f"{n}. {question}", "   _…_"]
    rows.append("")
    rows.append("**Root cause:** _…_")
    return [*rows, ""]
