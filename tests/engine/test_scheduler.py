"""Scheduler views (applications, statistics, driver/executor logs), deploy, resource plans with
quotas, and the distributed frameworks' environments."""

from __future__ import annotations

import json

import pytest

from dlicli.engine import EngineError
from tests.engine.conftest import ADMIN, ALICE, submit, wait_state

DIST_SCRIPT = """
    import json, os
    keys = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "TF_CONFIG"]
    rank = os.environ.get("RANK") or json.loads(os.environ.get("TF_CONFIG", '{"task": {"index": 0}}'))["task"]["index"]
    with open(os.path.join(os.environ["RESULT_DIR"], f"rank-{rank}.json"), "w") as f:
        json.dump({k: os.environ.get(k) for k in keys}, f)
    print(f"worker {rank} out")
"""


def test_dist_pytorch_runs_one_process_per_worker_with_torch_env(engine, tmp_path):
    batch = submit(engine, tmp_path, DIST_SCRIPT, framework="distpytorch", extra="--numWorker 2")
    done = wait_state(engine, batch["id"])
    assert done["state"] == "FINISHED" and done["framework"] == "distPyTorch" and done["numWorker"] == 2
    result = engine.tasks_root / batch["id"] / "result"
    ranks = [json.loads((result / f"rank-{r}.json").read_text()) for r in (0, 1)]
    assert [r["RANK"] for r in ranks] == ["0", "1"] and [r["LOCAL_RANK"] for r in ranks] == ["0", "1"]
    assert {r["WORLD_SIZE"] for r in ranks} == {"2"} and {r["MASTER_ADDR"] for r in ranks} == {"127.0.0.1"}
    assert ranks[0]["MASTER_PORT"] == ranks[1]["MASTER_PORT"] and int(ranks[0]["MASTER_PORT"]) > 0
    log = engine.execs.read_log(ADMIN, batch["id"], "outlog")
    assert log == "worker 0 out\n--- worker 1 stdout ---\nworker 1 out\n"
    appid = "app-" + batch["id"]
    assert [e["id"] for e in engine.schedapps.applications(ADMIN, applicationid=appid)[0]["task12n"]] == ["1", "2"]
    assert engine.schedapps.executor_log(ADMIN, appid, "1", "stdout", None) == "worker 0 out\n"
    assert engine.schedapps.executor_log(ADMIN, appid, "2", "stdout", None) == "worker 1 out\n"


def test_dist_tensorflow_gets_tf_config(engine, tmp_path):
    batch = submit(engine, tmp_path, DIST_SCRIPT, framework="disttensorflow", extra="--numWorker 2")
    assert wait_state(engine, batch["id"])["state"] == "FINISHED"
    result = engine.tasks_root / batch["id"] / "result"
    configs = [json.loads(json.loads((result / f"rank-{r}.json").read_text())["TF_CONFIG"]) for r in (0, 1)]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": 0}, {"type": "worker", "index": 1}]
    workers = configs[0]["cluster"]["worker"]
    assert configs[1]["cluster"]["worker"] == workers and len(set(workers)) == 2
    assert all(w.startswith("127.0.0.1:") for w in workers)


@pytest.mark.slow
def test_a_failing_worker_fails_the_distributed_task_and_stops_the_others(make_engine, tmp_path):
    engine = make_engine(grace_seconds=0.5)
    script = """
        import os, signal, sys, time
        if os.environ["RANK"] == "1":
            time.sleep(0.2)
            sys.exit(5)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a stubborn rank: SIGKILL after the grace period
        time.sleep(300)
    """
    batch = submit(engine, tmp_path, script, framework="distPyTorch", extra="--numWorker 2")
    done = wait_state(engine, batch["id"])
    assert done["state"] == "FAILED" and done["exitCode"] == 5


def test_applications_statistics_and_driver_logs(engine, tmp_path):
    script = "import sys\nfor i in range(30): print(f'line {i}')\nprint('oops', file=sys.stderr)\n"
    first = submit(engine, tmp_path, script, user=ALICE, extra="--appName mnist")
    second = submit(engine, tmp_path, "import sys; sys.exit(2)", user=ADMIN)
    wait_state(engine, first["id"], user=ALICE)
    wait_state(engine, second["id"])
    apps = engine.schedapps.applications(ALICE)
    assert [a["applicationid"] for a in apps] == ["app-" + first["id"]]
    app = apps[0]
    assert app["applicationname"] == "mnist" and app["state"] == "FINISHED" and app["username"] == "alice"
    assert app["type"] == "BATCH" and app["dltype"] == "python" and app["submittedtime"] > 0
    everyone = engine.schedapps.applications(ADMIN)
    assert len(everyone) == 2
    assert [a["state"] for a in engine.schedapps.applications(ADMIN, state="failed")] == ["FAILED"]
    assert [a["username"] for a in engine.schedapps.applications(ADMIN, sort="-username")] == ["alice", "admin"]
    assert [a["username"] for a in engine.schedapps.applications(ADMIN, sort="username", order="asc")] == [
        "admin",
        "alice",
    ]
    assert len(engine.schedapps.applications(ADMIN, start="1", length="5")) == 1
    assert engine.schedapps.applications(ADMIN, applicationname="mnist")[0]["applicationid"] == "app-" + first["id"]
    assert engine.schedapps.applications(ADMIN, search="MNIST")[0]["username"] == "alice"
    with pytest.raises(EngineError) as info:
        engine.schedapps.applications(ADMIN, start="x")
    assert info.value.status == 400
    stats = {s["username"]: s for s in engine.schedapps.statistics(ADMIN)}
    assert set(stats) == {"admin", "alice"} and stats["alice"]["jobRunning"] == 0
    appid = "app-" + first["id"]
    assert engine.schedapps.driver_log(ALICE, appid, "stdout", None) == "".join(f"line {i}\n" for i in range(20, 30))
    assert engine.schedapps.driver_log(ALICE, appid, "stdout", 2) == "line 28\nline 29\n"
    assert engine.schedapps.driver_log(ALICE, appid, "stderr", 100) == "oops\n"
    assert "worker 0 started" in engine.schedapps.driver_log(ALICE, appid, "launcherlog", 100)
    assert engine.schedapps.log_path(ALICE, appid, "1", "stdout").read_text().startswith("line 0\n")
    for call, status in (
        (lambda: engine.schedapps.driver_log(ALICE, "app-nope", "stdout", None), 404),
        (lambda: engine.schedapps.executor_log(ALICE, appid, "7", "stdout", None), 404),
        (lambda: engine.schedapps.executor_log(ALICE, appid, "0", "stdout", None), 404),
        (lambda: engine.schedapps.driver_log(ALICE, appid, "bogus", None), 400),
    ):
        with pytest.raises(EngineError) as info:
            call()
        assert info.value.status == status


def test_statistics_count_running_and_pending(make_engine, tmp_path):
    engine = make_engine(slots=1)
    running = submit(engine, tmp_path, "import time; time.sleep(300)", user=ALICE)
    pending = submit(engine, tmp_path, "print(1)", user=ALICE)
    wait_state(engine, pending["id"], "PENDING_JOB_SCHEDULER", user=ALICE)
    wait_state(engine, running["id"], "RUNNING", user=ALICE)
    stats = engine.schedapps.statistics(ALICE)
    assert stats == [
        {
            "username": "alice",
            "cpuReq": 2.0,
            "cpuUsed": 1.0,
            "gpuReq": 0.0,
            "gpuUsed": 0.0,
            "jobPending": 1,
            "jobRunning": 1,
        }
    ]
    app = engine.schedapps.applications(ALICE, applicationid="app-" + running["id"])[0]
    assert app["slots"] == 1 and app["coresused"] == 1.0 and app["memused"] > 0
    engine.execs.stop_task(ALICE, running["id"])


def test_deploy_checks_kernel_and_weight_paths(engine, tmp_path):
    script = "import os; open(os.path.join(os.environ['RESULT_DIR'], 'model.pt'), 'w').write('w')"
    batch = submit(engine, tmp_path, script)
    wait_state(engine, batch["id"], "FINISHED")
    created = engine.execs.deploy(ADMIN, batch["id"], {"name": "mnist-edi", "kernel": "main.py", "weight": "model.pt"})
    assert created["uid"] == "mnist-edi" and created["href"]
    for desc in (
        {"name": "x", "kernel": "nope.py"},
        {"name": "x", "kernel": "main.py", "weight": "missing.pt"},
        {"name": "x", "kernel": "../../../../etc/passwd"},
        {"name": "x", "kernel": "/etc/passwd"},
        {"kernel": "main.py"},
        {"name": "x"},
    ):
        with pytest.raises(EngineError) as info:
            engine.execs.deploy(ADMIN, batch["id"], desc)
        assert info.value.status == 400, desc
    assert "DEPLOYED" in engine.execs.get_task(ADMIN, batch["id"])["events"]


def test_resource_plans_create_get_update_tree_delete(engine):
    engine.resplans.create(ADMIN, {"name": "team", "labels": [{"key": "cpu", "value": "4"}]})
    engine.resplans.create(ADMIN, {"name": "ml", "parent": "team", "labels": {"gpu": "0"}})
    for body, status in (
        ({"name": "team"}, 409),
        ({"name": "x", "parent": "nope"}, 400),
        ({}, 400),
        ({"name": "y", "labels": [{"key": "cpu", "value": "lots"}]}, 400),
    ):
        with pytest.raises(EngineError) as info:
            engine.resplans.create(ADMIN, body)
        assert info.value.status == status, body
    with pytest.raises(EngineError) as info:
        engine.resplans.create(ALICE, {"name": "mine"})
    assert info.value.status == 403
    plan = engine.resplans.get(ALICE, "ml")
    assert plan["path"] == "/team/ml" and plan["usedcpu"] == "0" and plan["requestcpu"] == "0"
    assert engine.resplans.get(ADMIN, "team")["cpuQuota"] == "4"
    engine.resplans.update(ADMIN, {"name": "team", "labels": [{"key": "cpu", "value": "8"}]})
    assert engine.resplans.get(ADMIN, "team")["cpuQuota"] == "8"
    for call, status in (
        (lambda: engine.resplans.update(ADMIN, {"name": "nope"}), 404),
        (lambda: engine.resplans.update(ADMIN, {"name": "team", "parent": "ml"}), 400),
        (lambda: engine.resplans.get(ADMIN, "nope"), 404),
        (lambda: engine.resplans.delete(ADMIN, "team"), 409),
        (lambda: engine.resplans.delete(ADMIN, "nope"), 404),
    ):
        with pytest.raises(EngineError) as info:
            call()
        assert info.value.status == status
    tree = engine.resplans.tree(ADMIN)
    assert (tree["id"], tree["path"], tree["isParent"]) == ("/", "/", "true")
    tops = tree["childTreeDto"]
    assert [n["name"] for n in tops] == ["team"] and tops[0]["isParent"] == "true" and tops[0]["pid"] == "/"
    assert [c["name"] for c in tops[0]["childTreeDto"]] == ["ml"] and tops[0]["childTreeDto"][0]["pid"] == "team"
    engine.resplans.delete(ADMIN, "ml")
    engine.resplans.delete(ADMIN, "team")
    assert engine.resplans.tree(ADMIN)["childTreeDto"] == [] and engine.resplans.tree(ADMIN)["isParent"] == "false"


@pytest.mark.slow
def test_a_full_plan_makes_its_tasks_wait_and_cannot_be_deleted_while_in_use(make_engine, tmp_path):
    engine = make_engine(slots=2)
    engine.resplans.create(ADMIN, {"name": "small", "labels": [{"key": "cpu", "value": "1"}]})
    sleeper = "import time; time.sleep(300)"
    first = submit(engine, tmp_path, sleeper, extra="--resplan small")
    wait_state(engine, first["id"], "RUNNING")
    second = submit(engine, tmp_path, "print('in plan')", extra="--resplan small")
    free = submit(engine, tmp_path, "print('no plan')")  # another plan's task is not blocked
    assert wait_state(engine, free["id"])["state"] == "FINISHED"
    waiting = wait_state(engine, second["id"], "PENDING_JOB_SCHEDULER")
    assert "small" in waiting["reason"]
    plan = engine.resplans.get(ADMIN, "small")
    assert plan["usedcpu"] == "1" and plan["requestcpu"] == "2"
    with pytest.raises(EngineError) as info:
        engine.resplans.delete(ADMIN, "small")
    assert info.value.status == 409
    with pytest.raises(EngineError) as info:
        submit(engine, tmp_path, sleeper, extra="--resplan nope")
    assert info.value.status == 400
    engine.execs.stop_task(ADMIN, first["id"])
    assert wait_state(engine, second["id"])["state"] == "FINISHED"
    engine.resplans.delete(ADMIN, "small")


def test_conf_and_frameworks(engine):
    conf = engine.conf.get()
    assert conf["DLI_SLOTS"] == "2" and all(isinstance(v, str) for v in conf.values())
    names = [f["name"] for f in engine.execs.frameworks()]
    assert names == ["PyTorch", "tensorflow", "python", "distPyTorch", "disttensorflow", "edtPyTorch", "XGboost"]
    assert all(isinstance(f["desc"], list) for f in engine.execs.frameworks())
