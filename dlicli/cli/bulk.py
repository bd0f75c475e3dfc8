"""Acting on several things at once: one call per id (`stop A B C`), and asking before `--all`.

Shared by `exec`, `hpo` and `hpo algorithm` (and any group with a `delete --all`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from dlicli.output import Output


def each(ids: list[str], verb: str, call: Callable[[str], Any], out: Output, noun: str = "tasks") -> None:
    """Call for every id, like `docker stop`: report each failure, go on, and end with the
    first failure's exit code. Connection and credential failures stop at once."""
    from dlicli.errors import APIError, DlicliError

    failures: list[tuple[str, DlicliError]] = []
    for item in ids:
        try:
            call(item)
        except APIError as exc:
            if len(ids) == 1:
                raise
            out.error(f"{item}: {exc.message}")
            failures.append((item, exc))
            continue
        out.info(item)
    if failures:
        first = failures[0][1]
        summary = DlicliError(
            f"could not {verb} {len(failures)} of {len(ids)} {noun}: " + ", ".join(i for i, _ in failures),
            hint=first.hint,
        )
        summary.exit_code = first.exit_code
        raise summary


def ask(question: str) -> bool:
    """Ask on stderr, read a line on stdin (click's prompt leaks a space to stdout)."""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def confirm(question: str, *, yes: bool, example: str) -> None:
    """Go on when --yes was given or the user answers yes; refuse to ask without a terminal
    (exit 2, hint `example`); abort (exit 1) on any other answer."""
    from dlicli.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("refusing to ask: stdin is not a terminal; pass --yes", hint=example)
    if not ask(question):
        raise typer.Abort()
