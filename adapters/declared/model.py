"""What sources.yaml declares, compiled: one `DeclaredSource` per `POST /hooks/<name>`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from adapters.declared.expressions import Expression

VerifyKind = Literal["hmac", "token", "basic"]
Encoding = Literal["hex", "base64"]

EVENT_FIELDS = (
    "id",
    "type",
    "time",
    "severity",
    "state",
    "subject",
    "threadkey",
    "title",
    "text",
    "url",
    "actor",
    "repo",
    "branch",
)
"""The event fields a source maps, each by one expression; `labels` maps a name to each."""


@dataclass(frozen=True)
class Verification:
    """How a request proves it comes from the sender, and which variable holds the secret."""

    kind: VerifyKind
    secret_env: str
    header: str | None = None
    """hmac: the signature header; token: the header carrying it (default Bearer/X-Hub-Token)."""
    algorithm: str = "sha256"
    prefix: str = ""
    encoding: Encoding = "hex"
    username: str | None = None
    """basic: the user name that must come with the password (any, when unset)."""


@dataclass(frozen=True)
class Rule:
    """One field's expression, with an optional map from its values to the field's."""

    expression: Expression
    values: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    """The field's value when the expression gives nothing, or a value the map lacks."""


@dataclass(frozen=True)
class Sample:
    """The body (and headers) `hub send-sample <name>` posts."""

    body: Path
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeclaredSource:
    """One declared sender: its name, how it is verified, and how its body maps to an event."""

    name: str
    verify: Verification
    fields: Mapping[str, Rule]
    labels: Mapping[str, Rule] = field(default_factory=dict)
    sample: Sample | None = None
