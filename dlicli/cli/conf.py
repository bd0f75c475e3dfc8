"""`dlicli conf`: the server's dlpd configuration (Configuration tag)."""

from __future__ import annotations

from typing import Annotated

import typer

from dlicli.cli.options import JsonOpt, OutputOpt
from dlicli.cli.state import output, state
from dlicli.output import Column

app = typer.Typer(help="Read the server's dlpd configuration.", no_args_is_help=True)


@app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="Print only this key's value.")] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the dlpd configuration (GET /conf), or the value of one KEY."""
    from dlicli.errors import APIError

    out = output(output_format, as_json)
    conf = state(ctx).client().get_deep_learning_conf() or {}
    if key is None:
        if out.format == "table":
            rows = [{"key": k, "value": v} for k, v in sorted(conf.items())]
            out.data(rows, columns=[Column("KEY", "key"), Column("VALUE", "value")])
        else:
            out.data(conf)
        return
    if key not in conf:
        raise APIError(
            404,
            "getDeepLearningConf",
            f"no key {key!r} in the server's configuration",
            hint="run `dlicli conf get` to list the keys",
        )
    out.data({key: conf[key]} if out.format != "table" else conf[key])
