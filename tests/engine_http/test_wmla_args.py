"""WMLA users' own args, sent as dlicmd.py sends them (unquoted, in `POST /execs/?args=`), reach a
strict-argparse training script unchanged, and the engine acts on or notes every WMLA option."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

from tests.engine_http.conftest import model_tar, wait_state
from tests.waiting import wait_until

STRICT = """\
import argparse, json, os, sys
p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, required=True)
p.add_argument("--trainFile", default="")
p.add_argument("--title", nargs="*", default=[])
p.add_argument("--appName", default="")
a = p.parse_args()  # strict: a stray WMLA option or `--` makes this exit 2
out = os.path.join(os.environ["DLI_RESULT_FS"], os.environ["USER"], "batchworkdir", os.environ["DLI_EXECID"])
json.dump([{"loss": 1.0 / a.epochs}], open(os.path.join(out, "val_dict_list.json"), "w"))
print(json.dumps({"argv": sys.argv[1:], "data_fs": os.environ["DLI_DATA_FS"], "foo": os.environ.get("FOO"),
                  "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}))
"""


def post(client, args: str, files: list | None = None, script: str = STRICT, name: str = "mymodel"):
    model = ("file", (f"{name}.modelDir.tar", model_tar(name, {"main.py": script}), "application/octet-stream"))
    return client.post(f"execs/?args={args}", files=[model, *(files or [])])


def finished_output(client, posted) -> tuple[dict, dict]:
    assert posted.status_code == 200, posted.text
    done = wait_state(client, posted.json()["id"])
    log = client.get(f"execs/{done['id']}/log?logType=outerrlog").json()
    assert done["state"] == "FINISHED", (done, log)
    return done, json.loads(log.strip().splitlines()[-1])


def test_ibm_tutorial_args_run_a_strict_script_and_results_land_in_result_fs(admin):
    args = (
        "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --edt-options maxWorkers=2 "
        "--model-main main.py --model-dir mymodel --epochs 3 --workerDeviceType gpu --msd-env FOO=bar "
        "--consumer /SampleApplications --cs-url-bearer s3cr3t --debug-level debug --trainFile /data/train"
    )
    done, seen = finished_output(admin, post(admin, args))
    assert seen["argv"] == ["--epochs", "3", "--trainFile", "/data/train"]
    assert seen["foo"] == "bar" and seen["data_fs"] == admin.get("conf").json()["DLI_DATA_FS"]
    events = done["events"]
    assert "ignored on the local engine: --consumer /SampleApplications, --cs-url-bearer ***" in events
    assert "--edt-options maxWorkers=2" in events and "--cs-url-bearer ***" in events and "s3cr3t" not in events
    assert "python3.6" in events or "3.6" in done.get("args", "")
    result = zipfile.ZipFile(BytesIO(admin.get(f"execs/{done['id']}/result").content))
    assert json.loads(result.read("val_dict_list.json")) == [{"loss": 1.0 / 3}]


def test_unquoted_apostrophes_and_double_dash_reach_the_model_verbatim(admin):
    args = "--exec-start PyTorch --model-dir mymodel --model-main main.py --epochs 1 --title it's fine -- --appName z"
    done, seen = finished_output(admin, post(admin, args))
    assert seen["argv"] == ["--epochs", "1", "--title", "it's", "fine", "--appName", "z"]
    assert "not valid shell quoting" in done["events"] and done["appName"] != "z"


def test_a_bad_wmla_value_is_a_400_naming_it_and_creates_nothing(admin):
    before = len(admin.get("execs").json())
    for args, named in (
        ("--numWorker x", "--numWorker"),
        ("--workerDeviceType tpu", "--workerDeviceType"),
        ("--workerMemory lots", "--workerMemory"),
        ("--msd-priority high", "--msd-priority"),
    ):
        posted = post(admin, f"--exec-start PyTorch --model-dir mymodel --model-main main.py {args} --epochs 1")
        assert posted.status_code == 400 and named in posted.json()["message"], posted.text
    assert len(admin.get("execs").json()) == before


GREEDY = """\
try:
    block = bytearray(400 * 1024 * 1024)
    print("allocated")
except MemoryError:
    print("MemoryError")
"""


def test_worker_memory_limits_the_worker_process(admin):
    limited = wait_state(
        admin,
        post(
            admin,
            "--exec-start python --model-dir m --model-main main.py --workerMemoryLimit 200m",
            script=GREEDY,
            name="m",
        ).json()["id"],
    )
    free = wait_state(
        admin,
        post(admin, "--exec-start python --model-dir m --model-main main.py", script=GREEDY, name="m").json()["id"],
    )
    assert admin.get(f"execs/{limited['id']}/log?logType=outlog").json() == "MemoryError\n"
    assert admin.get(f"execs/{free['id']}/log?logType=outlog").json() == "allocated\n"


def test_user_cmd_runs_the_command_after_double_dash(admin):
    posted = post(
        admin, "--exec-start python --model-dir mymodel --user-cmd -- python3 main.py --epochs 2", script=STRICT
    )
    _, seen = finished_output(admin, posted)
    assert seen["argv"] == ["--epochs", "2"]


def test_a_conda_env_yaml_part_is_kept_in_the_task_dir(admin, engine_proc):
    yaml_part = ("file", ("env.yml", b"name: x\ndependencies: [python]\n", "application/octet-stream"))
    posted = post(
        admin,
        "--exec-start PyTorch --model-dir mymodel --model-main main.py --conda-env-yaml env.yml --epochs 1",
        [yaml_part],
    )
    done, seen = finished_output(admin, posted)
    assert seen["argv"] == ["--epochs", "1"]
    kept = engine_proc.data_dir / "tasks" / done["id"] / "uploads" / "env.yml"
    assert kept.read_bytes() == b"name: x\ndependencies: [python]\n"
    assert "env.yml kept in the task dir" in done["events"]


WAITS = """\
import os, time
print(os.environ.get("CUDA_VISIBLE_DEVICES"), flush=True)
while not os.path.exists(os.path.join(os.environ["DLI_DATA_FS"], "go")):
    time.sleep(0.05)
"""


def test_gpus_are_handed_out_per_worker_without_overlap(start_engine, tmp_path):
    engine = start_engine(tmp_path / "data", "--port", "0", "--slots", "4", "--gpus", "3")
    with engine.client() as client:

        def start(extra: str) -> str:
            posted = post(
                client, f"--exec-start python --model-dir m --model-main main.py {extra}", script=WAITS, name="m"
            )
            assert posted.status_code == 200, posted.text
            return posted.json()["id"]

        ids = [start("--workerDeviceNum 2"), start("--workerDeviceNum 1"), start("--workerDeviceType cpu")]
        outs = [
            wait_until(lambda i=i: client.get(f"execs/{i}/log?logType=outlog").json(), 20, what="a line", until=bool)
            for i in ids
        ]
        (engine.data_dir / "datasets").mkdir(exist_ok=True)
        (engine.data_dir / "datasets" / "go").touch()
        assert outs == ["0,1\n", "2\n", "\n"]
        assert all(wait_state(client, i)["state"] == "FINISHED" for i in ids)
