"""`dlicli exec`: training tasks (Execute tag). One module per kind of verb, wired here."""

from __future__ import annotations

import typer

from dlicli.cli.exec import follow, metrics, result, start, tasks

app = typer.Typer(help="Submit, follow and manage training tasks.", no_args_is_help=True)

app.command("start", context_settings={"allow_interspersed_args": False})(start.start)
app.command("list")(tasks.list_tasks)
app.command("get")(tasks.get)
app.command("stop")(tasks.stop)
app.command("delete")(tasks.delete)
app.command("deploy")(tasks.deploy)
app.command("frameworks")(tasks.frameworks)
app.command("logs")(follow.logs)
app.command("wait")(follow.wait)
app.command("result")(result.result)
app.command("metrics")(metrics.metrics)
