"""The `hub` console script: the commands in `hub.cli.main`; Ctrl-C never shows a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    """Load the commands and run them; a Ctrl-C while they load ends hub with one line.

    Loading takes a moment (aiohttp, pydantic, the adapters): long enough for a Ctrl-C.
    """
    try:
        from hub.cli.main import main as commands
    except KeyboardInterrupt:
        sys.stderr.write("hub: interrupted\n")
        sys.exit(130)
    commands()
