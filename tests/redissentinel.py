"""A Redis primary, a replica and two Sentinels owned by a test, on ports of their own beside (never
touching) the machine's Redis on 6379; the primary can be killed to make them fail over."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from hub.testing.harness import free_port

SERVICE = "hubtest"
PASSWORD = "sentinel-test-password"
BOOT_SECONDS = 30.0


def _redis_server() -> str:
    found = shutil.which("redis-server")
    assert found is not None, "redis-server is not installed (scripts/services.sh installs it)"
    return found


@dataclass
class RedisFailover:
    """Primary, replica, two Sentinels (quorum 1, 1 s down-after) under `root`."""

    root: Path
    primary: int = field(default_factory=free_port)
    replica: int = field(default_factory=free_port)
    sentinels: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """`HUB_STATE_URL` for hub: both Sentinels, the service, db 0, the servers' password."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinels)
        return f"redis+sentinel://:{PASSWORD}@{hosts}/{SERVICE}/0"

    def start(self) -> None:
        """Start primary and replica, wait for the link, then the Sentinels, until they agree."""
        server = _redis_server()
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        auth = ["--requirepass", PASSWORD, "--masterauth", PASSWORD]
        self._run("primary", [server, "--port", str(self.primary), *common, *auth])
        replica_of = ["--replicaof", "127.0.0.1", str(self.primary)]
        self._run("replica", [server, "--port", str(self.replica), *common, *auth, *replica_of])
        # Connected is not enough: WAIT counts a replica only once its first sync is done.
        self._until(
            lambda: self.client(self.replica).info("replication")["master_link_status"] == "up"
        )
        for n, port in enumerate(self.sentinels):
            conf = self.root / f"sentinel{n}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary} 1\n"
                f"sentinel auth-pass {SERVICE} {PASSWORD}\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
            )
            self._run(f"sentinel{n}", [server, str(conf), "--sentinel"])
        for port in self.sentinels:
            self._until(lambda p=port: self._sentinel_ready(p))

    def _sentinel_ready(self, port: int) -> bool:
        client = redis.Redis(port=port, decode_responses=True)
        try:
            others = client.execute_command("SENTINEL", "SENTINELS", SERVICE)  # type: ignore[no-untyped-call]
            replicas = client.execute_command("SENTINEL", "REPLICAS", SERVICE)  # type: ignore[no-untyped-call]
        finally:
            client.close()
        return len(others) == len(self.sentinels) - 1 and len(replicas) == 1

    def _run(self, name: str, argv: list[str]) -> None:
        # Each server works in a directory of its own: a replica's first sync writes dump.rdb
        # in the working directory, which would otherwise be wherever pytest was started.
        home = self.root / name
        home.mkdir(exist_ok=True)
        log = (self.root / f"{name}.log").open("ab")
        try:
            self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=log, cwd=home)
        finally:
            log.close()

    def _until(self, ready: object) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while True:
            with contextlib.suppress(redis.RedisError, KeyError):
                if ready():  # type: ignore[operator]
                    return
            for name, process in self.processes.items():
                assert process.poll() is None, f"redis {name} exited: see {self.root}/{name}.log"
            assert time.monotonic() < deadline, f"Redis failover set not ready: see {self.root}"
            time.sleep(0.2)

    def client(self, port: int) -> redis.Redis:
        """A client of one server (primary or replica) of this set."""
        return redis.Redis(port=port, password=PASSWORD, decode_responses=True)

    def master(self) -> int:
        """The port of the primary the first Sentinel names now."""
        client = redis.Redis(port=self.sentinels[0], decode_responses=True)
        try:
            _, port = client.execute_command(  # type: ignore[no-untyped-call]
                "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE
            )
        finally:
            client.close()
        return int(port)

    def kill_primary(self) -> None:
        """SIGKILL the primary: no goodbye to its replica, its Sentinels or its clients."""
        process = self.processes["primary"]
        process.kill()
        process.wait(timeout=10)

    def stop(self) -> None:
        """Kill every process of the set (whatever state it is in)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
