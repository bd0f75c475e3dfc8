"""`dlicli resplan create|update|get|delete|tree`: resource plans (ResourcePlans tag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutputOpt, YesOpt, nonblank
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

app = typer.Typer(help="Create, inspect and delete resource plans; show their tree.", no_args_is_help=True)

NameArg = Annotated[
    str,
    typer.Argument(
        metavar="NAME", callback=nonblank, help="The resource plan's name.", autocompletion=completion.plan_names
    ),
]
ParentOpt = Annotated[
    str | None,
    typer.Option(
        "--parent",
        help="The parent resource plan.",
        metavar="PLAN",
        show_default=False,
        autocompletion=completion.plan_names,
    ),
]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option("--label", help="A label of the plan (repeatable).", metavar="KEY=VALUE", show_default=False),
]
RESPLAN_FIELDS = ("path", "usedcpu", "requestcpu", "usedgpu", "requestgpu")


def _body(name: str, parent: str | None, labels: list[str] | None, *, always_labels: bool) -> dict[str, Any]:
    """The spec's Resplan body: {name, parent?, labels: [{key, value}]}; checks before any request."""
    from dlicli.errors import UsageError
    from dlicli.resplantree import labels_from_options

    if not name.strip():
        raise UsageError("the resource plan's name is empty", hint="give a NAME")
    body: dict[str, Any] = {"name": name}
    if parent is not None:
        body["parent"] = parent
    pairs = labels_from_options(labels)
    if pairs or always_labels:
        body["labels"] = pairs
    return body


@app.command("create")
def create(ctx: typer.Context, name: NameArg, parent: ParentOpt = None, labels: LabelOpt = None) -> None:
    """Create a resource plan (POST /resplans/resplan)."""
    body = _body(name, parent, labels, always_labels=True)
    state(ctx).client().create_resplan(body)
    Output().info(f"created resource plan {name}")


@app.command("update")
def update(ctx: typer.Context, name: NameArg, parent: ParentOpt = None, labels: LabelOpt = None) -> None:
    """Change a resource plan's parent or labels (PUT /resplans/resplan).

    Only what is given is sent: without --label the labels are left out of the body.
    """
    from dlicli.errors import UsageError

    if parent is None and not labels:
        raise UsageError("nothing to update", hint="give --parent PLAN and/or --label KEY=VALUE")
    body = _body(name, parent, labels, always_labels=False)
    state(ctx).client().update_resplan_by_name(body)
    Output().info(f"updated resource plan {name}")


@app.command("get")
def get(ctx: typer.Context, name: NameArg, output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """Show a resource plan's path and CPU/GPU usage (GET /resplans/resplan/{name})."""
    out = output(output_format, as_json)
    plan = state(ctx).client().get_resplan(name)
    if out.format == "table" and isinstance(plan, dict):
        keys = [k for k in RESPLAN_FIELDS if k in plan] + [k for k in plan if k not in RESPLAN_FIELDS]
        out.record(plan, columns=[Column(k, k) for k in keys])
        return
    out.data(plan)


@app.command("delete")
def delete(ctx: typer.Context, name: NameArg, yes: YesOpt = False) -> None:
    """Delete a resource plan (DELETE /resplans/resplan/{name}); asks first unless --yes.

    A plan still in use is a conflict (exit 6).
    """
    from dlicli.cli.bulk import confirm

    st = state(ctx)
    if not yes:
        confirm(
            f"Delete resource plan {name} on {st.connection().url}?",
            yes=yes,
            example=f"dlicli resplan delete {name} --yes",
        )
    st.client().del_resplan_by_name(name)
    Output().info(f"deleted resource plan {name}")


@app.command("tree")
def tree(ctx: typer.Context, output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """Show the resource plans as a tree with used/requested CPU and GPU (GET /resplans/resplantree).

    On a terminal: a tree. Piped: one line per plan, indented two spaces per level,
    `PATH<TAB>usedcpu/requestcpu<TAB>usedgpu/requestgpu`.
    """
    from dlicli import resplantree

    out = output(output_format, as_json)
    data = state(ctx).client().get_resplan_tree()
    if out.format != "table":
        out.data(data if data is not None else [])
        return
    roots = resplantree.roots(data)
    if not roots:
        out.info("no resource plans")
    elif out.stdout_is_tty:
        out.console().print(resplantree.rich_tree(roots, color=out.color))
    else:
        out.write("".join(line + "\n" for line in resplantree.plain_lines(roots)))
