"""HPO tasks as data: final states and outcomes, experiments ranked by metric, the best
parameters, and the poll loop behind `--wait`/`--follow`. No typer, no rich: callers render.

Direction of "best": `--objective` when given, else the task's objective when the server sends
it (the local engine adds `objective` and `objectiveMetric`; WMLA's HpoTaskState has neither),
else what the server's own `best` experiment implies, else minimize.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlicli import wmla
from dlicli.errors import ExitCode, TaskOutcome, UsageError, WaitTimeout
from dlicli.hporeport.shapes import dig as _dig
from dlicli.hporeport.shapes import exec_id
from dlicli.hporeport.shapes import (  # moved there for `hpo report`; re-exported for view, logs, tasks
    experiments as experiments,
)
from dlicli.hporeport.shapes import metric as metric
from dlicli.hporeport.shapes import objective_metric as objective_metric
from dlicli.hporeport.shapes import params as params
from dlicli.hporeport.shapes import state_of as state_of
from dlicli.timefmt import duration

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

OUTCOMES = {"FINISHED": ExitCode.OK, "FAILED": ExitCode.TASK_FAILED, "STOPPED": ExitCode.TASK_KILLED}
BAD = frozenset(wmla.FAILED_STATES + wmla.STOPPED_STATES)


def is_final(task: Any) -> bool:
    return state_of(task) in wmla.HPO_FINAL_STATES


def objective(task: Any, override: str | None = None) -> str:
    """ "minimize" or "maximize" for ranking this task's experiments (see the module doc)."""
    if override:
        value = wmla.objective(override)
        if value is None:
            raise UsageError(f"--objective must be minimize or maximize, not {override!r}")
        return value
    for path in (("objective",), ("algoDef", "objective"), ("input", "algoDef", "objective")):
        given = wmla.objective(_dig(task, *path))
        if given is not None:
            return given
    best = metric(task.get("best") or {}) if isinstance(task, dict) else None
    values = [m for m in map(metric, experiments(task)) if m is not None]
    if best is not None and values and min(values) != max(values) and best == max(values):
        return "maximize"
    return "minimize"


def ranked(task: Any, direction: str) -> list[dict[str, Any]]:
    """Experiments best first: those with a metric (by it), then the rest by id, then the failed."""
    sign = -1.0 if direction == "maximize" else 1.0

    def key(exp: dict[str, Any]) -> tuple[int, float, int]:
        value, ident = metric(exp), exp.get("id")
        ident = ident if isinstance(ident, int) else 0
        if state_of(exp) in BAD:
            return 2, 0.0, ident
        return (1, 0.0, ident) if value is None else (0, sign * value, ident)

    return sorted(experiments(task), key=key)


def best(task: Any, direction: str) -> dict[str, Any] | None:
    """The best FINISHED experiment: the server's `best` when it names one, else the top ranked."""
    server_best = task.get("best") if isinstance(task, dict) else None
    if isinstance(server_best, dict) and server_best.get("hyperParams") and metric(server_best) is not None:
        return server_best
    for exp in ranked(task, direction):
        if state_of(exp) == "FINISHED" and metric(exp) is not None:
            return exp
    return None


def param_names(task: Any) -> list[str]:
    names: list[str] = []
    for exp in experiments(task):
        for name in params(exp):
            if name not in names:
                names.append(name)
    return names


def raise_for_outcome(name: str, task: Any) -> None:
    """Return when the task FINISHED; TaskOutcome (10 FAILED, 11 STOPPED) otherwise."""
    state = state_of(task)
    code = OUTCOMES.get(state, ExitCode.ERROR)
    if code != ExitCode.OK:
        raise TaskOutcome(
            f"hpo task {name} ended {state or 'in no state'}", code, hint=f"see its experiments: dlicli hpo get {name}"
        )


def wait(
    client: DlpdClient,
    name: str,
    *,
    timeout: float | None,
    interval: float,
    on_poll: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Poll GET /hypersearch/{name} until the task is final; on_poll sees every answer."""
    from dlicli.execwatch import _Clock

    clock = _Clock(timeout, interval)
    while True:
        task = client.get_one_hpo(name)
        task = task if isinstance(task, dict) else {"hpoName": name}
        on_poll(task)
        if is_final(task):
            return task
        if clock.expired():
            raise WaitTimeout(
                f"hpo task {name} still {state_of(task) or 'running'} after {duration(timeout)}",
                hint=f"wait again with: dlicli hpo wait {name}",
            )
        clock.sleep()


class ChangeLog:
    """Turns successive polls into lines worth printing, in the order things happened: each
    experiment that changed state (started with its exec id, finished with its metric, failed with
    its reason), then the task's state and progress, which those changes made (so the final
    "FINISHED (24/24)" comes after the last experiment's line)."""

    def __init__(self, name: str, with_experiments: bool):
        self.name, self.with_experiments = name, with_experiments
        self.task: tuple | None = None
        self.seen: dict[Any, str] = {}

    def lines(self, task: dict[str, Any]) -> list[str]:
        out = self._experiment_lines(task) if self.with_experiments else []
        now = (state_of(task), task.get("progress"))
        if now != self.task:
            self.task = now
            progress = f" ({now[1]})" if now[1] else ""
            out.append(f"{self.name}: {now[0] or 'no state'}{progress}")
        return out

    def _experiment_lines(self, task: dict[str, Any]) -> list[str]:
        label = objective_metric(task) or "metric"
        out = []
        for exp in sorted(experiments(task), key=_event_order):
            state = state_of(exp)
            if self.seen.get(exp.get("id")) == state:
                continue
            first = exp.get("id") not in self.seen
            self.seen[exp.get("id")] = state
            detail = _detail(exp, state, label, first)
            out.append(f"{self.name}: experiment {exp.get('id')} {state or 'no state'}{detail}")
        return out


def _event_order(exp: dict[str, Any]) -> tuple[float, float, int]:
    """When an experiment's latest change happened: by its end (or start) time, then its id; the
    ones still running after those that ended."""
    from dlicli.timefmt import parse_time

    ident = exp.get("id")
    late = float("inf")
    end, start = parse_time(exp.get("endTime")), parse_time(exp.get("startTime"))
    return (late if end is None else end, late if start is None else start, ident if isinstance(ident, int) else 0)


def _detail(exp: dict[str, Any], state: str, label: str, first: bool) -> str:
    """What a change line adds: the metric of a finished experiment, the reason of one that failed,
    the exec id of one first seen submitted or running (for `dlicli exec logs`)."""
    value = metric(exp)
    if state == "FINISHED":
        return f" {label}={value:.6g}" if value is not None else ""
    why = " ".join(str(exp.get("reason") or "").split())
    if state in BAD:
        return f": {why}" if why else ""
    ident = exec_id(exp)
    return f" exec={ident}" if first and ident and state in wmla.EXPERIMENT_ACTIVE_STATES else ""
