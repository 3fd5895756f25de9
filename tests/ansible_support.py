"""Run real `ansible-playbook` on localhost with hub's callback plugin enabled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.paths import REPO

PLUGINS = REPO / "deploy" / "ansible" / "callback_plugins"
USER = "alice"

PLAYBOOK = """\
- name: Deploy the api
  hosts: all
  gather_facts: false
  tasks:
    - name: Unpack the release
      ansible.builtin.command: "true"
      changed_when: true
    - name: restart api
      ansible.builtin.command: "true"
      changed_when: true
      failed_when: fail_on is defined and inventory_hostname == fail_on
"""


@dataclass(frozen=True)
class Finished:
    """How one ansible-playbook run ended: exit code, everything it printed, wall time."""

    returncode: int
    output: str
    seconds: float


def write_playbook(directory: Path) -> Path:
    """deploy.yml in `directory`: two tasks on every host, the second failing on `fail_on`."""
    path = directory / "deploy.yml"
    path.write_text(PLAYBOOK)
    return path


def ansible_env(tmp_path: Path, hub_url: str | None, secret: str | None) -> dict[str, str]:
    """The environment of a controller with the plugin enabled (or not, without `hub_url`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "ANSIBLE_"))}
    env |= {
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "LOGNAME": USER,
        "PYTHONWARNINGS": "ignore",
    }
    if hub_url is not None:
        env |= {
            "ANSIBLE_CALLBACK_PLUGINS": str(PLUGINS),
            "ANSIBLE_CALLBACKS_ENABLED": "hub",
            "HUB_URL": hub_url,
        }
    if secret is not None:
        env["HUB_ANSIBLE_SECRET"] = secret
    return env


def run_playbook(
    playbook: Path, env: dict[str, str], *args: str, hosts: str = "web-1,web-2,"
) -> Finished:
    """`ansible-playbook -i <hosts> -c local <playbook> <args>` in the playbook's folder."""
    started = time.monotonic()
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            hosts,
            "-c",
            "local",
            str(playbook),
            *args,
        ],
        cwd=playbook.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Finished(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
