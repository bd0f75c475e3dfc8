"""`dlicli hpo get|best|wait|stop|restart|delete`: HPO tasks (HyperSearch tag), and the
wait/follow loop `hpo start` reuses. Ranking and states live in `watch` (typer-free)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from dlicli import hpobest
from dlicli.cli import completion
from dlicli.cli.hpo import view, watch
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt, YesOpt, nonblank
from dlicli.cli.state import AppState, output, state
from dlicli.output import Output, escape_controls

NameArg = Annotated[
    str,
    typer.Argument(metavar="NAME", callback=nonblank, help="The HPO task's name.", autocompletion=completion.hpo_names),
]
NamesArg = Annotated[
    list[str],
    typer.Argument(
        metavar="NAME", callback=nonblank, help="The HPO tasks' names.", autocompletion=completion.hpo_names
    ),
]
ObjectiveOpt = Annotated[
    str | None,
    typer.Option(
        "--objective",
        help="Rank as minimize or maximize (default: the search's own objective, when the server sends it).",
        metavar="minimize|maximize",
    ),
]
FollowOpt = Annotated[
    bool, typer.Option("--follow", "-f", help="Show the experiments live until the task ends; exit with its outcome.")
]
IntervalOpt = Annotated[
    float | None,
    typer.Option("--interval", help="Seconds between polls (default 2; env DLICLI_POLL_INTERVAL).", metavar="SECONDS"),
]


def _live_view(task: dict[str, Any], direction: str | None, width: int, height: int):
    """The live view of --follow on a terminal: the header lines, then the ranked experiments, never
    taller than `height` (the best and running rows stay; the rest fold into "… N more") nor wider
    than `width` (REASON gives way first; a row is one line)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    heads = view.header_lines(task, direction)
    rows, fold = view.on_screen(task, direction, room=height - len(heads) - 2)  # table header, cursor line
    cols = view.columns(task, direction, view.reason_width(task, direction, rows, width))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in cols:
        table.add_column(col.header, no_wrap=True, overflow="ellipsis")
    for exp in rows:
        table.add_row(*(Text(c.cell(exp)) for c in cols))
    lines = [Text(line, no_wrap=True, overflow="ellipsis") for line in heads]
    return Group(*lines, table, *([Text(fold, no_wrap=True, overflow="ellipsis")] if fold else []))


def _follow_live(out: Output, run: Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]], direction):
    """Redraw the live view in place on every poll; returns the final task."""
    from rich.live import Live

    console = out.console()

    def draw(live: Live, task: dict[str, Any]) -> None:
        size = console.size
        live.update(_live_view(task, watch.objective(task, direction), size.width, size.height), refresh=True)

    with Live(console=console, auto_refresh=False, vertical_overflow="crop") as live:
        return run(lambda task: draw(live, task))


def wait_for(
    st: AppState,
    out: Output,
    name: str,
    timeout: float | None,
    *,
    follow: bool,
    live: bool = True,
    direction: str | None = None,
    interval: float | None = None,
) -> dict[str, Any]:
    """Poll until the task is final: with --follow a live table (when `live` and stdout is a
    terminal), else experiment changes on stderr; without, task state changes on stderr.
    Ctrl-C detaches (exit 130) with a hint to reattach. Returns the final task."""
    from dlicli import execwatch
    from dlicli.cli.exec.follow import _detachable

    every = execwatch.poll_interval(interval)
    execwatch.check_timeout(timeout)
    watch.objective({}, direction)  # a bad --objective fails before the first request
    client = st.client()
    hint = f"the search runs on; reattach with: dlicli hpo wait {name}{' --follow' if follow else ''}"

    def run(on_poll: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        return _detachable(hint, lambda: watch.wait(client, name, timeout=timeout, interval=every, on_poll=on_poll))

    if follow and live and out.stdout_is_tty:
        return _follow_live(out, run, direction)
    log = watch.ChangeLog(name, with_experiments=follow)

    def report_changes(task: dict[str, Any]) -> None:
        for line in log.lines(task):
            out.info(line)

    return run(report_changes)


def finish(out: Output, name: str, task: dict[str, Any]) -> None:
    """Exit with the task's outcome; on success point at `hpo best`."""
    watch.raise_for_outcome(name, task)
    out.hint(f"the best parameters: dlicli hpo best {name}")


def get(
    ctx: typer.Context,
    name: NameArg,
    direction: ObjectiveOpt = None,
    follow: FollowOpt = False,
    interval: IntervalOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an HPO task (GET /hypersearch/{name}): its state on stderr, then its experiments
    best first (marked *): ID, EXEC (for `dlicli exec logs`), STATE, the metric, DURATION, REASON
    (why it failed), one column per hyper-parameter; failed ones last. Ranked by --objective, else
    the search's own objective; a search that does not say (WMLA 1.2.x) is shown in id order with
    the server's best marked. Piped, a header line comes first (the columns depend on the search).
    With --follow, live until the task ends.
    """
    out = output(output_format, as_json)
    watch.objective({}, direction)
    if follow:
        task = wait_for(
            state(ctx), out, name, None, follow=True, live=out.format == "table", direction=direction, interval=interval
        )
        if out.format != "table" or not out.stdout_is_tty:
            show_task(out, task, direction)
        finish(out, name, task)
        return
    show_task(out, state(ctx).client().get_one_hpo(name), direction)


def show_task(out: Output, task: Any, direction: str | None) -> None:
    """The task's lines on stderr and its experiment table on stdout (or the task as JSON/YAML)."""
    if out.format != "table" or not isinstance(task, dict):
        out.data(task)
        return
    how = watch.objective(task, direction)
    for line in view.header_lines(task, how):
        out.info(line)
    if how is None and watch.experiments(task):
        out.info(f"{hpobest.OBJECTIVE_UNKNOWN} to rank the experiments")
    rows = watch.ranked(task, how)
    width = out.console().size.width if out.stdout_is_tty else None
    cols = view.columns(task, how, view.reason_width(task, how, rows, width) if width else None)
    if rows and not out.stdout_is_tty:  # the columns are the search's own: say which is which
        out.write("\t".join(escape_controls(c.header) for c in cols) + "\n")
    out.data(rows, columns=cols, empty="no experiments yet" if not watch.is_final(task) else "no experiments")


def best(
    ctx: typer.Context,
    name: NameArg,
    direction: ObjectiveOpt = None,
    output_format: Annotated[
        str | None, typer.Option("--output", "-o", help="json (default), yaml or table.", metavar="json|yaml|table")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the best experiment's hyper-parameters as a flat {name: value} (JSON by default),
    ready for a config.json: the server's `best`, else the best FINISHED experiment by --objective
    or the search's own objective. Exit 3 when no experiment finished with a metric, 2 when the
    objective is unknown."""
    out = output(output_format or "json", as_json)
    watch.objective({}, direction)
    task = state(ctx).client().get_one_hpo(name)
    out.data(watch.params(_best_or_raise(name, task, direction)))


def _best_or_raise(name: str, task: Any, direction: str | None) -> dict[str, Any]:
    """The best experiment; else why there is none: still running (wait for it), ended without a
    result (exit 3), or results but no direction to rank them by (exit 2)."""
    from dlicli.errors import UsageError
    from dlicli.hporeport.shapes import nothing_finished

    top = watch.best(task, watch.objective(task, direction))
    if top is not None:
        return top
    if not hpobest.counted(task):
        raise nothing_finished(name, task)
    raise UsageError(
        f"hpo task {name}: {hpobest.OBJECTIVE_UNKNOWN} (the server sent no objective and no best)",
        hint=f"say which is better: dlicli hpo best {name} --objective minimize|maximize",
    )


def wait(
    ctx: typer.Context,
    name: NameArg,
    follow: FollowOpt = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    direction: ObjectiveOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Wait until an HPO task ends (polls GET /hypersearch/{name}); with --follow, a live table.

    Exit 0 FINISHED, 10 FAILED, 11 STOPPED, 8 on --timeout. With --json the final task is printed.
    """
    out = output(output_format, as_json)
    task = wait_for(
        state(ctx),
        out,
        name,
        timeout,
        follow=follow,
        live=out.format == "table",
        direction=direction,
        interval=interval,
    )
    if out.format != "table":
        out.data(task)
    finish(out, name, task)


def stop(
    ctx: typer.Context,
    names: NamesArg,
    force: Annotated[bool, typer.Option("--force", help="Kill running experiments too (PUT …/force).")] = False,
) -> None:
    """Stop HPO tasks (PUT /hypersearch/{name}); the stopped names go to stderr."""
    from dlicli.cli.bulk import each

    client = state(ctx).client()
    each(names, "stop", client.stop_one_hpo_force if force else client.stop_one_hpo, Output(), "hpo tasks")


def restart(ctx: typer.Context, names: NamesArg) -> None:
    """Restart stopped HPO tasks from where they were (PUT /hypersearch/{name}/restart)."""
    from dlicli.cli.bulk import each

    each(names, "restart", state(ctx).client().restart_one_hpo, Output(), "hpo tasks")


def delete(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NAME",
            callback=nonblank,
            help="The HPO tasks to delete.",
            show_default=False,
            autocompletion=completion.hpo_names,
        ),
    ] = None,
    all_tasks: Annotated[bool, typer.Option("--all", help="Delete every HPO task (DELETE /hypersearch).")] = False,
    yes: YesOpt = False,
) -> None:
    """Delete HPO tasks (DELETE /hypersearch/{name}), or all with --all (asks first unless --yes)."""
    from dlicli.cli.bulk import delete_ids_or_all

    delete_ids_or_all(
        state(ctx),
        names,
        all_tasks,
        yes,
        delete_one=lambda c: c.delete_one_hpo,
        delete_all=lambda c: c.delete_all_hpo(),
        noun="hpo tasks",
        one="hpo task",
        ids_word="names",
        usage="dlicli hpo delete",
    )
