"""`dlicli exec logs|wait`, and the wait/follow helpers `exec start` reuses.

The loops live in `dlicli.execwatch`; here: options, output, and Ctrl-C turned into a
detach (exit 130) with a hint saying how to reattach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt, nonblank
from dlicli.cli.state import AppState, output, state
from dlicli.output import Output
from dlicli.wmla import FAILED_STATES, STOPPED_STATES

if TYPE_CHECKING:
    from dlicli.logstreams import LogOptions
    from dlicli.metrics import MetricsLine

T = TypeVar("T")

IntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--interval",
        help="Seconds between polls (default 2, at least 0.1; env DLICLI_POLL_INTERVAL).",
        metavar="SECONDS",
    ),
]


def _detachable(hint: str, fn: Callable[[], T]) -> T:
    """Run fn; on Ctrl-C re-raise KeyboardInterrupt carrying `hint` for the mapper (exit 130)."""
    try:
        return fn()
    except KeyboardInterrupt as exc:
        exc.hint = hint  # type: ignore[attr-defined]
        raise


def _wait(st: AppState, out: Output, exec_ids: list[str], timeout: float | None, interval: float | None) -> dict:
    from dlicli import execwatch

    every = execwatch.poll_interval(interval)
    execwatch.check_timeout(timeout)
    ids = " ".join(exec_ids)
    return _detachable(
        f"the {'task runs' if len(exec_ids) == 1 else 'tasks run'} on; wait again with: dlicli exec wait {ids}",
        lambda: execwatch.wait_for(
            st.client(),
            exec_ids,
            timeout=timeout,
            interval=every,
            on_change=lambda exec_id, s: out.info(f"{exec_id}: {execwatch.state_text(s)}"),
        ),
    )


StdoutOpt = Annotated[bool, typer.Option("--stdout", help="Only the task's output (stdout).")]
StderrOpt = Annotated[bool, typer.Option("--stderr", help="Only the task's error log (stderr), on stdout.")]
TailOpt = Annotated[
    int | None,
    typer.Option("--tail", help="Only the last N lines (following: start from them).", metavar="N", show_default=False),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Only lines written in the last DURATION (30s, 5m, 2h).", metavar="DURATION", show_default=False
    ),
]
TimestampsOpt = Annotated[bool, typer.Option("--timestamps", help="Begin each line with the time it was written.")]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new output until the task ends.")]


def _follow(
    st: AppState,
    out: Output,
    exec_id: str,
    timeout: float | None,
    interval: float | None = None,
    options: LogOptions | None = None,
    reattach: str | None = None,
    metrics: MetricsLine | None = None,
) -> dict[str, Any]:
    """Follow the task's logs (with `metrics`, its latest values below them); after its final state
    line, a failed task's last stderr lines when stderr was not on screen."""
    from dlicli import execwatch, logstreams

    options = options or logstreams.LogOptions()
    every = execwatch.poll_interval(interval)
    execwatch.check_timeout(timeout)
    writer = logstreams.LogWriter(out, options)
    write = metrics.around(writer.write) if metrics else writer.write
    batch = _detachable(
        f"the task runs on; reattach with: {reattach or f'dlicli exec logs {exec_id}'} --follow{_picked(options)}",
        lambda: execwatch.follow_log(
            st.client(),
            exec_id,
            write,
            options=options,
            timeout=timeout,
            interval=every,
            notice=out.warn,
            on_batch=metrics.update if metrics else None,
        ),
    )
    if metrics:
        metrics.close()
    final = execwatch.state_of(batch)
    out.info(f"{exec_id}: {final}")
    say_why(out, exec_id, batch)
    if "stderr" not in options.streams and final in FAILED_STATES + STOPPED_STATES:
        writer.failure_tail(logstreams.stderr_tail(st.client(), exec_id))
    return batch


def _picked(options: LogOptions) -> str:
    """The option that picked one stream (for a hint), or ""."""
    return f" --{options.streams[0]}" if len(options.streams) == 1 else ""


def wait_and_exit(st: AppState, out: Output, exec_ids: list[str], timeout: float | None) -> None:
    """Wait until every task is final; return if all FINISHED, else raise TaskOutcome/WaitTimeout."""
    from dlicli import execwatch

    batches = _wait(st, out, exec_ids, timeout, None)
    _failure_tails(st, out, batches)
    execwatch.raise_for_outcome(batches)


def say_why(out: Output, exec_id: str, batch: Any) -> None:
    """On stderr, why a task that ended FAILED or ERROR did so: its `events`, as the server says."""
    from dlicli import execwatch

    for line in execwatch.why_failed(batch):
        out.info(f"{exec_id} events: {line}")


def _failure_tails(st: AppState, out: Output, batches: dict[str, dict]) -> None:
    """Why each task that ended FAILED or ERROR did so (its events) and its last stderr lines
    (one GET each)."""
    from dlicli import execwatch, logstreams

    writer = logstreams.LogWriter(out, logstreams.LogOptions())
    for exec_id, batch in batches.items():
        if execwatch.state_of(batch) in FAILED_STATES:
            say_why(out, exec_id, batch)
            text = logstreams.stderr_tail(st.client(), exec_id)
            writer.failure_tail(f"{exec_id}:\n{text}" if len(batches) > 1 and text.strip() else text)


def follow_and_exit(
    st: AppState, out: Output, exec_id: str, timeout: float | None = None, metrics: bool = False
) -> None:
    """Print the task's logs as they grow until it is final (with `metrics`, its latest values
    below them); return if it FINISHED, else raise. When stdout holds data (--json, -o yaml,
    --query), the log goes to stderr, both streams."""
    from dlicli import execwatch
    from dlicli.metrics import MetricsLine

    if out.format != "table":
        out = Output(stdout=out.stderr, stderr=out.stderr)
    batch = _follow(st, out, exec_id, timeout, metrics=MetricsLine(out, exec_id) if metrics else None)
    execwatch.raise_for_outcome({exec_id: batch})


def show_logs(
    st: AppState,
    exec_id: str,
    options: LogOptions,
    *,
    follow: bool,
    interval: float | None,
    timeout: float | None,
    reattach: str | None = None,
) -> None:
    """`exec logs` and `hpo logs`: the log now, or followed until the task ends (exit: its outcome)."""
    from dlicli import execwatch, logstreams

    out = Output()
    if not follow:
        lines, timed = logstreams.snapshot(st.client(), exec_id, options)
        warning = None if timed else logstreams.untimed_warning(options, following=False)
        if warning:
            out.warn(warning)
        shown = options if timed else dataclasses.replace(options, timestamps=False)
        logstreams.LogWriter(out, shown).write(lines)
        return
    batch = _follow(st, out, exec_id, timeout, interval, options, reattach)
    execwatch.raise_for_outcome({exec_id: batch}, stderr_shown="stderr" in options.streams)


def logs(
    ctx: typer.Context,
    exec_id: Annotated[
        str, typer.Argument(metavar="ID", callback=nonblank, help="The task's id.", autocompletion=completion.task_ids)
    ],
    follow: FollowOpt = False,
    stdout: StdoutOpt = False,
    stderr: StderrOpt = False,
    tail: TailOpt = None,
    since: SinceOpt = None,
    timestamps: TimestampsOpt = False,
    interval: IntervalOpt = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Print a task's output and error logs (GET /execs/{id}/log); with --follow, until the task ends.

    Both streams by default, as `docker logs` shows them: the task's stdout on stdout, its stderr
    on stderr (red on a terminal), so `2>/dev/null` keeps only the output. --stdout or --stderr
    prints one stream, on stdout. --tail, --since and --timestamps work as in kubectl; --since and
    --timestamps need a server that records when lines were written (the local engine does).

    With --follow the exit code is the task's outcome: 0 FINISHED, 10 FAILED/ERROR, 11 KILLED; a
    task that did not finish shows its last stderr lines when stderr was not followed.
    """
    from dlicli import logstreams

    options = logstreams.log_options(stdout, stderr, tail, since, timestamps)
    show_logs(state(ctx), exec_id, options, follow=follow, interval=interval, timeout=timeout)


def wait(
    ctx: typer.Context,
    exec_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID", callback=nonblank, help="The tasks to wait for.", autocompletion=completion.task_ids
        ),
    ],
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Wait until every task ends (polls GET /execs/{id}); state changes go to stderr.

    Exit 0 when all FINISHED, 10 if any FAILED/ERROR, else 11 if any KILLED, 8 on --timeout.
    A task that ended FAILED or ERROR shows why (its events) and its last stderr lines (one more
    request each). A state it waits through (PENDING_CRD_SCHEDULER …) says what it waits for.
    With --json (or -o yaml) the final Batch objects are printed, as a list.
    """
    from dlicli import execwatch

    out = output(output_format, as_json)
    st = state(ctx)
    batches = _wait(st, out, exec_ids, timeout, interval)
    if out.format != "table":
        out.data(list(batches.values()))
    _failure_tails(st, out, batches)
    execwatch.raise_for_outcome(batches)
