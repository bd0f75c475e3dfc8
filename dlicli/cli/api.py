"""`dlicli api` (placeholder; being written)."""

from __future__ import annotations

import typer


def api(ctx: typer.Context) -> None:
    """Call any operation, raw."""
    raise NotImplementedError
