"""`dlicli top --once`: the console's panes as text tables through dlicli.output (no Textual).

Each pane is its title, then its table with its header line (also when piped, so a reader knows
the columns); errors go to stderr as warnings, one per failed request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlicli.output import Column, Output
from dlicli.top.model import Pane, Snapshot


def _cell(index: int) -> Callable[[dict[str, Any]], str]:
    return lambda row: row["cells"][index]


def columns(pane: Pane) -> list[Column]:
    return [Column(header, _cell(i)) for i, header in enumerate(pane.headers)]


def show_pane(out: Output, pane: Pane) -> None:
    rows = [{"cells": row.cells} for row in pane.rows]
    if out.stdout_is_tty:
        out.table(rows, columns(pane), title=f"{pane.title} ({pane.size})")
        return
    out.write(f"# {pane.title} ({pane.size})\n")
    out.table(rows, columns(pane))
    out.write("\n")


def show(out: Output, snapshot: Snapshot) -> None:
    """Every pane in order, then what failed."""
    out.headers = True
    for pane in snapshot.panes:
        show_pane(out, pane)
    for error in snapshot.errors:
        out.warn(error)
