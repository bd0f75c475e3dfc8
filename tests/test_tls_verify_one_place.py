"""Every client the CLI builds gets its TLS `verify` from ONE helper, `enginetls.connection_verify`,
which trusts the local engine's own certificate for its own URL. A command that called
`client.http.tls_verify` itself would forget that trust (as `status` and completion once did: they
failed on a `--tls` engine that every other command reached), so this checks the source."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dlicli"
HELPER = "dlicli/enginetls.py"


def calls_of(name: str) -> list[str]:
    """Where a function called `name` is called in dlicli (file:line)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_only_the_helper_calls_tls_verify():
    assert [where.rsplit(":", 1)[0] for where in calls_of("tls_verify")] == [HELPER]


def test_the_cli_and_completion_use_the_helper():
    users = {where.rsplit(":", 1)[0] for where in calls_of("connection_verify")}
    assert {"dlicli/cli/state.py", "dlicli/cli/auth.py", "dlicli/completion.py"} <= users
