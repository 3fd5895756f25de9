"""The Travis CI adapter: RSA-SHA1 payload signatures and build payload normalization."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings

from adapters.travis import ADAPTER
from hub.core.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.core.severity import Severity
from hub.core.sources import WebhookRequest, body_id
from hub.testing import signing
from tests.adapter_support import (
    NOT_JSON_OBJECTS,
    assert_carries_payload,
    assert_cloudevent,
    assert_event_or_bad_payload,
    assert_fields,
    fixture_names,
    from_signed,
    json_objects,
    json_scalars,
    webhook_request,
)
from tests.paths import FIXTURES as SHARED_FIXTURES

FORM = "application/x-www-form-urlencoded"
SLUG = "svenfuchs/minimal"
COMPARE = "https://github.com/svenfuchs/minimal/compare/master...develop"
MINIMAL_LABELS = {"build_type": "push", "tag": "v1.0.0"}
"""Travis's own sample carries a 20-digit commit, not a full SHA: no commit label."""
MINIMAL_EVENT = {
    "subject": "svenfuchs/minimal build #2",
    "threadkey": "travis:svenfuchs/minimal:build:2",
    "repo": SLUG,
    "branch": "master",
    "actor": "Sven Fuchs",
    "url": "https://travis-ci.org/svenfuchs/minimal/builds/1",
}
FINISHED = {"duration": "1m", "duration_seconds": "60"}
PUBLIC_PEM = signing.travis_public_pem()


def public_pem(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    """A public key as the PEM text HUB_TRAVIS_PUBLIC_KEY holds."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign(payload: bytes) -> str:
    """The Signature header Travis sends for `payload`."""
    return signing.travis(payload, SLUG).headers["Signature"]


def form_request(payload: bytes, signature: str | None = None) -> WebhookRequest:
    """A form-encoded `payload=` delivery: signed over `payload` by default, unsigned if ''."""
    changes = {} if signature is None else {"Signature": signature or None}
    return from_signed(signing.travis(payload, SLUG), changes)


def json_request(
    body: bytes, content_type: str = "application/json", signature: str | None = None
) -> WebhookRequest:
    """A raw-body delivery with the given content type, unsigned unless given a signature."""
    return webhook_request(body, {"Content-Type": content_type, "Signature": signature})


def fixture(fixtures_dir: Path, name: str) -> bytes:
    """The bytes of one Travis fixture: the value of the `payload` form field."""
    return (fixtures_dir / "travis" / name).read_bytes()


def minimal_build(**changes: Any) -> bytes:
    """The compact travis-tasks sample with some fields changed, as Ruby's to_json writes it."""
    build = json.loads((SHARED_FIXTURES / "travis" / "build.passed-compact.json").read_bytes())
    build.update(changes)
    return json.dumps(build, separators=(",", ":")).encode()


CASES = [
    pytest.param(
        "build.passed.json",
        {
            "type": "travis.build.passed",
            "severity": Severity.SUCCESS,
            "state": "passed",
            "subject": "hl7-fhir/fhir-svn build #4601",
            "threadkey": "travis:hl7-fhir/fhir-svn:build:4601",
            "repo": "hl7-fhir/fhir-svn",
            "branch": "master",
            "actor": "josh_mandel",
            "url": "https://travis-ci.org/hl7-fhir/fhir-svn/builds/92495257",
            "title": "Build #4601 of hl7-fhir/fhir-svn@master passed",
            "time": datetime(2015, 11, 21, 23, 45, 25, tzinfo=UTC),
            "labels": {
                "build_type": "push",
                "commit": "6c457d366a31696c989c011ab75b734d8485a9ba",
                "status_message": "passed",
                "duration": "17m 3s",
                "duration_seconds": "1023",
            },
        },
        id="passed",
    ),
    pytest.param(
        "build.passed-compact.json",
        {
            "type": "travis.build.passed",
            "severity": Severity.SUCCESS,
            "state": "passed",
            **MINIMAL_EVENT,
            "title": "Build #2 of svenfuchs/minimal@master passed",
            "labels": MINIMAL_LABELS | FINISHED | {"status_message": "passed"},
        },
        id="passed-compact",
    ),
    pytest.param(
        "build.started.json",
        {
            "type": "travis.build.started",
            "severity": Severity.INFO,
            "state": "pending",
            **MINIMAL_EVENT,
            "title": "Build #2 of svenfuchs/minimal@master started",
            "time": datetime(2014, 4, 3, 10, 21, 5, tzinfo=UTC),
            "labels": MINIMAL_LABELS | {"status_message": "pending"},
        },
        id="started",
    ),
    pytest.param(
        "build.failed.json",
        {
            "type": "travis.build.failed",
            "severity": Severity.ERROR,
            "state": "failed",
            **MINIMAL_EVENT,
            "title": "Build #2 of svenfuchs/minimal@master failed",
            "time": datetime(2014, 4, 3, 10, 22, 5, tzinfo=UTC),
            "labels": MINIMAL_LABELS | FINISHED | {"status_message": "failed"},
        },
        id="failed",
    ),
    pytest.param(
        "build.broken.json",
        {
            "type": "travis.build.failed",
            "severity": Severity.ERROR,
            "state": "broken",
            **MINIMAL_EVENT,
            "title": "Build #2 of svenfuchs/minimal@master failed (broken)",
            "labels": MINIMAL_LABELS | FINISHED | {"status_message": "broken"},
        },
        id="broken",
    ),
    pytest.param(
        "build.still_failing.json",
        {
            "type": "travis.build.failed",
            "severity": Severity.ERROR,
            "state": "still_failing",
            **MINIMAL_EVENT,
            "title": "Build #2 of svenfuchs/minimal@master failed (still failing)",
            "labels": MINIMAL_LABELS | FINISHED | {"status_message": "still_failing"},
        },
        id="still_failing",
    ),
]
NAMES = fixture_names(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_signed_fixture_verifies(fixtures_dir: Path, name: str) -> None:
    """A form delivery signed over the url-decoded payload with Travis's key verifies."""
    ADAPTER.verify(form_request(fixture(fixtures_dir, name)), PUBLIC_PEM)


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_fixture_normalizes_to_expected_event(
    fixtures_dir: Path, name: str, expected: dict[str, Any]
) -> None:
    """Each sample build payload becomes the documented build event."""
    assert_fields(ADAPTER.normalize(form_request(fixture(fixtures_dir, name))), expected)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_keeps_payload_and_hashes_it_for_the_id(fixtures_dir: Path, name: str) -> None:
    """The event carries the parsed payload untouched and an id hashed from the payload."""
    payload = fixture(fixtures_dir, name)
    event = ADAPTER.normalize(form_request(payload))
    assert_carries_payload(event, body_id("travis", payload), payload)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_event_is_a_cloudevent(fixtures_dir: Path, name: str) -> None:
    """The broker bytes of each normalized build are a CloudEvent that reads back unchanged."""
    assert_cloudevent(ADAPTER.normalize(form_request(fixture(fixtures_dir, name))), "travis")


def test_text_links_commit_to_compare_url(fixtures_dir: Path) -> None:
    """The text shows the commit message, the short SHA linked to the compare URL, author, time."""
    event = ADAPTER.normalize(form_request(fixture(fixtures_dir, "build.broken.json")))
    assert event.text == f"the commit message\nCommit <{COMPARE}|62aae5f> by Sven Fuchs · took 1m"


def test_json_body_verifies_and_normalizes() -> None:
    """A raw application/json body is the signed payload itself."""
    payload = minimal_build()
    request = json_request(payload, signature=sign(payload))
    ADAPTER.verify(request, PUBLIC_PEM)
    assert ADAPTER.normalize(request).subject == "svenfuchs/minimal build #2"


@pytest.mark.parametrize("number", ["812", 812], ids=["string", "integer"])
def test_build_number_as_string_or_integer(number: str | int) -> None:
    """`number` reads the same whether Travis sends it as a string or an integer."""
    event = ADAPTER.normalize(form_request(minimal_build(number=number)))
    assert (event.subject, event.threadkey, event.title) == (
        "svenfuchs/minimal build #812",
        "travis:svenfuchs/minimal:build:812",
        "Build #812 of svenfuchs/minimal@master passed",
    )


def test_pull_request_build() -> None:
    """A PR build keeps its base branch and labels the pull request number."""
    payload = minimal_build(
        type="pull_request", pull_request=True, pull_request_number=7, tag=None, branch="main"
    )
    event = ADAPTER.normalize(form_request(payload))
    assert (event.branch, event.title, event.labels) == (
        "main",
        "Build #2 of svenfuchs/minimal PR #7 into main passed",
        {
            "build_type": "pull_request",
            "pull_request_number": "7",
            "status_message": "passed",
        }
        | FINISHED,
    )


@pytest.mark.parametrize(
    ("state", "status", "severity"),
    [
        ("passed", "Fixed", Severity.SUCCESS),
        ("errored", "Errored", Severity.ERROR),
        ("canceled", "Canceled", Severity.WARNING),
        ("created", "Pending", Severity.INFO),
    ],
)
def test_state_and_status_message_set_severity(state: str, status: str, severity: Severity) -> None:
    """The status message decides severity; the raw state decides the type."""
    event = ADAPTER.normalize(form_request(minimal_build(state=state, status_message=status)))
    assert (event.type, event.state, event.severity) == (
        f"travis.build.{state}",
        status.lower(),
        severity,
    )


def test_repo_falls_back_to_slug_header() -> None:
    """Without a repository object the Travis-Repo-Slug header names the repo."""
    event = ADAPTER.normalize(form_request(minimal_build(repository=None)))
    assert (event.repo, event.threadkey) == (SLUG, "travis:svenfuchs/minimal:build:2")


def test_text_escapes_mrkdwn_control_characters() -> None:
    """User text in the mrkdwn body cannot ping channels or forge links."""
    event = ADAPTER.normalize(form_request(minimal_build(message="<!channel> fix a&b <x>\nmore")))
    assert event.text.splitlines()[0] == "&lt;!channel&gt; fix a&amp;b &lt;x&gt;"


def test_public_key_with_escaped_newlines_verifies() -> None:
    """A PEM pasted into a one-line environment variable with literal \\n still works."""
    request = form_request(minimal_build())
    ADAPTER.verify(request, PUBLIC_PEM.replace("\n", "\\n"))


def test_missing_signature_is_refused() -> None:
    """A delivery without a Signature header does not verify."""
    request = form_request(minimal_build(), signature="")
    with pytest.raises(VerificationError, match="missing Signature"):
        ADAPTER.verify(request, PUBLIC_PEM)


def test_signature_from_another_key_is_refused() -> None:
    """A signature made with another key pair than the configured public key's does not verify."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(form_request(minimal_build()), public_pem(other))


def test_tampered_payload_is_refused() -> None:
    """A payload changed after signing does not verify."""
    request = form_request(minimal_build(state="failed"), signature=sign(minimal_build()))
    with pytest.raises(VerificationError, match="does not match"):
        ADAPTER.verify(request, PUBLIC_PEM)


def test_signature_that_is_not_base64_is_refused() -> None:
    """A Signature header that is not Base64 does not verify."""
    with pytest.raises(VerificationError, match="base64"):
        ADAPTER.verify(form_request(minimal_build(), signature="not base64!"), PUBLIC_PEM)


@pytest.mark.parametrize(
    "key",
    [
        "not a key",
        public_pem(ec.generate_private_key(ec.SECP256R1()).public_key()),
    ],
    ids=["garbage", "ec-key"],
)
def test_configured_key_that_is_not_rsa_is_refused(key: str) -> None:
    """A HUB_TRAVIS_PUBLIC_KEY that is not a PEM RSA public key refuses every delivery."""
    with pytest.raises(VerificationError, match="not a PEM RSA public key"):
        ADAPTER.verify(form_request(minimal_build()), key)


def test_empty_configured_key_is_refused() -> None:
    """An empty HUB_TRAVIS_PUBLIC_KEY refuses every delivery."""
    with pytest.raises(VerificationError, match="empty"):
        ADAPTER.verify(form_request(minimal_build()), "")


@pytest.mark.parametrize(
    ("body", "message"),
    [*NOT_JSON_OBJECTS, pytest.param(b'{"number": 2}', "no build `state`", id="no-state")],
)
def test_bad_json_body_is_a_bad_payload(body: bytes, message: str) -> None:
    """A body that is not a JSON object with a build state is refused as a bad payload."""
    with pytest.raises(BadPayload, match=message):
        ADAPTER.normalize(json_request(body))


def test_form_without_payload_field_is_a_bad_payload() -> None:
    """A form body without a `payload` field is refused as a bad payload."""
    with pytest.raises(BadPayload, match="no `payload` field"):
        ADAPTER.normalize(webhook_request(b"other=1", {"Content-Type": FORM}))


def test_other_content_type_is_unsupported() -> None:
    """A content type Travis never sends is refused as unsupported."""
    with pytest.raises(UnsupportedMediaType):
        ADAPTER.normalize(json_request(minimal_build(), content_type="text/plain"))


_KEYS = (
    "state",
    "status_message",
    "number",
    "repository",
    "owner_name",
    "name",
    "branch",
    "duration",
    "started_at",
    "finished_at",
    "type",
    "pull_request",
    "pull_request_number",
    "commit",
    "message",
    "author_name",
    "build_url",
    "compare_url",
    "tag",
)
_SCALARS = json_scalars(
    "passed", "Still Failing", "pull_request", "2014-04-03T10:21:05Z", "http://x"
)
_BUILDS = json_objects(_KEYS, _SCALARS, {"state": _SCALARS})


@settings(max_examples=300, deadline=None)
@given(payload=_BUILDS)
def test_any_json_object_gives_an_event_or_bad_payload(payload: dict[str, Any]) -> None:
    """Normalizing any JSON object returns a serializable Event or raises BadPayload."""
    body = json.dumps(payload).encode()
    assert_event_or_bad_payload(
        "travis", lambda: ADAPTER.normalize(form_request(body, signature="x"))
    )
