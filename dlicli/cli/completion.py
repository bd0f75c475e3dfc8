"""Shell completion, the CLI side: the `dlicli completion bash|zsh|fish` command, and the
`autocompletion=` callbacks of task ids, HPO names, plans, algorithms and profiles.

The script (typer's own machinery) calls `dlicli` back with `_DLICLI_COMPLETE=complete_<shell>`;
`cli/app.py` registers typer's completion classes when that variable is set, and the root group
answers before any command runs. The values come from `dlicli.completion` (typer-free), imported
only when a value is actually completed, so completing a command name never imports httpx,
keyring or yaml. The connection options already on the command line (--url, --profile,
--insecure, --ca-bundle; before or after the verb) choose the server, as they would for the command.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import typer

PROG_NAME = "dlicli"
COMPLETE_VAR = "_DLICLI_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
INSTALL = {
    "bash": "dlicli completion bash > ~/.local/share/bash-completion/completions/dlicli",
    "zsh": 'dlicli completion zsh > "${fpath[1]}/_dlicli"   (then: autoload -Uz compinit && compinit)',
    "fish": "dlicli completion fish > ~/.config/fish/completions/dlicli.fish",
}

FISH_ACTION = "_TYPER_COMPLETE_FISH_ACTION"  # typer's fish protocol: is-args (any values?) or get-args
FISH_SCRIPT = """\
# dlicli's fish completion: one run of dlicli per TAB. The condition asks dlicli for the values and
# keeps them; the arguments are what it kept. No values (a path option, a free value): the condition
# fails and fish completes file names.
function __%(prog)s_complete
    set -g __%(prog)s_values (env %(var)s=complete_fish %(action)s=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) %(prog)s | string match -v -- '')
    set -q __%(prog)s_values[1]
end
complete --command %(prog)s --no-files --condition __%(prog)s_complete --arguments '$__%(prog)s_values'
"""

app = typer.Typer(help="Print a shell completion script (bash, zsh or fish) to stdout.", no_args_is_help=True)


def script(shell: str) -> str:
    """The completion script for `shell`, ending in a newline: typer's for bash and zsh; for fish
    our own, which runs dlicli once per TAB where typer's runs it twice (is-args, then get-args)."""
    if shell == "fish":
        return FISH_SCRIPT % {"prog": PROG_NAME, "var": COMPLETE_VAR, "action": FISH_ACTION}
    from dlicli.cli import typerx

    return typerx.completion_script(PROG_NAME, COMPLETE_VAR, shell) + "\n"


def _command(shell: str):
    def command() -> None:
        sys.stdout.write(script(shell))
        sys.stdout.flush()

    command.__doc__ = f"Print the {shell} completion script. Install: {INSTALL[shell]}"
    return command


for _shell in SHELLS:
    app.command(_shell)(_command(_shell))


# -- the autocompletion= callbacks -----------------------------------------------------------

Candidates = list[tuple[str, str]]


def _connection(ctx: typer.Context) -> dict:
    """The connection options on the command line: the root's, overridden by those after the verb
    (leafopts.py's callbacks put them on the root's AppState as they are parsed, completing too)."""
    root = ctx.find_root()

    def given(name: str):
        after = getattr(root.obj, name, None)
        return after if after not in (None, False) else root.params.get(name)

    return {
        "url": given("url"),
        "profile": given("profile"),
        "insecure": True if given("insecure") else None,
        "ca_bundle": given("ca_bundle"),
    }


def _from_server(kind: str) -> Callable[[typer.Context, str], Candidates]:
    def complete(ctx: typer.Context, incomplete: str) -> Candidates:
        if os.environ.get(FISH_ACTION) == "is-args":
            # typer's fish script (one installed before ours) asks "any values here?" before it asks
            # for them: a server's values are "yes" without a request, so a TAB asks the server once
            return [(incomplete, "")]
        from dlicli.completion import server_values

        return server_values(kind, incomplete, **_connection(ctx))

    complete.__name__ = complete.__qualname__ = f"complete_{kind}"
    return complete


task_ids = _from_server("tasks")
hpo_names = _from_server("hpo")
plan_names = _from_server("plans")
algorithm_names = _from_server("algorithms")


def attach_value_completion(command: object) -> None:
    """Complete --framework, --state, --type and --sort from dlicli.completion's tables on any
    command that declares them (no request; the options themselves stay as their modules wrote
    them). cli/lazy.py calls this on every command it builds."""
    from dlicli.completion import VALUE_OPTIONS

    for param in getattr(command, "params", ()):
        flags = [flag for flag in getattr(param, "opts", ()) if flag in VALUE_OPTIONS]
        if flags:
            from dlicli.cli import typerx

            if not typerx.has_value_completion(param):
                typerx.set_value_completion(param, _table_values(flags[0]))


def _table_values(option: str) -> Callable[[object, object, str], list]:
    def complete(ctx: typer.Context, param: object, incomplete: str) -> list:
        from dlicli.cli import typerx
        from dlicli.completion import option_values

        command = " ".join(ctx.command_path.split()[1:])
        return [typerx.completion_item(v, h) for v, h in option_values(command, option, incomplete)]

    return complete  # type: ignore[return-value]


def profile_names(incomplete: str) -> Candidates:
    """Every profile a command can use, the built-in `local` one included."""
    from dlicli.completion import profile_names as names

    return names(incomplete)


def saved_profile_names(incomplete: str) -> Candidates:
    """The profiles of config.yaml (`profile delete`: `local` is built in, it cannot be deleted)."""
    from dlicli.completion import profile_names as names

    return names(incomplete, local=False)
