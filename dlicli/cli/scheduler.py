"""`dlicli scheduler apps|stats|logs`: deep-learning applications and their logs (Scheduler tag)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Any

import typer

from dlicli.cli.exec.follow import IntervalOpt, SinceOpt, StderrOpt, StdoutOpt, TimestampsOpt
from dlicli.cli.options import (
    HeadersOpt,
    JsonOpt,
    LimitOpt,
    OutFileOpt,
    OutputOpt,
    QuietOpt,
    WatchOpt,
    nonblank,
    states_opt,
)
from dlicli.cli.state import output, state
from dlicli.output import Column, Output
from dlicli.wmla import APP_SORT_FIELDS

app = typer.Typer(help="List scheduler applications and statistics; read their logs.", no_args_is_help=True)


def _opt(flag: str, text: str, metavar: str = "TEXT") -> Any:
    return typer.Option(flag, help=text, metavar=metavar, show_default=False)


IdOpt = Annotated[str | None, _opt("--id", "Only the application with this ID.", "APPID")]
NameOpt = Annotated[str | None, _opt("--name", "Only applications with this name.", "NAME")]
AppStatesOpt = Annotated[list[str] | None, states_opt("applications")]
StartOpt = Annotated[int | None, typer.Option("--start", help="Index of the first entry (paging).", metavar="N", min=0)]
LengthOpt = Annotated[
    int | None, typer.Option("--length", help="How many entries to return (paging).", metavar="N", min=0)
]
SortOpt = Annotated[
    str | None,
    _opt(
        "--sort",
        f"Sort by {', '.join(APP_SORT_FIELDS)} (or the server's field name); -FIELD for descending.",
        "FIELD",
    ),
]
OrderOpt = Annotated[str | None, _opt("--order", "Sort order: asc or desc (also sent to the server).", "ORDER")]


@app.command("apps")
def apps(
    ctx: typer.Context,
    app_id: IdOpt = None,
    name: NameOpt = None,
    driver_id: Annotated[str | None, _opt("--driver-id", "Only the application of this driver.", "ID")] = None,
    search: Annotated[str | None, _opt("--search", "Free-text search.")] = None,
    sort: SortOpt = None,
    order: OrderOpt = None,
    start: StartOpt = None,
    length: LengthOpt = None,
    states: AppStatesOpt = None,
    limit: LimitOpt = None,
    quiet: QuietOpt = False,
    headers: HeadersOpt = None,
    watch: WatchOpt = False,
    interval: IntervalOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List deep-learning applications (GET /scheduler/applications).

    The filters, --sort/--order and --start/--length paging go to the server (--sort as the
    server's field name); --sort and --limit (the N most recently submitted, or the first N in
    --sort order) are applied here too.
    SUBMITTED is local time on a terminal, ISO-8601 when piped; DURATION reads `1m05s`.
    """
    from dlicli import listing
    from dlicli.wmla import APP_STATES

    wanted = listing.check_states(states, APP_STATES, "application")
    order = listing.check_order(order)
    ordered = _client_sort(sort, order)
    out = output(output_format, as_json)
    mode = listing.list_mode(out, limit=limit, quiet=quiet, watch=watch, headers=headers, interval=interval)
    server_length = length if length is not None or not (limit and sort) else limit
    filters: dict[str, Any] = {
        "applicationid": app_id,
        "applicationname": name,
        "driverid": driver_id,
        "search": search,
        "sort": _server_sort(sort, ordered),
        "order": order,
        "start": start,
        "length": server_length,
        "state": ",".join(sorted(wanted)) or None,
    }
    client = state(ctx).client()

    def poll() -> Any:
        rows = listing.in_states([r for r in client.get_applications(**filters) if isinstance(r, dict)], wanted)
        rows = listing.sort_rows(rows, ordered, SORT_KEYS)
        rows = listing.limit_rows(rows, limit, sorted_by_user=ordered is not None, created=_submitted)
        columns = listing.columns_for(out, _app_fits(out.stdout_is_tty), rows)
        return listing.Listing(rows, columns, newest_last=ordered is None)

    ident = lambda r: r.get("applicationid")  # noqa: E731
    listing.present(out, poll, mode, ident=ident, empty="no applications", volatile=("DURATION",))


def _client_sort(sort: str | None, order: str | None) -> tuple[str, bool] | None:
    """--sort as a column name (a server's field name is taken too) and whether it descends
    (-FIELD, or --order desc): checked before any request, and applied here as well."""
    from dlicli import listing

    server_names = {field: column for column, field in APP_SORT_FIELDS.items()}
    parsed = listing.parse_sort(sort, SORT_KEYS, server_names)
    return None if parsed is None else (parsed[0], parsed[1] or order == "desc")


def _server_sort(sort: str | None, ordered: tuple[str, bool] | None) -> str | None:
    """getApplications' `sort`: the server's field name, with the user's leading - kept."""
    if ordered is None:
        return None
    return ("-" if (sort or "").strip().startswith("-") else "") + APP_SORT_FIELDS[ordered[0]]


def _submitted(row: dict[str, Any]) -> Any:
    return row.get("submittedtime")


def _sort_key(column: str) -> Callable[[dict[str, Any]], Any]:
    """How rows sort by a column here: times and durations by their value, the rest as sent."""
    field = APP_SORT_FIELDS[column]
    if column == "submitted":
        return lambda row: _time_value(row.get(field))
    if column == "duration":
        return lambda row: _duration_value(row.get(field))
    return lambda row: row.get(field)


def _time_value(value: Any) -> Any:
    from dlicli import timefmt

    return timefmt.parse_time(value)


def _duration_value(value: Any) -> Any:
    from dlicli import timefmt

    return timefmt.parse_duration(value)


SORT_KEYS = {column: _sort_key(column) for column in APP_SORT_FIELDS}


def _app_fits(tty: bool) -> list[Any]:
    from dlicli import listing, timefmt

    return [
        listing.Fit(Column("ID", "applicationid", style="bold")),
        listing.Fit(Column("NAME", "applicationname"), give=2, shrink_to=12),
        listing.Fit(Column("STATE", "state")),
        listing.Fit(Column("USER", "username"), give=3),
        listing.Fit(Column("SLOTS", "slots"), give=4),
        listing.Fit(Column("CORES", "coresused"), give=4),
        listing.Fit(Column("MEM MB", "memused"), give=4),
        listing.Fit(listing.time_column("SUBMITTED", "submittedtime", tty=tty), give=5),
        listing.Fit(Column("DURATION", lambda r: timefmt.duration_text(r.get("apprunduration"))), give=6),
        listing.Fit(Column("FRAMEWORK", "dltype"), give=1),
    ]


def _ratio(used: str, requested: str):
    return lambda row: f"{_num(row.get(used))}/{_num(row.get(requested))}"


def _num(value: Any) -> str:
    from dlicli.output import format_cell

    return "-" if value is None else format_cell(value)


@app.command("stats")
def stats(
    ctx: typer.Context,
    app_id: IdOpt = None,
    name: NameOpt = None,
    consumer: Annotated[str | None, _opt("--consumer", "Only applications of this consumer.", "CONSUMER")] = None,
    start: StartOpt = None,
    length: LengthOpt = None,
    states: AppStatesOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per-user CPU/GPU use and job counts (GET /scheduler/applicationStatistic)."""
    from dlicli import listing
    from dlicli.wmla import APP_STATES

    wanted = listing.check_states(states, APP_STATES, "application")
    out = output(output_format, as_json)
    found = (
        state(ctx)
        .client()
        .get_application_statistic(
            applicationid=app_id,
            applicationname=name,
            consumer=consumer,
            start=start,
            length=length,
            state=",".join(sorted(wanted)) or None,
        )
    )
    columns = [
        Column("USER", "username", style="bold"),
        Column("CPU USED/REQ", _ratio("cpuUsed", "cpuReq")),
        Column("GPU USED/REQ", _ratio("gpuUsed", "gpuReq")),
        Column("PENDING", "jobPending"),
        Column("RUNNING", "jobRunning"),
    ]
    out.data(found, columns=columns, empty="no statistics")


@app.command("logs")
def logs(
    ctx: typer.Context,
    appid: Annotated[str, typer.Argument(metavar="APPID", callback=nonblank, help="The application's ID.")],
    executor: Annotated[str | None, _opt("--executor", "An executor's log instead of the driver's.", "EID")] = None,
    log_type: Annotated[
        str | None,
        typer.Option(
            "--type", help="One log: stdout, stderr or launcherlog (default: stdout and stderr).", metavar="TYPE"
        ),
    ] = None,
    stdout: StdoutOpt = False,
    stderr: StderrOpt = False,
    last: Annotated[
        int | None,
        typer.Option(
            "--tail",
            "--last",
            help="Only the last N lines (the server's default is 10).",
            metavar="N",
            show_default=False,
        ),
    ] = None,
    since: SinceOpt = None,
    timestamps: TimestampsOpt = False,
    download: Annotated[bool, typer.Option("--download", help="Save the whole log file instead.")] = False,
    out_file: OutFileOpt = None,
    force: Annotated[bool, typer.Option("--force", help="With --download: overwrite an existing file.")] = False,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until the application ends.")
    ] = False,
    interval: IntervalOpt = None,
) -> None:
    """Print an application's driver or executor logs; or --download one whole file.

    Its stdout and stderr by default (its stderr on our stderr, red on a terminal); --stdout,
    --stderr or --type picks one, printed on stdout. The scheduler's logs carry no times: --since
    and --timestamps say so (following, the times shown are when a line arrived here).

    --download saves to -O FILE (a directory: the server's name inside it; - for stdout), else the
    server's file name, else APPID[-EID]-TYPE.log; the file appears only when complete.

    --follow polls the last 10000 lines (or --tail N, if more) and prints only the lines past the
    overlap with the previous poll, until the application's state is final. If more lines than
    that arrive between two polls some are skipped (a warning says so); a log whose last lines
    repeat can hide a repeated line. Exit: 0 FINISHED, 10 FAILED/ERROR, 11 KILLED/STOPPED.
    """
    from dlicli import execwatch, logstreams, schedlogs
    from dlicli.errors import UsageError

    out = Output()
    if last is not None and last <= 0:
        raise UsageError(f"--tail must be a positive number of lines, not {last}", hint="for example --tail 100")
    types = schedlogs.pick_types(log_type, stdout, stderr)
    if download and len(types) > 1:
        types = ("stdout",)  # one file: stdout's unless --type, --stdout or --stderr says
    options = logstreams.log_options(tail=last, since=since, timestamps=timestamps)
    options = logstreams.LogOptions(types, options.tail, options.since, timestamps)
    if download and (follow or last is not None or since or timestamps):
        raise UsageError("--download saves the whole file: it takes neither --follow, --tail, --since nor --timestamps")
    if not download and (out_file is not None or force):
        raise UsageError(
            "-O/--output-file and --force go with --download", hint=f"dlicli scheduler logs {appid} --download -O FILE"
        )
    sources = [schedlogs.LogSource(appid, t, executor) for t in types]
    if download:
        _download(ctx, out, sources[0], out_file, force)
        return
    every = execwatch.poll_interval(interval) if follow else 0.0
    warning = logstreams.untimed_warning(options, following=follow)
    if warning:
        out.warn(warning)
    writer = logstreams.LogWriter(out, options)
    if not follow:
        for source, text in zip(sources, schedlogs.read_all(state(ctx).client(), sources, last)):
            writer.write(logstreams.parse(text, source.log_type, False))
        return
    _follow(ctx, out, sources, writer, last, every)


def _follow(ctx: typer.Context, out: Output, sources: list, writer: Any, last: int | None, every: float) -> None:
    from dlicli import execwatch, logstreams, schedlogs
    from dlicli.cli.exec.follow import _detachable
    from dlicli.errors import TaskOutcome

    source = sources[0]
    flags = (f" --executor {source.executor}" if source.executor else "") + (
        f" --type {source.log_type}" if len(sources) == 1 else ""
    )
    final = _detachable(
        f"the application runs on; reattach with: dlicli scheduler logs {source.appid}{flags} --follow",
        lambda: schedlogs.follow(
            state(ctx).client(),
            sources,
            lambda src, text: writer.write(logstreams.parse(text, src.log_type, False)),
            interval=every,
            last=last,
            notice=out.warn,
        ),
    )
    if final is None:
        out.warn(f"the scheduler no longer lists application {source.appid}; stopped following")
        return
    out.info(f"{source.appid}: {final}")
    code = execwatch.exit_code_for_states([final])
    if code:
        raise TaskOutcome(
            f"application {source.appid} ended {final}",
            code,
            hint=f"see its error log: dlicli scheduler logs {source.appid} --type stderr",
        )


def _download(ctx: typer.Context, out: Output, source: Any, out_file: str | None, force: bool) -> None:
    from dlicli import execwatch

    if out_file and out_file != "-" and not os.path.isdir(out_file):
        execwatch.check_destination(out_file, force)
    with source.download(state(ctx).client()) as response:
        chunks = response.iter_bytes()
        if out_file == "-":
            execwatch.copy_stream(chunks, out.stdout.buffer)
            return
        disposition = response.headers.get("content-disposition")
        path = execwatch.result_target(source.appid, out_file, disposition, default=source.default_name())
        size = execwatch.save_stream(chunks, path, force=force)
    out.info(f"saved {path} ({size} bytes)")
