"""A task's per-epoch metrics (its `$RESULT_DIR/val_dict_list.json`) for `exec metrics` and
`exec start --follow --metrics`: where they come from, their columns, the latest line, the plot.

The local engine answers them in `GET /execs/{id}`'s `metrics` field while the task runs; a server
without that field (WMLA) has them only in the task's result zip, once the task is done. Both are
read with the engine's one bounded reader (engine/tasks/valdict.py: 1 MiB, 10 000 entries).
Typer-free; plotext (the `[plots]` extra) is imported only to draw.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from dlicli.engine.tasks.valdict import MAX_BYTES, MISSING, VAL_FILE, metric_rows, parse_values
from dlicli.engine.tasks.valdict import why_no_rows as why_no_rows  # the words HPO's reasons share
from dlicli.errors import NotFoundError, ProtocolError, UsageError
from dlicli.output import escape_controls, format_cell

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

STEP_KEYS = ("steps", "epoch", "step")  # the first one the rows have is the step column
INDEX_COLUMN = "#"  # rows with none of them are numbered from 1
FROM_RESULT = "read from the task's result (this server does not report metrics while a task runs)"
MAX_ZIP_BYTES = 2 << 30  # a result zip larger than this is not downloaded to look for the file
INSTALL_PLOTS = "pip install 'dlicli[plots]'"
NO_ROWS = f"no rows read from its {VAL_FILE}"  # all that is known: its result was not read, or not yet
SHAPE_HINT = f'{VAL_FILE} should be a JSON list, one object per epoch: [{{"epoch": 1, "loss": 0.5}}, …]'


def from_batch(batch: Any) -> list[dict] | None:
    """The rows of a Batch's `metrics` field; None when the server does not send one."""
    if not isinstance(batch, dict) or not isinstance(batch.get("metrics"), list):
        return None
    return [row for row in batch["metrics"] if isinstance(row, dict)]


def val_file(data: bytes) -> bytes | None:
    """The val_dict_list.json in a result zip (the shallowest one, at most MAX_BYTES + 1 bytes read),
    None without one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ProtocolError("the task's result is not a zip archive") from None
    found = [info for info in archive.infolist() if info.filename.rsplit("/", 1)[-1] == VAL_FILE]
    if not found:
        return None
    member = min(found, key=lambda info: info.filename.count("/"))
    with archive.open(member) as file:
        return file.read(MAX_BYTES + 1)


def rows_of(raw: bytes | None) -> list[dict]:
    """A val_dict_list.json's rows, read as the engine reads it; [] without a file."""
    return [] if raw is None else metric_rows(parse_values(raw))


def result_file(client: DlpdClient, exec_id: str) -> bytes | None:
    """The val_dict_list.json in the task's result zip (GET /execs/{id}/result); None when the task
    has no result or the result has no such file."""
    from dlicli.errors import APIError

    chunks = bytearray()
    try:
        with client.execs_exec_id_result_get(exec_id) as response:
            for chunk in response.iter_bytes():
                chunks += chunk
                if len(chunks) > MAX_ZIP_BYTES:
                    raise UsageError(f"the result of task {exec_id} is over {MAX_ZIP_BYTES >> 30} GiB; not read")
    except APIError as exc:
        if exc.status == 404:  # the engine's answer for a task that wrote no result
            return None
        raise
    return val_file(bytes(chunks)) if chunks else None


def no_metrics(exec_id: str, state: str, why: str | None = None) -> NotFoundError:
    """Exit 3: the task has written no metrics (yet). `why`: what its result holds (why_no_rows),
    when it was read; else only that no rows came."""
    running = state not in ("", "FINISHED", "FAILED", "ERROR", "KILLED")
    why = why or NO_ROWS
    if running:
        hint: str | None = f"follow them with: dlicli exec metrics {exec_id} --follow"
    else:
        hint = None if why in (MISSING, NO_ROWS) else SHAPE_HINT  # the file is there, but no rows came of it
    return NotFoundError(
        f"task {exec_id} has {'no metrics yet' if running else 'no metrics'}: {why}" + (f" ({state})" if state else ""),
        hint=hint,
    )


# -- columns and text ------------------------------------------------------------------------


def step_key(rows: list[dict]) -> str | None:
    """The step column's key: the first of STEP_KEYS any row has, else None (rows are numbered)."""
    keys = {key for row in rows for key in row}
    return next((key for key in STEP_KEYS if key in keys), None)


def metric_names(rows: list[dict]) -> list[str]:
    """Every other key, in the order first written."""
    step = step_key(rows)
    return list(dict.fromkeys(key for row in rows for key in row if key != step))


def columns(rows: list[dict]) -> list[str]:
    """The table's columns: the step column first, then one per metric."""
    return [step_key(rows) or INDEX_COLUMN, *metric_names(rows)]


def table_rows(rows: list[dict], start: int = 0) -> list[dict]:
    """Rows with the index column filled where there is no step key (numbered from start + 1)."""
    step = step_key(rows)
    return [row if step else {INDEX_COLUMN: start + i + 1, **row} for i, row in enumerate(rows)]


def latest_line(rows: list[dict]) -> str:
    """The last row as one line: `epoch 5  loss 0.31  accuracy 0.91` (empty without rows)."""
    if not rows:
        return ""
    step, last = step_key(rows), rows[-1]
    parts = [f"{step} {format_cell(last[step])}" if step and step in last else f"{INDEX_COLUMN}{len(rows)}"]
    parts += [f"{name} {format_cell(last[name])}" for name in metric_names(rows) if name in last]
    return "  ".join(parts)


def series(rows: list[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """Each metric's numeric points against the step (the row number without a step key)."""
    step = step_key(rows)
    points: dict[str, tuple[list[float], list[float]]] = {}
    for number, row in enumerate(rows, 1):
        x = row.get(step) if step else number
        if not _is_number(x):
            continue
        for name in metric_names(rows):
            if _is_number(row.get(name)):
                xs, ys = points.setdefault(name, ([], []))
                xs.append(float(x))  # type: ignore[arg-type]
                ys.append(float(row[name]))
    return points


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- the plot ------------------------------------------------------------------------------


def load_plotext() -> Any:
    """plotext, or a UsageError (exit 2) saying how to install it."""
    try:
        import plotext  # type: ignore[import-untyped]  # plotext ships no type hints
    except ImportError:
        raise UsageError("--plot needs plotext, which is not installed", hint=INSTALL_PLOTS) from None
    return plotext


def plot(rows: list[dict], width: int, height: int, *, color: bool = False) -> str:
    """Each metric against the step, one chart per metric stacked (their scales differ); "" when
    no metric has a number yet."""
    plotext = load_plotext()
    points = series(rows)
    if not points:
        return ""
    figure = plotext.figure
    figure.clear()
    figure.subplots(len(points), 1)
    figure.plot_size(max(width, 30), max(height, 8 * len(points)))
    step = step_key(rows) or "row"
    for place, (name, (xs, ys)) in enumerate(points.items(), 1):
        chart = figure.subplot(place, 1)
        chart.theme("simple")  # no background: readable on dark and light terminals
        signal = figure.signal(xs, ys)
        signal.lines()
        chart.draw(signal)
        chart.title(escape_controls(name))  # the task chose the names: no control characters
        chart.label(escape_controls(step))
    return str(figure.build().string(colorless=not color))


def new_rows(shown: int, rows: Iterable[dict]) -> list[dict]:
    """The rows beyond the `shown` already printed (a file being rewritten may look shorter: none)."""
    return list(rows)[shown:]


# -- the metrics line under a followed log -----------------------------------------------------


class MetricsLine:
    """`exec start --follow --metrics`: the latest values on stderr. On a terminal one status line
    kept below the log (erased before log lines are written, drawn again after); piped, a
    `metrics: …` line each time new values arrive."""

    def __init__(self, out: Any, exec_id: str):
        self.out, self.exec_id = out, exec_id
        self.tty = bool(out.stderr_is_tty)
        self.line = ""
        self.drawn = False
        self.warned = False

    def update(self, batch: Any) -> None:
        """A Batch polled: show its latest values when they changed."""
        rows = from_batch(batch)
        if rows is None:
            if not self.warned:
                self.warned = True
                self.out.warn(
                    "this server does not report metrics while a task runs; "
                    f"when it ends: dlicli exec metrics {self.exec_id}"
                )
            return
        line = escape_controls(latest_line(rows))
        if line and line != self.line:
            self.line = line
            self._draw() if self.tty else self.out.info(f"metrics: {line}")

    def around(self, write: Callable[[list], None]) -> Callable[[list], None]:
        """`write` (the log writer) wrapped so the terminal's metrics line stays below the log."""
        if not self.tty:
            return write

        def wrapped(lines: list) -> None:
            if not lines:
                return
            self._erase()
            write(lines)
            if self.line:
                self._draw()

        return wrapped

    def close(self) -> None:
        """End the terminal's status line, so what follows starts on a line of its own."""
        if self.drawn:
            self.out.stderr.write("\n")
            self.out.stderr.flush()
            self.drawn = False

    def _draw(self) -> None:
        width = shutil.get_terminal_size().columns - 1
        self.out.stderr.write("\r\x1b[K" + f"metrics: {self.line}"[:width])
        self.out.stderr.flush()
        self.drawn = True

    def _erase(self) -> None:
        if self.drawn:
            self.out.stderr.write("\r\x1b[K")
            self.out.stderr.flush()
            self.drawn = False
