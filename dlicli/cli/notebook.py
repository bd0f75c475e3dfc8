"""`dlicli notebook list|get|kernels|stop|update`: users' notebook services (Notebooks tag)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutputOpt, nonblank
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

if TYPE_CHECKING:
    from dlicli.listing import Fit

app = typer.Typer(help="Inspect, stop and re-plan users' notebook services.", no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(metavar="USER", callback=nonblank, help="The notebook service's user name.")]
SERVICE_FIELDS = (
    "userName",
    "podName",
    "podStatus",
    "podMessage",
    "podReason",
    "resourcePlan",
    "resourcePlanPath",
    "podCreateTime",
    "podStartTime",
    "kernels",
    "cpuUsed",
    "gpuUsed",
    "memoryUsed",
)


def _show_list(out: Output, data: Any, fits: list[Fit], empty: str) -> None:
    """The API says one object where servers send a list: a table of either (JSON as sent,
    `[]` for nothing). On a terminal, low-value columns give way before a row would wrap."""
    from dlicli import listing

    if out.format != "table":
        out.data(data if data is not None else [])
        return
    rows = [] if data is None else data if isinstance(data, list) else [data]
    out.data(rows, columns=listing.columns_for(out, fits, rows), empty=empty)


def _time(header: str, key: str, out: Output) -> Column:
    """A time column: local time on a terminal, ISO-8601 UTC when piped (dlicli.timefmt)."""
    from dlicli.listing import time_column

    return time_column(header, key, tty=out.stdout_is_tty)


def _created(out: Output, key: str) -> Column:
    """CREATED as `exec list` shows it: an age (`5m`, `3d`) on a terminal, ISO-8601 UTC when piped."""
    if not out.stdout_is_tty:
        return _time("CREATED", key, out)
    from dlicli import timefmt

    return Column("CREATED", lambda row: timefmt.age(timefmt.parse_time(row.get(key))))


def _service_fits(out: Output) -> list[Fit]:
    """notebook list's columns, and the order they give way in on a narrow terminal (as in
    `exec list`): the usage numbers first, then the pod, the age and the plan; never the user
    or the status."""
    from dlicli.listing import Fit

    return [
        Fit(Column("USER", "userName", style="bold")),
        Fit(Column("POD", "podName"), give=5, shrink_to=12),
        Fit(Column("STATUS", "podStatus")),
        Fit(Column("PLAN", "resourcePlan"), give=7, shrink_to=12),
        Fit(Column("KERNELS", "kernels"), give=4),
        Fit(Column("CPU", "cpuUsed"), give=2),
        Fit(Column("GPU", "gpuUsed"), give=3),
        Fit(Column("MEMORY", "memoryUsed"), give=1),
        Fit(_created(out, "podCreateTime"), give=6),
    ]


def _show_service(out: Output, service: Any) -> None:
    """One service as a record (the spec's fields first), or a list of them as a table."""
    if out.format == "table" and isinstance(service, dict):
        keys = [k for k in SERVICE_FIELDS if k in service] + [k for k in service if k not in SERVICE_FIELDS]
        out.record(service, columns=[_time(k, k, out) if k.endswith("Time") else Column(k, k) for k in keys])
    elif out.format == "table" and isinstance(service, list):
        _show_list(out, service, _service_fits(out), "no notebook service")
    else:
        out.data(service)


@app.command("list")
def list_services(
    ctx: typer.Context,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List every user's running notebook service (GET /notebooks/runningservices)."""
    out = output(output_format, as_json)
    services = state(ctx).client().running_services()
    _show_list(out, services, _service_fits(out), "no notebook services")


@app.command("get")
def get(
    ctx: typer.Context,
    user: UserArg,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one user's notebook service (GET /notebooks/{user}/runningservices)."""
    out = output(output_format, as_json)
    _show_service(out, state(ctx).client().running_service_by_user_name(user))


@app.command("kernels")
def kernels(
    ctx: typer.Context,
    user: UserArg,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the kernels running in a user's notebook service (GET /notebooks/{user}/runningkernels)."""
    out = output(output_format, as_json)
    found = state(ctx).client().running_kernels(user)
    from dlicli.listing import Fit

    fits = [
        Fit(Column("KERNEL", "kernelName", style="bold")),
        Fit(Column("STATUS", "status")),
        Fit(Column("JOB ID", "jobId"), give=5, shrink_to=12),
        Fit(Column("CPU", "cpuUsed"), give=2),
        Fit(Column("GPU", "gpuUsed"), give=3),
        Fit(Column("MEMORY", "memoryUsed"), give=1),
        Fit(_created(out, "createTime"), give=4),
    ]
    _show_list(out, found, fits, "no running kernels")


@app.command("stop")
def stop(
    ctx: typer.Context,
    user: UserArg,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop a user's notebook service (PUT /notebooks/{user}/stopservice).

    The server answers {result, message}: a result of "error" exits with its message, 3 when no
    service runs for USER (or it is another user's), as `dlicli notebook get USER` would, else 1.
    """
    from dlicli.errors import DlicliError

    out = output(output_format, as_json)
    client = state(ctx).client()
    answer = client.stop_service(user)
    if out.format != "table":
        out.data(answer)
    result = answer.get("result") if isinstance(answer, dict) else None
    if str(result or "").strip().lower() == "error":
        message = answer.get("message") or "the server gave no reason"
        text = f"could not stop the notebook service of {user}: {message}"
        _raise_if_not_running(client, user, text)
        raise DlicliError(text, hint=f"check it with: dlicli notebook get {user}")
    if out.format == "table":
        message = answer.get("message") if isinstance(answer, dict) else None
        out.info(f"stopped the notebook service of {user}" + (f": {message}" if message else ""))


def _raise_if_not_running(client: Any, user: str, text: str) -> None:
    """After a stop answered "error": NotFoundError (exit 3) when `notebook get USER` would exit 3.
    The spec's stopService answers 200 {result: error} whatever went wrong, so its words are the
    server's own; GET /notebooks/{user}/runningservices says whether the service is there (404, or
    the spec's 400 "cannot find": another user's is not there either). Any other answer, or a
    failure of that question, leaves the stop's error as it is."""
    from dlicli.errors import APIError, DlicliError, ExitCode, NotFoundError

    try:
        client.running_service_by_user_name(user)
    except APIError as exc:
        if exc.exit_code == ExitCode.NOT_FOUND:
            raise NotFoundError(text, hint="list the running ones with `dlicli notebook list`") from exc
    except DlicliError:
        pass


@app.command("update")
def update(
    ctx: typer.Context,
    user: UserArg,
    resource_plan: Annotated[
        str,
        typer.Option(
            "--resource-plan",
            help="The resource plan the service moves to.",
            metavar="PLAN",
            autocompletion=completion.plan_names,
        ),
    ],
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a user's notebook service to another resource plan (PUT /notebooks/{user}).

    Sends the spec's NotebookService body {userName, resourcePlan}; prints the updated service.
    """
    from dlicli.errors import UsageError

    out = output(output_format, as_json)
    if not resource_plan.strip():
        raise UsageError("--resource-plan is empty", hint="give the name of a resource plan: dlicli resplan tree")
    updated = state(ctx).client().update_service(user, {"userName": user, "resourcePlan": resource_plan})
    if updated is None:
        out.info(f"moved the notebook service of {user} to {resource_plan}")
        return
    _show_service(out, updated)
