"""`dlicli completion bash|zsh|fish`: print the shell's completion script (typer's own machinery).

The script calls `dlicli` back with `_DLICLI_COMPLETE=complete_<shell>`; `cli/app.py` registers
typer's completion classes when that variable is set, and the root group answers before any
command runs, so completing never imports httpx, keyring or yaml.
"""

from __future__ import annotations

import sys

import typer

PROG_NAME = "dlicli"
COMPLETE_VAR = "_DLICLI_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
INSTALL = {
    "bash": "dlicli completion bash > ~/.local/share/bash-completion/completions/dlicli",
    "zsh": 'dlicli completion zsh > "${fpath[1]}/_dlicli"   (then: autoload -Uz compinit && compinit)',
    "fish": "dlicli completion fish > ~/.config/fish/completions/dlicli.fish",
}

app = typer.Typer(help="Print a shell completion script (bash, zsh or fish) to stdout.", no_args_is_help=True)


def script(shell: str) -> str:
    """The completion script for `shell`, ending in a newline."""
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
