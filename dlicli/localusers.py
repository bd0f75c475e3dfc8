"""`dlicli server user …`'s work on the local engine's users. Typer-free.

Each call runs one of serve's one-shot user modes (`python -m dlicli.engine.serve --add-user …`,
engine/useradmin.py) on the data dir: it works on the SQLite store whether or not an engine runs,
and a running engine sees the change on its next request. A password goes over stdin, never argv.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from dlicli.errors import DlicliError, NotFoundError, UsageError
from dlicli.localengine import SERVE_MODULE, ConflictError, engine_env

# serve's exit codes for a refused request (engine/useradmin.py EXIT_BY_STATUS) → our error types
ERROR_BY_EXIT: dict[int, type[DlicliError]] = {10: UsageError, 11: NotFoundError, 12: ConflictError, 2: UsageError}


def _one_shot(ddir: Path, what: str, args: list[str], stdin: str = "", timeout: float = 60.0) -> str:
    """Run serve with `args` on `ddir` → its stdout; a refusal raises the matching error, `what` failed."""
    ddir.mkdir(parents=True, exist_ok=True, mode=0o700)
    proc = subprocess.run(
        [sys.executable, "-m", SERVE_MODULE, "--data-dir", str(ddir), *args],
        cwd=ddir,
        env=engine_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode == 0:
        return proc.stdout.strip()
    message = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
    message = message.removeprefix("error: ")
    raise ERROR_BY_EXIT.get(proc.returncode, DlicliError)(f"cannot {what}: {message}")


def add_user(ddir: Path, name: str, password: str | None = None) -> str | None:
    """A new engine user → their token. With a password: set, and an existing user's replaced → None."""
    args = ["--add-user", name] + (["--password-stdin"] if password is not None else [])
    out = _one_shot(ddir, f"add user {name!r}", args, (password + "\n") if password is not None else "")
    if not out and password is not None:
        return None  # an existing user's new password
    if not out:
        raise DlicliError(f"cannot add user {name!r}: the engine printed no token")
    return out.splitlines()[-1].strip()


def set_password(ddir: Path, name: str, password: str) -> None:
    """Replace an existing user's password (their tokens keep working)."""
    _one_shot(ddir, f"set the password of {name!r}", ["--set-password", name], password + "\n")


def list_users(ddir: Path) -> list[dict[str, Any]]:
    """Every user: name, admin, created, hasPassword, tokens (a count; never a token)."""
    return json.loads(_one_shot(ddir, "list users", ["--list-users"]) or "[]")


def remove_user(ddir: Path, name: str) -> dict[str, Any]:
    """Remove a user → {"name", "tasks", "searches"}: the work the engine now stops and keeps."""
    return json.loads(_one_shot(ddir, f"remove user {name!r}", ["--remove-user", name]))


def rotate_token(ddir: Path, name: str) -> str | None:
    """A user's new token (the old one stops working); None for admin, whose token is in admin.token."""
    return _one_shot(ddir, f"rotate the token of {name!r}", ["--rotate-token", name]) or None
