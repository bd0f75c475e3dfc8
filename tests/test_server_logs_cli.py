"""`dlicli server logs` takes --tail N as every other log command does (QA 9, daily #12); -n/--lines,
its old name, still works for scripts but is no longer shown. The `server` commands reach no server,
so their help lists no connection option, and their parser takes none after the verb."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.outcome import error_line


@pytest.fixture
def engine_log() -> Path:
    path = Path(os.environ["DLICLI_DATA_DIR"]) / "engine.log"
    path.parent.mkdir(parents=True)
    path.write_text("".join(f"line {n}\n" for n in range(1, 101)))
    return path


def test_tail_prints_the_last_lines(run, engine_log):
    result = run("server", "logs", "--tail", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "line 99\nline 100\n"
    assert run("server", "logs").stdout.splitlines()[0] == "line 51"  # 50 by default


@pytest.mark.parametrize("old", ["-n", "--lines"])
def test_the_old_name_still_works_but_is_not_shown(run, engine_log, old):
    assert run("server", "logs", old, "1").stdout == "line 100\n"
    assert run("server", "logs", old, "3", "--tail", "3").stdout == "line 98\nline 99\nline 100\n"
    error_line(run("server", "logs", old, "1", "--tail", "2"), 2, "--lines is --tail's old name")
    shown = run("server", "logs", "--help").stdout
    assert "--tail N" in shown and "--lines" not in shown and "-n," not in shown


@pytest.mark.parametrize("verb", ["logs", "status", "start", "stop"])
def test_server_commands_list_no_connection_options(run, verb):
    options = run("server", verb, "--help").stdout.split("\nOptions:\n")[1].split("\n  Examples:")[0]
    assert "Global options:\n  --debug" in options
    for option in ("--url", "--profile", "-P,", "--insecure", "-k,", "--ca-bundle"):
        assert option not in options, f"{option} in `server {verb} --help`"


def test_a_connection_option_after_the_verb_is_refused(run, engine_log):
    error_line(run("server", "logs", "--url", "http://127.0.0.1:9"), 2, "No such option: --url")
    assert run("exec", "logs", "--help").stdout.count("--url") == 1  # other leaves still take it
