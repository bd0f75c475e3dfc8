"""serve's one-shot user modes (`--add-user`, `--list-users`, `--remove-user`, `--rotate-token`,
`--set-password`): each opens the store, does one thing and exits, safe while an engine runs on the
same data dir (SQLite WAL and short transactions; the engine caches no tokens, so it sees the change
on its next request). `dlicli server user …` runs them (localusers.py).

The contract with the CLI: results on stdout (a token, or JSON), nothing else; an error is one
`error: …` line on stderr and an exit code that says what kind (EXIT_BY_STATUS).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError, users
from dlicli.paths import ADMIN_TOKEN

EXIT_BY_STATUS = {400: 10, 404: 11, 409: 12}  # any other failure: 1


def write_token(path: Path, token: str) -> None:
    """The admin token, readable by this user only (never printed, never in the log)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(token + "\n")


def run(data_dir: Path, action: Callable[[Any], str | None]) -> int:
    """Run `action(store)`; print what it returns; an EngineError is an `error:` line and its code."""
    from dlicli.engine.store import Store

    store = Store(data_dir / "engine.db")
    try:
        out = action(store)
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BY_STATUS.get(exc.status, 1)
    finally:
        store.close()
    if out:
        print(out)
    return 0


def one_shot(args: Any, data_dir: Path) -> int | None:
    """Run the one-shot mode `args` asks for → its exit code; None when it asks for none (serve)."""
    if args.add_user:
        password = _password(args.password_stdin)
        return run(data_dir, lambda s: users.add_or_set_password(s, args.add_user, args.admin, password))
    if args.set_password:
        new = _password(True) or ""
        return run(data_dir, lambda s: users.set_password(s, args.set_password, new))
    if args.list_users:
        return run(data_dir, lambda s: json.dumps(users.list_users(s)))
    if args.remove_user:
        return run(data_dir, lambda s: json.dumps(users.remove_user(s, args.remove_user)))
    if args.rotate_token:
        return run(data_dir, lambda s: rotate(s, data_dir, args.rotate_token))
    return None


def _password(from_stdin: bool) -> str | None:
    """The password piped in; a bad one is an `error:` line and exit 10, as the store's errors."""
    if not from_stdin:
        return None
    try:
        return users.read_password(sys.stdin)
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        raise SystemExit(EXIT_BY_STATUS[400]) from None


def rotate(store: Any, data_dir: Path, name: str) -> str | None:
    """A user's new token (printed); admin's goes to admin.token instead, where the CLI reads it."""
    token = users.rotate_token(store, name)
    if name != users.THE_ADMIN:
        return token
    write_token(data_dir / ADMIN_TOKEN, token)
    return None
