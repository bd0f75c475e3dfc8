"""`dlicli completion` (placeholder; being written)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Print a shell completion script.", no_args_is_help=True)


@app.command("bash")
def bash() -> None:
    """Print the bash completion script."""
    raise NotImplementedError
