"""What `hpo get` and the live `--follow` view show of a search: the experiment table's columns, a
REASON that gives way first when the terminal is narrow, and the rows that stay on a short
terminal (header, the best and the running experiments; the rest folded into "… N more").

No typer, no rich: `tasks.py` renders. Experiments come in WMLA's shape (`appId`, `startTime` and
`endTime` as "YYYY-MM-DD HH:MM:SS", no reason) or the local engine's (`execId` and `reason` too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlicli import timefmt, wmla
from dlicli.cli.hpo import watch
from dlicli.hporeport.shapes import exec_id
from dlicli.output import Column, format_cell

GAP = 2  # the space rich puts between two columns of a box-less table
REASON_MIN = 12  # below this a reason says nothing; other columns are cut instead
ACTIVE = frozenset(wmla.EXPERIMENT_ACTIVE_STATES)


def duration(exp: dict[str, Any]) -> str:
    """How long it ran (`1m05s`): the server's duration, else from its start to its end (or now)."""
    if exp.get("duration") not in (None, ""):
        return timefmt.duration_text(exp.get("duration"))
    end = exp.get("endTime") if watch.state_of(exp) not in ACTIVE else None
    return timefmt.duration(timefmt.elapsed(exp.get("startTime"), end))


def reason(exp: dict[str, Any]) -> str:
    """Why it failed or stopped, in one line (the engine sends it; WMLA does not)."""
    return " ".join(str(exp.get("reason") or "").split())


def metric_header(task: dict[str, Any]) -> str:
    return (watch.objective_metric(task) or "metric").upper()


def columns(task: dict[str, Any], direction: str | None, reason_width: int | None = None) -> list[Column]:
    """Best mark, ID, EXEC, STATE, the metric, DURATION, REASON (cut to `reason_width`), then one
    column per hyper-parameter."""
    top = watch.best(task, direction)
    best_id = top.get("id") if top else None
    return [
        Column("BEST", lambda r: "*" if best_id is not None and r.get("id") == best_id else ""),
        Column("ID", "id", style="bold"),
        Column("EXEC", exec_id),
        Column("STATE", "state"),
        Column(metric_header(task), "metricVal"),
        Column("DURATION", duration),
        Column("REASON", lambda r: shorten(reason(r), reason_width)),
        *(Column(name, _param_cell(name)) for name in watch.param_names(task)),
    ]


def _param_cell(name: str) -> Callable[[dict[str, Any]], Any]:
    """How a column reads hyper-parameter `name` from an experiment row."""
    return lambda row: watch.params(row).get(name)


def shorten(text: str, width: int | None) -> str:
    """`text` cut to `width` characters, the cut marked with …"""
    if width is None or len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def reason_width(task: dict[str, Any], direction: str | None, rows: list[dict[str, Any]], width: int) -> int | None:
    """How wide REASON may be so the table fits `width` columns (None: no need to cut it)."""
    cols = columns(task, direction)
    widths = [max([len(c.header)] + [len(c.cell(r)) for r in rows]) for c in cols]
    total = sum(widths) + GAP * (len(widths) - 1)
    if total <= width:
        return None
    reason_at = [c.header for c in cols].index("REASON")
    room = widths[reason_at] - (total - width)
    return max(room, min(REASON_MIN, widths[reason_at]), len("REASON"))


def header_lines(task: dict[str, Any], direction: str | None) -> list[str]:
    """The task in a line or two: state and counts, then its best experiment."""
    shown = {k: task.get(k) for k in ("progress", "running", "complete", "failed") if task.get(k) is not None}
    if task.get("duration") not in (None, ""):
        shown["duration"] = timefmt.duration_text(task.get("duration"))
    counts = "  ".join(f"{k} {format_cell(v)}" for k, v in shown.items())
    lines = [f"{task.get('hpoName') or ''}  {watch.state_of(task) or 'no state'}  {counts}".rstrip()]
    meaning = wmla.state_meaning(watch.state_of(task))
    if meaning:
        lines.append(f"{watch.state_of(task)}: {meaning}")
    top = watch.best(task, direction)
    if top is not None:
        values = ", ".join(f"{k}={format_cell(v)}" for k, v in watch.params(top).items())
        label = watch.objective_metric(task) or "metric"
        how_unknown = "the server's best"
        lines.append(
            f"best: experiment {top.get('id')}  {label}={format_cell(top.get('metricVal'))}  "
            f"({direction or how_unknown})  {values}".rstrip()
        )
    return lines


def on_screen(task: dict[str, Any], direction: str | None, room: int) -> tuple[list[dict[str, Any]], str | None]:
    """The ranked experiments that fit in `room` lines, and the "… N more" line for the rest.

    The best and the running (or submitted) experiments come first; what room is left goes to the
    others in rank order. Shown rows keep their rank order."""
    rows = watch.ranked(task, direction)
    if len(rows) <= room:
        return rows, None
    room = max(room - 1, 1)  # the fold line takes one
    top = watch.best(task, direction)
    wanted = [r for r in rows if top is not None and r.get("id") == top.get("id")]
    wanted += [r for r in rows if watch.state_of(r) in ACTIVE and r not in wanted]
    wanted += [r for r in rows if r not in wanted]
    kept = [id(r) for r in wanted[:room]]
    shown = [r for r in rows if id(r) in kept]
    return shown, fold_line([r for r in rows if id(r) not in kept])


def fold_line(hidden: list[dict[str, Any]]) -> str:
    """ "… 27 more (20 finished, 5 failed, 2 running)": the folded rows by state."""
    counts: dict[str, int] = {}
    for exp in hidden:
        state = watch.state_of(exp).lower() or "no state"
        counts[state] = counts.get(state, 0) + 1
    by_state = ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"… {len(hidden)} more ({by_state})"
