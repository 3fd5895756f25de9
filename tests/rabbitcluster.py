"""A three-node RabbitMQ cluster owned by a test: own node names, ports and directories, beside
(never touching) the machine's own node on 5672. Nodes are killed with SIGKILL and revived."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub.testing.harness import free_port

SYSTEM_COOKIE = Path("/var/lib/rabbitmq/.erlang.cookie")
BOOT_SECONDS = 90.0


def _scripts() -> Path:
    """The directory of RabbitMQ's own scripts (past Debian's wrapper, which would `su` to the
    rabbitmq user, who cannot enter a test's directory). Fails when RabbitMQ is not installed."""
    found = shutil.which("rabbitmq-server")
    assert found is not None, "rabbitmq-server is not installed (scripts/services.sh installs it)"
    return Path(found).resolve().parent


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Node:
    """One RabbitMQ node of the cluster."""

    name: str
    port: int
    dist_port: int
    base: Path
    process: subprocess.Popen[bytes] | None = None
    pid: int | None = None  # the Erlang VM's own OS process (beam.smp)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"


@dataclass
class RabbitCluster:
    """Three nodes joined into one cluster under `root`; `stop()` always takes them all down."""

    root: Path
    size: int = 3
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scripts = _scripts()
        self.home = self.root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        if SYSTEM_COOKIE.exists():
            shutil.copyfile(SYSTEM_COOKIE, cookie)
        else:
            cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        tag = secrets.token_hex(3)
        for n in range(1, self.size + 1):
            base = self.root / f"node{n}"
            base.mkdir()
            node = Node(f"hubtest{n}x{tag}@localhost", free_port(), free_port(), base)
            (base / "rabbitmq.conf").write_text(
                f"listeners.tcp.1 = 127.0.0.1:{node.port}\n"
                "cluster_partition_handling = pause_minority\n"
            )
            (base / "enabled_plugins").write_text("[].\n")
            (base / "rabbitmq-env.conf").write_text("")
            self.nodes.append(node)

    def _env(self, node: Node | None = None) -> dict[str, str]:
        env = {**os.environ, "HOME": str(self.home)}
        if node is not None:
            env.update(
                RABBITMQ_NODENAME=node.name,
                RABBITMQ_NODE_PORT=str(node.port),
                RABBITMQ_DIST_PORT=str(node.dist_port),
                RABBITMQ_MNESIA_BASE=str(node.base / "mnesia"),
                RABBITMQ_LOG_BASE=str(node.base / "log"),
                RABBITMQ_CONFIG_FILE=str(node.base / "rabbitmq.conf"),
                RABBITMQ_ENABLED_PLUGINS_FILE=str(node.base / "enabled_plugins"),
                RABBITMQ_CONF_ENV_FILE=str(node.base / "rabbitmq-env.conf"),
            )
        return env

    def ctl(self, node: Node, *args: str, tool: str = "rabbitmqctl", timeout: float = 60) -> str:
        """Run `rabbitmqctl -n <node> <args>` (or another CLI tool); its stdout."""
        result = subprocess.run(
            [str(self.scripts / tool), "-n", node.name, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"{tool} {' '.join(args)} on {node.name}: {result.stderr}"
        return result.stdout

    def start(self) -> None:
        """Boot every node, then join the others to the first."""
        for node in self.nodes:
            self._launch(node)
        for node in self.nodes:
            self._await(node)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
        running = self.running_nodes(first)
        assert running == {n.name for n in self.nodes}, f"cluster not formed: {running}"

    def _launch(self, node: Node) -> None:
        log = (node.base / "server.log").open("ab")
        try:
            node.process = subprocess.Popen(
                [str(self.scripts / "rabbitmq-server")],
                env=self._env(node),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()

    def _await(self, node: Node) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while not _answers(node.port):
            assert node.process is not None
            if node.process.poll() is not None:
                raise AssertionError(f"{node.name} exited while booting: {self._tail(node)}")
            assert time.monotonic() < deadline, f"{node.name} not up: {self._tail(node)}"
            time.sleep(0.25)
        self.ctl(node, "await_startup", "--timeout", "60")
        pid = self.ctl(node, "eval", "os:getpid().").strip().strip('"')
        node.pid = int(pid)

    def _tail(self, node: Node) -> str:
        log = node.base / "server.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def running_nodes(self, via: Node) -> set[str]:
        """The running nodes of the cluster, as `via` sees them."""
        out = self.ctl(via, "-q", "cluster_status", "--formatter", "json")
        return set(json.loads(out)["running_nodes"])

    def queues(self, via: Node, prefix: str) -> dict[str, dict[str, object]]:
        """name → {leader, members, type} of the queues under `prefix`."""
        out = self.ctl(
            via, "-q", "list_queues", "name", "type", "leader", "members", "--formatter", "json"
        )
        return {q["name"]: q for q in json.loads(out) if str(q["name"]).startswith(prefix)}

    def node(self, name: str) -> Node:
        """The node called `name`."""
        return next(n for n in self.nodes if n.name == name)

    def kill(self, node: Node) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to its peers or its clients."""
        assert node.pid is not None, f"{node.name} is not running"
        os.kill(node.pid, signal.SIGKILL)
        if node.process is not None:
            node.process.wait(timeout=30)
        node.pid = None

    def revive(self) -> None:
        """Start again every node that was killed; they rejoin the cluster on their own."""
        dead = [n for n in self.nodes if n.pid is None]
        for node in dead:
            self._launch(node)
        for node in dead:
            self._await(node)
        if dead:
            deadline = time.monotonic() + BOOT_SECONDS
            alive = self.nodes[0] if self.nodes[0] not in dead else dead[0]
            while self.running_nodes(alive) != {n.name for n in self.nodes}:
                assert time.monotonic() < deadline, "a revived node did not rejoin"
                time.sleep(1)

    def stop(self) -> None:
        """Kill every node this cluster started (whatever state it is in)."""
        for node in self.nodes:
            if node.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGKILL)
            if node.process is not None:  # the script, and the VM if it is still booting
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(node.process.pid, signal.SIGKILL)
            node.pid = None
            if node.process is not None:
                node.process.wait(timeout=30)
