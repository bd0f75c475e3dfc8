"""`dlicli exec logs|wait`, and the wait/follow helpers `exec start` reuses.

The loops live in `dlicli.execwatch`; here: options, output, and Ctrl-C turned into a
detach (exit 130) with a hint saying how to reattach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt, nonblank
from dlicli.cli.state import AppState, output, state
from dlicli.output import Output

T = TypeVar("T")

IntervalOpt = Annotated[
    float | None,
    typer.Option("--interval", help="Seconds between polls (default 2; env DLICLI_POLL_INTERVAL).", metavar="SECONDS"),
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
            on_change=lambda exec_id, s: out.info(f"{exec_id}: {s}"),
        ),
    )


def _follow(
    st: AppState,
    out: Output,
    exec_id: str,
    timeout: float | None,
    interval: float | None = None,
    log_type: str = "outlog",
) -> dict[str, Any]:
    from dlicli import execwatch

    every = execwatch.poll_interval(interval)
    execwatch.check_timeout(timeout)
    flag = " --stderr" if log_type == "errlog" else ""
    batch = _detachable(
        f"the task runs on; reattach with: dlicli exec logs {exec_id} --follow{flag}",
        lambda: execwatch.follow_log(
            st.client(),
            exec_id,
            out.write,
            log_type=log_type,
            timeout=timeout,
            interval=every,
            notice=out.warn,
        ),
    )
    out.info(f"{exec_id}: {execwatch.state_of(batch)}")
    return batch


def wait_and_exit(st: AppState, out: Output, exec_ids: list[str], timeout: float | None) -> None:
    """Wait until every task is final; return if all FINISHED, else raise TaskOutcome/WaitTimeout."""
    from dlicli import execwatch

    execwatch.raise_for_outcome(_wait(st, out, exec_ids, timeout, None))


def follow_and_exit(st: AppState, out: Output, exec_id: str, timeout: float | None = None) -> None:
    """Print the task's log as it grows until it is final; return if it FINISHED, else raise."""
    from dlicli import execwatch

    batch = _follow(st, out, exec_id, timeout)
    execwatch.raise_for_outcome({exec_id: batch})


def logs(
    ctx: typer.Context,
    exec_id: Annotated[
        str, typer.Argument(metavar="ID", callback=nonblank, help="The task's id.", autocompletion=completion.task_ids)
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new output until the task ends.")
    ] = False,
    stderr: Annotated[bool, typer.Option("--stderr", help="The task's error log instead of its output.")] = False,
    interval: IntervalOpt = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Print a task's log (GET /execs/{id}/log); with --follow, until the task ends.

    With --follow the exit code is the task's outcome: 0 FINISHED, 10 FAILED/ERROR, 11 KILLED.
    """
    from dlicli import execwatch

    out = Output()
    log_type = "errlog" if stderr else "outlog"
    st = state(ctx)
    if not follow:
        out.write(st.client().execs_exec_id_log_get(exec_id, log_type))
        return
    batch = _follow(st, out, exec_id, timeout, interval, log_type)
    execwatch.raise_for_outcome({exec_id: batch})


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
    With --json (or -o yaml) the final Batch objects are printed, as a list.
    """
    from dlicli import execwatch

    out = output(output_format, as_json)
    batches = _wait(state(ctx), out, exec_ids, timeout, interval)
    if out.format != "table":
        out.data(list(batches.values()))
    execwatch.raise_for_outcome(batches)
