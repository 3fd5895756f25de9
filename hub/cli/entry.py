"""The `hub` console script: the commands in `hub.cli.main`; Ctrl-C never shows a traceback."""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> None:
    """Run the commands; a Ctrl-C at any moment ends hub with one line and exit 130.

    Loading takes a moment (aiohttp, pydantic, the adapters): long enough for a Ctrl-C. Once
    loaded, click would turn a Ctrl-C into "Aborted!" and exit 1, which reads like a failure;
    so the commands run outside click's standalone mode and hub answers for them.
    """
    try:
        import click

        from hub.cli.main import main as commands
    except KeyboardInterrupt:
        _interrupted()
    try:
        code = commands.main(standalone_mode=False)
    except click.Abort as exc:
        # click raises Abort from a Ctrl-C (a prompt's, too: it keeps it as the context).
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            _interrupted()
        click.echo("Aborted!", err=True)  # a prompt answered "no", or its input ended
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # while click tidies up after the command
        _interrupted()
    # A command returns None; `ctx.exit(n)` comes back here as n.
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted() -> NoReturn:
    sys.stderr.write("hub: interrupted\n")
    sys.exit(130)
