"""Dynamic completion: the `autocompletion=` callbacks of task ids, HPO names, plans, algorithms
and profiles.

Import-light (typer only): the lookups in dlicli.completer, and httpx with them, are imported
only when a value is actually completed. The root options already on the command line
(--url, --profile, --insecure, --ca-bundle) choose the server, as they would for the command.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

Candidates = list[tuple[str, str]]


def _connection(ctx: typer.Context) -> dict:
    params = ctx.find_root().params
    return {
        "url": params.get("url"),
        "profile": params.get("profile"),
        "insecure": True if params.get("insecure") else None,
        "ca_bundle": params.get("ca_bundle"),
    }


def _from_server(kind: str) -> Callable[[typer.Context, str], Candidates]:
    def complete(ctx: typer.Context, incomplete: str) -> Candidates:
        from dlicli.completer import server_values

        return server_values(kind, incomplete, **_connection(ctx))

    complete.__name__ = complete.__qualname__ = f"complete_{kind}"
    return complete


task_ids = _from_server("tasks")
hpo_names = _from_server("hpo")
plan_names = _from_server("plans")
algorithm_names = _from_server("algorithms")


def profile_names(incomplete: str) -> Candidates:
    from dlicli.completer import profile_names as names

    return names(incomplete)
