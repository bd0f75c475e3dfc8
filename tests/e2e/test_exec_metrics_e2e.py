"""Metrics while a task runs, end to end: a real task writes val_dict_list.json epoch by epoch and
`exec metrics --follow` / `exec start --follow --metrics` show the values as they appear."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.e2e.conftest import task_id, write_model
from tests.outcome import error_line

EPOCHS = """\
    import json, os, time
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    rows = []
    for step in range(1, 5):
        rows.append({"steps": step, "loss": round(1 / step, 3), "accuracy": round(1 - 1 / (step + 1), 3)})
        with open(path, "w") as handle:
            json.dump(rows, handle)
        print("epoch", step, flush=True)
        time.sleep(0.8)
"""


def start(cli, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    model = tmp_path / "epochs"
    write_model(model, EPOCHS)
    return cli("exec", "start", "--framework", "python", "--model-dir", str(model), "--model-main", "main.py", *extra)


def test_follow_sees_rows_appear_while_the_task_runs(cli, tmp_path):
    exec_id = task_id(start(cli, tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "exec", "metrics", exec_id, "--follow", "--interval", "0.1"],
        env=cli.env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    arrivals = []
    assert proc.stdout is not None
    for line in proc.stdout:
        arrivals.append((time.monotonic(), line.rstrip("\n")))
    code = proc.wait(timeout=60)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert [text.split("\t")[0] for _, text in arrivals] == ["1", "2", "3", "4"]
    assert arrivals[0][1] == "1\t1\t0.5"
    # the rows came while the task ran, not all at the end: the polls saw different counts
    assert arrivals[-1][0] - arrivals[0][0] > 1.0, arrivals

    done = cli("exec", "metrics", exec_id, "--json")
    assert done.returncode == 0 and '"steps": 4' in done.stdout
    plotted = cli("exec", "metrics", exec_id, "--plot")
    assert plotted.returncode == 0 and "┌" in plotted.stdout and "accuracy" in plotted.stdout


def test_start_follow_metrics_piped_prints_metrics_lines_on_stderr(cli, tmp_path):
    result = start(cli, tmp_path, "--follow", "--metrics")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("epoch")] == [
        "epoch 1",
        "epoch 2",
        "epoch 3",
        "epoch 4",
    ]
    lines = [line for line in result.stderr.splitlines() if line.startswith("metrics: ")]
    assert len(lines) >= 2 and len(set(lines)) == len(lines), result.stderr
    assert lines[-1] == "metrics: steps 4  loss 0.25  accuracy 0.8"


def test_bad_inputs(cli, tmp_path):
    error_line(cli("exec", "metrics", "admin-nosuchtask"), 3, "admin-nosuchtask")
    error_line(cli("exec", "start", "--framework", "python", "--model-main", "x.py", "--metrics"), 2, "--metrics")
    write_model(tmp_path / "none", "print('no metrics')")
    exec_id = task_id(
        cli("exec", "start", "--framework", "python", "--model-dir", str(tmp_path / "none"), "--model-main", "main.py")
    )
    cli.wait_state(exec_id)
    error_line(cli("exec", "metrics", exec_id), 3, exec_id, "no metrics")
    error_line(cli("exec", "metrics", exec_id, "--follow"), 3, exec_id, "no metrics", stdout=None)
