"""`dlicli hpo` (alias `hypersearch`): hyperparameter search tasks and algorithms (HyperSearch tag)."""

from __future__ import annotations

import typer

from dlicli.cli.hpo import algorithm, logs, report, start, tasks
from dlicli.cli.hpo.list import list_tasks

app = typer.Typer(
    help="Hyperparameter search: start, watch and manage HPO tasks; algorithms and plugins.", no_args_is_help=True
)

app.command("start")(start.start)
app.command("list")(list_tasks)
app.command("get")(tasks.get)
app.command("best")(tasks.best)
app.command("report")(report.report)
app.command("wait")(tasks.wait)
app.command("logs")(logs.logs)
app.command("stop")(tasks.stop)
app.command("restart")(tasks.restart)
app.command("delete")(tasks.delete)
app.add_typer(algorithm.app, name="algorithm")
