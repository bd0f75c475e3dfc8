"""Tasks end to end: the real CLI (subprocess) against one real engine process started by `dlicli server start`."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import EXAMPLES, pid_gone, task_id, write_model
from tests.outcome import error_line
from tests.waiting import wait_until


def test_digits_example_follow_list_get_logs_result(cli, tmp_path):
    pytest.importorskip("numpy", reason="the digits example needs numpy (the test extra)")
    pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (the test extra)")
    model = tmp_path / "digits-mlp"
    shutil.copytree(EXAMPLES / "digits-mlp", model)
    (model / "config.json").write_text(json.dumps({"epochs": 3, "hidden": 16}))

    started = cli(
        "exec", "start", "--framework", "python", "--model-dir", str(model), "--model-main", "main.py", "--follow"
    )
    assert started.returncode == 0, started.stderr
    assert "epoch   3/3" in started.stdout and "epoch   4/" not in started.stdout  # config.json was read
    exec_id = task_id(started)

    listed = cli.json("exec", "list")
    assert [t["state"] for t in listed if t["id"] == exec_id] == ["FINISHED"]
    batch = cli.json("exec", "get", exec_id)
    assert batch["id"] == exec_id and batch["creator"] == "admin" and batch["state"] == "FINISHED"
    assert "--model-dir digits-mlp" in batch["args"]
    assert "val_accuracy" in cli.ok("exec", "logs", exec_id).stdout

    cli.ok("exec", "result", exec_id, "-O", "result.zip")
    with zipfile.ZipFile(tmp_path / "result.zip") as zf:
        assert {"model.npz", "val_dict_list.json"} <= set(zf.namelist())
        history = json.loads(zf.read("val_dict_list.json"))
    assert [h["steps"] for h in history] == [1, 2, 3]
    assert all(0 <= h["accuracy"] <= 1 and h["loss"] > 0 for h in history)


def test_wait_exit_codes_and_a_failing_script(cli, tmp_path):
    write_model(
        tmp_path / "good",
        """\
        import os
        print("token:", os.environ.get("DLICLI_TOKEN"))
        print("env:", all(os.environ.get(k) for k in ("RESULT_DIR", "LOG_DIR", "DLI_EXECID", "PYTHONUNBUFFERED")))
    """,
    )
    write_model(tmp_path / "bad", "import sys\nprint('about to fail', file=sys.stderr)\nsys.exit(3)\n")
    good = cli("exec", "start", "--framework", "python", "--model-main", str(tmp_path / "good" / "main.py"), "--wait")
    assert good.returncode == 0, good.stderr
    assert cli.ok("exec", "logs", task_id(good)).stdout == "token: None\nenv: True\n"
    bad = cli("exec", "start", "--framework", "python", "--model-main", str(tmp_path / "bad" / "main.py"), "--wait")
    assert bad.returncode == 10, bad.stderr
    bad_id = task_id(bad)
    again = cli("exec", "wait", bad_id)
    assert again.returncode == 10 and "FAILED" in again.stderr
    assert "about to fail" in cli.ok("exec", "logs", bad_id, "--stderr").stdout


def test_stop_kills_the_task_and_its_grandchild_then_delete(cli, tmp_path):
    write_model(
        tmp_path / "sleeper",
        """\
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", os.environ["DLI_EXECID"]])
        print(f"grandchild {child.pid}", flush=True)
        time.sleep(300)
    """,
    )
    exec_id = cli.ok(
        "exec", "start", "--framework", "python", "--model-main", str(tmp_path / "sleeper" / "main.py")
    ).stdout.strip()
    cli.wait_state(exec_id, "RUNNING")
    cli.wait_output("grandchild", "exec", "logs", exec_id)
    # found by its command line: the pid it printed is its sandbox's own (engine/sandbox.py)
    grandchild = wait_until(lambda: sleeping_with(exec_id), 10, 0.1, "the grandchild on this machine")
    assert not pid_gone(grandchild)

    cli.ok("exec", "stop", exec_id)
    stopped = cli("exec", "wait", exec_id, "--timeout", "30")
    assert error_line(stopped, 11) == f"error: task ended badly: {exec_id} KILLED"
    assert cli.json("exec", "get", exec_id)["state"] == "KILLED"
    wait_until(lambda: pid_gone(grandchild), 10, 0.1, f"the grandchild {grandchild} to end")

    cli.ok("exec", "delete", exec_id)
    assert error_line(cli("exec", "get", exec_id), 3) == f"error: task {exec_id} not found"
    assert exec_id not in [t["id"] for t in cli.json("exec", "list")]


def sleeping_with(marker: str) -> int | None:
    """The pid of the `time.sleep(300)` process whose command line carries `marker`."""
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"import time; time.sleep(300)" in argv and marker.encode() in argv and not pid_gone(int(entry)):
            return int(entry)
    return None


def test_401_without_a_token_and_another_users_task_is_not_found(cli, tmp_path):
    url = cli.url
    assert httpx.get(f"{url}/execs").status_code == 401
    assert httpx.get(f"{url}/execs", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert httpx.get(f"{url}/conf", headers={"Authorization": f"Bearer {cli.admin_token}"}).status_code == 200

    write_model(tmp_path / "mine", "print('admin was here')\n")
    exec_id = task_id(
        cli.ok("exec", "start", "--framework", "python", "--model-main", str(tmp_path / "mine" / "main.py"), "--wait")
    )
    added = cli.ok("server", "user", "add", "bob")
    bob_token = added.stdout.strip()
    assert bob_token and bob_token != cli.admin_token and bob_token not in added.stderr
    error_line(cli("server", "user", "add", "bob"), 6, "bob")

    as_bob = {"DLICLI_URL": url, "DLICLI_TOKEN": bob_token}
    error_line(cli("exec", "get", exec_id, env=as_bob), 3, f"task {exec_id} not found")
    error_line(cli("exec", "logs", exec_id, env=as_bob), 3, f"task {exec_id} not found")
    error_line(cli("exec", "delete", exec_id, env=as_bob), 3, f"task {exec_id} not found")
    assert cli.json("exec", "list", env=as_bob) == []
    response = httpx.get(f"{url}/execs/{exec_id}", headers={"Authorization": f"Bearer {bob_token}"})
    assert response.status_code == 400  # as for a missing id
    assert cli.json("exec", "get", exec_id)["state"] == "FINISHED"  # untouched; admin still sees it


def test_an_unsafe_tar_is_refused_and_writes_nothing(cli, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("evil/main.py", "evil/../../escaped.txt", "/tmp/e2e-absolute-escape.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"x\n"))
    before = sorted(p.name for p in (cli.data / "tasks").iterdir())
    response = httpx.post(
        f"{cli.url}/execs",
        params={"args": "--exec-start python --model-main main.py --model-dir evil"},
        files={"file": ("evil.modelDir.tar", buf.getvalue(), "application/octet-stream")},
        headers={"Authorization": f"Bearer {cli.admin_token}"},
    )
    assert response.status_code == 400, response.text
    assert sorted(p.name for p in (cli.data / "tasks").iterdir()) == before
    assert not list(cli.data.rglob("escaped.txt")) and not (cli.data.parent / "escaped.txt").exists()
    assert not (cli.data.parent.parent / "escaped.txt").exists()


def test_distpytorch_two_workers_on_the_cpu_with_gloo(cli, tmp_path):
    probe = subprocess.run(
        [sys.executable, "-c", "import torch, torch.distributed as d; assert d.is_available()"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if probe.returncode != 0:
        pytest.skip(
            "torch cannot be imported here (CI installs torch==2.13.0): "
            + (probe.stderr.strip().splitlines() or ["?"])[-1]
        )
    result = cli(
        "exec",
        "start",
        "--framework",
        "distPyTorch",
        "--num-worker",
        "2",
        "--model-dir",
        str(EXAMPLES / "ddp-pytorch"),
        "--model-main",
        "main.py",
        "--follow",
        "--",
        "--epochs",
        "3",
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "epoch 3/3" in result.stdout
    exec_id = task_id(result)
    batch = cli.json("exec", "get", exec_id)
    assert batch["state"] == "FINISHED" and batch.get("numWorker") in (2, None)
    cli.ok("exec", "result", exec_id, "-O", "ddp.zip")
    with zipfile.ZipFile(tmp_path / "ddp.zip") as zf:
        ddp = json.loads(zf.read("ddp.json"))
        assert "model.pt" in zf.namelist()
    assert ddp["world_size"] == 2 and ddp["loss"] < 0.01
    assert all(abs(w - t) < 0.05 for w, t in zip(ddp["weights"], [2.0, -3.0, 0.5, 1.5]))
