"""The engine URLs hub accepts: several RabbitMQ nodes, Redis behind Sentinel. Parsed once here,
for the settings (which refuse a malformed one at start-up) and for the backends."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379


def broker_urls(value: str) -> list[str]:
    """The RabbitMQ node URLs of `HUB_BROKER_URL`: one, or several separated by commas.

    Raises ValueError, naming the part (without its credentials), unless each is amqp(s)://."""
    urls = [part.strip() for part in value.split(",")]
    if not any(urls):
        raise ValueError("names no RabbitMQ node")
    for url in urls:
        if not url.startswith(("amqp://", "amqps://")):
            where = url.split("@")[-1] or "an empty entry"
            raise ValueError(f"{where!r} is not an amqp:// or amqps:// URL")
    return urls


def without_credentials(url: str) -> str:
    """`host:port` of a URL, for log lines (never the user or password)."""
    netloc = urlsplit(url).netloc
    return netloc.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class SentinelUrl:
    """`redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]`."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None

    def __repr__(self) -> str:  # never print the passwords
        return f"SentinelUrl(sentinels={self.sentinels!r}, service={self.service!r}, db={self.db})"


def is_sentinel_url(value: str) -> bool:
    """True for the `redis+sentinel://` form."""
    return value.startswith(SENTINEL_SCHEME + "://")


def parse_sentinel_url(value: str) -> SentinelUrl:
    """Parse the Sentinel form of `HUB_STATE_URL`; ValueError (without secrets) when malformed.

    The user and password are the Redis servers'; `?sentinel_password=` is the Sentinels' own,
    when they require one."""
    if not is_sentinel_url(value):
        raise ValueError(f"not a {SENTINEL_SCHEME}:// URL")
    rest = value[len(SENTINEL_SCHEME) + 3 :]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
        if colon and not password:
            raise ValueError("has an empty password (leave out the ':' for none)")
    sentinels = tuple(_hostport(part) for part in hosts.split(","))
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError("needs /<service name>[/<db>] after the Sentinel addresses")
    service = unquote(parts[0])
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError(f"database {parts[1]!r} is not a number")
    db = int(parts[1]) if len(parts) == 2 else 0
    params = parse_qs(query, keep_blank_values=True)
    unknown = set(params) - {"sentinel_password"}
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    sentinel_password = params.get("sentinel_password", [None])[-1]
    if sentinel_password == "":
        raise ValueError("has an empty sentinel_password")
    return SentinelUrl(sentinels, service, db, username, password, sentinel_password)


def _hostport(text: str) -> tuple[str, int]:
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        host, port = text.strip(), str(SENTINEL_PORT)
    host = host.strip("[]")
    if not host:
        raise ValueError(f"Sentinel address {text!r} has no host")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"Sentinel address {text!r} has no valid port")
    return host, int(port)
