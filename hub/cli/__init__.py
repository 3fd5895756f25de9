"""The `hub` command line."""

from __future__ import annotations

import sys


def main() -> None:
    """The `hub` console script: the commands in `hub.cli.main`; Ctrl-C never shows a traceback.

    Loading the commands takes a moment; a Ctrl-C meanwhile ends the program with one line.
    """
    try:
        from hub.cli.main import main as commands
    except KeyboardInterrupt:
        sys.stderr.write("hub: interrupted\n")
        sys.exit(130)
    commands()
