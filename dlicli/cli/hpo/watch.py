"""HPO tasks as data: final states and outcomes, the poll loop behind `--wait`/`--follow` and the
lines it prints. No typer, no rich: callers render.

Which experiment is best, and by which direction, is `dlicli.hpobest`'s one rule (the direction
from --objective or the search's own, never from the values); re-exported here for the views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlicli import hpobest, wmla
from dlicli.errors import ExitCode, TaskOutcome, WaitTimeout
from dlicli.hpobest import best as best
from dlicli.hpobest import ranked as ranked
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


def objective(task: Any, override: str | None = None) -> str | None:
    """ "minimize", "maximize", or None when neither --objective nor the search says."""
    return hpobest.objective(task, override)


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
        self.explained: set[str] = set()

    def lines(self, task: dict[str, Any]) -> list[str]:
        out = self._experiment_lines(task) if self.with_experiments else []
        now = (state_of(task), task.get("progress"))
        if now != self.task:
            self.task = now
            progress = f" ({now[1]})" if now[1] else ""
            out.append(f"{self.name}: {now[0] or 'no state'}{progress}{self._meaning(now[0])}")
        return out

    def _meaning(self, state: str) -> str:
        """What a state such as RECOVERPEND waits for, said the first time it is seen."""
        meaning = wmla.state_meaning(state)
        if meaning is None or state in self.explained:
            return ""
        self.explained.add(state)
        return f": {meaning}"

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
