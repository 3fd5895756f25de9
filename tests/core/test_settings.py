"""Settings: a blank secret, a previous secret alone, and nonsense values stop hub at start."""

from __future__ import annotations

import os

import pytest
from pydantic.fields import FieldInfo

from adapters.registry import SOURCES
from hub.core.errors import ConfigError
from hub.core.settings import PREVIOUS, Settings, is_secret, load_settings

SOURCE_ENVS = {name: adapter.secret_env for name, adapter in SOURCES.items()}
SECRET_ENVS = [
    str(info.validation_alias.choices[0])  # type: ignore[union-attr]
    for info in Settings.model_fields.values()
    if is_secret(info)
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_* or SLACK_* variable of the test runner's own environment leaks in."""
    for name in list(os.environ):
        if name.startswith(("HUB_", "SLACK_")):
            monkeypatch.delenv(name)


def _env_of(info: FieldInfo) -> str:
    return str(info.validation_alias.choices[0])  # type: ignore[union-attr]


SENT_ONLY = {"SLACK_BOT_TOKEN", "HUB_GITHUB_TOKEN", "HUB_TRAVIS_TOKEN"}
"""Credentials hub only sends (to Slack, GitHub, Travis): rotated by a restart, no twin."""


def test_every_credential_setting_is_declared_a_secret() -> None:
    """Each setting named like a token, secret or key is declared secret, with a previous twin."""
    credentials = [
        _env_of(info)
        for info in Settings.model_fields.values()
        if _env_of(info).endswith(("TOKEN", "SECRET", "KEY", PREVIOUS))
    ]
    assert sorted(credentials) == sorted(SECRET_ENVS)
    for env in SECRET_ENVS:
        if env not in SENT_ONLY and not env.endswith(PREVIOUS):
            assert env + PREVIOUS in SECRET_ENVS, f"{env} cannot be rotated"


@pytest.mark.parametrize("env", SECRET_ENVS)
@pytest.mark.parametrize("value", ["", "   "])
def test_a_secret_set_but_empty_is_an_error_naming_it(
    env: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SLACK_SIGNING_SECRET="" (or any declared secret blank) fails loading, naming the variable."""
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=rf"^{env}: is set but empty"):
        load_settings()


@pytest.mark.parametrize("env", ["HUB_NEWSENDER_TOKEN", "HUB_NEWSENDER_SIGNING_SECRET"])
def test_a_secret_an_adapter_names_follows_the_same_rule(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret read through secret_for (an adapter's secret_env) set but empty is an error too."""
    monkeypatch.setenv(env, "")
    settings = load_settings()
    with pytest.raises(ConfigError, match=rf"^{env}: is set but empty"):
        settings.check_sources({**SOURCE_ENVS, "newsender": env})
    monkeypatch.setenv(env + PREVIOUS, "old")
    monkeypatch.setenv(env, "new")
    assert load_settings().secrets_for(env) == ("new", "old")


def test_a_previous_secret_without_a_current_one_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HUB_GITHUB_SECRET_PREVIOUS alone is a half-done rotation: an error naming both variables."""
    monkeypatch.setenv("HUB_GITHUB_SECRET_PREVIOUS", "old")
    settings = load_settings()
    with pytest.raises(
        ConfigError, match="HUB_GITHUB_SECRET_PREVIOUS: is set but HUB_GITHUB_SECRET"
    ):
        settings.check_sources(SOURCE_ENVS)


def test_current_and_previous_secrets_are_both_accepted_current_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """secrets_for gives the new secret, then the old one, and only the new one when alone."""
    monkeypatch.setenv("HUB_OPS_TOKEN", "new")
    monkeypatch.setenv("HUB_OPS_TOKEN_PREVIOUS", "old")
    assert load_settings().secrets_for("HUB_OPS_TOKEN") == ("new", "old")
    monkeypatch.delenv("HUB_OPS_TOKEN_PREVIOUS")
    assert load_settings().secrets_for("HUB_OPS_TOKEN") == ("new",)


def test_allow_unsigned_naming_an_unknown_source_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HUB_ALLOW_UNSIGNED=githb fails, naming the variable, the typo and the known sources."""
    monkeypatch.setenv("HUB_ALLOW_UNSIGNED", "github,githb")
    with pytest.raises(ConfigError) as caught:
        load_settings().check_sources(SOURCE_ENVS)
    assert str(caught.value) == (
        "HUB_ALLOW_UNSIGNED: 'githb' is not a source; "
        f"use one or more of {', '.join(sorted(SOURCE_ENVS))}"
    )


def test_allow_unsigned_naming_a_source_that_has_a_secret_stays_legal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`make run` names every source in HUB_ALLOW_UNSIGNED; a set secret is no conflict."""
    monkeypatch.setenv("HUB_ALLOW_UNSIGNED", "github,travis,kapacitor,sentry")
    monkeypatch.setenv("HUB_GITHUB_SECRET", "s3cret")
    load_settings().check_sources(SOURCE_ENVS)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        (
            "HUB_LOG_LEVEL",
            "verbose",
            "HUB_LOG_LEVEL: 'verbose' is not a log level; "
            "use one of debug, info, warning, error, critical",
        ),
        ("HUB_SLACK_ADMINS", "@alice", "HUB_SLACK_ADMINS: '@alice': not Slack user IDs"),
        ("HUB_SLACK_API_URL", "slack.example", "HUB_SLACK_API_URL: 'slack.example' is not an http"),
    ],
)
def test_nonsense_values_are_errors_naming_the_variable(
    env: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values hub would silently ignore or misuse fail, naming the variable and what is allowed."""
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    """HUB_LOG_LEVEL=WARNING is the warning level, as before."""
    monkeypatch.setenv("HUB_LOG_LEVEL", "WARNING")
    assert load_settings().log_level == "warning"
