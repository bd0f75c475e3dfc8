"""`dlicli top`: a live console of one server, in the manner of k9s (the `tui` extra), or one plain
snapshot of the same panes (`--once`, or when stdout is not a terminal: no Textual needed).

The rows come from the typer-free `dlicli.top.model`; the console is `dlicli.top.app`, imported only
here, only for a terminal, so `dlicli --help` never loads textual.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dlicli.cli.state import state
from dlicli.errors import UsageError

INSTALL = "dlicli top needs the tui extra: pip install 'dlicli[tui]'"


def _interval(value: float | None) -> float:
    """--interval, else $DLICLI_POLL_INTERVAL, else 2; it must be more than 0 (a console that polls
    without pause would load the server for nothing)."""
    from dlicli.execwatch import poll_interval

    if value is not None and not value > 0:
        raise UsageError(f"--interval must be more than 0 seconds, not {value:g}", hint="for example --interval 5")
    every = poll_interval(value)
    if every <= 0:
        raise UsageError("the poll interval must be more than 0 seconds, not 0 ($DLICLI_POLL_INTERVAL)")
    return every


def _console_class() -> type:
    """The Textual console, or a usage error (exit 2) naming the extra when textual is missing."""
    try:
        from dlicli.top.app import TopApp
    except ImportError:
        raise UsageError(INSTALL) from None
    return TopApp


def top(
    ctx: typer.Context,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval", help="Seconds between polls (default 2; env DLICLI_POLL_INTERVAL).", metavar="SECONDS"
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Print one snapshot of the panes as text tables and exit (no Textual).")
    ] = False,
) -> None:
    """A live console of the server: running and recent tasks, searches, applications, resource plans.

    Keys: arrows or j/k move, Tab switches pane, Enter opens the selected task's or experiment's
    log (followed; Esc goes back), s stops it (after a confirm), / filters the rows, r refreshes,
    q quits. When stdout is not a terminal, or with --once, one snapshot is printed instead.
    """
    from dlicli.output import Output

    every = _interval(interval)
    out = Output()
    live = not once and out.stdout_is_tty
    console = _console_class() if live else None
    st = state(ctx)
    client = st.client()
    if console is None:
        from dlicli.top import model, plain

        plain.show(out, model.snapshot(client))
        return
    console(client, interval=every, server=st.connection().url).run()


commands = typer.Typer()  # the root registers it lazily (cli/app.py COMMANDS)
commands.command("top")(top)
