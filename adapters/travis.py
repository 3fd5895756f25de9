"""Travis CI build notifications: an RSA-SHA1 signed `payload=<JSON>` form post per build."""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from adapters.payload import (
    clip,
    commit_sha,
    escape,
    first_line,
    form_unquote,
    human_duration,
    labels,
    link,
    number_text,
    one_line,
    parse_object,
    require_secret,
    seconds,
    slug,
    string,
    timestamp,
    web_url,
)
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.event import Event
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"

# Keyed by the snake-cased status message, which knows fixed/broken; the raw state does not.
_SEVERITY = {
    "passed": Severity.SUCCESS,
    "fixed": Severity.SUCCESS,
    "failed": Severity.ERROR,
    "broken": Severity.ERROR,
    "still_failing": Severity.ERROR,
    "errored": Severity.ERROR,
    "canceled": Severity.WARNING,
}
_VERB = {"created": "was created", "queued": "is queued", "canceled": "was canceled"}
_PENDING = {"created", "queued", "received", "started"}


class TravisAdapter:
    """Verifies Travis's payload signature and turns a build payload into a build event."""

    name = "travis"
    secret_env = "HUB_TRAVIS_PUBLIC_KEY"  # noqa: S105 - the name of the variable holding the secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless `Signature` is the RSA-SHA1 signature of the payload."""
        require_secret(secret, self.secret_env, "Travis's public key")
        header = request.headers.get("Signature", "").strip()
        if not header:
            raise VerificationError("missing Signature header: Travis signs every webhook payload")
        try:
            signature = base64.b64decode(header, validate=True)
        except ValueError:
            raise VerificationError("the Signature header is not valid base64") from None
        key = _public_key_or_refuse(secret)
        try:
            key.verify(signature, _signed_payload(request), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - Travis signs with SHA-1; we cannot choose
        except InvalidSignature:
            raise VerificationError(
                "the Signature does not match the payload: check that HUB_TRAVIS_PUBLIC_KEY is the"
                " key from your Travis API's /config (notifications.webhook.public_key)"
            ) from None

    def signed_content(self, request: WebhookRequest) -> bytes:
        """The payload: Travis signs no delivery id and no time."""
        return _signed_payload(request)

    def normalize(self, request: WebhookRequest) -> Event:
        """The `travis.build.<state>` event of one build notification."""
        raw = _signed_payload(request)
        build = parse_object(raw, "Travis payload")
        state = slug(build.get("state"))
        if not state:
            raise BadPayload("the Travis payload has no build `state`")
        status = slug(build.get("status_message")) or slug(build.get("result_message"))
        status = status or ("pending" if state in _PENDING else state)
        repo = _repo(build) or string(request.headers.get("Travis-Repo-Slug"))
        number = string(build.get("number"))
        pr_number = string(build.get("pull_request_number")) if _is_pr(build) else None
        commit = string(build.get("commit"))
        duration = seconds(build.get("duration"))
        return Event(
            id=body_id(self.name, raw),
            source=self.name,
            type=f"travis.build.{state}",
            time=timestamp(build.get("finished_at"))
            or timestamp(build.get("started_at"))
            or request.received_at,
            receivedat=request.received_at,
            severity=_SEVERITY.get(status, Severity.INFO),
            state=status,
            subject=f"{repo} build #{number}" if repo and number else None,
            threadkey=f"travis:{repo}:build:{number}" if repo and number else None,
            title=_title(build, repo, number, pr_number, state, status),
            text=_text(build, pr_number, commit, duration),
            url=web_url(build.get("build_url")),
            actor=string(build.get("author_name")) or string(build.get("committer_name")),
            repo=repo,
            branch=string(build.get("branch")),
            labels=labels(
                {
                    "build_type": string(build.get("type")),
                    "pull_request_number": pr_number,
                    "tag": string(build.get("tag")),
                    "commit": commit_sha(commit),
                    "status_message": status,
                    "duration": human_duration(duration) if duration is not None else None,
                    "duration_seconds": number_text(duration) if duration is not None else None,
                }
            ),
            data=build,
        )


def _signed_payload(request: WebhookRequest) -> bytes:
    """The signed payload: the url-decoded `payload` form field, or a raw JSON body."""
    found: bytes | None = request.memo.get("travis_payload")
    if found is None:
        found = request.memo["travis_payload"] = _payload_of(request)
    return found


def _payload_of(request: WebhookRequest) -> bytes:
    content_type = request.content_type
    sniffed_form = not content_type and request.body.lstrip().startswith(b"payload=")
    if content_type == _FORM or sniffed_form:
        for pair in request.body.split(b"&"):
            name, _, value = pair.partition(b"=")
            if form_unquote(name) == b"payload":
                return form_unquote(value)
        raise BadPayload("the form body has no `payload` field; Travis posts payload=<JSON>")
    if content_type in (_JSON, ""):
        return request.body
    raise UnsupportedMediaType(f"Content-Type {content_type!r} is not {_FORM} or {_JSON}")


def _public_key_or_refuse(pem: str) -> rsa.RSAPublicKey:
    try:
        return _public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise VerificationError(
            "HUB_TRAVIS_PUBLIC_KEY is not a PEM RSA public key; cannot verify Travis signatures"
        ) from None


@functools.lru_cache(maxsize=8)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    # Keys pasted into one-line environment variables often carry literal "\n" sequences.
    text = pem.strip().replace("\\n", "\n")
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def _repo(build: dict[str, Any]) -> str | None:
    repository = build.get("repository")
    if not isinstance(repository, dict):
        return None
    owner, name = string(repository.get("owner_name")), string(repository.get("name"))
    return f"{owner}/{name}" if owner and name else None


def _is_pr(build: dict[str, Any]) -> bool:
    return build.get("pull_request") is True or build.get("type") == "pull_request"


def _title(
    build: dict[str, Any],
    repo: str | None,
    number: str | None,
    pr_number: str | None,
    state: str,
    status: str,
) -> str:
    branch = string(build.get("branch"))
    where = repo or "an unknown repository"
    if pr_number:
        where += f" PR #{pr_number}" + (f" into {branch}" if branch else "")
    elif branch:
        where += f"@{branch}"
    verb = _VERB.get(state, state.replace("_", " "))
    # fixed / broken / still failing add news the raw state does not carry.
    if status not in (state, "pending"):
        verb += f" ({status.replace('_', ' ')})"
    build_name = f"Build #{number}" if number else "Build"
    return one_line(f"{build_name} of {where} {verb}")


def _text(
    build: dict[str, Any], pr_number: str | None, commit: str | None, duration: float | None
) -> str:
    lines: list[str] = []
    message = first_line(string(build.get("message")) or "")
    if message:
        lines.append(escape(clip(message, 300)))
    pr_title = string(build.get("pull_request_title"))
    if pr_number and pr_title:
        lines.append(f"Pull request #{pr_number}: {escape(one_line(pr_title))}")
    author = string(build.get("author_name")) or string(build.get("committer_name"))
    who = " ".join(
        part
        for part in (
            f"Commit {link(web_url(build.get('compare_url')), commit[:7])}" if commit else "",
            f"by {escape(one_line(author))}" if author else "",
        )
        if part
    )
    took = f"took {human_duration(duration)}" if duration is not None else ""
    facts = " · ".join(part for part in (who, took) if part)
    if facts:
        lines.append(facts)
    return "\n".join(lines)


ADAPTER = TravisAdapter()
