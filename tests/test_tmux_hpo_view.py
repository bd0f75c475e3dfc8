"""The live HPO view as a person sees it: `dlicli hpo start … --follow` in a 100×25 tmux pane against a
real engine running 36 short experiments 3 at a time. While it runs the screen keeps the task's
lines, the table header, the best row and the running rows, folds the rest into "… N more", and
redraws in place (nothing scrolls off as a duplicate); at the end it shows the final state."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, write_model
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

WIDTH, HEIGHT = 100, 25
NAME = "tmuxgrid"
JOBS, PARALLEL = 36, 3
MODEL = """\
    import json, os, time
    x = float(json.load(open("config.json"))["x"])
    time.sleep(0.8)
    if x in (0.3, 1.7, 2.4):
        raise ValueError(f"x={x} is not allowed")
    json.dump([{"steps": 1, "loss": (x - 1) ** 2}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""


def spec() -> dict:
    xs = [round(0.1 * i, 1) for i in range(JOBS)]
    return {
        "hpoName": NAME,
        "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
        "algoDef": {
            "algorithm": "ExperimentGridSearch",
            "objectiveMetric": "loss",
            "objective": "minimize",
            "maxParalleJob": PARALLEL,
        },
        "experiments": [
            {"id": i, "hyperParams": [{"name": "x", "dataType": "double", "fixedVal": x}]} for i, x in enumerate(xs)
        ],
    }


class Pane:
    """One tmux server of our own (its own socket), one session running one command."""

    def __init__(self, socket: str):
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, command: str, cwd: Path) -> None:
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-c",
            str(cwd),
            command,
        )

    def screen(self) -> list[str]:
        """The visible screen, one string per row (trailing blanks dropped)."""
        return [line.rstrip() for line in self.tmux("capture-pane", "-p", "-t", "t").split("\n")[:HEIGHT]]

    def everything(self) -> list[str]:
        """What scrolled off the top, then the screen."""
        return [line.rstrip() for line in self.tmux("capture-pane", "-p", "-t", "t", "-S", "-").split("\n")]

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.fixture
def engine(tmp_path):
    cli = Cli(tmp_path / "tmux")
    cli.root.mkdir()
    try:
        cli.ok("server", "start", "--port", "0", "--slots", "4")
        write_model(cli.root / "model", MODEL)
        (cli.root / "spec.json").write_text(json.dumps(spec()))
        yield cli
    finally:
        cli.cleanup()


@pytest.fixture
def pane(tmp_path):
    made = Pane(f"dlicli-test-{tmp_path.name}")
    yield made
    made.stop()


def follow_command(cli: Cli) -> str:
    env = {k: cli.env[k] for k in ("DLICLI_DATA_DIR", "DLICLI_CONFIG_DIR", "PYTHON_KEYRING_BACKEND", "PATH", "HOME")}
    env.update(DLICLI_POLL_INTERVAL="0.3", TERM="xterm")
    run = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "dlicli"]
    run += ["hpo", "start", "spec.json", "--model-dir", "model", "--follow"]
    return f"{shlex.join(run)}; echo EXIT=$?; sleep 600"


ACTIVE = ("NOTRUN", "SUBMITTED", "RUNNING")  # what the header counts as "running"


def is_folded_midrun(screen: list[str]) -> bool:
    """Folded, with experiments in their slots, each on screen: as many active rows as the header's
    "running N" (which counts submitted ones too, so a slot being refilled still counts)."""
    if not any(line.startswith("… ") for line in screen):
        return False
    header = [line for line in screen if line.startswith(f"{NAME}  RUNNING ")]
    if not header or not has_table(screen):
        return False
    running = int(header[0].split("running ")[1].split()[0])
    return running >= 1 and len(active_rows(screen)) == running


def has_table(screen: list[str]) -> bool:
    return any(line.split()[:4] == ["BEST", "ID", "EXEC", "STATE"] for line in screen)


def active_rows(screen: list[str]) -> list[str]:
    """Rows of experiments in a slot: submitted or running (EXEC is blank until submitted)."""
    return [row for row in rows_of(screen) if any(word in ACTIVE for word in row.lstrip("* ").split()[1:3])]


def rows_of(screen: list[str]) -> list[str]:
    """The table's rows: the lines after its header, up to the fold line."""
    at = next(i for i, line in enumerate(screen) if line.split()[:4] == ["BEST", "ID", "EXEC", "STATE"])
    rows = []
    for line in screen[at + 1 :]:
        if not line or line.startswith("… "):
            break
        rows.append(line)
    return rows


def test_live_view_fits_a_25_row_terminal_and_redraws_in_place(engine, pane):
    pane.start(follow_command(engine), engine.root)
    midrun = wait_until(pane.screen, 150, 0.2, "a folded live view with running rows", until=is_folded_midrun)
    assert len(midrun) <= HEIGHT and all(len(line) <= WIDTH for line in midrun)
    assert any(line.startswith(f"{NAME}  RUNNING  progress ") for line in midrun), midrun
    assert any(line.startswith("best: experiment 10  loss=0") for line in midrun), midrun
    rows = rows_of(midrun)
    assert rows[0].startswith("*") and rows[0].split()[1] == "10", midrun  # x=1.0: the best, first
    assert 1 <= len(active_rows(midrun)) <= PARALLEL, midrun
    assert any(re.fullmatch(r"… \d+ more \((\d+ (finished|failed)(, )?)+\)", line) for line in midrun), midrun
    shown_ids = {row.lstrip("* ").split()[0] for row in rows}
    assert len(shown_ids) == len(rows)  # each experiment once

    final = wait_until(
        pane.screen, 150, 0.3, "the command to end", until=lambda s: any(x.startswith("EXIT=") for x in s)
    )
    assert "EXIT=0" in final, final
    history = pane.everything()
    headers = [line for line in history if line.split()[:4] == ["BEST", "ID", "EXEC", "STATE"]]
    assert len(headers) == 1, "\n".join(history)  # redrawn in place: no scrolled copies
    assert sum(line.startswith(f"{NAME}  ") for line in history) == 1, "\n".join(history)
    assert any(line.startswith(f"{NAME}  FINISHED  progress {JOBS}/{JOBS}") for line in history), history
    assert not active_rows(final), final
    assert any(line.startswith("… ") and "failed" in line for line in final), final  # the 3 that failed, folded
    assert f"hint: the best parameters: dlicli hpo best {NAME}" in final
