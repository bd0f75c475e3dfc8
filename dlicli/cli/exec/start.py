"""`dlicli exec start`: submit a training task (POST /execs), then optionally wait or follow.

Everything is checked before the first request (model dir, --model-main inside it, data
sources, option clashes); the model directory is streamed as a tar (dlicli.modeldir), never
held in memory.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt
from dlicli.cli.state import output, state


def start(
    ctx: typer.Context,
    framework: Annotated[
        str,
        typer.Option(
            "--framework",
            help="Framework to run the model with, e.g. PyTorch, tensorflow.",
            metavar="NAME",
            show_default=False,
        ),
    ],
    model_main: Annotated[
        str,
        typer.Option(
            "--model-main",
            help="The model's main file (relative to --model-dir when given).",
            metavar="FILE",
            show_default=False,
        ),
    ],
    model_dir: Annotated[
        str | None,
        typer.Option(
            "--model-dir",
            help="Upload this directory (skips .git, __pycache__, *.pyc and what its .dliignore names).",
            metavar="DIR",
        ),
    ] = None,
    data_source: Annotated[
        list[str] | None,
        typer.Option(
            "--data-source",
            help="A data source as JSON (an object or a list); repeatable, all merged into one list.",
            metavar="JSON",
        ),
    ] = None,
    cs_datastore_meta: Annotated[
        str | None, typer.Option("--cs-datastore-meta", help="Data store metadata, K=V,…", metavar="K=V,…")
    ] = None,
    num_worker: Annotated[
        int | None, typer.Option("--num-worker", min=1, help="Number of workers (dlicmd --numWorker).", metavar="N")
    ] = None,
    worker_device_num: Annotated[
        int | None,
        typer.Option(
            "--worker-device-num", min=0, help="Devices (GPUs) per worker (dlicmd --workerDeviceNum).", metavar="N"
        ),
    ] = None,
    app_name: Annotated[
        str | None, typer.Option("--app-name", help="Application name (dlicmd --appName).", metavar="NAME")
    ] = None,
    conda_env_name: Annotated[
        str | None, typer.Option("--conda-env-name", help="Conda environment to run in.", metavar="NAME")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Print the task's log until it ends; exit with its outcome.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the task ends; exit with its outcome.")] = False,
    timeout: TimeoutOpt = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
    model_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="MODEL_ARGS", show_default=False, help="Passed to the model's main file; put them after --."
        ),
    ] = None,
) -> None:
    """Submit a training task (POST /execs) and print its id.

    The model directory is uploaded as a tar (symlinks leaving it are skipped); --model-main
    is a path inside it. With --follow the log goes to stdout and the id to stderr.

    Examples:

      dlicli exec start --framework PyTorch --model-dir ./mnist --model-main train.py -- --lr 0.1

      dlicli exec start --framework tensorflow --model-main tf_mnist.py --wait
    """
    import json

    from dlicli import modeldir
    from dlicli.errors import UsageError

    out = output(output_format, as_json)
    if wait and follow:
        raise UsageError("--wait and --follow cannot be used together", hint="--follow also waits; pick one")
    if timeout is not None and not (wait or follow):
        raise UsageError("--timeout needs --wait or --follow")
    if timeout is not None and not timeout >= 0:
        raise UsageError(f"--timeout must be 0 or more seconds, not {timeout}")
    if cs_datastore_meta is not None and not all("=" in item for item in cs_datastore_meta.split(",")):
        raise UsageError(
            f"--cs-datastore-meta is not K=V,…: {cs_datastore_meta}",
            hint="for example --cs-datastore-meta type=fs,data_path=mnist",
        )
    sources = modeldir.merge_data_sources(data_source or [])
    st = state(ctx)
    with modeldir.prepare_model(model_main, model_dir, warn=out.warn) as upload:
        args = modeldir.exec_start_args(
            framework,
            upload.main,
            upload.dir_name,
            [
                ("--num-worker", num_worker),
                ("--worker-device-num", worker_device_num),
                ("--app-name", app_name),
                ("--conda-env-name", conda_env_name),
                ("--cs-datastore-meta", cs_datastore_meta),
            ],
            model_args or [],
        )
        data = json.dumps({"dataSource": sources}) if sources else None
        client = st.client()
        body = _submit(client, out, args, upload, data)
    _report(st, out, body, wait=wait, follow=follow, timeout=timeout)


def _submit(client, out, args: str, upload, data: str | None):
    """POST /execs with the model streamed as part `file` (and `data`), a progress bar on a terminal."""
    from dlicli.cli.submit import with_upload_progress

    return with_upload_progress(
        out,
        upload.file_name,
        upload.size,
        lambda progress: client.execs_post(
            args, upload.file_name, upload.stream, data, size=upload.size, progress=progress
        ),
    )


def _report(st, out, body, *, wait: bool, follow: bool, timeout: float | None) -> None:
    """Print the created task (its id, or the server's object), then wait or follow it."""
    from dlicli.cli.submit import report_created

    exec_id = report_created(
        out, body, noun="task", list_command="dlicli exec list", waiting=wait or follow, to_stderr=follow
    )
    if exec_id is None:
        return
    if not (wait or follow):
        out.hint(f"follow it with: dlicli exec logs {exec_id} --follow")
        return
    from dlicli.cli.exec.follow import follow_and_exit, wait_and_exit

    if follow:
        follow_and_exit(st, out, exec_id, timeout)
    else:
        wait_and_exit(st, out, [exec_id], timeout)
