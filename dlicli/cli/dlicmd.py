"""`dlicli dlicmd ARGS…`: IBM dlicmd.py's syntax, run as the native dlicli commands.

The translation is `dlicli.dlicmdargs`; here the translated argv is run in-process through the
same app (so output and exit codes are exactly the native command's), with the connection the
dlicmd flags named. A `--jwt-token` reaches the connection through this process's environment
only (DLICLI_TOKEN, restored afterwards), never through argv.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from dlicli.cli.state import AppState, state
from dlicli.cli.typerx import TyperCommand
from dlicli.output import Output
from dlicli.paths import ENV_TOKEN

RAW_ARGS = "dlicli.dlicmd.argv"
CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}
JWT_WARNING = (
    "--jwt-token puts the token in the command line, where other users can read it (ps, shell history); "
    "set DLICLI_TOKEN instead, or run `dlicli login`"
)


class DlicmdCommand(TyperCommand):
    """Keeps the arguments exactly as given: click's parser would swallow a leading `--`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[RAW_ARGS] = list(args)
        return super().parse_args(ctx, args)


def dlicmd(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="DLICMD_ARGS…", help="dlicmd.py's own arguments, as a script passed them.", show_default=False
        ),
    ] = None,
) -> None:
    """Run a dlicmd.py command line (`--exec-get-all`, `--exec-start …`) as dlicli.

    Each dlicmd command becomes its dlicli command, run in this process: the same requests,
    output and exit codes. JSON is printed by default, as dlicmd did (-o table|yaml for
    dlicli's tables); --rest-host/--rest-port give https://HOST:PORT (--http for plain HTTP).
    --debug shows the dlicli command it runs. The full table: docs/migrating-from-dlicmd.md.

    \b
    Examples:
      dlicli dlicmd --exec-get-all --rest-host wmla.example.com --rest-port 9243
      dlicli dlicmd --exec-start PyTorch --model-dir ./mnist --model-main main.py -- --lr 0.1
      dlicli dlicmd --exec-trainoutlogs wmla-123
    """
    from dlicli import dlicmdargs

    raw = ctx.meta.get(RAW_ARGS, args or [])
    t = dlicmdargs.translate(raw)
    outer = state(ctx)
    out = Output()
    if t.token is not None:
        out.warn(JWT_WARNING)
    options = _root_options(outer, t)
    debug = outer.debug or t.debug
    with _token(t.token):
        if t.app_logs is not None:
            steps = _app_log_steps(outer, t, debug)
        else:
            steps = [(None, argv) for argv in t.steps]
        code = _run(ctx.find_root().command, steps, options, t, out, debug)
    if code:
        raise typer.Exit(code)


def _root_options(outer: AppState, t: Any) -> list[str]:
    """The root options for the native run: the outer ones, with --rest-host's URL first."""
    argv: list[str] = []
    url = t.url or outer.url
    if url:
        argv += ["--url", url]
    if outer.profile:
        argv += ["--profile", outer.profile]
    if outer.insecure:
        argv.append("--insecure")
    if outer.ca_bundle:
        argv += ["--ca-bundle", outer.ca_bundle]
    if outer.debug or t.debug:
        argv.append("--debug")
    return argv


@contextmanager
def _token(token: str | None) -> Iterator[None]:
    """DLICLI_TOKEN = token while the native commands run (this process only; the local
    engine is started without the CLI's secrets)."""
    if token is None:
        yield
        return
    before = os.environ.get(ENV_TOKEN)
    os.environ[ENV_TOKEN] = token
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_TOKEN, None)
        else:
            os.environ[ENV_TOKEN] = before


def _native(root: Any, argv: list[str]) -> int:
    """Run `dlicli ARGV` in this process through the root group (cli/app.py's, reached through the
    context, not imported); exceptions go up to the one mapper, as natively."""
    rv = root.main(args=argv, prog_name="dlicli", standalone_mode=False)
    return rv if isinstance(rv, int) else 0


def _run(
    root: Any, steps: list[tuple[str | None, list[str]]], options: list[str], t: Any, out: Output, debug: bool
) -> int:
    """One step: exactly the native run. Several (--hpo-stop A B, executor logs): each runs,
    a failure is reported and the rest go on; the exit code is the first failure's."""
    first = 0
    for header, argv in steps:
        if debug:
            out.debug(f"dlicmd {t.command} → dlicli {t.shown(options + argv)}")
        if header:
            out.info(f"==> {header} <==")
        if len(steps) == 1:
            return _native(root, options + argv)
        try:
            code = _native(root, options + argv)
        except Exception as exc:  # noqa: BLE001 - reported like the mapper does, then on to the next
            code = root.report(exc, debug=debug)
        first = first or code
    return first


def _app_log_steps(outer: AppState, t: Any, debug: bool) -> list[tuple[str | None, list[str]]]:
    """--exec-outlogs ID and friends: the task's application id, then its driver and executor logs."""
    from dlicli import dlicmdargs
    from dlicli.errors import DlicliError

    exec_id, log_type = t.app_logs
    st = AppState(
        url=t.url or outer.url, profile=outer.profile, debug=debug, insecure=outer.insecure, ca_bundle=outer.ca_bundle
    )
    try:
        client = st.client()
        batch = client.execs_exec_id_get(exec_id)
        appid = batch.get("appId") if isinstance(batch, dict) else None
        if not appid:
            raise DlicliError(
                f"task {exec_id} has no application id (yet)", hint=f"see its training log: dlicli exec logs {exec_id}"
            )
        apps = client.get_applications(applicationid=appid)
    finally:
        st.close()
    app = next((a for a in apps if isinstance(a, dict) and a.get("applicationid") in (appid, None)), None)
    return list(dlicmdargs.app_log_steps(appid, log_type, app))


commands = typer.Typer()  # the root registers it lazily (cli/app.py COMMANDS)
commands.command("dlicmd", cls=DlicmdCommand, context_settings=CONTEXT)(dlicmd)
