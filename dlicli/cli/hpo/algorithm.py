"""`dlicli hpo algorithm list|get|delete|install|debug|test`: search algorithms and plugins."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Any

import typer

from dlicli.cli import completion
from dlicli.cli.options import JsonOpt, OutFileOpt, OutputOpt, nonblank
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

app = typer.Typer(help="Search algorithms: built-in and installed plugins.", no_args_is_help=True)

TYPES = ("BUILD_IN", "USER_PLUGIN")
LOG_LEVELS = ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL")
NameArg = Annotated[
    str,
    typer.Argument(
        metavar="NAME", callback=nonblank, help="The algorithm's name.", autocompletion=completion.algorithm_names
    ),
]


@app.command("list")
def list_algorithms(
    ctx: typer.Context,
    algo_type: Annotated[
        str | None,
        typer.Option("--type", help="Only BUILD_IN or USER_PLUGIN algorithms.", metavar="BUILD_IN|USER_PLUGIN"),
    ] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the search algorithms (GET /hypersearch/algorithm)."""
    from dlicli.errors import UsageError

    out = output(output_format, as_json)
    if algo_type is not None and algo_type.strip().upper() not in TYPES:
        raise UsageError(f"--type must be BUILD_IN or USER_PLUGIN, not {algo_type!r}")
    rows = state(ctx).client().get_all_hpo_algorithm(algo_type.strip().upper() if algo_type else None)
    columns = [
        Column("NAME", "name", style="bold"),
        Column("TYPE", "type"),
        Column("PATH", "path"),
        Column("CONDA ENV", "condaEnv"),
        Column("CREATOR", "creator"),
        Column("CREATED", "createtime"),
    ]
    out.data(rows, columns=columns, empty="no algorithms")


@app.command("get")
def get(ctx: typer.Context, name: NameArg, output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """Show one algorithm (GET /hypersearch/algorithm/{name})."""
    output(output_format, as_json).data(state(ctx).client().get_one_algorithm(name))


@app.command("delete")
def delete(
    ctx: typer.Context,
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME",
            callback=nonblank,
            help="The plugin algorithms to delete.",
            autocompletion=completion.algorithm_names,
        ),
    ],
) -> None:
    """Delete installed plugin algorithms (DELETE /hypersearch/algorithm/{name})."""
    from dlicli.cli.bulk import each

    each(names, "delete", state(ctx).client().delete_one_hpo_algorithm, Output(), "algorithms")


@app.command("install")
def install(
    ctx: typer.Context,
    name: NameArg,
    plugin_dir: Annotated[
        str | None,
        typer.Option("--dir", help="Upload this plugin folder (holding optimizer.py) as a .tar.", metavar="DIR"),
    ] = None,
    path: Annotated[
        str | None,
        typer.Option("--path", help="Install from this folder on the server instead.", metavar="SERVER_PATH"),
    ] = None,
    conda_home: Annotated[
        str | None, typer.Option("--conda-home", help="CONDA_HOME to run the plugin with.", metavar="PATH")
    ] = None,
    conda_env: Annotated[
        str | None, typer.Option("--conda-env", help="Conda environment to run it in.", metavar="ENV")
    ] = None,
    remote_exec: Annotated[bool, typer.Option("--remote-exec", help="Run the plugin remotely (remoteExec).")] = False,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="The plugin's log level (default INFO).", metavar="LEVEL")
    ] = None,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Install a plugin algorithm (POST /hypersearch/algorithm/install) and print its name.

    --dir uploads the folder as NAME.tar (its single top folder is the folder's name; .git,
    __pycache__ and what a .dliignore names are skipped); --path names a folder already on the server.
    """
    from dlicli.errors import UsageError
    from dlicli.modeldir import TarStream
    from dlicli.wmla import created_id

    out = output(output_format, as_json)
    if bool(plugin_dir) == bool(path):
        raise UsageError("give --dir DIR (upload) or --path SERVER_PATH (on the server), one of them")
    data: dict[str, object] = {"name": name}
    for key, value in (("path", path), ("condaHome", conda_home), ("condaEnv", conda_env)):
        if value is not None:
            data[key] = value
    if remote_exec:
        data["remoteExec"] = True
    if log_level is not None:
        if log_level.strip().upper() not in LOG_LEVELS:
            raise UsageError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        data["logLevel"] = log_level.strip().upper()
    st = state(ctx)
    if plugin_dir:
        top = os.path.basename(os.path.abspath(plugin_dir))
        if not os.path.isdir(plugin_dir) or top in ("", ".", ".."):
            raise UsageError(f"--dir {plugin_dir}: no such directory")
        with TarStream.from_dir(plugin_dir, warn=out.warn) as stream:
            if f"{top}/optimizer.py" not in {m.info.name for m in stream.members}:
                raise UsageError(
                    f"--dir {plugin_dir} has no optimizer.py",
                    hint="a plugin's optimizer.py defines PluginOptimizer(BasePluginOptimizer)",
                )
            response = st.client().install_hpo_algorithm(data, f"{top}.tar", stream)
    else:
        response = st.client().install_hpo_algorithm(data)
    if out.format != "table":
        out.data(response)
    else:
        out.write(f"{created_id(response) or name}\n")


@app.command("debug")
def debug(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="An hpo start spec (YAML or JSON); - for stdin.")],
    out_file: OutFileOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Download the task attributes an algorithm would get for SPEC (POST /hypersearch/algorithm/debug),
    for `hpo algorithm test` or a local debugger.

    The file is -O FILE (a directory: the server's name inside it), else the server's name,
    else task_attr.pb; `-O -` writes to stdout. It appears only when complete.
    """
    from dlicli import execwatch, hpospec

    out = Output()
    body, warnings = hpospec.validate(hpospec.load(spec), spec)
    for warning in warnings:
        out.warn(warning)
    if out_file and out_file != "-" and not os.path.isdir(out_file):
        execwatch.check_destination(out_file, force)
    with state(ctx).client().debug_algorithm(body) as response:
        chunks = response.iter_bytes()
        if out_file == "-":
            execwatch.copy_stream(chunks, out.stdout.buffer)
            return
        target = execwatch.result_target(
            str(body.get("hpoName") or "task_attr"),
            out_file,
            response.headers.get("content-disposition"),
            default="task_attr.pb",
        )
        size = execwatch.save_stream(chunks, target, force=force)
    out.info(f"saved {target} ({size} bytes)")


@app.command("test")
def test(
    plugin_dir: Annotated[str, typer.Argument(metavar="DIR", help="The plugin folder (holding optimizer.py).")],
    spec: Annotated[
        str, typer.Option("--spec", help="An hpo start spec, or the file `hpo algorithm debug` saved.", metavar="SPEC")
    ],
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="search() calls at most.", metavar="N")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the simulated results.", metavar="S")] = 0,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a plugin's search() locally against simulated results; no server needed.

    The plugin runs in its own process as on the engine. Each round asks for maxParalleJobNum
    suggestions (default 1), checks them against the search space, and answers with a metric
    from a seeded bowl around a random point of the space (lower is better; 1 − it when the
    objective is maximize). Ends when search() returns [], maxJobNum is reached, or after
    --rounds. Exit 1 if the plugin fails or suggests values outside the space.
    """
    from dlicli.cli.hpo import plugintest

    out = output(output_format, as_json)
    run = plugintest.load_task(spec)
    rows = plugintest.run(plugin_dir, run, rounds=rounds, seed=seed, warn=out.warn, log=out.stderr)
    names = [hp["name"] for hp in run.hyper_parameters]
    columns = [Column("ROUND", "round"), Column("ID", "id", style="bold"), Column(run.metric.upper(), "metricVal")]
    columns += [Column(n, _suggested(n)) for n in names]
    out.data(rows, columns=columns, empty="the plugin suggested nothing")
    plugintest.summarize(rows, run, out.info)


def _suggested(name: str) -> Callable[[dict[str, Any]], Any]:
    """How a column reads hyper-parameter `name` from a `hpo algorithm test` round row."""
    return lambda row: row["hyperparameters"].get(name)
