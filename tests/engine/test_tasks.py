"""Tasks run as real subprocesses: cwd, env, logs, exit codes, stop, results, slots."""

from __future__ import annotations

import getpass
import json
import os
import zipfile

import pytest

from dlicli.engine import EngineError
from tests.engine.conftest import ADMIN, STUBBORN, pid_gone, submit, wait_for, wait_state

ENV_SCRIPT = """
    import json, os, sys
    keys = ["RESULT_DIR", "LOG_DIR", "DATA_DIR", "DLI_EXECID", "PYTHONUNBUFFERED"]
    keys += ["DLI_DATA_FS", "DLI_RESULT_FS", "DLI_SHARED_FS", "JOB_STATE_DIR", "USER"]
    info = {k: os.environ.get(k) for k in keys}
    info["cwd"] = os.getcwd()
    info["argv"] = sys.argv[1:]
    info["dlicli_vars"] = [k for k in os.environ if k.startswith("DLICLI_")]
    with open(os.path.join(os.environ["RESULT_DIR"], "env.json"), "w") as f:
        json.dump(info, f)
    os.makedirs(os.path.join(os.environ["RESULT_DIR"], "sub"))
    open(os.path.join(os.environ["RESULT_DIR"], "sub", "model.bin"), "wb").write(b"weights")
    print("hello on stdout")
    print("hello on stderr", file=sys.stderr)
"""


def test_a_script_runs_with_its_cwd_env_logs_and_result(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DLICLI_TOKEN", "secret-should-not-leak")
    (engine.data_root / "mnist").mkdir(parents=True)
    batch = submit(
        engine, tmp_path, ENV_SCRIPT, extra="--cs-datastore-meta data_path=mnist", model_args="--lr 0.1 'two words'"
    )
    assert batch["state"] == "SUBMITTED" and batch["submissionId"] == batch["id"]
    assert batch["appId"] == "app-" + batch["id"] and batch["creator"] == "admin"
    done = wait_state(engine, batch["id"])
    assert done["state"] == "FINISHED" and done["exitCode"] == 0, done
    task_dir = engine.tasks_root / batch["id"]
    info = json.loads((task_dir / "result" / "env.json").read_text())
    assert info == {
        "RESULT_DIR": str(task_dir / "result"),
        "LOG_DIR": str(task_dir / "log"),
        "DATA_DIR": str((engine.data_root / "mnist").resolve()),
        "DLI_EXECID": batch["id"],
        "PYTHONUNBUFFERED": "1",
        # WMLA's file systems, as GET /conf reports them (IBM's scripts read these)
        "DLI_DATA_FS": str(engine.data_root),
        "DLI_RESULT_FS": str(engine.data_dir / "results"),
        "DLI_SHARED_FS": str(engine.data_dir),
        "JOB_STATE_DIR": str(task_dir),
        "USER": os.environ.get("USER") or getpass.getuser(),
        "cwd": str(task_dir / "_submitted_code" / "main"),
        "argv": ["--lr", "0.1", "two words"],
        "dlicli_vars": [],
    }
    assert done["workDir"] == info["cwd"]
    assert engine.execs.read_log(ADMIN, batch["id"], "outlog") == "hello on stdout\n"
    assert engine.execs.read_log(ADMIN, batch["id"], "errlog") == "hello on stderr\n"
    assert engine.execs.read_log(ADMIN, batch["id"], None) == "hello on stdout\nhello on stderr\n"
    assert engine.execs.read_log(ADMIN, batch["id"], "outerrlog") == "hello on stdout\nhello on stderr\n"
    path, name = engine.execs.result_zip(ADMIN, batch["id"])
    assert name == f"{batch['id']}-result.zip"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["env.json", "sub/model.bin"]
        assert archive.read("sub/model.bin") == b"weights"
    assert "FINISHED" in done["events"] and "SUBMITTED" in done["events"]


def test_exit_code_3_is_failed(engine, tmp_path):
    batch = submit(engine, tmp_path, "import sys; print('bye'); sys.exit(3)")
    done = wait_state(engine, batch["id"])
    assert done["state"] == "FAILED" and done["exitCode"] == 3 and "3" in done["reason"]


def test_a_data_path_outside_the_data_root_is_refused(engine, tmp_path):
    for path in ("../../etc", "/etc"):
        with pytest.raises(EngineError) as info:
            submit(engine, tmp_path, "print(1)", extra=f"--cs-datastore-meta data_path={path}")
        assert info.value.status == 400
    with pytest.raises(EngineError) as info:
        submit(engine, tmp_path, "print(1)", data={"dataSource": [{"type": "fs", "location": {"paths": "/"}}]})
    assert info.value.status == 400
    assert engine.execs.list_tasks(ADMIN) == []


def test_an_fs_data_source_sets_data_dir(engine, tmp_path):
    script = "import os; open(os.environ['RESULT_DIR'] + '/d', 'w').write(os.environ['DATA_DIR'])"
    batch = submit(engine, tmp_path, script, data={"dataSource": [{"type": "fs", "location": {"paths": "cifar"}}]})
    wait_state(engine, batch["id"], "FINISHED")
    assert (engine.tasks_root / batch["id"] / "result" / "d").read_text() == str((engine.data_root / "cifar").resolve())


def test_bad_args_are_400(engine, tmp_path):
    for extra, framework in (("--numWorker x", "python"), ("", "caffe"), ("--numWorker 5", "distPyTorch")):
        with pytest.raises(EngineError) as info:
            submit(engine, tmp_path, "print(1)", extra=extra, framework=framework)
        assert info.value.status == 400, (extra, framework)


GRANDCHILD = """
    import os, subprocess, time
    child = subprocess.Popen(["sleep", "300"])
    open(os.path.join(os.environ["RESULT_DIR"], "pids"), "w").write(f"{os.getpid()} {child.pid}")
    time.sleep(300)
"""


def test_stop_kills_the_task_and_its_grandchild(engine, tmp_path):
    batch = submit(engine, tmp_path, GRANDCHILD)
    pids_file = engine.tasks_root / batch["id"] / "result" / "pids"
    wait_for(lambda: pids_file.exists() and pids_file.read_text())
    worker, grandchild = map(int, pids_file.read_text().split())
    assert engine.execs.get_task(ADMIN, batch["id"])["state"] == "RUNNING"
    engine.execs.stop_task(ADMIN, batch["id"])
    done = wait_state(engine, batch["id"])
    assert done["state"] == "KILLED", done
    wait_for(lambda: pid_gone(grandchild) and pid_gone(worker), timeout=5)


def test_stop_escalates_to_sigkill_after_the_grace_period(make_engine, tmp_path):
    engine = make_engine(grace_seconds=0.5)
    batch = submit(engine, tmp_path, STUBBORN)
    pid_file = engine.tasks_root / batch["id"] / "result" / "pid"
    wait_for(lambda: pid_file.exists() and pid_file.read_text())
    engine.execs.stop_task(ADMIN, batch["id"])
    assert wait_state(engine, batch["id"])["state"] == "KILLED"
    assert pid_gone(int(pid_file.read_text()))
    assert "SIGKILL" in engine.execs.get_task(ADMIN, batch["id"])["events"]


def test_slots_limit_concurrency_fifo(make_engine, tmp_path):
    engine = make_engine(slots=1)
    first = submit(engine, tmp_path, "import time; time.sleep(300)")
    wait_state(engine, first["id"], "RUNNING")
    second = submit(engine, tmp_path, "print('second')")
    third = submit(engine, tmp_path, "print('third')")
    wait_state(engine, second["id"], "PENDING_JOB_SCHEDULER")
    wait_state(engine, third["id"], "PENDING_JOB_SCHEDULER")
    assert engine.execs.get_task(ADMIN, first["id"])["state"] == "RUNNING"
    engine.execs.stop_task(ADMIN, first["id"])
    assert wait_state(engine, second["id"])["state"] == "FINISHED"
    assert wait_state(engine, third["id"])["state"] == "FINISHED"
    second_start = engine.execs.get_task(ADMIN, second["id"])["startTime"]
    assert second_start <= engine.execs.get_task(ADMIN, third["id"])["startTime"]
    assert second_start >= engine.execs.get_task(ADMIN, first["id"])["endTime"]


def test_stopping_a_queued_task_kills_it_without_running(make_engine, tmp_path):
    engine = make_engine(slots=1)
    first = submit(engine, tmp_path, "import time; time.sleep(300)")
    second = submit(engine, tmp_path, "open('ran', 'w')")
    wait_state(engine, second["id"], "PENDING_JOB_SCHEDULER")
    engine.execs.stop_task(ADMIN, second["id"])
    assert engine.execs.get_task(ADMIN, second["id"])["state"] == "KILLED"
    engine.execs.delete_task(ADMIN, first["id"])
    assert not list((engine.tasks_root / second["id"]).rglob("ran"))


def test_delete_stops_a_running_task_and_removes_everything(engine, tmp_path):
    batch = submit(engine, tmp_path, GRANDCHILD)
    pids_file = engine.tasks_root / batch["id"] / "result" / "pids"
    wait_for(lambda: pids_file.exists() and pids_file.read_text())
    worker, grandchild = map(int, pids_file.read_text().split())
    engine.execs.delete_task(ADMIN, batch["id"])
    assert pid_gone(worker) and pid_gone(grandchild)
    assert not (engine.tasks_root / batch["id"]).exists()
    with pytest.raises(EngineError) as info:
        engine.execs.get_task(ADMIN, batch["id"])
    assert info.value.status == 400 and info.value.message == "Cannot find task with given execId."


def test_unknown_exec_is_the_specs_400(engine):
    for call in (engine.execs.get_task, engine.execs.stop_task, engine.execs.delete_task, engine.execs.result_zip):
        with pytest.raises(EngineError) as info:
            call(ADMIN, "nope")
        assert info.value.status == 400 and info.value.message == "Cannot find task with given execId."


def test_a_model_dir_tar_runs_from_its_folder(engine, tmp_path):
    import tarfile

    model = tmp_path / "mymodel"
    (model / "pkg").mkdir(parents=True)
    (model / "pkg" / "__init__.py").write_text("VALUE = 42\n")
    (model / "train.py").write_text("import os, pkg\nprint(pkg.VALUE, os.path.basename(os.getcwd()))\n")
    tar = tmp_path / "mymodel.modelDir.tar"
    with tarfile.open(tar, "w:gz") as archive:  # dlicmd sends a gzip tar under this name
        archive.add(model, arcname="mymodel")
    batch = engine.execs.submit(
        ADMIN, "--exec-start PyTorch --model-dir mymodel --model-main train.py", "mymodel.modelDir.tar", tar, None
    )
    assert wait_state(engine, batch["id"])["state"] == "FINISHED"
    assert engine.execs.read_log(ADMIN, batch["id"], "outlog") == "42 mymodel\n"
    assert batch["framework"] == "PyTorch"


def test_a_missing_conda_env_is_noted_and_ignored(engine, tmp_path):
    batch = submit(engine, tmp_path, "print('ok')", extra="--conda-env-name no-such-env-xyz")
    done = wait_state(engine, batch["id"])
    assert done["state"] == "FINISHED" and "no-such-env-xyz" in done["events"]
