"""Engine URLs: several RabbitMQ nodes and Redis behind Sentinel parse, or fail without secrets."""

from __future__ import annotations

import os

import pytest

from hub.core.errors import ConfigError
from hub.core.settings import load_settings
from hub.core.urls import SentinelUrl, broker_urls, parse_sentinel_url, without_credentials


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_* or SLACK_* variable of the test runner's own environment leaks in."""
    for name in list(os.environ):
        if name.startswith(("HUB_", "SLACK_")):
            monkeypatch.delenv(name)


def test_broker_url_names_one_node_or_several_separated_by_commas() -> None:
    """A comma-separated HUB_BROKER_URL gives its nodes in order, spaces around commas ignored."""
    assert broker_urls("amqp://u:p@h1:5672/") == ["amqp://u:p@h1:5672/"]
    assert broker_urls("amqp://u:p@h1:5672/, amqps://u:p@h2:5671/vh") == [
        "amqp://u:p@h1:5672/",
        "amqps://u:p@h2:5671/vh",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("amqp://u:s3cret@h1/,http://u:s3cret@h2/", "'h2/' is not an amqp:// or amqps:// URL"),
        ("amqp://u:s3cret@h1/,", "'an empty entry' is not an amqp://"),
    ],
)
def test_a_bad_node_in_the_broker_list_is_named_without_its_password(
    value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong entry in HUB_BROKER_URL stops hub, naming the entry but never its password."""
    monkeypatch.setenv("HUB_BROKER_URL", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_log_lines_name_a_node_without_its_credentials() -> None:
    """`without_credentials` keeps host and port only."""
    assert without_credentials("amqp://hub:s3cret@rabbit-1:5672/") == "rabbit-1:5672"


def test_sentinel_url_gives_sentinels_service_db_and_passwords() -> None:
    """The full Sentinel form parses into its parts; the default Sentinel port is 26379."""
    parsed = parse_sentinel_url(
        "redis+sentinel://:p%40ss@s1:26380,s2,[::1]:26381/mymaster/2?sentinel_password=sp"
    )
    assert parsed == SentinelUrl(
        sentinels=(("s1", 26380), ("s2", 26379), ("::1", 26381)),
        service="mymaster",
        db=2,
        username=None,
        password="p@ss",
        sentinel_password="sp",
    )
    assert "p@ss" not in repr(parsed)
    assert "'sp'" not in repr(parsed)
    assert parse_sentinel_url("redis+sentinel://s1/mymaster").db == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("redis+sentinel://s1:26379", "needs /<service name>"),
        ("redis+sentinel://s1:26379/m/x", "database 'x' is not a number"),
        ("redis+sentinel://s1:port/m", "has no valid port"),
        ("redis+sentinel://:@s1/m", "has an empty password"),
        ("redis+sentinel://s1/m?password=s3cret", "unknown parameter(s) password"),
        ("redis+sentinel://s1/m?sentinel_password=", "has an empty sentinel_password"),
    ],
)
def test_a_malformed_sentinel_url_stops_hub_saying_what_is_wrong(
    value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HUB_STATE_URL in the Sentinel form but malformed fails at start, naming the fault."""
    monkeypatch.setenv("HUB_STATE_URL", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("HUB_STATE_URL:")
    assert message in str(caught.value)
    assert "s3cret" not in str(caught.value)
