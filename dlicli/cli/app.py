"""The root command: global options, group wiring, and the ONE exception → exit-code mapper."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from dlicli import __version__
from dlicli.cli import completion, examples, lazy, typerx
from dlicli.cli.state import AppState


class DlicliGroup(typerx.TyperGroup):
    """Runs every command under one mapper: any failure becomes one `error:` line and the
    exit code of `dlicli.errors.exit_code_for`; a traceback only with --debug."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **kw: Any,
    ) -> Any:
        if os.environ.get("_DLICLI_COMPLETE"):  # typer registers its shell classes only with add_completion
            typerx.completion_init()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **kw)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            rv = super().main(argv, prog_name, complete_var, False, windows_expand_args, **kw)
        except BaseException as exc:  # noqa: BLE001 - this is the one place that maps them all
            code = report(exc, debug=debug, argv=argv)
            sys.exit(code)
        sys.exit(rv if isinstance(rv, int) else 0)

    def _load(self, name: str) -> Any:
        """One command of COMMANDS, built on first use."""
        if name not in self.commands and name in COMMANDS:
            self.commands[name] = _built(name)
        return self.commands.get(name)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, name: str) -> Any:
        return self._load(name) or super().get_command(ctx, name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in COMMANDS:
            for name in COMMANDS:  # an unknown word: load all, so "did you mean" knows every name
                self._load(name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of `dlicli --help` from COMMANDS' summaries: nothing is imported."""
        shown = {name: entry.summary for name, entry in COMMANDS.items() if not entry.hidden}
        limit = formatter.width - 6 - max(map(len, shown))
        with formatter.section("Commands"):
            formatter.write_dl([(name, typerx.short_help(text, limit)) for name, text in shown.items()])

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names (with their summaries) and root options, without importing any command."""
        names = [
            typerx.completion_item(name, entry.summary)
            for name, entry in COMMANDS.items()
            if name.startswith(incomplete) and not entry.hidden
        ]
        return names + typerx.option_completions(self, ctx, incomplete)

    @staticmethod
    def report(exc: BaseException, *, debug: bool = False, argv: Sequence[str] = ()) -> int:
        """`report` below, for a command that runs others in-process (dlicmd) through the root."""
        return report(exc, debug=debug, argv=argv)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            # typer turns Ctrl-C into a silent Exit(130); carry it (and its hint) to report()
            raise _Interrupted(exc) from exc


@functools.cache
def _built(name: str) -> Any:
    """A command of COMMANDS, built once per process: `dlicli dlicmd` and in-process callers
    (tests) run the root many times, and commands hold no state between runs."""
    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    if entry.group:
        command = lazy.build_group(module.app, name, hidden=entry.hidden)
    else:
        command = examples.attach(lazy.build_group(module.commands, name).get_command(None, name), name)
    command.short_help = entry.summary
    return command


class _Interrupted(Exception):
    def __init__(self, interrupt: KeyboardInterrupt):
        super().__init__("interrupted")
        self.interrupt = interrupt


def report(exc: BaseException, *, debug: bool = False, argv: Sequence[str] = ()) -> int:
    """Print one `error:` line (and a hint) for `exc` to stderr; return the exit code. `argv` (the
    command line after `dlicli`) lets a usage hint show the user's own line, fixed."""
    from dlicli.cli.hints import hint_for, usage_hint
    from dlicli.errors import DlicliError, ExitCode, exit_code_for
    from dlicli.output import Output

    if isinstance(exc, _Interrupted):
        exc = exc.interrupt
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    out = Output()
    click_exc = typerx.click_exceptions()
    if isinstance(exc, click_exc.NoArgsIsHelpError):
        exc.show()
        return ExitCode.USAGE
    if isinstance(exc, click_exc.UsageError):
        out.error(exc.format_message())
        fix = usage_hint(exc, argv)
        if fix or exc.ctx is not None:
            out.hint(fix or f"see `{exc.ctx.command_path} --help`")
        return ExitCode.USAGE
    if isinstance(exc, click_exc.ClickException):
        out.error(exc.format_message())
        return ExitCode.USAGE
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        hint = getattr(exc, "hint", None)
        if isinstance(exc, typer.Abort):  # Ctrl-C is the user's own act (how a watch ends): no error line
            out.error("aborted")
        if hint:
            out.hint(hint)
        return ExitCode.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else ExitCode.ERROR
    if debug:
        import traceback

        from dlicli.output import redact

        sys.stderr.write(redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
    if isinstance(exc, DlicliError):
        out.error(exc.message)
        if debug and exc.detail:
            out.debug(exc.detail)
        hint = hint_for(exc)
        if hint:
            out.hint(hint)
    elif isinstance(exc, BrokenPipeError):
        return ExitCode.ERROR
    else:
        out.error(f"unexpected {type(exc).__name__}: {exc}")
        if not debug:
            out.hint("run again with --debug for a traceback, and report it")
    return exit_code_for(exc)


app = typer.Typer(
    cls=DlicliGroup,
    name="dlicli",
    help="dlicli: the command line for the WMLA deep-learning REST API (dlpd), and a local engine.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": lazy.HELP_OPTION_NAMES},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"dlicli {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Server base URL (or scheme://host[:port]); env DLICLI_URL.", metavar="URL"),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-P",
            help="Profile to use; env DLICLI_PROFILE.",
            metavar="NAME",
            autocompletion=completion.profile_names,
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Skip TLS certificate checks (warns on every run).")
    ] = False,
    ca_bundle: Annotated[
        str | None,
        typer.Option("--ca-bundle", help="PEM file of CAs to trust; env DLICLI_CA_BUNDLE.", metavar="FILE"),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log requests to stderr (secrets redacted); tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    st = AppState(url=url, profile=profile, debug=debug, insecure=True if insecure else None, ca_bundle=ca_bundle)
    ctx.obj = st
    ctx.call_on_close(st.close)


# Every command below the root, in the order `dlicli --help` lists them. Each is imported and built
# only when used (typer turns every command's signature into click parameters, and doing that for
# the whole tree costs more than the rest of a start-up); its summary is its line in `--help` and in
# shell completion, so neither imports anything. A group's module has an `app`; a root command's
# module registers it on its `commands` Typer.
COMMANDS: dict[str, lazy.Entry] = {
    "conf": lazy.Entry("dlicli.cli.conf", "Read the server's dlpd configuration."),
    "exec": lazy.Entry("dlicli.cli.exec", "Submit, follow and manage training tasks."),
    "hpo": lazy.Entry("dlicli.cli.hpo", "Hyperparameter search: start, watch and manage HPO tasks and algorithms."),
    "hypersearch": lazy.Entry("dlicli.cli.hpo", "An alias of hpo (the API tag's name).", hidden=True),
    "notebook": lazy.Entry("dlicli.cli.notebook", "Inspect, stop and re-plan users' notebook services."),
    "resplan": lazy.Entry("dlicli.cli.resplan", "Create, inspect and delete resource plans; show their tree."),
    "scheduler": lazy.Entry("dlicli.cli.scheduler", "List scheduler applications and statistics; read their logs."),
    "login": lazy.Entry("dlicli.cli.auth", "Sign in and keep the secret; the profile becomes current.", group=False),
    "logout": lazy.Entry("dlicli.cli.auth", "Sign out: forget the profile's secret.", group=False),
    "status": lazy.Entry("dlicli.cli.auth", "Show the active profile, URL, user and secret source.", group=False),
    "token": lazy.Entry("dlicli.cli.auth", "Print the active token, for piping into other tools.", group=False),
    "profile": lazy.Entry("dlicli.cli.profile", "Named connection profiles."),
    "server": lazy.Entry("dlicli.cli.server", "Run the local engine: a dlpd-compatible server on this machine."),
    "top": lazy.Entry("dlicli.cli.top", "A live console of the server: tasks, searches, apps, plans.", group=False),
    "api": lazy.Entry("dlicli.cli.api", "Call any API operation and print the answer.", group=False),
    "completion": lazy.Entry("dlicli.cli.completion", "Print a shell completion script (bash, zsh or fish)."),
    "dlicmd": lazy.Entry("dlicli.cli.dlicmd", "Run a dlicmd.py command line as dlicli.", group=False),
    "help": lazy.Entry("dlicli.cli.help", "Guides: exit codes, environment, the HPO spec file, output.", group=False),
}


def main() -> None:
    """Console-script entry point."""
    app(prog_name="dlicli")
