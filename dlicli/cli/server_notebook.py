"""`dlicli server notebook start|stop|list`: users' Jupyter servers run by the local engine.

`start` calls the local engine's own extension POST /notebooks/{user}/startservice (admin only);
`stop` and `list` are `dlicli notebook stop` and `dlicli notebook list` (the spec's operations).
Everything goes over HTTP: the CLI never imports dlicli.engine.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dlicli.cli import notebook
from dlicli.cli.options import JsonOpt, OutputOpt, nonblank
from dlicli.cli.state import output, state

app = typer.Typer(
    help="Start and stop users' notebook services (Jupyter servers) on the local engine.", no_args_is_help=True
)


@app.command("start")
def start(
    ctx: typer.Context,
    user: Annotated[
        str, typer.Argument(metavar="USER", callback=nonblank, help="The engine user the Jupyter server is for.")
    ],
    resource_plan: Annotated[
        str | None,
        typer.Option(
            "--resource-plan", help="The resource plan the service belongs to.", metavar="PLAN", show_default=False
        ),
    ] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start USER's Jupyter server on the local engine (loopback, its own token); needs dlicli[notebook].

    Does nothing when it already runs. The service's url and tokenFile tell where to open it.
    """
    import re
    from urllib.parse import quote

    from dlicli.errors import UsageError

    out = output(output_format, as_json)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", user):
        raise UsageError(f"not a valid user name: {user!r}", hint="see the engine's users: `dlicli server user add`")
    if resource_plan is not None and not resource_plan.strip():
        raise UsageError("--resource-plan is empty", hint="give the name of a resource plan: dlicli resplan tree")
    body = {"resourcePlan": resource_plan} if resource_plan else {}
    from dlicli.client.answers import decode_body

    http = state(ctx).client().http
    response = http.send("POST", f"/notebooks/{quote(user, safe='')}/startservice", operation="startService", json=body)
    service = decode_body(response)
    notebook._show_service(out, service)
    if not isinstance(service, dict):
        return
    where = f" at {service['url']} (its token is in {service.get('tokenFile')})" if service.get("url") else ""
    if response.status_code == 201:
        out.success(f"started the notebook service of {user}{where}")
    else:
        out.info(f"the notebook service of {user} already runs{where}")


app.command("stop")(notebook.stop)
app.command("list")(notebook.list_services)
