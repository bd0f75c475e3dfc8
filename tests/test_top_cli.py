"""`dlicli top` through the command line, as real processes against a real engine: `--once` (and a
stdout that is no terminal) prints the panes as text tables without Textual; on a terminal without
textual installed it exits 2 naming the extra, before any request; a bad --interval is exit 2."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.outcome import error_line
from tests.test_top_helpers import SEARCH, finished_task, start_engine, start_search, start_sleeper

pytestmark = pytest.mark.slow
INSTALL = "dlicli top needs the tui extra: pip install 'dlicli[tui]'"


@pytest.fixture(scope="module")
def engine(procs, tmp_path_factory):
    engine = start_engine(procs, tmp_path_factory.mktemp("topcli") / "data")
    with engine.client() as admin:
        engine.sleeper = start_sleeper(admin)
        engine.finished = finished_task(admin)
        start_search(admin)
    return engine


def without_textual(root: Path) -> str:
    """A PYTHONPATH whose `import textual` fails: a shim package first on the path."""
    shim = root / "shim" / "textual"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("No module named textual (test shim)")\n')
    return str(shim.parent)


def dlicli(*args: str, env: dict[str, str], tty: bool = False) -> subprocess.CompletedProcess:
    """`python -m dlicli ARGS`, stdout a pipe or (tty) a pseudo-terminal; stderr always a pipe."""
    if not tty:
        return subprocess.run(
            [sys.executable, "-m", "dlicli", *args], env=env, capture_output=True, text=True, timeout=60
        )
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dlicli", *args],
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(follower)
    proc.stdout = _drain(leader)
    return proc


def _drain(fd: int) -> str:
    chunks = []
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            chunks.append(data)
    except OSError:  # EIO: the terminal's other end is closed
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def cli_env(url: str, token: str, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    return {**base, "DLICLI_URL": url, "DLICLI_TOKEN": token, **extra}


def sections(text: str) -> dict[str, list[list[str]]]:
    """`# Title (n)` sections of tab-separated lines → {title: rows, the header first}."""
    found: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# "):
            current = line[2:].rsplit(" (", 1)[0]
            found[current] = []
        elif line and current:
            found[current].append(line.split("\t"))
    return found


def test_once_piped_prints_every_pane_with_its_headers_and_rows(engine):
    done = dlicli("top", "--once", env=cli_env(engine.url, engine.token))
    assert done.returncode == 0, done.stderr
    panes = sections(done.stdout)
    assert list(panes) == ["Tasks", "Searches", "Applications", "Resource plans"]
    assert panes["Tasks"][0] == ["ID", "STATE", "AGE", "DURATION", "FRAMEWORK", "LAST LOG LINE"]
    tasks = {row[0]: row for row in panes["Tasks"][1:]}
    assert tasks[engine.sleeper][1] == "RUNNING" and tasks[engine.sleeper][5] == "epoch 1 loss=0.42 top-marker"
    assert tasks[engine.sleeper][4] == "PyTorch"
    assert tasks[engine.finished][1] == "FINISHED"
    assert panes["Searches"][0] == ["SEARCH", "STATE", "PROGRESS", "BEST SO FAR", "RUNNING", "DURATION"]
    search = next(row for row in panes["Searches"] if row[0] == SEARCH)
    assert search[1] == "RUNNING" and search[2].endswith(" 0/4") and int(search[4]) >= 1
    assert panes["Applications"][0][:3] == ["APPLICATION", "NAME", "STATE"] and len(panes["Applications"]) > 1
    assert panes["Resource plans"][0] == ["PLAN", "CPU USED/REQ", "GPU USED/REQ"]
    assert done.stderr == ""


def test_stdout_not_a_terminal_gives_the_snapshot_even_without_textual(engine, tmp_path):
    env = cli_env(engine.url, engine.token, PYTHONPATH=without_textual(tmp_path))
    done = dlicli("top", env=env)
    assert done.returncode == 0, done.stderr
    assert "# Tasks" in done.stdout and engine.sleeper in done.stdout


def test_a_terminal_without_textual_exits_2_naming_the_extra_before_any_request(tmp_path):
    import socket

    with socket.socket() as sock:  # nothing listens: a request would fail with another exit code
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = cli_env(url, "t", PYTHONPATH=without_textual(tmp_path))
    done = dlicli("top", env=env, tty=True)
    error_line(done, 2, INSTALL, stdout=None)
    assert done.stdout.strip() == ""


def test_once_on_a_terminal_needs_no_textual(engine, tmp_path):
    env = cli_env(engine.url, engine.token, PYTHONPATH=without_textual(tmp_path), COLUMNS="200")
    done = dlicli("top", "--once", env=env, tty=True)
    assert done.returncode == 0, done.stderr
    assert "Tasks" in done.stdout and "LAST LOG LINE" in done.stdout and engine.sleeper in done.stdout


@pytest.mark.parametrize("value", ["0", "-1"])
def test_an_interval_of_no_time_is_a_usage_error(value, tmp_path):
    env = cli_env("http://127.0.0.1:9", "t")
    error_line(dlicli("top", "--once", "--interval", value, env=env), 2, "--interval", "more than 0")
