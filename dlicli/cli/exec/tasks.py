"""`dlicli exec list|get|stop|delete|deploy|frameworks` (placeholder; being written)."""

from __future__ import annotations

import typer


def list_tasks(ctx: typer.Context) -> None:
    """List tasks (GET /execs)."""
    raise NotImplementedError


def get(ctx: typer.Context) -> None:
    """Show a task."""
    raise NotImplementedError


def stop(ctx: typer.Context) -> None:
    """Stop a task."""
    raise NotImplementedError


def delete(ctx: typer.Context) -> None:
    """Delete tasks."""
    raise NotImplementedError


def deploy(ctx: typer.Context) -> None:
    """Deploy a task's model."""
    raise NotImplementedError


def frameworks(ctx: typer.Context) -> None:
    """List frameworks."""
    raise NotImplementedError
