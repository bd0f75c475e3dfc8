"""An HPO search (HpoTaskState) read for `dlicli top`'s searches pane: progress, best so far, the
experiments still running. Typer-free and Textual-free.

Read tolerantly, as WMLA and the local engine send it: `progress` may be "3/8" (the engine) or
missing, so the count is also taken from `complete` and the input's `maxJobNum`; the best is the
server's `best`, else the best FINISHED experiment by the search's own objective, by the one rule
`hpo best` uses (dlicli.hpobest); nothing when the search does not say its objective.
"""

from __future__ import annotations

import re
from typing import Any

from dlicli import hpobest, timefmt, wmla
from dlicli.hporeport import shapes
from dlicli.hporeport.shapes import dig, experiments, metric
from dlicli.hporeport.shapes import state_of as state

Record = dict[str, Any]
BAR_WIDTH = 10
EXPERIMENTS = 5
_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def is_active(task: Record) -> bool:
    return state(task) in wmla.HPO_ACTIVE_STATES


def chosen(found: Any, recent: int = 5) -> list[Record]:
    """The active searches, then the `recent` last that ended (the server's order kept)."""
    tasks = [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []
    ended = [t for t in tasks if not is_active(t)]
    return [t for t in tasks if is_active(t)] + ended[-recent:]


def running(task: Record, limit: int | None = EXPERIMENTS) -> list[Record]:
    """The experiments not yet ended (at most `limit` of them)."""
    active = [e for e in experiments(task) if str(e.get("state") or "").upper() in wmla.EXPERIMENT_ACTIVE_STATES]
    return active if limit is None else active[:limit]


def progress(task: Record) -> tuple[int, int | None]:
    """(experiments complete, experiments planned or None when unbounded/unknown)."""
    match = _FRACTION.match(str(task.get("progress") or ""))
    if match:
        return int(match.group(1)), int(match.group(2)) or None
    done = task.get("complete")
    done = done if isinstance(done, int) and not isinstance(done, bool) else 0
    limit = dig(task, "input", "algoDef", "maxJobNum") or dig(task, "algoDef", "maxJobNum")
    return done, limit if isinstance(limit, int) and limit > 0 else None


def bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    """`████░░░░░░ 4/10`; without a known total only the count."""
    if not total:
        return f"{done}/-"
    filled = min(width, round(width * done / total))
    return "█" * filled + "░" * (width - filled) + f" {done}/{total}"


def progress_text(task: Record) -> str:
    return bar(*progress(task))


def objective_metric(task: Record) -> str:
    return shapes.objective_metric(task) or "metric"


def best(task: Record) -> Record | None:
    """The best experiment so far, as `hpo best` picks it (dlicli.hpobest): the server's `best`,
    else the best counted one by the search's own objective; none while that is unknown."""
    return hpobest.best(task, hpobest.objective(task))


def metric_text(task: Record, exp: Record) -> str:
    value = metric(exp)
    return "" if value is None else f"{objective_metric(task)}={value:.6g}"


def best_text(task: Record) -> str:
    """`loss=0.0123 (#4)`, or nothing before an experiment has finished."""
    top = best(task)
    return "" if top is None else f"{metric_text(task, top)} (#{top.get('id')})"


def duration(task: Record) -> str:
    """The search's duration as `1m05s` (the server's own, else from its times)."""
    if task.get("duration") not in (None, ""):
        return timefmt.duration_text(task.get("duration"))
    end = None if is_active(task) else task.get("endTime")
    return timefmt.duration(timefmt.elapsed(task.get("startTime") or task.get("createtime"), end))
