"""Shared options, declared on every leaf (typer options on the root must come before the verb)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Output format: table, json or yaml.",
        metavar="table|json|yaml",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (same as -o json).", show_default=False)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.", show_default=False)]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="Give up waiting after this many seconds (exit 8).", metavar="SECONDS"),
]
OutFileOpt = Annotated[
    str | None,
    typer.Option("--output-file", "-O", help="Write to this file (- for stdout).", metavar="FILE"),
]


def nonblank(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """The callback of every id or name argument: a blank one (`exec delete ""`) is a usage error
    (exit 2) before the engine is started or any request is sent; the client refuses it too."""
    from dlicli.errors import require_identifier

    for item in value if isinstance(value, (list, tuple)) else [value]:
        if item is not None:
            require_identifier(item, f"{param.metavar or param.name} argument")
    return value


# -- lists (exec list, hpo list, scheduler apps): the typer-free logic is dlicli/listing.py --------

LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        help="At most N rows: the first N in --sort order, else the N most recent.",
        metavar="N",
        show_default=False,
    ),
]


def states_opt(things: str) -> Any:
    """A listing's --state (in `Annotated[list[str] | None, states_opt("tasks")]`): repeatable,
    comma-separated, any case; listing.check_states checks it."""
    return typer.Option(
        "--state",
        help=f"Only {things} in this state (repeat or comma-separate for several; any case).",
        metavar="STATE",
    )


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the ids, one per line.")]
HeadersOpt = Annotated[
    bool | None,
    typer.Option(
        "--headers/--no-headers",
        help="Print the header line (default: on a terminal, not when piped).",
        show_default=False,
    ),
]
WatchOpt = Annotated[
    bool,
    typer.Option(
        "--watch",
        "-w",
        help="Keep the list up to date until Ctrl-C: redrawn on a terminal; piped, each changed row with its time.",
    ),
]
