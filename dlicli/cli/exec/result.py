"""`dlicli exec result`: download a task's result zip (GET /execs/{id}/result).

A task without a result (it FAILED before writing one, or wrote nothing) is an error, exit 3,
never an empty zip saved with exit 0: the engine answers 404, and a server that still sends an
archive with no entries is caught before anything is written. Either way the task's state says
why, from one GET /execs/{id}.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from dlicli.cli import completion
from dlicli.cli.options import OutFileOpt, nonblank
from dlicli.cli.state import state
from dlicli.output import Output

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient


def result(
    ctx: typer.Context,
    exec_id: Annotated[
        str, typer.Argument(metavar="ID", callback=nonblank, help="The task's id.", autocompletion=completion.task_ids)
    ],
    out_file: OutFileOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Download a task's result zip (GET /execs/{id}/result).

    The file is ./dlicli-results/ID.zip, or -O FILE, or ID.zip inside -O DIR; `-O -` writes to
    stdout. It appears only when complete; an existing file is kept unless --force. A task with
    no result (it failed before writing one) exits 3 and writes nothing.
    """
    from dlicli import execwatch

    out = Output()
    path = None if out_file == "-" else execwatch.result_path(exec_id, out_file)
    if path is not None:
        if out_file:
            execwatch.check_destination(path, force)
        else:
            execwatch.refuse_overwrite(path, force)
            execwatch.check_writable(path)
    client = state(ctx).client()
    size = _download(client, exec_id, path, force, out)
    if size is None:
        raise execwatch.no_result(exec_id, _state(client, exec_id))
    if path is not None:
        out.info(f"saved the result of task {exec_id} to {path} ({size} bytes)")


def _download(client: DlpdClient, exec_id: str, path: str | None, force: bool, out: Output) -> int | None:
    """Stream the result to `path` (stdout when None); None, with nothing written, when there is none."""
    from dlicli import execwatch
    from dlicli.errors import APIError

    try:
        with client.execs_exec_id_result_get(exec_id) as response:
            head, chunks = execwatch.read_head(response.iter_bytes())
            if execwatch.is_empty_archive(head):
                return None
            if path is None:
                return execwatch.copy_stream(chunks, out.stdout.buffer)
            return _save(chunks, path, force)
    except APIError as exc:
        if exc.status == 404:  # the engine's answer for a task that wrote no result
            return None
        raise


def _save(chunks: Iterator[bytes], path: str, force: bool) -> int:
    """save_stream into the file's folder, made first when missing (./dlicli-results) and removed
    again when the download fails, so a failure leaves nothing behind."""
    from dlicli import execwatch

    folder = os.path.dirname(path)
    made = bool(folder) and not os.path.isdir(folder)
    if made:
        os.makedirs(folder)
    try:
        return execwatch.save_stream(chunks, path, force=force)
    except BaseException:
        if made:
            os.rmdir(folder)
        raise


def _state(client: DlpdClient, exec_id: str) -> str:
    """The task's state, to say why it has no result (an unknown task raises its own error)."""
    from dlicli import execwatch

    return execwatch.state_of(client.execs_exec_id_get(exec_id))
