"""`dlicli hpo get|best|wait|stop|restart|delete`: HPO tasks (HyperSearch tag), and the
wait/follow loop `hpo start` reuses. Ranking and states live in `watch` (typer-free)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.hpo import watch
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt, YesOpt, nonblank
from dlicli.cli.state import AppState, output, state
from dlicli.output import Column, Output, format_cell

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
        help="Rank as minimize or maximize (default: the task's, when the server says).",
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


def experiment_columns(task: dict[str, Any], direction: str) -> list[Column]:
    """Best mark, id, state, the metric, then one column per hyper-parameter."""
    top = watch.best(task, direction)
    best_id = top.get("id") if top else None
    cols = [
        Column("BEST", lambda r: "*" if best_id is not None and r.get("id") == best_id else ""),
        Column("ID", "id", style="bold"),
        Column("STATE", "state"),
        Column((watch.objective_metric(task) or "metric").upper(), "metricVal"),
    ]
    for name in watch.param_names(task):
        cols.append(Column(name, _param_cell(name)))
    return cols


def _param_cell(name: str) -> Callable[[dict[str, Any]], Any]:
    """How a column reads hyper-parameter `name` from an experiment row."""
    return lambda row: watch.params(row).get(name)


def header_lines(task: dict[str, Any], direction: str) -> list[str]:
    """The task in a line or two: state and counts, then its best experiment."""
    counts = "  ".join(
        f"{k} {format_cell(task.get(k))}"
        for k in ("progress", "running", "complete", "failed", "duration")
        if task.get(k) is not None
    )
    lines = [f"{task.get('hpoName') or ''}  {watch.state_of(task) or 'no state'}  {counts}".rstrip()]
    top = watch.best(task, direction)
    if top is not None:
        shown = ", ".join(f"{k}={format_cell(v)}" for k, v in watch.params(top).items())
        label = watch.objective_metric(task) or "metric"
        lines.append(
            f"best: experiment {top.get('id')}  {label}={format_cell(top.get('metricVal'))}  "
            f"({direction})  {shown}".rstrip()
        )
    return lines


def _render(task: dict[str, Any], direction: str):
    """The live view of --follow on a terminal: header, then the ranked experiments."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    cols = experiment_columns(task, direction)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in cols:
        table.add_column(col.header, overflow="fold")
    for exp in watch.ranked(task, direction):
        table.add_row(*(c.cell(exp) for c in cols))
    return Group(*(Text(line) for line in header_lines(task, direction)), table)


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
        from rich.live import Live

        with Live(console=out.console(), auto_refresh=False) as table:
            return run(lambda task: table.update(_render(task, watch.objective(task, direction)), refresh=True))
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
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an HPO task (GET /hypersearch/{name}): its state on stderr, then its experiments
    best first (marked *), one column per hyper-parameter; failed ones last."""
    out = output(output_format, as_json)
    watch.objective({}, direction)
    task = state(ctx).client().get_one_hpo(name)
    if out.format != "table" or not isinstance(task, dict):
        out.data(task)
        return
    how = watch.objective(task, direction)
    for line in header_lines(task, how):
        out.info(line)
    rows = watch.ranked(task, how)
    out.data(rows, columns=experiment_columns(task, how), empty="no experiments yet")


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
    ready for a config.json. Exit 3 while no experiment has finished."""
    from dlicli.errors import NotFoundError

    out = output(output_format or "json", as_json)
    watch.objective({}, direction)
    task = state(ctx).client().get_one_hpo(name)
    top = watch.best(task, watch.objective(task, direction))
    if top is None:
        raise NotFoundError(
            f"hpo task {name} has no finished experiment yet ({watch.state_of(task) or 'no state'})",
            hint=f"wait for it: dlicli hpo wait {name}",
        )
    out.data(watch.params(top))


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
