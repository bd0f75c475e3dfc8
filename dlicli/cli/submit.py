"""What `exec start` and `hpo start` share: the upload's progress bar (stderr, only on a terminal)
and printing what the server created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dlicli.output import Output

T = TypeVar("T")


def with_upload_progress(out: Output, name: str, size: int, send: Callable[[Any], T]) -> T:
    """Call `send(progress)`, where progress(sent_bytes) moves a bar; `send(None)` off a terminal."""
    if not out.stderr_is_tty:
        return send(None)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out.err_console(), transient=True) as progress:
        task = progress.add_task(name, total=size)
        return send(lambda sent: progress.update(task, completed=sent))


def report_created(
    out: Output,
    response: Any,
    *,
    noun: str,
    list_command: str,
    waiting: bool,
    to_stderr: bool = False,
    fallback: str | None = None,
) -> str | None:
    """Print a create's answer: its id (table; on stderr when stdout is for a log) or the answer
    itself (json/yaml). Returns the id; without one, an error when the caller must wait on it."""
    from dlicli.errors import DlicliError
    from dlicli.wmla import created_id

    ident = created_id(response) or fallback
    if to_stderr:
        out.info(f"started {noun} {ident}" if ident else f"started: {response}")
    elif out.format != "table" or not ident:
        out.data(response)
    else:
        out.write(ident + "\n")
    if ident is None:
        if waiting:
            raise DlicliError(
                f"the server accepted the {noun} but its answer held no {noun} id: {response!r}",
                hint=f"list them with `{list_command}`",
            )
        out.warn(f"the server's answer held no {noun} id")
    return ident
