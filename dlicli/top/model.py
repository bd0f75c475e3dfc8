"""What `dlicli top` shows, as data: one poll of the server turned into panes of rows.

No typer, no Textual, no rich: the console (`dlicli.top.app`), the plain `--once` snapshot and the
tests all read the same `Snapshot`. Only the API's operations are used (through `DlpdClient`), so it
works against the local engine and WMLA alike. A pane whose request fails is left empty and its
error goes to `Snapshot.errors` (the status line), never an exception: one bad answer must not end
the console.

Bounds: tasks that ended are cut to the RECENT newest; a last log line is asked for at most
TAILS running tasks (GET /execs/{id}/log?tailLines=1: the local engine honours it, WMLA sends the
whole log and the last line is taken here); each search lists at most EXPERIMENTS running
experiments under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dlicli import logstreams, resplantree, tasklist, timefmt
from dlicli.errors import DlicliError
from dlicli.hporeport import shapes
from dlicli.top import searches
from dlicli.wmla import EXEC_FINAL_STATES

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

Record = dict[str, Any]
RECENT = 10
TAILS = 8
LINE_WIDTH = 80


@dataclass(frozen=True)
class Target:
    """What a row stands for, so a key can act on it: an exec task (its log, stop) or a search (stop)."""

    kind: str  # "exec" or "search"
    ident: str


@dataclass(frozen=True)
class Row:
    key: str  # unique in its pane: keeps the cursor on the same row across polls
    cells: tuple[str, ...]
    target: Target | None = None
    child: bool = False  # a row under another (a search's running experiment): not counted in the title


@dataclass(frozen=True)
class Pane:
    name: str  # "tasks", "searches", "apps", "plans"
    title: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...] = ()

    @property
    def size(self) -> int:
        """The rows a title counts: child rows are details of their parent."""
        return sum(not row.child for row in self.rows)

    def matching(self, text: str) -> Pane:
        """The rows with `text` in any cell (case-insensitive): what `/` shows."""
        needle = text.strip().lower()
        if not needle:
            return self
        kept = tuple(row for row in self.rows if any(needle in cell.lower() for cell in row.cells))
        return Pane(self.name, self.title, self.headers, kept)


@dataclass(frozen=True)
class Snapshot:
    panes: tuple[Pane, ...]
    errors: tuple[str, ...] = ()
    taken: float = field(default_factory=time.time)

    def pane(self, name: str) -> Pane:
        return next(p for p in self.panes if p.name == name)


TASK_HEADERS = ("ID", "STATE", "AGE", "DURATION", "FRAMEWORK", "LAST LOG LINE")
SEARCH_HEADERS = ("SEARCH", "STATE", "PROGRESS", "BEST SO FAR", "RUNNING", "DURATION")
APP_HEADERS = ("APPLICATION", "NAME", "STATE", "USER", "SLOTS", "DEMAND", "TYPE")
PLAN_HEADERS = ("PLAN", "CPU USED/REQ", "GPU USED/REQ")


def is_running(task: Record) -> bool:
    return str(task.get("state") or "").upper() == "RUNNING"


def is_final(task: Record) -> bool:
    return str(task.get("state") or "").upper() in EXEC_FINAL_STATES


def one_line(text: str, width: int = LINE_WIDTH) -> str:
    """A log line fit for a table cell: no line end, no carriage-return history, cut to `width`."""
    line = text.rstrip("\r\n").rsplit("\r", 1)[-1].strip()
    return line if len(line) <= width else line[: width - 1] + "…"


def last_log_line(client: DlpdClient, exec_id: str) -> str:
    """The task's last stdout line: tailLines=1 where the server honours it, else the text's last."""
    fetched = logstreams.fetch(client, exec_id, "stdout", tail=1)
    texts = [line.text for line in fetched.lines if line.text.strip()]
    return one_line(texts[-1]) if texts else ""


def chosen_tasks(tasks: list[Record]) -> list[Record]:
    """Active tasks first (oldest first), then the RECENT newest that ended; an HPO experiment
    (the server names its search: `hpoName`) shows under its search instead."""
    tasks = [t for t in tasks if isinstance(t, dict) and not t.get("hpoName")]

    def created(task: Record) -> float:
        return timefmt.parse_time(tasklist.created(task)) or 0.0

    active = sorted((t for t in tasks if not is_final(t)), key=created)
    ended = sorted((t for t in tasks if is_final(t)), key=created, reverse=True)[:RECENT]
    return active + ended


def task_row(task: Record, line: str, now: float) -> Row:
    ident = str(task.get("id") or "")
    cells = (
        ident,
        str(task.get("state") or ""),
        timefmt.age(timefmt.parse_time(tasklist.created(task)), now),
        timefmt.duration(tasklist.seconds(task)),
        tasklist.framework(task),
        line,
    )
    return Row(ident, cells, Target("exec", ident) if ident else None)


def task_pane(client: DlpdClient, errors: list[str], now: float) -> Pane:
    tasks = chosen_tasks(_fetch(errors, "tasks", client.execs_get) or [])
    lines: dict[str, str] = {}
    for task in [t for t in tasks if is_running(t)][:TAILS]:
        ident = str(task.get("id") or "")
        lines[ident] = _fetch(errors, f"log of {ident}", lambda i=ident: last_log_line(client, i)) or ""  # type: ignore[misc]
    rows = tuple(task_row(t, lines.get(str(t.get("id") or ""), ""), now) for t in tasks)
    return Pane("tasks", "Tasks", TASK_HEADERS, rows)


def search_pane(client: DlpdClient, errors: list[str]) -> Pane:
    found = _fetch(errors, "searches", client.get_all_hpo) or []
    rows: list[Row] = []
    for task in searches.chosen(found):
        name = str(task.get("hpoName") or "")
        cells = (
            name,
            shapes.state_of(task),
            searches.progress_text(task),
            searches.best_text(task),
            str(len(searches.running(task, limit=None))),
            searches.duration(task),
        )
        rows.append(Row("search:" + name, cells, Target("search", name)))
        for exp in searches.running(task):
            exec_id = shapes.exec_id(exp)
            label = f"  └ experiment {exp.get('id')}"
            exp_cells = (label, str(exp.get("state") or ""), "", searches.metric_text(task, exp), exec_id, "")
            rows.append(
                Row(f"exp:{name}:{exp.get('id')}", exp_cells, Target("exec", exec_id) if exec_id else None, child=True)
            )
    return Pane("searches", "Searches", SEARCH_HEADERS, tuple(rows))


def app_row(app: Record, index: int) -> Row:
    """One scheduler application (ApplicationDetail): ids, state, owner and slots as the API says."""
    keys = ("applicationid", "applicationname", "state", "username", "slots", "demandslots")
    cells = (*(_text(app.get(k)) for k in keys), _text(app.get("dltype") or app.get("type")))
    return Row(str(app.get("applicationid") or app.get("driverid") or index), cells)


def app_pane(client: DlpdClient, errors: list[str]) -> Pane:
    """Active applications first, then those that ended, at most 2 x RECENT."""
    apps = [a for a in _fetch(errors, "applications", client.get_applications) or [] if isinstance(a, dict)]
    apps = sorted(apps, key=is_final)[: RECENT * 2]
    return Pane("apps", "Applications", APP_HEADERS, tuple(app_row(a, i) for i, a in enumerate(apps)))


def plan_pane(client: DlpdClient, errors: list[str]) -> Pane:
    tree = _fetch(errors, "resource plans", client.get_resplan_tree)
    rows = tuple(
        Row(f"{plan.path}#{i}", ("  " * plan.depth + plan.name, plan.cpu, plan.gpu))
        for i, (_, plan) in enumerate(resplantree.walk(resplantree.roots(tree)))
    )
    return Pane("plans", "Resource plans", PLAN_HEADERS, rows)


def empty_panes() -> tuple[Pane, ...]:
    """The panes before the first poll: titles and headers, no rows."""
    return (
        Pane("tasks", "Tasks", TASK_HEADERS),
        Pane("searches", "Searches", SEARCH_HEADERS),
        Pane("apps", "Applications", APP_HEADERS),
        Pane("plans", "Resource plans", PLAN_HEADERS),
    )


def snapshot(client: DlpdClient, now: float | None = None) -> Snapshot:
    """One poll of the server: every pane, and what failed."""
    now = time.time() if now is None else now
    errors: list[str] = []
    panes = (
        task_pane(client, errors, now),
        search_pane(client, errors),
        app_pane(client, errors),
        plan_pane(client, errors),
    )
    return Snapshot(panes, tuple(errors), now)


def _fetch(errors: list[str], what: str, call: Callable[[], Any]) -> Any:
    """`call()`, or None with a line in `errors` when the server (or the way to it) fails."""
    try:
        return call()
    except DlicliError as exc:
        errors.append(f"{what}: {exc.message}")
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)
