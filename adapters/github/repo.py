"""GitHub repository events: pushes, refs, releases, stars, pings, and any other event."""

from __future__ import annotations

from urllib.parse import quote

from adapters.github.delivery import (
    Delivery,
    Node,
    excerpt,
    first_time,
    flag,
    lines,
    phrase,
    short,
    words,
)
from adapters.payload import Summary, commit_sha, escape, link

_RELEASE_ACTIONS = {"released": "published {}", "prereleased": "published pre-{}"}
_MAX_COMMITS = 10


def _split_ref(ref: str) -> tuple[str | None, str]:
    for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if ref.startswith(prefix) and len(ref) > len(prefix):
            return kind, ref.removeprefix(prefix)
    return None, ref or "?"


def _commit_line(commit: Node) -> str:
    sha = commit["id"].as_str() or "?"
    message = (commit["message"].as_str() or "").strip().split("\n", 1)[0]
    author = commit["author"]["username"].as_str() or commit["author"]["name"].as_str()
    by = f" – {escape(author)}" if author else ""
    return f"{link(commit['url'].as_url(), sha[:7])} {escape(short(message, 100))}{by}"


def push(d: Delivery) -> Summary:
    """A push to a branch or tag: commits listed; a deleted ref has none and no head_commit."""
    kind, name = _split_ref(d.body["ref"].as_str() or "")
    commits = d.body["commits"].items()
    deleted, created = d.body["deleted"].as_bool(), d.body["created"].as_bool()
    forced = d.body["forced"].as_bool()
    count = f"{len(commits)} commit{'' if len(commits) == 1 else 's'}"
    if deleted:
        title = f"{d.who} deleted {kind or 'ref'} {name} in {d.where}"
    elif kind == "tag":
        title = f"{d.who} pushed tag {name} to {d.where}"
    elif created:
        title = f"{d.who} created {kind or 'ref'} {name} in {d.where}"
        title += f" with {count}" if commits else ""
    else:
        title = f"{d.who} {'force-pushed' if forced else 'pushed'} {count} to {name} in {d.where}"
    shown = [_commit_line(c) for c in commits[:_MAX_COMMITS]]
    more = len(commits) - _MAX_COMMITS
    return Summary(
        title=title,
        state="deleted" if deleted else "created" if created else "forced" if forced else "pushed",
        subject=f"{d.where} {name}" if kind == "tag" else f"{d.where}@{name}",
        threadkey=d.key("push", name) if kind == "branch" else None,
        text=lines(*shown, f"… and {more} more" if more > 0 else None),
        url=d.body["compare"].as_url() or d.repo_url,
        branch=name if kind == "branch" else None,
        time=first_time(d.body["head_commit"]["timestamp"], d.body["repository"]["pushed_at"]),
        labels={
            "ref_type": kind,
            "tag": name if kind == "tag" else None,
            "forced": flag(forced),
            "commit": commit_sha(d.body["after"].value),
        },
    )


def create_or_delete(d: Delivery) -> Summary:
    ref_type, ref = d.body["ref_type"].as_str(), d.body["ref"].as_str() or "?"
    verb = "created" if d.event == "create" else "deleted"
    url = d.repo_url
    if url and verb == "created" and ref_type in ("branch", "tag"):
        url += ("/tree/" if ref_type == "branch" else "/releases/tag/") + quote(
            ref, safe="/", errors="replace"
        )
    return Summary(
        title=f"{d.who} {verb} {ref_type or 'ref'} {ref} in {d.where}",
        state=verb,
        subject=f"{d.where}@{ref}" if ref_type == "branch" else f"{d.where} {ref}",
        threadkey=d.key("push", ref) if ref_type == "branch" else None,
        url=url,
        branch=ref if ref_type == "branch" else None,
        labels={"ref_type": ref_type, "tag": ref if ref_type == "tag" else None},
    )


def release(d: Delivery) -> Summary:
    rel = d.body["release"]
    tag, name = rel["tag_name"].as_str(), rel["name"].as_str()
    draft, prerelease = rel["draft"].as_bool(), rel["prerelease"].as_bool()
    if d.action in ("deleted", "unpublished"):
        state: str = d.action
    else:
        state = "draft" if draft else "prerelease" if prerelease else "published"
    noun = f"release {tag or name or '?'}"
    return Summary(
        title=d.titled(phrase(d.action, noun, _RELEASE_ACTIONS), name if name != tag else None),
        state=state,
        subject=f"{d.where} {tag}" if tag else d.repo,
        threadkey=d.key("release", tag),
        text=excerpt(rel["body"].as_str()),
        url=rel["html_url"].as_url(),
        time=first_time(rel["published_at"], rel["created_at"]),
        labels={
            "tag": tag,
            "target": rel["target_commitish"].as_str(),
            "draft": flag(draft),
            "prerelease": flag(prerelease),
        },
    )


def star(d: Delivery) -> Summary:
    stars = d.body["repository"]["stargazers_count"].as_int()
    return Summary(
        title=f"{d.who} {'unstarred' if d.action == 'deleted' else 'starred'} {d.where}",
        subject=d.repo,
        text=f"{stars} star{'' if stars == 1 else 's'}" if stars is not None else "",
        url=d.repo_url,
        time=d.body["starred_at"].as_time(),
    )


def ping(d: Delivery) -> Summary:
    """Sent when a hook is created: says the hook works, with GitHub's zen quote."""
    hook = d.body["hook"]
    hook_id = d.body["hook_id"].as_str() or hook["id"].as_str()
    zen = d.body["zen"].as_str()
    events = ", ".join(f"`{escape(e)}`" for n in hook["events"].items() if (e := n.as_str()))
    app_id = hook["app_id"].as_str()
    scope = d.where if d.where != "GitHub" or not app_id else f"GitHub App {app_id}"
    return Summary(
        title=f"GitHub webhook{f' {hook_id}' if hook_id else ''} is working for {scope}",
        subject=scope,
        text=lines(zen and f"_{escape(short(zen, 500))}_", events and f"Events: {events}"),
        url=d.repo_url,
        labels={"hook_id": hook_id, "hook_type": hook["type"].as_str()},
    )


def generic(d: Delivery) -> Summary:
    """Any other event: titled from event, repository and sender; threads with its PR or issue."""
    primary = d.body[d.event]
    parents = (("pr", d.body["pull_request"]), ("issue", d.body["issue"]))
    kind, parent = next(((k, n) for k, n in parents if n["number"].as_int()), ("", Node(None)))
    number = parent["number"].as_int()
    name = primary["title"].as_str() or primary["name"].as_str()
    action = f" {words(d.action)}" if d.action else ""
    where = f"on {d.numbered(number)}" if number is not None else f"in {d.where}"
    title = f"{words(d.event).capitalize()}{action} {where} by {d.who}"
    return Summary(
        title=title + (f": {short(name)}" if name else ""),
        subject=d.numbered(number) if number is not None else d.where,
        threadkey=d.key(kind, number) if kind else None,
        text=excerpt(primary["body"].as_str() or primary["description"].as_str()),
        url=primary["html_url"].as_url() or parent["html_url"].as_url() or d.repo_url,
        time=first_time(primary["updated_at"], primary["created_at"]),
    )
