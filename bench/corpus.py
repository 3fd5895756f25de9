"""The shared fixtures as signed requests, each with a delivery id of its own.

Every sender's id rule is honoured, so hub never sees a duplicate: GitHub and Sentry name the
delivery in a header (outside the signature); Kapacitor and Travis have no delivery id, so hub
hashes the body, and each request gets a body of its own (Travis re-signed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hub.testing import signing

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MARK = "@@ID@@"
"""Where a template takes the request's unique number."""

_TRAVIS_ID = re.compile(rb'("id":\s*)(\d+)')
_KAPACITOR_DETAILS = re.compile(rb'"details":"([^"]*)"')


@dataclass(frozen=True)
class Template:
    """One fixture as a request whose unique part is `MARK` (in one header, or in the body)."""

    fixture: str
    path: str
    headers: dict[str, str]
    body: bytes

    def render(self, n: int) -> signing.Signed:
        """Request number `n`: `MARK` replaced, Travis bodies re-signed."""
        mark = f"{n:012d}"
        if self.path == "/hooks/travis":
            payload = _TRAVIS_ID.sub(lambda m: m[1] + str(10**12 + n).encode(), self.body, 1)
            slug = self.headers["Travis-Repo-Slug"]
            return signing.travis(payload, slug)
        headers = {k: v.replace(MARK, mark) for k, v in self.headers.items()}
        body = self.body.replace(MARK.encode(), mark.encode())
        return signing.Signed(self.path.rsplit("/", 1)[-1], self.path, headers, body)


def templates(fixtures: Path = FIXTURES) -> list[Template]:
    """One template per shared fixture, in a stable order."""
    found = []
    for path in signing.all_fixtures(fixtures):
        signed = signing.for_fixture(path)
        headers = dict(signed.headers)
        body = signed.body
        if signed.source == "github":
            headers["X-GitHub-Delivery"] = f"00000000-0000-4000-8000-{MARK}"
        elif signed.source == "sentry":
            headers["Request-ID"] = f"bench{MARK}"
        elif signed.source == "kapacitor":
            body = _KAPACITOR_DETAILS.sub(
                lambda m: b'"details":"%s %s"' % (m[1], MARK.encode()), body, 1
            )
        elif signed.source == "travis":
            body = path.read_bytes()  # the payload value; signed per request in `render`
            headers["Travis-Repo-Slug"] = signed.headers["Travis-Repo-Slug"]
        found.append(Template(path.relative_to(fixtures).as_posix(), signed.path, headers, body))
    return found


def requests(count: int, start: int = 0, only: str | None = None) -> Iterator[signing.Signed]:
    """`count` signed requests cycling through the fixtures (or one source's), from `start`."""
    pool = [t for t in templates() if only is None or t.path.endswith("/" + only)]
    for n in range(start, start + count):
        yield pool[n % len(pool)].render(n)


def event_id(signed: signing.Signed) -> str:
    """The id hub gives the event of `signed` (the delivery id, or a hash of the body)."""
    from hub.core.sources import body_id

    if signed.source == "github":
        return signed.headers["X-GitHub-Delivery"]
    if signed.source == "sentry":
        return signed.headers["Request-ID"]
    return body_id(signed.source, signed.body)
