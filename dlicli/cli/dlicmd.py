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
from dlicli.paths import ENV_CREDENTIALS_STORE, ENV_TOKEN

RAW_ARGS = "dlicli.dlicmd.argv"
CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}
# A native hint naming an option dlicmd has not (--store, --force, -O) → what works on a dlicmd line.
NATIVE_HINTS = (
    (  # `login`: the server took the credentials, no keyring can keep the token (credentials.nowhere_to_keep)
        "`--store file`",
        f"log in again as `{ENV_CREDENTIALS_STORE}=file dlicli dlicmd --logon …` (a private 0600 credentials.yaml) "
        f"or `dlicli login --console-logon --store file`, set {ENV_TOKEN} in the environment instead, "
        "or install a keyring backend",
    ),
    ("use --store ", f"set {ENV_CREDENTIALS_STORE} to keyring, file or auto"),  # a bad DLICLI_CREDENTIALS_STORE
    (  # --exec-trainresult when the zip is there already (execwatch.check_destination)
        "pass --force to overwrite it",
        "move it away first (dlicmd has no --force), or use `dlicli exec result ID --force` or `-O FILE`",
    ),
)
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
            with _dlicmd_hints():
                steps = _app_log_steps(outer, t, debug)
        else:
            steps = [(None, argv) for argv in t.steps]
        code = _run(ctx.find_root().command, steps, options, t, out, debug)
    if code:
        raise typer.Exit(code)


def _root_options(outer: AppState, t: Any) -> list[str]:
    """The root options for the native run: the outer ones, with --rest-host's URL first."""
    argv: list[str] = []
    url = _local_engine_url(t) or t.url or outer.url
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


def _local_engine_url(t: Any) -> str | None:
    """--rest-host 127.0.0.1 --rest-port P without --http/--rest-protocol, naming the local engine:
    its URL as it serves it (http, or https with the certificate dlicli trusts), so a dlicmd line
    reaches it as the rest of dlicli does. None for any other host or port."""
    from urllib.parse import urlsplit

    if t.url is None or t.protocol_given:
        return None
    asked = urlsplit(t.url)
    if (asked.hostname or "") not in ("127.0.0.1", "localhost", "::1"):
        return None
    from dlicli import localengine, paths

    record = localengine.read_record(paths.data_dir())
    if not record or record.get("port") != asked.port:
        return None
    served = urlsplit(localengine.client_url(str(record.get("url", ""))))
    return f"{served.scheme}://{asked.netloc}"


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
    context, not imported); exceptions go up to the one mapper, as natively, an https URL answered
    in plain HTTP with dlicmd's own way out (--http)."""
    with _dlicmd_hints():
        rv = root.main(args=argv, prog_name="dlicli", standalone_mode=False)
    return rv if isinstance(rv, int) else 0


@contextmanager
def _dlicmd_hints() -> Iterator[None]:
    """The native commands' hints, made true for a dlicmd line: --http for plain HTTP, and none of
    the options dlicmd has not (NATIVE_HINTS: `--store`, `--force`, `-O`)."""
    from dlicli.cli.hints import DLICMD_PLAIN_HTTP_HINT
    from dlicli.errors import DlicliError, PlainHTTPServer

    try:
        yield
    except PlainHTTPServer as exc:
        exc.hint = exc.hint or DLICMD_PLAIN_HTTP_HINT
        raise
    except DlicliError as exc:
        exc.hint = next((ours for theirs, ours in NATIVE_HINTS if theirs in (exc.hint or "")), exc.hint)
        raise


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
        url=_local_engine_url(t) or t.url or outer.url,
        profile=outer.profile,
        debug=debug,
        insecure=outer.insecure,
        ca_bundle=outer.ca_bundle,
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
