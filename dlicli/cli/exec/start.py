"""`dlicli exec start` (placeholder; being written)."""

from __future__ import annotations

import typer


def start(ctx: typer.Context) -> None:
    """Submit a training task (POST /execs)."""
    raise NotImplementedError
