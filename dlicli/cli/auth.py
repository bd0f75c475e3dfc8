"""`dlicli login|logout|status|token` (placeholder; being written)."""

from __future__ import annotations

import typer


def status(ctx: typer.Context) -> None:
    """Show the active connection."""
    raise NotImplementedError


COMMANDS = {"status": status}
