"""What every replayed read command must do in each output mode, asserted once here: exit 0, no
traceback, `--json` the served body byte for byte (dlicli prints what the server sent, re-indented by
two as WMLA's servers send it), `-o yaml` the same data."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.replay.conftest import Replay


def ok(result: Any) -> None:
    """Exit 0 and no traceback (a CliRunner result or a CompletedProcess)."""
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == 0, f"exit {code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr


def json_is_served(result: Any, replay: Replay, name: str, *, quiet: bool = True) -> None:
    """`--json` prints the served body, byte for byte, and nothing on stderr (unless not `quiet`:
    a command that waits says how it ended there)."""
    ok(result)
    assert result.stdout == replay.served(name).decode() + "\n"
    assert json.loads(result.stdout) == replay.body(name)
    assert result.stderr == "" or not quiet


def yaml_is_served(result: Any, replay: Replay, name: str, body: Any = None, *, quiet: bool = True) -> None:
    """`-o yaml` parses to the served body (or to `body` where the command shows a part of it)."""
    ok(result)
    assert yaml.safe_load(result.stdout) == (replay.body(name) if body is None else body)
    assert result.stderr == "" or not quiet


def rows(stdout: str) -> list[list[str]]:
    """A piped table's rows, split on tabs."""
    return [line.split("\t") for line in stdout.splitlines()]
