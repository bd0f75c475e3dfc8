"""The 13 HyperSearch operations over real HTTP against a real engine process (python -m dlicli.engine.serve)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.engine_hposvc.conftest import PLUGIN, plugin_tar, start, values
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.waiting import wait_until


def wait_running(client: httpx.Client, name: str, count: int, timeout: float = 30.0) -> dict:
    """Wait until `count` of the search's experiments run at once."""
    return wait_until(
        lambda: client.get(f"hypersearch/{name}").json(),
        timeout,
        0.1,
        f"{count} running experiments in {name}",
        until=lambda view: view["running"] >= count,
    )


@pytest.mark.slow
def test_start_get_list_and_delete_a_search(admin):
    answer = post_hpo(admin, hpo_body("h1", jobs=3, parallel=2))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"uid": "h1", "href": "/hypersearch/h1"}
    again = post_hpo(admin, hpo_body("h1"))
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    view = wait_hpo(admin, "h1")
    assert view["state"] == "FINISHED" and view["progress"] == "3/3" and view["complete"] == 3
    assert view["best"]["metricVal"] == min(e["metricVal"] for e in view["experiments"])
    assert view["input"]["algoDef"]["objectiveMetric"] == "loss" and view["creator"] == "admin"
    assert {
        "hpoName",
        "state",
        "running",
        "complete",
        "failed",
        "progress",
        "duration",
        "creator",
        "createtime",
        "best",
        "experiments",
    } <= set(view)
    assert admin.get("hypersearch/h1/").json()["hpoName"] == "h1"
    assert "h1" in [t["hpoName"] for t in admin.get("hypersearch").json()]
    # the experiment's own task: its log and result are the Execute API's
    exec_id = view["experiments"][0]["execId"]
    assert admin.get(f"execs/{exec_id}").json()["state"] == "FINISHED"
    assert admin.get(f"execs/{exec_id}/result").status_code == 200
    stop = admin.put("hypersearch/h1")
    assert stop.status_code == 400 and "already FINISHED" in stop.json()["message"]
    assert admin.put("hypersearch/h1/restart").status_code == 400
    assert admin.delete("hypersearch/h1").status_code == 204
    assert admin.get("hypersearch/h1").status_code == 404
    assert admin.get(f"execs/{exec_id}").status_code == 400  # the experiment's task went too


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d["algoDef"].pop("objective"), "algoDef.objective"),
        (lambda d: d["algoDef"].update(algorithm="Nope"), "algoDef.algorithm"),
        (lambda d: d["hyperParams"][1].update(maxDbVal=-5), "hyperParams[1].maxDbVal"),
        (lambda d: d["algoDef"].update(maxParalleJob=0), "algoDef.maxParalleJob"),
        (lambda d: d["modelSpec"].update(args="--model-main main.py"), "modelSpec.args"),
        (lambda d: d.update(hpoName="bad name!"), "hpoName"),
        (lambda d: d["algoDef"].update(algorithm="Hyperband"), "ResourceName"),
    ],
)
def test_invalid_tasks_are_400_and_create_nothing(admin, mutate, where):
    data = hpo_body("bad1")
    mutate(data)
    answer = post_hpo(admin, data)
    assert answer.status_code == 400 and where in answer.json()["message"], answer.text
    assert admin.get("hypersearch/bad1").status_code == 404


def test_a_task_needs_the_model_file_and_json_data(admin):
    answer = post_hpo(admin, hpo_body("bad2"), file=False)
    assert answer.status_code == 400 and "file" in answer.json()["message"]
    answer = post_hpo(admin, "{not json")
    assert answer.status_code == 400 and "JSON" in answer.json()["message"]
    answer = admin.post("hypersearch", json=hpo_body("bad2"))
    assert answer.status_code == 400 and "multipart" in answer.json()["message"]


def test_the_model_must_hold_its_main_file_unless_the_search_runs_a_user_command(admin):
    # one check for tasks and searches (ExecService.unpack_model): a search with --user-cmd names no
    # main file, and was refused as if it had named an empty one
    missing = hpo_body("nomain")
    missing["modelSpec"]["args"] = "--exec-start python --model-dir quad --model-main train.py"
    answer = post_hpo(admin, missing)
    assert answer.status_code == 400 and "train.py" in answer.json()["message"], answer.text
    assert admin.get("hypersearch/nomain").status_code == 404
    command = hpo_body("usercmd", jobs=1, parallel=1)
    command["modelSpec"]["args"] = "--exec-start python --model-dir quad --user-cmd -- python3 main.py"
    answer = post_hpo(admin, command)
    assert answer.status_code == 200, answer.text
    view = wait_hpo(admin, "usercmd")
    assert view["state"] == "FINISHED" and view["complete"] == 1, view


def test_delete_refuses_a_running_task_and_force_stop_kills_its_experiments(admin, server):
    assert post_hpo(admin, hpo_body("long", jobs=4, parallel=2, args="--sleep 60")).status_code == 200
    wait_running(admin, "long", 2)
    answer = admin.delete("hypersearch/long")
    assert answer.status_code == 409 and "stop it first" in answer.json()["message"]
    assert admin.delete("hypersearch").status_code == 409
    assert admin.put("hypersearch/long/force").status_code == 204
    assert admin.get("hypersearch/long").json()["state"] == "STOPPED"
    view = wait_until(
        lambda: admin.get("hypersearch/long").json(),
        15,
        0.1,
        "the stopped search's experiments to end",
        until=lambda view: not view["running"],
    )
    assert [e["state"] for e in view["experiments"]] == ["KILLED", "KILLED"]
    task_dirs = [server.data_dir / "tasks" / e["execId"] for e in view["experiments"]]
    assert all(d.is_dir() for d in task_dirs)
    assert admin.delete("hypersearch").status_code == 204
    assert admin.get("hypersearch").json() == []
    assert not any(d.exists() for d in task_dirs) and not (server.data_dir / "hpo" / "long").exists()


@pytest.mark.slow
def test_other_users_cannot_see_or_touch_a_task(admin, server):
    assert post_hpo(admin, hpo_body("mine", jobs=1, parallel=1)).status_code == 200
    with server.client(server.add_user("bob")) as bob:
        assert bob.get("hypersearch").json() == []
        assert bob.get("hypersearch/mine").status_code == 404  # as for a missing search
        assert bob.delete("hypersearch/mine").status_code == 404
    wait_hpo(admin, "mine")
    assert admin.delete("hypersearch/mine").status_code == 204


@pytest.mark.slow
def test_algorithms_list_get_install_run_and_delete(admin, server, procs, tmp_path):
    builtins = admin.get("hypersearch/algorithm", params={"type": "BUILD_IN"}).json()
    assert [a["name"] for a in builtins] == ["Random", "Tpe", "Bayesian", "Hyperband", "ASHA", "ExperimentGridSearch"]
    assert all(a["type"] == "BUILD_IN" for a in builtins)
    assert admin.get("hypersearch/algorithm/tpe").json()["name"] == "Tpe"
    assert admin.get("hypersearch/algorithm/nope").status_code == 404
    assert admin.get("hypersearch/algorithm", params={"type": "weird"}).status_code == 400
    tar = plugin_tar()

    def install(data, files=None):
        return admin.post(
            "hypersearch/algorithm/install", data={"data": json.dumps(data)}, files=files or {"other": ("x", b"x")}
        )

    answer = install({"name": "walker", "logLevel": "debug"}, {"file": ("walker.tar", tar, "application/x-tar")})
    assert answer.status_code == 200 and answer.json()["uid"] == "walker"
    again = install({"name": "walker"}, {"file": ("walker.tar", tar, "application/x-tar")})
    assert again.status_code == 409
    assert install({"name": "Random"}, {"file": ("r.tar", tar, "application/x-tar")}).status_code == 409
    assert install({"name": "nothing"}).status_code == 400
    empty = plugin_tar(files={"optimizer_not.py": "x = 1\n"})
    answer = install({"name": "empty"}, {"file": ("e.tar", empty, "application/x-tar")})
    assert answer.status_code == 400 and "optimizer.py" in answer.json()["message"]
    desc = admin.get("hypersearch/algorithm/walker").json()
    assert desc["type"] == "USER_PLUGIN" and desc["creator"] == "admin" and desc["logLevel"] == "DEBUG"
    assert (Path(desc["path"]) / "optimizer.py").is_file()
    plugins = admin.get("hypersearch/algorithm", params={"type": "USER_PLUGIN"}).json()
    assert [a["name"] for a in plugins] == ["walker"]
    # a search with the plugin: x walks 1, -1, 2, 0.5, then [] ends it
    assert post_hpo(admin, hpo_body("plug", algorithm="walker", jobs=-1, parallel=1)).status_code == 200
    view = wait_hpo(admin, "plug")
    assert view["state"] == "FINISHED" and [values(e)["x"] for e in view["experiments"]] == [1.0, -1.0, 2.0, 0.5]
    assert values(view["best"]) == {"x": 1.0, "y": -2.0}
    log = Path(view["searchLog"]).read_text()
    assert "plugin ready: ['Range/DOUBLE', 'Range/DOUBLE']" in log
    assert "'RandomSeed', 'maxJobNum', 'objective', 'objectiveMetric'" in log
    results = [json.loads(line.split(" result ", 1)[1]) for line in log.splitlines() if " result {" in line]
    assert [r["id"] for r in results] == [0, 1, 2, 3]  # each fed once; then [] ended the search
    first = results[0]
    assert first["state"] == "FINISHED" and first["hyperparameters"] == first["config"] == {"x": 1.0, "y": -2.0}
    assert first["objectiveMetric"] == "loss" and first["metricVal"] == first["metrics"]["loss"]["min"]
    assert set(first["metrics"]["acc"]) == {"min", "max", "latest"} and first["metrics"]["acc"]["latest"] == 0.25
    # a plugin that raises fails its task; the traceback is in search.log
    assert post_hpo(admin, hpo_body("boom", algorithm="walker", params={"Explode": "1"})).status_code == 200
    view = wait_hpo(admin, "boom")
    assert view["state"] == "FAILED" and "boom from the plugin" in view["reason"] and "search.log" in view["reason"]
    assert "Traceback" in Path(view["searchLog"]).read_text()
    assert admin.delete("hypersearch/algorithm/Random").status_code == 400
    assert admin.delete("hypersearch/algorithm/walker").status_code == 204
    assert admin.get("hypersearch/algorithm/walker").status_code == 404
    assert not Path(desc["path"]).exists()
    # by server path: refused unless the engine has a --plugin-root (tests/engine_bounds/test_plugin_path.py)
    folder = tmp_path / "pathplugin"
    folder.mkdir()
    (folder / "optimizer.py").write_text(PLUGIN)
    assert install({"name": "bypath", "path": str(folder)}).status_code == 403
    rooted = start(procs, tmp_path / "rooted", "--plugin-root", str(tmp_path))
    with rooted.client() as other:
        answer = other.post(
            "hypersearch/algorithm/install",
            data={"data": json.dumps({"name": "bypath", "path": str(folder)})},
            files={"other": ("x", b"x")},
        )
        assert answer.status_code == 200, answer.text
        assert other.get("hypersearch/algorithm/bypath").json()["source"] == str(folder)
        assert other.delete("hypersearch/algorithm/bypath").status_code == 204 and folder.is_dir()
    for name in ("plug", "boom"):
        assert admin.delete(f"hypersearch/{name}").status_code == 204


def test_debug_answers_a_task_attr_file(admin):
    data = hpo_body("dbg", algorithm="TPE", params={"WarmUp": 5, "RandomSeed": 1})  # any case, as IBM writes it
    data["hyperParams"].append({"name": "opt", "type": "discrete", "dataType": "str", "discreteStrVal": ["a", "b"]})
    answer = admin.post("hypersearch/algorithm/debug", json=data)
    assert answer.status_code == 200
    assert 'filename="task_attr.json"' in answer.headers["content-disposition"]
    attr = answer.json()
    assert attr["format"] == "dlicli.task_attr/1" and attr["name"] == "dbg" and attr["algorithm"] == "Tpe"
    assert [(h["type"], h["dataType"]) for h in attr["hyper_parameters"]] == [
        ("Range", "DOUBLE"),
        ("Range", "DOUBLE"),
        ("Discrete", "STR"),
    ]
    assert attr["hyper_parameters"][2]["discreateStrVal"] == ["a", "b"]
    assert attr["kwargs"] == {
        "WarmUp": "5",
        "RandomSeed": "1",
        "objective": "minimize",
        "objectiveMetric": "loss",
        "maxJobNum": "4",
    }
    answer = admin.post("hypersearch/algorithm/debug", json={"algoDef": {"algorithm": "mine"}})
    assert answer.status_code == 400 and "algoDef.objective" in answer.json()["message"]
    assert admin.get("hypersearch/dbg").status_code == 404


@pytest.mark.slow
def test_an_engine_restart_mid_search_resumes(procs, tmp_path):
    proc = start(procs, tmp_path / "data")
    with proc.client() as client:
        assert post_hpo(client, hpo_body("resume", jobs=5, parallel=2, args="--sleep 1")).status_code == 200
        wait_running(client, "resume", 2)
    assert proc.stop() == 0
    proc = start(procs, tmp_path / "data")
    with proc.client() as client:
        view = wait_hpo(client, "resume")
    assert view["state"] == "FINISHED" and view["complete"] == 5
    assert [e["id"] for e in view["experiments"]] == [0, 1, 2, 3, 4]
    assert "search resumed from the saved state" in Path(view["searchLog"]).read_text()


def test_deleting_all_tasks_leaves_a_searchs_experiments_to_it(admin):
    assert post_hpo(admin, hpo_body("keep-exps", jobs=2, parallel=2)).status_code == 200
    view = wait_hpo(admin, "keep-exps")
    assert admin.delete("execs").status_code == 204
    for exp in view["experiments"]:
        answer = admin.get(f"execs/{exp['appId']}")
        assert answer.status_code == 200, answer.text  # the search's experiment tasks are still there
    assert admin.get("hypersearch/keep-exps").json()["experiments"] == view["experiments"]
    assert admin.delete("hypersearch/keep-exps").status_code in (200, 204)
    assert admin.get(f"execs/{view['experiments'][0]['appId']}").status_code == 400  # gone with its search
