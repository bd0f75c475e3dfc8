"""`dlicli exec start`: submit a training task (POST /execs), then optionally wait or follow.

Everything is checked before the first request (model dir, --model-main inside it, data
sources, option clashes); the model directory is streamed as a tar (dlicli.modeldir), never
held in memory.
"""

from __future__ import annotations

from typing import Annotated, Any

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
        str | None,
        typer.Option(
            "--model-main",
            help="The model's main file (relative to --model-dir, or inside a --model-file tar).",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    model_dir: Annotated[
        str | None,
        typer.Option(
            "--model-dir",
            help="Upload this directory (skips .git, __pycache__, *.pyc and what its .dliignore names).",
            metavar="DIR",
        ),
    ] = None,
    model_file: Annotated[
        str | None,
        typer.Option(
            "--model-file",
            help="Upload this file unchanged: a ready *.modelDir.tar (give --model-main inside it) or the main file.",
            metavar="FILE",
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
    conda_env_yaml: Annotated[
        str | None,
        typer.Option("--conda-env-yaml", help="Upload this conda environment file with the model.", metavar="FILE"),
    ] = None,
    conda_package: Annotated[
        str | None, typer.Option("--conda-package", help="Upload this conda package with the model.", metavar="FILE")
    ] = None,
    wmla_args: Annotated[
        list[str] | None,
        typer.Option(
            "--wmla-args",
            help="Further WMLA submit options, as dlicmd.py writes them (e.g. '--workerMemory 4g --msd-env A=1').",
            metavar="ARGS",
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Print the task's output and errors until it ends; exit with its outcome.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the task ends; exit with its outcome.")] = False,
    metrics: Annotated[
        bool, typer.Option("--metrics", help="With --follow: the task's latest metrics below its log (stderr).")
    ] = False,
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
    is a path inside it. A ready *.modelDir.tar goes up unchanged with --model-file. The
    model's args follow `--` and are sent after a `--` in `args`, so the server hands them
    to the model as they are, even words spelled like WMLA options. With --follow the task's
    stdout goes to stdout, its stderr and the id to stderr (see `dlicli exec logs`); with --json
    or -o yaml stdout holds the created task, as with --wait, and the whole log goes to stderr.
    """
    import json

    from dlicli.submitargs import exec_start_args, merge_data_sources, wmla_option_tokens

    out = output(output_format, as_json)
    _check_flags(wait, follow, timeout, cs_datastore_meta)
    if metrics and not follow:
        from dlicli.errors import UsageError

        raise UsageError("--metrics needs --follow")
    wmla_tokens, wmla = wmla_option_tokens(wmla_args or [])
    sources = merge_data_sources(data_source or [])
    st = state(ctx)
    extras = _extra_files(conda_env_yaml, conda_package)
    try:
        with _open_model(out, model_main, model_dir, model_file, "--user-cmd" in wmla.flags) as upload:
            options = _platform_options(
                num_worker, worker_device_num, app_name, conda_env_name, cs_datastore_meta, extras
            )
            args = exec_start_args(framework, upload.main, upload.dir_name, options, model_args or [], wmla_tokens)
            data = json.dumps({"dataSource": sources}) if sources else None
            client = st.client()
            body = _submit(client, out, args, upload, data, extras)
    finally:
        for _, _, fh in extras:
            fh.close()
    _report(st, out, body, wait=wait, follow=follow, timeout=timeout, metrics=metrics)


def _check_flags(wait: bool, follow: bool, timeout: float | None, cs_datastore_meta: str | None) -> None:
    from dlicli.errors import UsageError

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


def _open_model(out, model_main: str | None, model_dir: str | None, model_file: str | None, user_cmd: bool):
    """The model upload: --model-file as it is, else --model-dir as a tar, else the --model-main file."""
    from dlicli import modeldir
    from dlicli.errors import UsageError

    if model_file is not None:
        if model_dir is not None:
            raise UsageError("give --model-dir or --model-file, not both")
        from dlicli.modelfile import prepare_model_file

        return prepare_model_file(model_file, model_main)
    if model_main is None and not (user_cmd and model_dir is not None):
        raise UsageError(
            "no model: give --model-main FILE (with --model-dir DIR), or --model-file FILE",
            hint="dlicli exec start --framework PyTorch --model-dir ./mnist --model-main train.py",
        )
    return modeldir.prepare_model(model_main, model_dir, warn=out.warn)


def _extra_files(*paths: str | None) -> list[tuple[str, str, Any]]:
    """--conda-env-yaml / --conda-package opened, as (option, base name, file), before any request."""
    import os

    from dlicli.errors import UsageError

    for option, path in zip(("--conda-env-yaml", "--conda-package"), paths):
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"{option} {path}: {'not a file' if os.path.exists(path) else 'no such file'}")
    return [
        (option, os.path.basename(path), open(path, "rb"))
        for option, path in zip(("--conda-env-yaml", "--conda-package"), paths)
        if path is not None
    ]


def _platform_options(num_worker, worker_device_num, app_name, conda_env_name, cs_datastore_meta, extras):
    """(flag, value) for `args`: dlicli's flags (sent in dlicmd's spellings) and the uploaded extra
    files by base name, as dlicmd.py names them."""
    options = [
        ("--num-worker", num_worker),
        ("--worker-device-num", worker_device_num),
        ("--app-name", app_name),
        ("--conda-env-name", conda_env_name),
        ("--cs-datastore-meta", cs_datastore_meta),
    ]
    return options + [(option, name) for option, name, _ in extras]


def _submit(client, out, args: str, upload, data: str | None, extras):
    """POST /execs with the model streamed as part `file` (and `data`), then the extra files as
    further `file` parts; a progress bar on a terminal."""
    from dlicli.cli.submit import with_upload_progress

    files = [(name, fh) for _, name, fh in extras]
    return with_upload_progress(
        out,
        upload.file_name,
        upload.size,
        lambda progress: client.execs_post(
            args, upload.file_name, upload.stream, data, size=upload.size, progress=progress, extra_files=files
        ),
    )


def _report(st, out, body, *, wait: bool, follow: bool, timeout: float | None, metrics: bool = False) -> None:
    """Print the created task (its id, or the server's object), then wait or follow it."""
    from dlicli.cli.submit import report_created

    log_on_stdout = follow and out.format == "table"  # with --json, stdout holds the answer: the log goes to stderr
    exec_id = report_created(
        out, body, noun="task", list_command="dlicli exec list", waiting=wait or follow, to_stderr=log_on_stdout
    )
    if exec_id is None:
        return
    if not (wait or follow):
        out.hint(f"follow it with: dlicli exec logs {exec_id} --follow")
        return
    from dlicli.cli.exec.follow import follow_and_exit, wait_and_exit

    if follow:
        follow_and_exit(st, out, exec_id, timeout, metrics)
    else:
        wait_and_exit(st, out, [exec_id], timeout)
