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
    from dlicli.cli.hints import hint_for
    from dlicli.errors import APIError, DlicliError

    failures: list[tuple[str, DlicliError]] = []
    for item in ids:
        try:
            call(item)
        except APIError as exc:
            if len(ids) == 1:
                raise
            out.error(exc.message if item in exc.names.values() else f"{item}: {exc.message}")  # named once
            failures.append((item, exc))
            continue
        out.info(item)
    if failures:
        first = failures[0][1]
        summary = DlicliError(
            f"could not {verb} {len(failures)} of {len(ids)} {noun}: " + ", ".join(i for i, _ in failures),
            hint=hint_for(first),
        )
        summary.exit_code = first.exit_code
        raise summary


def ask(question: str) -> bool:
    """Ask on stderr, read a line on stdin (click's prompt leaks a space to stdout)."""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def confirm(question: str, *, yes: bool, example: str) -> None:
    """Go on when --yes was given or the user answers yes: every command that asks first asks
    here, in one wording. Without a terminal to ask on: a usage error (exit 2, hint `example`,
    the command with --yes). Any answer but yes: nothing is done, and it is no error (kubectl
    says "deletion is cancelled"; gh exits 2 silently on a cancel), so no `error:` line and exit
    2, as when it could not ask: a script's `&&` never takes "no" for done."""
    from dlicli.errors import ExitCode, UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f'cannot ask "{question}": stdin is not a terminal', hint=f"confirm with --yes: {example}")
    if not ask(question):
        Output().info("not confirmed: nothing was changed")
        raise typer.Exit(ExitCode.USAGE)


def delete_ids_or_all(
    st: Any,
    ids: list[str] | None,
    all_items: bool,
    yes: bool,
    *,
    delete_one: Callable[[Any], Callable[[str], Any]],
    delete_all: Callable[[Any], Any],
    noun: str,
    one: str,
    ids_word: str,
    usage: str,
    all_done: str | None = None,
) -> None:
    """`delete ID…` or `delete --all [--yes]`: exactly one of the two; --all asks first.

    `delete_one(client)` gives the per-id call, `delete_all(client)` makes the one request;
    `noun`/`one` name the things (plural/singular), `ids_word` how they are given ("task ids"),
    `usage` the command without arguments, e.g. "dlicli exec delete"; `all_done` what --all says
    once done (default "deleted all your <noun>").
    """
    from dlicli.errors import UsageError

    out = Output()
    if all_items and ids:
        raise UsageError(f"give {ids_word} or --all, not both", hint=f"{usage} ID… | {usage} --all")
    if not all_items and not ids:
        raise UsageError(f"no {one} to delete", hint=f"give one or more {ids_word}, or --all to delete all of yours")
    if not all_items:
        each(list(ids or []), "delete", delete_one(st.client()), out, noun)
        return
    confirm(f"Delete ALL your {noun} on {st.connection().url}?", yes=yes, example=f"{usage} --all --yes")
    delete_all(st.client())
    out.info(all_done or f"deleted all your {noun}")
