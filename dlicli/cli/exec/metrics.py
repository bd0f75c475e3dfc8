"""`dlicli exec metrics`: a task's per-epoch values ($RESULT_DIR/val_dict_list.json) as a table or a
terminal plot, now or growing while the task runs (--follow).

The logic (where the rows come from, columns, plot) is in `dlicli.metrics`; here: options, the
poll loop's output, and Ctrl-C as a detach (exit 130) from `exec logs`' follow.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.exec.follow import FollowOpt, IntervalOpt, _detachable
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt, nonblank
from dlicli.cli.state import output, state
from dlicli.output import Output

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

PlotOpt = Annotated[
    bool,
    typer.Option("--plot", help="Draw each metric against the step in the terminal (needs the [plots] extra)."),
]
CELL = 12  # a followed table's column width on a terminal
CLEAR_SCREEN = "\x1b[H\x1b[2J"  # --follow --plot on a terminal: each redraw from the top


def metrics(
    ctx: typer.Context,
    exec_id: Annotated[
        str, typer.Argument(metavar="ID", callback=nonblank, help="The task's id.", autocompletion=completion.task_ids)
    ],
    follow: FollowOpt = False,
    plot: PlotOpt = False,
    interval: IntervalOpt = None,
    timeout: TimeoutOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the values a task writes to $RESULT_DIR/val_dict_list.json, one row per epoch.

    The step column (steps, epoch or step; else the row number) comes first, then one column per
    metric. The local engine reports them while the task runs (GET /execs/{id}); on a server that
    does not (WMLA) they are read from the task's result zip once it ends, and stderr says so.

    With --follow new rows are printed as the task writes them until it ends; the exit code is then
    the task's outcome (0 FINISHED, 10 FAILED/ERROR, 11 KILLED), as `exec logs --follow`. --plot
    draws each metric against the step (plotext, `pip install 'dlicli[plots]'`); on a terminal
    with --follow it is redrawn as it grows, piped it is drawn once, at the end. A task with no
    values (yet) exits 3. With --json the rows as a list (with --follow, once the task ends).
    """
    from dlicli import execwatch
    from dlicli import metrics as taskmetrics
    from dlicli.errors import UsageError

    out = output(output_format, as_json)
    if plot and out.format != "table":
        raise UsageError("--plot draws a chart; it cannot be combined with --json or -o")
    if plot:
        taskmetrics.load_plotext()
    every = execwatch.poll_interval(interval)
    execwatch.check_timeout(timeout)
    if timeout is not None and not follow:
        raise UsageError("--timeout needs --follow")
    client = state(ctx).client()
    if not follow:
        _show(out, exec_id, _snapshot(client, out, exec_id), plot)
        return
    view = _Follow(out, exec_id, plot)
    batch = _detachable(
        f"the task runs on; reattach with: dlicli exec metrics {exec_id} --follow",
        lambda: _follow(client, view, exec_id, every, timeout),
    )
    view.finish()
    final = execwatch.state_of(batch)
    out.info(f"{exec_id}: {final}")
    execwatch.raise_for_outcome({exec_id: batch})
    if not view.rows:
        raise taskmetrics.no_metrics(exec_id, final, view.why or _explain(client, exec_id))


def _snapshot(client: DlpdClient, out: Output, exec_id: str) -> list[dict]:
    """The rows now: the Batch's metrics field, else (a final task) its result zip; exit 3 without any."""
    from dlicli import execwatch
    from dlicli import metrics as taskmetrics
    from dlicli.errors import NotFoundError

    batch = client.execs_exec_id_get(exec_id)
    current = execwatch.state_of(batch)
    rows = taskmetrics.from_batch(batch)
    if rows is None:
        if not execwatch.is_final(current):
            raise NotFoundError(
                f"task {exec_id} is {current or 'running'}: this server reports metrics only in a task's result, "
                "once it ends",
                hint=f"wait for them: dlicli exec metrics {exec_id} --follow",
            )
        raw = taskmetrics.result_file(client, exec_id)
        out.info(taskmetrics.FROM_RESULT)
        rows = taskmetrics.rows_of(raw)
        if not rows:
            raise taskmetrics.no_metrics(exec_id, current, taskmetrics.why_no_rows(raw))
    if not rows:
        why = _explain(client, exec_id) if execwatch.is_final(current) else None
        raise taskmetrics.no_metrics(exec_id, current, why)
    return rows


def _explain(client: DlpdClient, exec_id: str) -> str | None:
    """Why an ended task's metrics field is empty, from the val_dict_list.json in its result (one
    more download, on this error path only): none there, or one that is not a list of objects. None
    when the result cannot say (too large, not a zip …): the error stays "no metrics", exit 3."""
    from dlicli import metrics as taskmetrics
    from dlicli.errors import DlicliError

    try:
        raw = taskmetrics.result_file(client, exec_id)
    except DlicliError:
        return None
    return None if taskmetrics.rows_of(raw) else taskmetrics.why_no_rows(raw)


def _show(out: Output, exec_id: str, rows: list[dict], plot: bool) -> None:
    """All the rows at once: a plot, a table, or the list as JSON/YAML."""
    from dlicli import metrics as taskmetrics
    from dlicli.output import Column

    if plot:
        _draw(out, _chart(out, rows))
        return
    if out.format != "table":
        out.data(rows)
        return
    names = taskmetrics.columns(rows)
    out.data(taskmetrics.table_rows(rows), columns=[Column(name, _cell_of(name)) for name in names])


def _cell_of(name: str) -> Any:
    return lambda row: row.get(name)


def _chart(out: Output, rows: list[dict]) -> str:
    import shutil

    from dlicli import metrics as taskmetrics

    size = shutil.get_terminal_size()
    return taskmetrics.plot(rows, size.columns, size.lines - 2, color=out.stdout_is_tty and out.color)


def _draw(out: Output, chart: str) -> None:
    """A chart as plotext made it: its colour codes kept (the names in it were escaped)."""
    out.stdout.write(chart + "\n")
    out.stdout.flush()


def _follow(client: DlpdClient, view: _Follow, exec_id: str, every: float, timeout: float | None) -> dict:
    """Poll GET /execs/{id} until the task is final, showing new rows; its last Batch. Without the
    metrics field (WMLA), wait for the end and read the result."""
    from dlicli import execwatch
    from dlicli import metrics as taskmetrics
    from dlicli.errors import WaitTimeout
    from dlicli.timefmt import duration

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        batch = client.execs_exec_id_get(exec_id)
        rows = taskmetrics.from_batch(batch)
        final = execwatch.is_final(execwatch.state_of(batch))
        if rows is None and final:
            view.out.info(taskmetrics.FROM_RESULT)
            raw = taskmetrics.result_file(client, exec_id)
            rows = taskmetrics.rows_of(raw)
            view.why = None if rows else taskmetrics.why_no_rows(raw)
        view.show(rows)
        if final:
            return batch
        if deadline is not None and time.monotonic() >= deadline:
            raise WaitTimeout(
                f"task {exec_id} still running after {duration(timeout)}",
                hint=f"follow it again with: dlicli exec metrics {exec_id} --follow",
            )
        time.sleep(every if deadline is None else max(0.0, min(every, deadline - time.monotonic())))


class _Follow:
    """What --follow prints: rows as they arrive (a table growing, JSON at the end) or the plot
    (redrawn on a terminal, drawn once at the end when piped)."""

    def __init__(self, out: Output, exec_id: str, plot: bool):
        self.out, self.exec_id, self.plot = out, exec_id, plot
        self.rows: list[dict] = []
        self.why: str | None = None  # why the result held no rows, once read (a server without the field)
        self.header: list[str] = []
        self.waiting = False

    def show(self, rows: list[dict] | None) -> None:
        from dlicli import metrics as taskmetrics

        if rows is None:
            if not self.waiting:
                self.waiting = True
                self.out.info("this server does not report metrics while a task runs; waiting for the task to end")
            return
        fresh = taskmetrics.new_rows(len(self.rows), rows)
        if not fresh:
            return
        start = len(self.rows)
        self.rows += fresh
        if self.plot:
            if self.out.stdout_is_tty:
                _draw(self.out, CLEAR_SCREEN + _chart(self.out, self.rows))
        elif self.out.format == "table":
            self._table_lines(taskmetrics.table_rows(self.rows)[start:])

    def _table_lines(self, fresh: list[dict]) -> None:
        """New rows: tab-separated when piped; aligned under a header (again when a metric appears)
        on a terminal."""
        from dlicli import metrics as taskmetrics
        from dlicli.output import format_cell

        names = taskmetrics.columns(self.rows)
        tty = self.out.stdout_is_tty
        if tty and names != self.header:
            self.out.write("  ".join(name.ljust(CELL) for name in names).rstrip() + "\n")
        self.header = names
        for row in fresh:
            cells = [format_cell(row.get(name)) for name in names]
            self.out.write(("  ".join(c.ljust(CELL) for c in cells).rstrip() if tty else "\t".join(cells)) + "\n")

    def finish(self) -> None:
        """At the end: the list as JSON/YAML, or the plot drawn once when piped."""
        if not self.rows:
            return
        if self.out.format != "table":
            self.out.data(self.rows)
        elif self.plot and not self.out.stdout_is_tty:
            _draw(self.out, _chart(self.out, self.rows))
