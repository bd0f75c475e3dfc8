"""`dlicli exec list|get|stop|delete|deploy|frameworks`: tasks as records (Execute tag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.bulk import each as _each
from dlicli.cli.exec.follow import IntervalOpt, say_why
from dlicli.cli.options import (
    HeadersOpt,
    JsonOpt,
    LimitOpt,
    OutputOpt,
    QuietOpt,
    WatchOpt,
    YesOpt,
    nonblank,
    states_opt,
)
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

BATCH_FIELDS = (
    "id",
    "state",
    "args",
    "appId",
    "appName",
    "creator",
    "submissionId",
    "workDir",
    "schedulerUrl",
    "events",
)
WideOutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Output format: table, wide (every column, nothing cut), json or yaml.",
        metavar="table|wide|json|yaml",
        show_default=False,
    ),
]


def _wide_output(output_format: str | None, as_json: bool) -> tuple[Output, bool]:
    """The Output for `-o`/--json, and whether `-o wide` asked for every column (a table)."""
    wide = not as_json and (output_format or "").strip().lower() == "wide"
    return output(None if wide else output_format, as_json), wide


SortOpt = Annotated[
    str | None,
    typer.Option(
        "--sort",
        help="Sort by created, state, duration, id, name, search or framework; -FIELD for descending.",
        metavar="FIELD",
        show_default=False,
    ),
]


def list_tasks(
    ctx: typer.Context,
    states: Annotated[list[str] | None, states_opt("tasks")] = None,
    all_tasks: Annotated[bool, typer.Option("--all", help="Include HPO experiments (hidden by default).")] = False,
    hpo: Annotated[
        str | None,
        typer.Option(
            "--hpo",
            help="Only the experiments of this HPO search (exit 3 when there is no such search).",
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    limit: LimitOpt = None,
    sort: SortOpt = None,
    quiet: QuietOpt = False,
    headers: HeadersOpt = None,
    watch: WatchOpt = False,
    interval: IntervalOpt = None,
    output_format: WideOutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List your tasks (GET /execs), oldest first: CREATED is an age on a terminal and ISO-8601
    when piped, DURATION runs to now while a task runs, SEARCH names the HPO search a task is an
    experiment of, MAIN its --model-main file. Experiments are hidden unless --all or --hpo NAME;
    columns that do not fit the terminal give way (MAIN last) so no row wraps; -o wide adds the
    whole args (ARGS). Piped output has every column, ARGS last, and no header line (--headers
    adds one)."""
    from dlicli import listing, tasklist

    out, wide = _wide_output(output_format, as_json)
    ask = tasklist.Ask(
        states=listing.check_states(states, tasklist.STATES, "task"),
        sort=listing.parse_sort(sort, tasklist.SORT_FIELDS),
        limit=limit,
        hpo=hpo,
        everything=all_tasks,
        wide=wide,
    )
    mode = listing.list_mode(out, limit=limit, quiet=quiet, watch=watch, headers=headers, interval=interval)
    client = state(ctx).client()

    def poll() -> listing.Listing:
        return tasklist.listing_for(out, client, ask)

    listing.present(out, poll, mode, ident=lambda r: r.get("id"), empty="no tasks", volatile=tasklist.VOLATILE)


def _field(key: str, tty: bool) -> Column:
    """A Batch field as `exec get` shows it: its times (createTime, startTime, endTime …) local on
    a terminal and ISO-8601 UTC when piped, like every time the CLI shows (dlicli.timefmt)."""
    if not key.endswith("Time"):
        return Column(key, key)
    from dlicli.timefmt import time_text

    return Column(key, lambda row: time_text(row.get(key), tty=tty))


def get(
    ctx: typer.Context,
    exec_id: Annotated[
        str, typer.Argument(metavar="ID", callback=nonblank, help="The task's id.", autocompletion=completion.task_ids)
    ],
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one task (GET /execs/{id}). On stderr: why a task that ended FAILED or ERROR did so
    (its events), or what a state such as PENDING_CRD_SCHEDULER waits for."""
    from dlicli import execwatch

    out = output(output_format, as_json)
    batch = state(ctx).client().execs_exec_id_get(exec_id)
    if out.format == "table" and isinstance(batch, dict):
        keys = [k for k in BATCH_FIELDS if k in batch] + [k for k in batch if k not in BATCH_FIELDS]
        out.record(batch, columns=[_field(k, out.stdout_is_tty) for k in keys])
        now = execwatch.state_of(batch)
        if execwatch.state_text(now) != now:
            out.info(f"{exec_id}: {execwatch.state_text(now)}")
        say_why(out, exec_id, batch)
        return
    out.data(batch)


def stop(
    ctx: typer.Context,
    exec_ids: Annotated[
        list[str],
        typer.Argument(metavar="ID", callback=nonblank, help="The tasks to stop.", autocompletion=completion.task_ids),
    ],
) -> None:
    """Stop tasks (POST /execs/{id}/stop for each); the stopped ids go to stderr."""
    client = state(ctx).client()
    _each(exec_ids, "stop", client.execs_exec_id_stop_post, Output())


def delete(
    ctx: typer.Context,
    exec_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="ID",
            callback=nonblank,
            help="The tasks to delete.",
            show_default=False,
            autocompletion=completion.task_ids,
        ),
    ] = None,
    all_tasks: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Delete every task of yours (DELETE /execs); a search's experiments stay with it (`hpo delete`).",
        ),
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Delete tasks (DELETE /execs/{id}), or all of yours with --all (asks first unless --yes)."""
    from dlicli.cli.bulk import delete_ids_or_all

    delete_ids_or_all(
        state(ctx),
        exec_ids,
        all_tasks,
        yes,
        delete_one=lambda c: c.execs_exec_id_delete,
        delete_all=lambda c: c.execs_delete(),
        noun="tasks",
        one="task",
        ids_word="task ids",
        usage="dlicli exec delete",
        all_done="deleted all your tasks; a search's experiments stay with it (`dlicli hpo delete NAME`)",
    )


def _pairs(values: list[str] | None, option: str) -> list[dict[str, str]]:
    """`K=V` options as the spec's [{name, value}] list."""
    from dlicli.errors import UsageError

    pairs = []
    for value in values or []:
        name, sep, val = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} wants NAME=VALUE, not {value!r}", hint=f"for example {option} key=value")
        pairs.append({"name": name.strip(), "value": val})
    return pairs


def deploy(
    ctx: typer.Context,
    exec_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", callback=nonblank, help="The training task's id.", autocompletion=completion.task_ids
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The inference model's name.", metavar="NAME")],
    kernel: Annotated[
        str, typer.Option("--kernel", help="Kernel file, relative to the model directory.", metavar="PATH")
    ],
    runtime: Annotated[
        str | None, typer.Option("--runtime", help="Runtime that loads and runs the model.", metavar="R")
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", help="Weight path, relative to the model directory.", metavar="PATH")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Information tag for the model.", metavar="T")] = None,
    attrs: Annotated[
        list[str] | None, typer.Option("--attr", help="Attribute the kernel can read (repeatable).", metavar="K=V")
    ] = None,
    envs: Annotated[
        list[str] | None, typer.Option("--env", help="Environment variable for the kernel (repeatable).", metavar="K=V")
    ] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deploy a trained model to Elastic Distributed Inference (POST /execs/{id}/deploy).

    Prints the created model's id.
    """
    from dlicli.wmla import created_id

    out = output(output_format, as_json)
    body: dict[str, Any] = {"name": name, "kernel": kernel}
    for key, value in (("runtime", runtime), ("weight", weight), ("tag", tag)):
        if value is not None:
            body[key] = value
    attributes, environments = _pairs(attrs, "--attr"), _pairs(envs, "--env")
    if attributes:
        body["attributes"] = attributes
    if environments:
        body["environments"] = environments
    response = _deploy(state(ctx).client(), exec_id, body)
    if out.format != "table":
        out.data(response)
        return
    uid = created_id(response)
    if uid:
        out.write(uid + "\n")
    else:
        out.info(f"deployed {exec_id} as {name}")


def _deploy(client: Any, exec_id: str, body: dict[str, Any]) -> Any:
    """POST /execs/{id}/deploy; a name already deployed (409) says what to do."""
    from dlicli.errors import APIError

    try:
        return client.execs_exec_id_deploy_post(exec_id, body)
    except APIError as exc:
        if exc.status == 409:
            exc.hint = "pick another --name: a deployment's name is unique on the server"
        raise


def _description(row: dict[str, Any], whole: bool) -> str:
    """A framework's `description`, else its `desc` (a list of lines on WMLA, a string elsewhere):
    the first non-blank line, or with `whole` every line joined by spaces."""
    value = row.get("description") or row.get("desc")
    lines = [str(v) for v in value] if isinstance(value, list) else str(value or "").splitlines()
    lines = [line.strip() for line in lines if line and line.strip()]
    if whole:
        return " ".join(lines)
    return lines[0] if lines else ""


def frameworks(
    ctx: typer.Context,
    output_format: WideOutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the deep-learning frameworks tasks can start with (GET /execs/frameworks): one row
    each, with the first line of its description; -o wide, --json or -o yaml give all of it."""
    from dlicli import listing

    out, wide = _wide_output(output_format, as_json)
    fits = [
        listing.Fit(Column("NAME", "name", style="bold")),
        listing.Fit(Column("VERSION", "frameworkVersion"), give=3),
        listing.Fit(Column("DISTRIBUTE STRATEGY", "distributeStrategy"), give=1, shrink_to=12),
        listing.Fit(Column("DESCRIPTION", lambda r: _description(r, wide)), give=2, shrink_to=24),
    ]
    found = state(ctx).client().execs_frameworks_get()
    rows = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
    columns = [f.column for f in fits] if wide else listing.columns_for(out, fits, rows)
    out.data(found, columns=columns, empty="no frameworks")
