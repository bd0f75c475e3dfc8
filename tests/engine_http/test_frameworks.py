"""WMLA's framework names over real HTTP: each runs (its env as WMLA/torchrun give it) or is a 400
that lists what this engine runs; names match in any case and tasks report WMLA's spelling."""

from __future__ import annotations

import io
import json
import zipfile
from importlib import metadata

import httpx
import pytest

from tests.engine_http.conftest import model_tar, wait_state

ENV_SCRIPT = """\
    import json, os
    tf_task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    rank = os.environ.get("RANK", tf_task.get("index", 0))
    keep = {k: v for k, v in os.environ.items() if k in WANTED}
    print(json.dumps(keep, sort_keys=True))
    with open(os.path.join(os.environ["RESULT_DIR"], f"env-{rank}.json"), "w") as handle:
        json.dump(keep, handle)
"""
WANTED = [
    "RANK",
    "LOCAL_RANK",
    "WORLD_SIZE",
    "LOCAL_WORLD_SIZE",
    "MASTER_ADDR",
    "MASTER_PORT",
    "GROUP_RANK",
    "GROUP_WORLD_SIZE",
    "ROLE_RANK",
    "ROLE_NAME",
    "ROLE_WORLD_SIZE",
    "TORCHELASTIC_RUN_ID",
    "TORCHELASTIC_RESTART_COUNT",
    "TORCHELASTIC_MAX_RESTARTS",
    "TORCHELASTIC_USE_AGENT_STORE",
    "TF_CONFIG",
]

RENDEZVOUS_SCRIPT = """\
    import os, socket, time
    addr, port, rank = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), int(os.environ["RANK"])
    if rank == 0:
        server = socket.create_server((addr, port))
        server.settimeout(15)
        peer, _ = server.accept()
        print("rank 0 heard from rank", peer.recv(16).decode())
    else:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection((addr, port), timeout=1).sendall(os.environ["RANK"].encode())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
"""

TORCH_SCRIPT = """\
    import torch, torch.distributed as dist
    dist.init_process_group("gloo")
    total = torch.tensor([dist.get_rank() + 1])
    dist.all_reduce(total)
    print("sum", int(total))
    dist.destroy_process_group()
"""


def model_file(script: str) -> dict:
    """The `file` part: model dir `fw` holding main.py, as dlicmd.py packs it."""
    tar = model_tar("fw", {"main.py": script.replace("WANTED", repr(WANTED))})
    return {"file": ("fw.modelDir.tar", tar, "application/octet-stream")}


def start(client: httpx.Client, framework: str, script: str, extra: str = "") -> httpx.Response:
    """POST /execs/?args=… (unescaped, as dlicmd.py sends it)."""
    query = f"--exec-start {framework} --model-dir fw --model-main main.py {extra}".strip()
    return client.post(f"execs/?args={query}", files=model_file(script))


def run(client: httpx.Client, framework: str, script: str = ENV_SCRIPT, extra: str = "") -> dict:
    answer = start(client, framework, script, extra)
    assert answer.status_code == 200, answer.text
    task = wait_state(client, answer.json()["id"])
    assert task["state"] == "FINISHED", client.get(f"execs/{task['id']}/log").json()
    return task


def worker_envs(client: httpx.Client, exec_id: str) -> dict[str, dict]:
    result = client.get(f"execs/{exec_id}/result")
    with zipfile.ZipFile(io.BytesIO(result.content)) as archive:
        return {name: json.loads(archive.read(name)) for name in sorted(archive.namelist())}


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def test_frameworks_lists_wmla_names_with_truthful_versions(admin):
    listed = {entry["name"]: entry for entry in admin.get("execs/frameworks").json()}
    assert {"PyTorch", "tensorflow", "XGboost", "distPyTorch", "edtPyTorch", "disttensorflow", "python"} <= set(listed)
    for name, package in (("XGboost", "xgboost"), ("edtPyTorch", "torch"), ("PyTorch", "torch")):
        assert listed[name]["frameworkVersion"] == version_of(package), name
    for entry in listed.values():
        assert entry["description"] == entry["desc"][0] and entry["numPs"] == 0
        assert f"--exec-start {entry['name']} " in entry["desc"][1]
    edt = listed["edtPyTorch"]["description"]
    assert "fixed --numWorker count" in edt and "fabric_model" in edt and "not provided" in edt
    assert listed["disttensorflow"]["distributeStrategy"] == "MultiWorkerMirroredStrategy"


def test_xgboost_in_any_case_runs_one_plain_process(admin):
    for spelling in ("xgBOOST", "XGBoost"):
        task = run(admin, spelling)
        assert task["framework"] == "XGboost"
        assert worker_envs(admin, task["id"]) == {"env-0.json": {}}  # one process, no distributed env


def test_edtpytorch_runs_elastic_workers_with_torchruns_env(admin):
    task = run(admin, "EDTpytorch", extra="--numWorker 2")
    assert task["framework"] == "edtPyTorch"
    envs = worker_envs(admin, task["id"])
    assert sorted(envs) == ["env-0.json", "env-1.json"]
    first, second = envs["env-0.json"], envs["env-1.json"]
    assert (first["RANK"], second["RANK"]) == ("0", "1")
    assert (first["LOCAL_RANK"], second["LOCAL_RANK"]) == ("0", "1")
    assert (first["ROLE_RANK"], second["ROLE_RANK"]) == ("0", "1")
    for key in ("MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"):
        assert first[key] == second[key] and first[key], key
    for env in (first, second):
        assert env["WORLD_SIZE"] == env["LOCAL_WORLD_SIZE"] == env["ROLE_WORLD_SIZE"] == "2"
        assert (env["GROUP_RANK"], env["GROUP_WORLD_SIZE"], env["ROLE_NAME"]) == ("0", "1", "default")
        assert env["TORCHELASTIC_RESTART_COUNT"] == env["TORCHELASTIC_MAX_RESTARTS"] == "0"
        assert "TORCHELASTIC_USE_AGENT_STORE" not in env  # no agent: rank 0 hosts the store
    again = worker_envs(admin, run(admin, "edtPyTorch", extra="--numWorker 2")["id"])
    assert again["env-0.json"]["TORCHELASTIC_RUN_ID"] != first["TORCHELASTIC_RUN_ID"]


def test_edtpytorch_rank_zero_listens_where_the_others_connect(admin):
    task = run(admin, "edtPyTorch", RENDEZVOUS_SCRIPT, "--numWorker 2")
    assert admin.get(f"execs/{task['id']}/log?logType=outlog").json() == "rank 0 heard from rank 1\n"


def test_edtpytorch_workers_form_a_torch_process_group(admin):
    pytest.importorskip("torch")
    task = run(admin, "edtpytorch", TORCH_SCRIPT, "--numWorker 2")
    log = admin.get(f"execs/{task['id']}/log?logType=outlog").json()
    assert log == "sum 3\n--- worker 1 stdout ---\nsum 3\n"  # both ranks saw the all-reduce


def test_other_names_in_odd_case_keep_their_recipes(admin):
    tf = run(admin, "DistTensorFlow", extra="--numWorker 2")
    assert tf["framework"] == "disttensorflow"
    configs = [json.loads(env["TF_CONFIG"]) for env in worker_envs(admin, tf["id"]).values()]
    assert [c["task"]["index"] for c in configs] == [0, 1] and configs[0]["cluster"] == configs[1]["cluster"]
    assert run(admin, "PYTHON")["framework"] == "python"


def test_unknown_and_unrun_names_are_400_listing_what_runs(engine_proc, admin):
    runnable = [entry["name"] for entry in admin.get("execs/frameworks").json()]
    tasks_before = sorted(p.name for p in (engine_proc.data_dir / "tasks").iterdir())
    for name, says in (("nosuchframework", "unknown framework 'nosuchframework'"), ("CAFFE", "not run by this engine")):
        answer = start(admin, name, ENV_SCRIPT)
        assert answer.status_code == 400, answer.text
        message = answer.json()["message"]
        assert says in message and f"this engine runs: {', '.join(runnable)}" in message
    assert sorted(p.name for p in (engine_proc.data_dir / "tasks").iterdir()) == tasks_before


def test_ibms_edt_args_run_max_workers_elastic_workers(admin):
    """The args of IBM's HPO-EDT sample (no --numWorker; maxWorkers in --edt-options)."""
    answer = admin.post(
        "execs/?args=--model-dir fw --exec-start edtPyTorch --cs-datastore-meta type=fs,data_path=hymenoptera_data "
        "--edt-options maxWorkers=2 --model-main main.py --debug-level debug",
        files=model_file(ENV_SCRIPT),
    )
    assert answer.status_code == 200, answer.text
    task = wait_state(admin, answer.json()["id"])
    assert task["state"] == "FINISHED" and task["framework"] == "edtPyTorch"
    envs = worker_envs(admin, task["id"])
    assert [(e["RANK"], e["WORLD_SIZE"]) for e in envs.values()] == [("0", "2"), ("1", "2")]
    assert envs["env-0.json"]["TORCHELASTIC_RUN_ID"] == envs["env-1.json"]["TORCHELASTIC_RUN_ID"]
