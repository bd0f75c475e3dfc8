"""`dlicli profile` (placeholder; being written)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Named connection profiles.", no_args_is_help=True)


@app.command("list")
def list_profiles() -> None:
    """List profiles."""
    raise NotImplementedError
