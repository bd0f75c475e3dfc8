"""WMLA args end to end: the real CLI (`python -m dlicli`) against one real engine, with a strict
`argparse` training script that prints what it got. The model's args reach it after `--` even
when spelled like WMLA options; WMLA options (native `--wmla-args`, or dlicmd.py's own spelling
through `dlicli dlicmd`) never do; ready `*.modelDir.tar` files (gzip, with a Mac's `._*` entries,
with or without their top folder) run as uploaded, for `exec start` and `hpo start`.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
import textwrap
from pathlib import Path

from tests.e2e.conftest import task_id, write_model

# Strict argparse, as IBM's scripts are: a stray WMLA option would make it exit 2.
STRICT = """\
    import argparse, json, os, sys
    parser = argparse.ArgumentParser()
    parser.add_argument("--appName")
    parser.add_argument("--numWorker")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    print("ARGV " + json.dumps(sys.argv[1:]))
    if os.path.exists("config.json"):
        cfg = json.load(open("config.json"))
        loss = (float(cfg["lr"]) - 0.05) ** 2 + 1.0 / args.epochs
        json.dump([{"step": 1, "loss": loss}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""


def argv_in_log(cli, exec_id: str) -> list[str]:
    lines = [line for line in cli.ok("exec", "logs", exec_id).stdout.splitlines() if line.startswith("ARGV ")]
    assert len(lines) == 1, cli.ok("exec", "logs", exec_id, "--stderr").stdout
    return json.loads(lines[0][5:])


def finished(cli, result) -> dict:
    assert result.returncode == 0, result.stderr
    task = cli.wait_state(task_id(result), timeout=60)
    assert task["state"] == "FINISHED", (task, cli.ok("exec", "logs", task["id"], "--stderr").stdout)
    return task


def ready_tar(path: Path, top: str | None, mode: str = "w:gz") -> Path:
    """A model tar as WMLA users have them: IBM's `tf-model/…` with `._` entries, or `tar -C dir .`."""
    body = textwrap.dedent(STRICT).encode()
    prefix = f"{top}/" if top else "./"
    with tarfile.open(path, mode) as archive:
        for name, data in [
            (f"._{top}" if top else "./._main.py", b"\x00\x05\x16\x07"),
            (top or ".", None),
            (f"{prefix}main.py", body),
            (f"{prefix}._main.py", b"\x00\x05\x16\x07"),
        ]:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            else:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def test_model_args_spelled_like_wmla_options_reach_the_script(cli, tmp_path):
    write_model(tmp_path / "strict", STRICT)
    result = cli(
        "exec", "start", "--framework", "python", "--model-dir", str(tmp_path / "strict"), "--model-main", "main.py",
        "--wmla-args", "--workerMemory 2g --msd-env SEEN=yes --debug-level debug",
        "--", "--appName", "foo", "--numWorker", "x", "--lr", "0.1", "it's",
    )  # fmt: skip
    task = finished(cli, result)
    assert argv_in_log(cli, task["id"]) == ["--appName", "foo", "--numWorker", "x", "--lr", "0.1", "it's"]
    assert task["args"].endswith("-- --appName foo --numWorker x --lr 0.1 'it'\"'\"'s'")
    assert "ignored on the local engine: --debug-level debug" in task["events"]


def test_a_ready_model_tar_runs_as_uploaded(cli, tmp_path):
    for tar, main in [
        (ready_tar(tmp_path / "tf-model.modelDir.tar", "tf-model"), "main.py"),
        (ready_tar(tmp_path / "flat.modelDir.tar", None, mode="w"), "main.py"),
    ]:
        result = cli(
            "exec", "start", "--framework", "python", "--model-file", str(tar), "--model-main", main,
            "--", "--epochs", "3",
        )  # fmt: skip
        task = finished(cli, result)
        assert argv_in_log(cli, task["id"]) == ["--epochs", "3"]
        assert "left out" in task["events"] and "macOS metadata" in task["events"]


def test_dlicmd_exec_start_as_dlicmd_py_writes_it(cli, tmp_path):
    write_model(tmp_path / "strict", STRICT)
    env = tmp_path / "env.yml"
    env.write_text("name: local\ndependencies: [python]\n")
    result = cli(
        "dlicmd", "--exec-start", "python", "--model-dir", str(tmp_path / "strict"), "--model-main", "main.py",
        "--conda-env-yaml", str(env), "--workerMemory", "2g", "--gpuPerWorker", "0", "--lr", "0.5",
        "--", "--appName", "foo",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    exec_id = json.loads(result.stdout)["id"]
    task = cli.wait_state(exec_id, timeout=60)
    assert task["state"] == "FINISHED", task
    assert argv_in_log(cli, exec_id) == ["--lr", "0.5", "--appName", "foo"]
    assert "env.yml kept in the task dir as uploads/env.yml" in task["events"]


def test_hpo_start_runs_ibm_shaped_args_from_a_ready_tar(cli, tmp_path):
    tar = ready_tar(tmp_path / "tf-model.modelDir.tar", "tf-model")
    spec = {
        "hpoName": "ibm-args",
        "modelSpec": {
            "args": "--exec-start python --python-version 3.6 --gpuPerWorker 1 --edt-options maxWorkers=2 "
            "--model-main main.py --model-dir tf-model --epochs 3 --debug-level debug -- --appName foo"
        },
        "algoDef": {"algorithm": "TPE", "maxJobNum": 2, "objectiveMetric": "loss", "objective": "minimize"},
        "hyperParams": [{"name": "lr", "type": "Range", "dataType": "DOUBLE", "minDbVal": 0.01, "maxDbVal": 0.1}],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    started = cli("hpo", "start", str(path), "--model-file", str(tar), "--wait", timeout=120)
    assert started.returncode == 0, started.stderr
    warnings = [line for line in started.stderr.splitlines() if line.startswith("warning: ")]
    notes = {  # the spec passes its checks: what warns is the engine's notes on its args, each told once
        "warning: this engine has no GPU; the task runs on the CPU",  # not on a machine with a GPU
        f"warning: python3.6 not found on this machine; using {sys.executable}",
    }
    assert set(warnings) <= notes and len(set(warnings)) == len(warnings), started.stderr
    assert f"warning: python3.6 not found on this machine; using {sys.executable}" in warnings
    task = cli.json("hpo", "get", "ibm-args")
    assert (task["state"], task["complete"]) == ("FINISHED", 2)
