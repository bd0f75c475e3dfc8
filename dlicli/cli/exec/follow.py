"""`dlicli exec logs|wait|result` (placeholder; being written)."""

from __future__ import annotations

import typer


def logs(ctx: typer.Context) -> None:
    """Print a task's logs."""
    raise NotImplementedError


def wait(ctx: typer.Context) -> None:
    """Wait for tasks."""
    raise NotImplementedError


def result(ctx: typer.Context) -> None:
    """Download a task's result."""
    raise NotImplementedError
