"""What a user sees when a command fails: the exit code, ONE `error:` line on stderr, nothing on stdout.

`error_line` asserts all of that on a click Result (CliRunner) or a CompletedProcess (subprocess),
so a test that checks an exit code also checks the words the user reads.
"""

from __future__ import annotations

from typing import Any


def error_line(result: Any, code: int, *words: str, stdout: str | None = "") -> str:
    """Assert exit `code`, one `error: …` line holding every one of `words`, no traceback, and
    stdout equal to `stdout` (None: not checked); return the error line."""
    got = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert got == code, f"exit {got}, not {code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, f"not one error line:\n{result.stderr}"
    missing = [word for word in words if word not in errors[0]]
    assert not missing, f"{missing} not in {errors[0]!r}"
    assert "Traceback" not in result.stderr, result.stderr
    if stdout is not None:
        assert result.stdout == stdout, f"stdout: {result.stdout!r}"
    return errors[0]
