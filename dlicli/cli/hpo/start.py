"""`dlicli hpo start SPEC`: check the spec, pack the model as `exec start` does, POST /hypersearch.

Nothing is sent until the spec is valid (every problem listed, by field path) and the model
is found; the model directory streams as a tar (dlicli.modeldir), never held in memory.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dlicli.cli.hpo.tasks import FollowOpt, IntervalOpt, ObjectiveOpt
from dlicli.cli.options import JsonOpt, OutputOpt, TimeoutOpt
from dlicli.cli.state import output, state


def start(
    ctx: typer.Context,
    spec: Annotated[
        str, typer.Argument(metavar="SPEC", help="The task as YAML or JSON (startHPO's body); - for stdin.")
    ],
    model_dir: Annotated[
        str | None,
        typer.Option("--model-dir", help="Upload this directory as the model (as `exec start` does).", metavar="DIR"),
    ] = None,
    model_file: Annotated[
        str | None,
        typer.Option(
            "--model-file",
            help="Upload this file unchanged: a ready *.modelDir.tar (also when modelSpec.args name --model-dir) "
            "or the single main file.",
            metavar="FILE",
        ),
    ] = None,
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Sets --exec-start in modelSpec.args (builds the args when the spec has none).",
            metavar="NAME",
        ),
    ] = None,
    model_main: Annotated[
        str | None,
        typer.Option(
            "--model-main", help="The main file inside --model-dir (default: the spec's --model-main).", metavar="FILE"
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The task's name (overrides hpoName).", metavar="NAME")
    ] = None,
    follow: FollowOpt = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the task ends; exit with its outcome.")] = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    direction: ObjectiveOpt = None,
    no_validate: Annotated[
        bool,
        typer.Option(
            "--no-validate",
            help="Send the spec without checking it here: the server decides (its error, if any, is shown).",
        ),
    ] = False,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a hyperparameter search (POST /hypersearch) and print its name.

    SPEC is startHPO's own body: hpoName, modelSpec {args, dataSource}, algoDef {algorithm,
    objectiveMetric, objective, maxJobNum, maxParalleJob, maxRunTime, algoParams …}, and
    hyperParams (or experiments, for ExperimentGridSearch). It is checked before anything is
    sent. The model is --model-dir or --model-file, else what modelSpec.args names
    (--model-dir, found here or next to the spec). --wait/--follow exit 0 FINISHED,
    10 FAILED, 11 STOPPED, 8 on --timeout. The checks are never stricter than WMLA (its
    spellings, such as dataType STRING, pass); --no-validate skips them and lets the server decide.
    """
    from dlicli import hpospec
    from dlicli.errors import UsageError
    from dlicli.hpospec import model as hpomodel

    out = output(output_format, as_json)
    if wait and follow:
        raise UsageError("--wait and --follow cannot be used together", hint="--follow also waits; pick one")
    if timeout is not None and not (wait or follow):
        raise UsageError("--timeout needs --wait or --follow")
    raw = hpospec.load(spec)
    if isinstance(raw, dict) and name is not None:
        raw["hpoName"] = name
    body, warnings = _body(raw, spec, framework, check=not no_validate)
    model_spec = body.get("modelSpec")
    spec_args = model_spec.get("args") if isinstance(model_spec, dict) else None
    plan = hpomodel.plan(spec_args, spec, model_dir=model_dir, model_file=model_file, model_main=model_main)
    with _open_model(out, plan) as upload:
        args, notes = hpomodel.model_args(spec_args, framework, upload.main, upload.dir_name)
        if isinstance(body.setdefault("modelSpec", {}), dict):  # --no-validate may send any modelSpec
            body["modelSpec"]["args"] = args
        for warning in warnings + notes:
            out.warn(warning)
        client = state(ctx).client()
        response = _submit(client, out, body, upload)
    _tell_notes(out, response)
    _report(ctx, out, response, body, wait=wait, follow=follow, timeout=timeout, interval=interval, direction=direction)


def _body(raw: Any, spec: str, framework: str | None, *, check: bool) -> tuple[dict[str, Any], list[str]]:
    """The body to send and the warnings: checked here, or (--no-validate) as written, for the
    server to judge; only a spec that is no mapping cannot be sent either way."""
    from dlicli import hpospec

    if check or not isinstance(raw, dict):
        return hpospec.validate(raw, spec, args_optional=framework is not None)
    return raw, []


def _open_model(out, plan):
    """The upload `plan` names: --model-file as it is, else a directory as a tar, else one file."""
    if plan.model_file is not None:
        from dlicli.modelfile import prepare_model_file

        return prepare_model_file(plan.model_file, plan.main)
    from dlicli import modeldir

    return modeldir.prepare_model(plan.main, plan.model_dir, warn=out.warn)


def _submit(client, out, body: dict[str, Any], upload):
    """POST /hypersearch: `data` = the spec JSON, `file` = the model, a progress bar on a terminal."""
    from dlicli.cli.submit import with_upload_progress
    from dlicli.errors import APIError

    try:
        return with_upload_progress(
            out,
            upload.file_name,
            upload.size,
            lambda progress: client.start_hpo(
                body, upload.file_name, upload.stream, size=upload.size, progress=progress
            ),
        )
    except APIError as exc:
        if exc.status == 409:  # the name is taken: say the two ways on
            name = body.get("hpoName")
            exc.hint = (
                f"a search named {name} exists (names are shared by every user of the server): "
                f"pick another --name, or `dlicli hpo delete {name}` if it is yours"
            )
        raise


def _tell_notes(out, response: Any) -> None:
    """The local engine's notes on the args (a python replaced, no GPU, options ignored: the `notes` of
    its answer, which WMLA's lacks), told once here; each experiment's events record them too."""
    notes = response.get("notes") if isinstance(response, dict) else None
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, dict) and note.get("message"):
            if note.get("level") == "Warning":
                out.warn(str(note["message"]))
            else:
                out.info(f"note: {note['message']}")


def _report(ctx, out, response, body, *, wait, follow, timeout, interval, direction) -> None:
    """Print the created task (its name, or the server's answer), then wait or follow it."""
    from dlicli.cli.hpo.tasks import finish, wait_for
    from dlicli.cli.submit import report_created

    name = report_created(
        out,
        response,
        noun="hpo task",
        list_command="dlicli hpo list",
        waiting=wait or follow,
        fallback=body.get("hpoName"),
    )
    if name is None:
        return
    if not (wait or follow):
        out.hint(f"follow it with: dlicli hpo wait {name} --follow")
        return
    live = follow and out.format == "table"  # with --json, stdout holds the answer: changes go to stderr
    task = wait_for(state(ctx), out, name, timeout, follow=follow, live=live, direction=direction, interval=interval)
    finish(out, name, task)
