"""`dlicli hpo list`: the HPO tasks you can see (GET /hypersearch), with exec list's options where
they make sense (--state, --sort, --limit, -q, --headers, --watch). GET /hypersearch takes no
query args, so all of it is done here."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dlicli.cli.exec.follow import IntervalOpt
from dlicli.cli.options import HeadersOpt, JsonOpt, LimitOpt, OutputOpt, QuietOpt, WatchOpt, states_opt
from dlicli.cli.state import output, state

SortOpt = Annotated[
    str | None,
    typer.Option(
        "--sort",
        help="Sort by created, name, state, duration or best; -FIELD for descending.",
        metavar="FIELD",
        show_default=False,
    ),
]
StatesOpt = Annotated[list[str] | None, states_opt("HPO tasks")]


def list_tasks(
    ctx: typer.Context,
    states: StatesOpt = None,
    limit: LimitOpt = None,
    sort: SortOpt = None,
    quiet: QuietOpt = False,
    headers: HeadersOpt = None,
    watch: WatchOpt = False,
    interval: IntervalOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the HPO tasks you can see (GET /hypersearch). DURATION reads `1m05s`; CREATED is the
    server's time, local on a terminal and ISO-8601 when piped. -q prints the names only."""
    from dlicli import listing
    from dlicli.wmla import HPO_STATES

    out = output(output_format, as_json)
    wanted = listing.check_states(states, HPO_STATES, "HPO task")
    order = listing.parse_sort(sort, SORT_FIELDS)
    mode = listing.list_mode(out, limit=limit, quiet=quiet, watch=watch, headers=headers, interval=interval)
    client = state(ctx).client()

    def poll() -> listing.Listing:
        rows = listing.in_states(client.get_all_hpo(), wanted)
        rows = listing.sort_rows(rows, order, SORT_FIELDS)
        rows = listing.limit_rows(rows, limit, sorted_by_user=order is not None, created=_created)
        columns = listing.columns_for(out, _fits(out.stdout_is_tty), rows)
        return listing.Listing(rows, columns, newest_last=order is None)

    listing.present(out, poll, mode, ident=_name, empty="no hpo tasks", volatile=("DURATION",))


def _name(row: dict[str, Any]) -> Any:
    return row.get("hpoName")


def _created(row: dict[str, Any]) -> Any:
    return row.get("createtime")


def _fits(tty: bool) -> list[Any]:
    from dlicli import listing, timefmt
    from dlicli.output import Column

    return [
        listing.Fit(Column("NAME", "hpoName", style="bold")),
        listing.Fit(Column("STATE", "state")),
        listing.Fit(Column("PROGRESS", "progress"), give=5),
        listing.Fit(Column("BEST METRIC", _best), give=6),
        listing.Fit(Column("RUNNING", "running"), give=3),
        listing.Fit(Column("COMPLETE", "complete"), give=3),
        listing.Fit(Column("FAILED", "failed"), give=4),
        listing.Fit(Column("DURATION", lambda r: timefmt.duration_text(r.get("duration"))), give=5),
        listing.Fit(Column("CREATOR", "creator"), give=1),
        listing.Fit(listing.time_column("CREATED", "createtime", tty=tty), give=2),
    ]


def _best(row: dict[str, Any]) -> Any:
    """The server's best metric, else the one hpo best would pick (none when the objective is unknown)."""
    from dlicli import hpobest

    best = hpobest.best(row, hpobest.objective(row))
    return hpobest.counted_metric(best) if best is not None else None


def _seconds(row: dict[str, Any]) -> Any:
    from dlicli import timefmt

    return timefmt.parse_duration(row.get("duration"))


def _stamp(row: dict[str, Any]) -> Any:
    from dlicli import timefmt

    return timefmt.parse_time(_created(row))


SORT_FIELDS = {
    "created": _stamp,
    "name": _name,
    "state": lambda r: r.get("state"),
    "duration": _seconds,
    "best": _best,
}
