"""`dlicli server start|stop|status|logs`: the local engine's lifecycle (`server user` is server_user.py).

The work is in dlicli.localengine, dlicli.startsettings and dlicli.enginetls (typer-free); these
commands parse and render. The engine's data dir is DLICLI_DATA_DIR (or the platform's user data dir),
shared with the embedded default. They reach no server, so they take none of the connection options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dlicli import paths
from dlicli.cli import server_notebook, server_user
from dlicli.cli.leafopts import GlobalOption, LeafCommand
from dlicli.cli.options import JsonOpt, OutputOpt
from dlicli.cli.state import engine_data_dir, output
from dlicli.output import Column, Output

app = typer.Typer(help="Run the local engine: a dlpd-compatible server on this machine.", no_args_is_help=True)
app.add_typer(server_user.app, name="user")
app.add_typer(server_notebook.app, name="notebook")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
CONNECTION = frozenset({"--url", "--profile", "--insecure", "--ca-bundle"})


class LocalCommand(LeafCommand):
    """A command on this machine's engine and its files: the connection options every other leaf
    takes after the verb (cli/leafopts.py) would do nothing here, so neither help nor parser has them."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        return [p for p in params if not (isinstance(p, GlobalOption) and CONNECTION.intersection(p.opts))]


def _limit(flag: str, text: str, metavar: str = "N") -> typer.models.OptionInfo:
    """A limit of the engine (the serve option of the same name; docs/local-engine.md, Limits)."""
    return typer.Option(flag, min=1, help=text, metavar=metavar, rich_help_panel="Limits", show_default=False)


MaxUploadOpt = Annotated[int | None, _limit("--max-upload-bytes", "Largest upload (default 8 GiB).", "BYTES")]
MaxUnpackedOpt = Annotated[
    int | None, _limit("--max-unpacked-bytes", "Most a model or plugin tar may unpack to (default 16 GiB).", "BYTES")
]
MaxRatioOpt = Annotated[
    int | None, _limit("--max-unpack-ratio", "Most a tar may unpack to per byte uploaded (default 100).")
]
MaxMembersOpt = Annotated[
    int | None, _limit("--max-tar-members", "Most members of a tar, or files of a plugin folder (default 20000).")
]
MaxJobsOpt = Annotated[int | None, _limit("--max-job-num", "Largest maxJobNum of a search (default 10000).")]
MaxParallelOpt = Annotated[int | None, _limit("--max-parallel-jobs", "Largest maxParalleJobNum (default 100).")]
MaxGridOpt = Annotated[int | None, _limit("--max-grid", "Most experiments of an ExperimentGridSearch (default 10000).")]
MaxTasksOpt = Annotated[
    int | None, _limit("--max-tasks-per-user", "Most tasks a user may have queued or running (default 200).")
]
MaxSearchesOpt = Annotated[
    int | None, _limit("--max-searches-per-user", "Most HPO searches a user may have running (default 20).")
]
HpoFailuresOpt = Annotated[
    int | None, _limit("--hpo-max-failures", "Failed experiments in a row that end a search FAILED (default 5).")
]
GpusOpt = Annotated[
    float | None,
    typer.Option(
        "--gpus",
        min=0,
        help="GPUs to hand out as CUDA_VISIBLE_DEVICES 0…N-1 (default 0).",
        metavar="N",
        show_default=False,
    ),
]
PassEnvOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--pass-env",
        help="A variable of this environment that tasks, plugins and notebooks inherit (repeatable).",
        metavar="NAME",
    ),
]
PluginRootOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--plugin-root",
        help="A folder `hpo algorithm install --path` may install from (admin only; repeatable; default none).",
        metavar="DIR",
        rich_help_panel="Limits",
    ),
]


def start_options(given: dict[str, Any]) -> dict[str, Any]:
    """The remembered options among `start`'s parameters (by name; None: not given)."""
    from dlicli.startsettings import REMEMBERED

    return {name: given.get(name) for name in REMEMBERED}


@app.command("start", cls=LocalCommand)
def start(
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Run in this terminal (Ctrl-C stops it) instead of detached.")
    ] = False,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).", metavar="HOST")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port (default 9281 if free, else any; 0: any free port at each start).",
            metavar="PORT",
        ),
    ] = None,
    slots: Annotated[
        int | None,
        typer.Option("--slots", min=1, help="Worker processes run at once (default: CPU count).", metavar="N"),
    ] = None,
    tls: Annotated[
        bool | None,
        typer.Option(
            "--tls/--no-tls",
            help="Serve HTTPS (self-signed certificate in the data dir unless --cert/--key); "
            "remembered for later starts until --no-tls.",
            show_default=False,
        ),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="With --tls: your certificate (PEM).", metavar="FILE")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="With --tls: its private key (PEM).", metavar="FILE")
    ] = None,
    shared_trust: Annotated[
        bool | None,
        typer.Option(
            "--shared-trust/--no-shared-trust",
            help="Where users cannot be isolated (no bubblewrap), still allow more users than the admin: "
            "every user can read everything. Remembered until --no-shared-trust.",
            show_default=False,
        ),
    ] = None,
    session_hours: Annotated[
        float | None,
        typer.Option(
            "--session-hours",
            min=0.001,
            max=100000,
            help="How long a session token from /auth/v1/logon lasts (default 8). User tokens do not expire.",
            metavar="HOURS",
            show_default=False,
        ),
    ] = None,
    max_upload_bytes: MaxUploadOpt = None,
    max_unpacked_bytes: MaxUnpackedOpt = None,
    max_unpack_ratio: MaxRatioOpt = None,
    max_tar_members: MaxMembersOpt = None,
    max_job_num: MaxJobsOpt = None,
    max_parallel_jobs: MaxParallelOpt = None,
    max_grid: MaxGridOpt = None,
    max_tasks_per_user: MaxTasksOpt = None,
    max_searches_per_user: MaxSearchesOpt = None,
    plugin_root: PluginRootOpt = None,
    hpo_max_failures: HpoFailuresOpt = None,
    gpus: GpusOpt = None,
    pass_env: PassEnvOpt = None,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Forget the options earlier starts remembered (all but --tls and --shared-trust): "
            "this start and later ones use the defaults and the options given with it.",
        ),
    ] = False,
) -> None:
    """Start the local engine (detached; logs in <data dir>/engine.log). Does nothing if it runs.

    Every option is remembered (<data dir>/start.json, tls.json, trust.json) and used by later
    starts, the ones commands make by themselves too, until it is given again or --reset: after
    `--port 9392`, the engine comes back on 9392. Given while the engine runs, the options whose
    value differs apply at its next start.

    With --tls it serves HTTPS, which IBM's dlicmd.py needs for --logon; dlicli trusts the
    engine's own certificate without --insecure. The limits bound what one request or user may ask
    (413 for sizes, 400 for a search asking too much, 429 for a user's active work).

    Users' tasks, searches and notebooks run in a bubblewrap sandbox where `bwrap` works; without it
    only the admin may use the engine, unless --shared-trust says every user may read everything.
    """
    given = start_options(locals())  # first: only start's parameters are its locals yet
    import os

    from dlicli import enginetls, localengine, startsettings

    out = Output()
    ddir = engine_data_dir()
    enginetls.remember_tls(ddir, tls, cert, key)
    startsettings.remember_shared_trust(ddir, shared_trust)
    startsettings.remember(ddir, given, reset=reset)
    if foreground:
        record = localengine.running(ddir)
        if record is not None:
            raise localengine.ConflictError(
                f"the local engine already runs at {record['url']} (pid {record['pid']})",
                hint="stop it first: `dlicli server stop`",
            )
        localengine.check_extra()
        ddir.mkdir(parents=True, exist_ok=True)
        cmd = localengine.serve_command(ddir)
        os.execve(cmd[0], cmd, localengine.engine_env())  # serve handles Ctrl-C/SIGTERM itself
    record, started = localengine.start(ddir)
    url = localengine.client_url(record["url"])
    if not started:
        names = [name for name, value in given.items() if reset or value not in (None, "")]
        switches = {"tls": tls, "shared_trust": shared_trust}
        names += [name if value else f"no_{name}" for name, value in switches.items() if value is not None]
        _say_already_running(out, ddir, record, names)
        return
    host = str(record.get("host") or "")
    if host and host not in LOOPBACK:
        out.warn(f"the engine listens on {host}: anyone who can reach it may try to use it")
    out.success(f"the local engine runs at {url} (pid {record['pid']}, data in {ddir})")


def _say_already_running(out: Output, ddir: Path, record: dict[str, Any], names: list[str]) -> None:
    """The engine runs: which of the options given (`names`) its next start changes, and where it is."""
    from dlicli import localengine, startsettings

    shared_next = (ddir / paths.TRUST_SETTING).is_file()
    differing = startsettings.changed(record, names, localengine.serve_command(ddir), shared_next)
    if differing:
        out.warn(
            f"the engine already runs: {', '.join(differing)} {'applies' if len(differing) == 1 else 'apply'} "
            "at its next start "
            "(`dlicli server stop`, then `dlicli server start`, to apply them now)"
        )
    out.info(f"the local engine already runs at {localengine.client_url(record['url'])} (pid {record['pid']})")


@app.command("stop", cls=LocalCommand)
def stop() -> None:
    """Stop the local engine cleanly (SIGTERM; SIGKILL after a grace period). Tasks keep running."""
    from dlicli import localengine

    out = Output()
    record, clean = localengine.stop(paths.data_dir())
    if record is None:
        out.info("the local engine is not running")
    elif clean:
        out.info(f"stopped the local engine (pid {record['pid']})")
    else:
        out.warn(f"the local engine (pid {record['pid']}) did not stop in time and was killed")


@app.command("status", cls=LocalCommand)
def status(output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """Whether the local engine runs, and where: url, pid, version, data dir; and how it isolates users:
    bwrap (each user's processes in a bubblewrap sandbox), none (shared trust), none (single user).

    NEXT START (nextStart, tlsNextStart, sharedTrustNextStart) is what `server start` remembered for
    the next start, the one a command makes by itself too; an option not named there gets its default.
    It exits 0 whether the engine runs or not: test `--query running` in a script."""
    from dlicli import localengine, startsettings
    from dlicli.timefmt import time_text

    out = output(output_format, as_json)
    info = localengine.status(paths.data_dir())
    out.data(
        info,
        columns=[
            Column("RUNNING", lambda r: "yes" if r["running"] else "no"),
            Column("URL", "url"),
            Column("PID", "pid"),
            Column("VERSION", "version"),
            Column("STARTED", lambda r: time_text(r["startedAt"], tty=out.stdout_is_tty) if r["running"] else ""),
            Column("DATA DIR", "dataDir"),
            Column("CERT", "cert"),
            Column("ISOLATION", "isolation"),
            Column("LOG", "log"),
            Column("NEXT START", startsettings.describe),
        ],
    )


@app.command("logs", cls=LocalCommand)
def logs(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines (Ctrl-C ends).")] = False,
    tail: Annotated[
        int | None,
        typer.Option(
            "--tail", min=0, help="Only the last N lines (default 50; following: start from them).", metavar="N"
        ),
    ] = None,
    lines: Annotated[int | None, typer.Option("--lines", "-n", min=0, hidden=True)] = None,  # --tail's old name
) -> None:
    """Print the engine's log (<data dir>/engine.log)."""
    import time

    from dlicli import localengine
    from dlicli.errors import NotFoundError, UsageError

    if tail is not None and lines is not None and tail != lines:
        raise UsageError("--lines is --tail's old name: give one of them", hint=f"dlicli server logs --tail {tail}")
    lines = next((n for n in (tail, lines) if n is not None), 50)
    out = Output()
    path = localengine.log_path(paths.data_dir())
    if not path.exists() and not follow:
        raise NotFoundError(f"no engine log at {path}", hint="start the engine: `dlicli server start`")
    out.write(localengine.tail_lines(path, lines))
    if not follow:
        return
    offset = path.stat().st_size if path.exists() else 0
    while True:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < offset:  # truncated or replaced: start over
            offset = 0
        if size > offset:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read(size - offset)
            offset += len(chunk)
            out.write(chunk.decode("utf-8", errors="replace"))
        time.sleep(0.25)
