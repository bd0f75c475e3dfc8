"""`dlicli exec list --watch` on a real terminal: tmux (100x25) against a real engine with a few tasks.

The table must redraw in place (one header on the whole screen and scrollback, however many polls),
show a task's new state after it ends, fit the 25 rows, and leave on Ctrl-C with exit 130.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.e2e.conftest import Cli, task_id, write_model
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]
WIDTH, HEIGHT = 100, 25


class Tmux:
    """One tmux server of our own (its own socket), one session running one command."""

    def __init__(self) -> None:
        self.socket = f"dlicli-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"tmux {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self, argv: list[str], env: dict[str, str]) -> None:
        settings = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        self("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", str(HEIGHT), *settings, *argv)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t")

    def everything(self) -> str:
        """The screen and all the scrollback above it."""
        return self("capture-pane", "-p", "-S", "-", "-t", "t")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def engine(tmp_path):
    cli = Cli(tmp_path / "engine")
    cli.root.mkdir()
    try:
        cli.ok("server", "start", "--port", "0", "--slots", "4")
        yield cli
    finally:
        cli.cleanup()


@pytest.fixture
def tmux():
    mux = Tmux()
    yield mux
    mux.kill()


def start(cli: Cli, tmp_path, name: str, body: str) -> str:
    write_model(tmp_path / name, body)
    started = cli.ok(
        "exec", "start", "--framework", "python", "--model-dir", str(tmp_path / name), "--model-main", "main.py"
    )
    return task_id(started)


def row_of(screen: str, exec_id: str) -> list[str]:
    return next((line.split() for line in screen.splitlines() if line.startswith(exec_id)), [])


def test_exec_list_watch_redraws_in_place_fits_25_rows_and_ctrl_c_exits_130(engine, tmux, tmp_path):
    quick = start(engine, tmp_path, "quick", "print('done')\n")
    engine.wait_state(quick)
    slow = [start(engine, tmp_path, f"slow{i}", "import time\ntime.sleep(300)\n") for i in range(3)]
    for exec_id in slow:
        engine.wait_state(exec_id, "RUNNING")

    # bash runs it to print its exit status on the screen (a trap, not an ignore: dlicli gets Ctrl-C)
    watch = shlex.join([sys.executable, "-m", "dlicli", "exec", "list", "--watch", "--interval", "0.3"])
    argv = ["bash", "-c", f"trap : INT; {watch}; echo exit=$?; sleep 600"]
    tmux.start(argv, {**engine.env, "NO_COLOR": "1", "TERM": "tmux-256color"})
    first = wait_until(tmux.screen, 30, 0.1, "the watched table", until=lambda s: all(row_of(s, i) for i in slow))
    assert row_of(first, quick)[:2] == [quick, "FINISHED"] and row_of(first, slow[0])[:2] == [slow[0], "RUNNING"]

    engine.ok("exec", "stop", slow[0])
    after = wait_until(
        tmux.screen, 30, 0.1, f"{slow[0]} KILLED on screen", until=lambda s: row_of(s, slow[0])[1:2] == ["KILLED"]
    )
    assert row_of(after, slow[1])[1] == "RUNNING"
    shown = [line for line in after.splitlines() if line.strip()]
    assert len(shown) <= HEIGHT and all(len(line) <= WIDTH for line in shown)
    history = tmux.everything()
    assert sum(line.split()[:2] == ["ID", "STATE"] for line in history.splitlines()) == 1, history  # no scrolled copies
    assert history.count(f"{slow[0]} ") == 1, history

    tmux("send-keys", "-t", "t", "C-c")
    shown = wait_until(tmux.screen, 60, 0.1, "dlicli to exit", until=lambda s: "exit=" in s)
    assert "error:" not in shown and "exit=130" in shown, shown  # Ctrl-C ends a watch: no error line


def test_a_list_longer_than_the_screen_keeps_the_newest_rows_and_says_how_many_more(server, tmux):
    from tests.conftest import TOKEN
    from tests.test_exec_list import task

    server.route("GET", "/execs", body=[task(f"t-{i:02d}", "FINISHED", 4000 - i * 60, 5) for i in range(40)])
    watch = shlex.join([sys.executable, "-m", "dlicli", "exec", "list", "--watch", "--interval", "0.3"])
    env = {"DLICLI_URL": server.root, "DLICLI_TOKEN": TOKEN, "NO_COLOR": "1", "TERM": "tmux-256color"}
    tmux.start(["bash", "-c", f"trap : INT; {watch}; echo exit=$?; sleep 600"], env)
    screen = wait_until(tmux.screen, 30, 0.1, "the watched table", until=lambda s: "more above" in s)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert len(lines) <= HEIGHT and lines[-2].startswith("t-39"), screen  # the newest, just above the note
    shown = sum(line.startswith("t-") for line in lines)
    assert shown >= 15 and lines[-1].startswith(f"… {40 - shown} more above"), screen
    assert sum(line.split()[:2] == ["ID", "STATE"] for line in tmux.everything().splitlines()) == 1
    tmux("send-keys", "-t", "t", "C-c")
    assert "exit=130" in wait_until(tmux.screen, 60, 0.1, "dlicli to exit", until=lambda s: "exit=" in s)
