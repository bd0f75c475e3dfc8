"""`dlicli server user add|list|remove|passwd|rotate-token`: the local engine's users and tokens.

The work is in dlicli.localusers (typer-free): each command runs one of the engine's one-shot user
modes on the data dir, running engine or not; a running engine sees the change on its next request.
Passwords come from stdin (`--password-stdin`) or a prompt on a terminal, never from argv.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dlicli import paths
from dlicli.cli.options import JsonOpt, OutputOpt, YesOpt
from dlicli.cli.state import engine_data_dir, output
from dlicli.output import Column, Output

app = typer.Typer(help="Users of the local engine, their passwords and tokens.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The user's name.", metavar="NAME")]
PASSWORD_STDIN_HELP = "Read the password from stdin (its first line)."


def _checked(name: str) -> str:
    import re

    from dlicli.errors import UsageError

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name):
        raise UsageError(
            f"not a valid user name: {name!r}",
            hint="use letters, digits, '.', '_' and '-' (up to 64, starting with a letter or digit)",
        )
    return name


@app.command("add")
def user_add(
    name: NameArg,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read a password from stdin and set it (for Basic auth and /auth/v1/logon); "
            "on an existing user, replaces their password.",
        ),
    ] = False,
) -> None:
    """Create an engine user and print their token on stdout (shown once: keep it).

    The token does not expire; `rotate-token` replaces it. With --password-stdin the user also
    signs in with a password, as on WMLA (`dlicli login --console-logon`, dlicmd.py --logon); for
    an existing user it sets a new password and prints nothing (their token is unchanged).
    """
    from dlicli import localusers

    _checked(name)
    password = password_from_stdin() if password_stdin else None
    token = localusers.add_user(engine_data_dir(), name, password)
    if token is None:
        Output().info(f"set a new password for user {name}")
        return
    Output().write(token + "\n")
    Output().info(f"added user {name}; they sign in with `dlicli login --url URL --token-stdin`")


@app.command("list")
def user_list(output_format: OutputOpt = None, as_json: JsonOpt = False) -> None:
    """List the engine's users: name, admin, created, password set, tokens that work (never a token)."""
    from dlicli import localusers
    from dlicli.timefmt import time_text

    out = output(output_format, as_json)
    out.data(
        localusers.list_users(paths.data_dir()),
        columns=[
            Column("NAME", "name"),
            Column("ADMIN", lambda r: "yes" if r["admin"] else "no"),
            Column("CREATED", lambda r: time_text(r.get("created"), tty=out.stdout_is_tty)),
            Column("PASSWORD", lambda r: "yes" if r["hasPassword"] else "no"),
            Column("TOKENS", "tokens"),
        ],
    )


@app.command("remove")
def user_remove(name: NameArg, yes: YesOpt = False) -> None:
    """Remove a user: their tokens and password stop working at once; asks first unless --yes.

    Their running tasks, searches and notebook server are stopped and kept: the admin still sees
    them (`dlicli exec list`) and deletes them. The engine's own admin cannot be removed.
    """
    from dlicli import localusers
    from dlicli.cli.bulk import confirm

    _checked(name)
    confirm(
        f"Remove user {name} (their tasks are stopped and kept)?",
        yes=yes,
        example=f"dlicli server user remove {name} --yes",
    )
    gone = localusers.remove_user(engine_data_dir(), name)
    Output().info(
        f"removed user {name}; their tokens no longer work; {gone['tasks']} task(s) and "
        f"{gone['searches']} search(es) of theirs are stopped and kept for the admin"
    )


@app.command("passwd")
def user_passwd(
    name: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=PASSWORD_STDIN_HELP)] = False,
) -> None:
    """Set a user's password (Basic auth, /auth/v1/logon); their tokens keep working.

    The password is read from stdin with --password-stdin, else asked for twice on the terminal.
    """
    from dlicli import localusers

    _checked(name)
    password = password_from_stdin() if password_stdin else _password_from_terminal()
    localusers.set_password(engine_data_dir(), name, password)
    Output().info(f"set a new password for user {name}")


@app.command("rotate-token")
def user_rotate_token(name: NameArg) -> None:
    """Give a user a new token, printed once; their old token and sessions stop working at once.

    For admin, the new token is written to <data dir>/admin.token, where dlicli reads it.
    """
    from dlicli import localusers

    _checked(name)
    token = localusers.rotate_token(engine_data_dir(), name)
    if token is None:
        Output().info(f"admin has a new token, in {paths.data_dir() / 'admin.token'}; the old one no longer works")
        return
    Output().write(token + "\n")
    Output().info(f"{name} has a new token; the old one no longer works")


def password_from_stdin() -> str:
    """The first line of stdin, its line ending dropped; refused when empty (nothing was piped)."""
    from dlicli.errors import UsageError

    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise UsageError("no password on stdin", hint="pipe it in: printf '%s\\n' \"$PASSWORD\" | dlicli ...")
    return password


def _password_from_terminal() -> str:
    """Asked twice without echo; without a terminal, say to pipe it in."""
    import getpass

    from dlicli.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password on", hint="pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if not first:
        raise UsageError("the password is empty")
    if getpass.getpass("Again: ") != first:
        raise UsageError("the passwords differ")
    return first
