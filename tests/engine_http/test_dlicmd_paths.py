"""The read paths of IBM's dlicmd.py against a real engine over HTTP, with requests shaped as
dlicmd.py sends them (its paths and query strings, `Accept` and a Bearer token):

- `--exec-outlogs/--exec-errlogs/--exec-launcherlogs EXECID`: GET /execs/{id} for its `appId`,
  GET /scheduler/applications?applicationid=…, then the driver's log when the application has a
  `task0` and `executor/<i+1>/logs/<type>` for the i-th entry of its `task12n`;
- `--rp-get-all`: GET /resplans/resplantree read as ONE TreeDto (`id`, `pid`, `childTreeDto`);
- `--exec-get-all --query-args "limit=10&state=FINISHED&sort_by=id:desc"`: GET /execs/?<args>.

The helpers below re-state that documented behaviour (they are not dlicmd.py's code).
"""

from __future__ import annotations

import httpx
import pytest

from tests.engine_http.conftest import model_tar, wait_state

WORKER = """\
    import os, sys
    rank = os.environ["RANK"]
    print(f"worker {rank} of {os.environ['WORLD_SIZE']} out")
    print(f"worker {rank} err", file=sys.stderr)
"""


def dlicmd_client(engine_proc, token: str) -> httpx.Client:
    """A client with dlicmd.py's headers: JSON wanted, the token as a Bearer."""
    headers = {"Accept": "application/json", "Authorization": "Bearer " + token}
    return httpx.Client(base_url=engine_proc.url, headers=headers, timeout=30)


def start_exec(client: httpx.Client, script: str, args: str) -> dict:
    """POST /execs/?args=… with the model dir tar in part `file`, as dlicmd.py's --exec-start."""
    query = f"--exec-start {args} --model-dir model --model-main main.py"
    answer = client.post(
        f"/execs/?args={query}",
        files={"file": ("model.modelDir.tar", model_tar("model", {"main.py": script}), "application/octet-stream")},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def exec_app_logs(client: httpx.Client, exec_id: str, log_type: str) -> str:
    """What dlicmd.py prints for --exec-outlogs (stdout) and friends: the driver's log when the
    application has a `task0`, then one block per `task12n` entry, executors numbered from 1."""
    app_id = client.get(f"/execs/{exec_id}").json()["appId"]
    apps = client.get(f"/scheduler/applications?applicationid={app_id}")
    assert apps.status_code == 200
    text = {"Accept": "text/plain"}
    printed = []
    for app in apps.json():
        if app.get("task0"):
            log = client.get(f"/scheduler/applications/{app_id}/driver/logs/{log_type}", headers=text)
            printed.append(f"Driver {log_type}\n{log.text}\n")
        for i in range(len(app.get("task12n") or [])):
            url = f"/scheduler/applications/{app_id}/executor/{i + 1}/logs/{log_type}"
            log = client.get(url, headers=text)
            assert log.status_code == 200, (url, log.text)
            printed.append(f"Executor {i + 1} {log_type}\n{log.text}\n")
    return "".join(printed)


@pytest.fixture(scope="module")
def two_workers(engine_proc):
    """A finished 2-worker distPyTorch task (the script only reads the env, no torch needed)."""
    with dlicmd_client(engine_proc, engine_proc.token) as client:
        batch = start_exec(client, WORKER, "distPyTorch --numWorker 2")
        done = wait_state(client, batch["id"])
        assert done["state"] == "FINISHED", done
        return done


def test_exec_outlogs_prints_each_workers_stdout(engine_proc, two_workers):
    with dlicmd_client(engine_proc, engine_proc.token) as client:
        printed = exec_app_logs(client, two_workers["id"], "stdout")
    assert printed == "Executor 1 stdout\nworker 0 of 2 out\n\nExecutor 2 stdout\nworker 1 of 2 out\n\n"


def test_exec_errlogs_and_launcherlogs(engine_proc, two_workers):
    with dlicmd_client(engine_proc, engine_proc.token) as client:
        assert exec_app_logs(client, two_workers["id"], "stderr") == (
            "Executor 1 stderr\nworker 0 err\n\nExecutor 2 stderr\nworker 1 err\n\n"
        )
        launcher = exec_app_logs(client, two_workers["id"], "launcherlog")
    assert launcher.startswith("Executor 1 launcherlog\n") and "Executor 2 launcherlog\n" in launcher
    assert "worker 1 started" in launcher


def test_application_lists_its_workers_as_task12n(engine_proc, two_workers):
    app_id = two_workers["appId"]
    with dlicmd_client(engine_proc, engine_proc.token) as client:
        (app,) = client.get(f"/scheduler/applications?applicationid={app_id}").json()
        assert app["applicationid"] == app_id and app["demandslots"] == 2
        assert app["task12n"] == [{"id": "1", "rank": 0}, {"id": "2", "rank": 1}] and "task0" not in app
        base = f"/scheduler/applications/{app_id}"
        assert client.get(f"{base}/driver/logs/stdout").text == "worker 0 of 2 out\n"
        assert client.get(f"{base}/executor/{app_id}-2/logs/stdout").text == "worker 1 of 2 out\n"
        for missing in ("0", "3", "x", "²"):
            answer = client.get(f"{base}/executor/{missing}/logs/stdout")
            assert answer.status_code == 404, missing
            assert answer.json()["message"].endswith(f"has no executor {missing}; its executors are 1 to 2")


def rp_tags(node: dict, parent: str = "/") -> list[str]:
    """The tags dlicmd.py's --rp-get-all builds: a root node "/", then the answer's `id`, its
    `childTreeDto` below it, each tag the parent's joined with the node's id."""
    tag = parent if node["id"] == "/" else parent.rstrip("/") + "/" + node["id"]
    return [tag] + [t for child in node["childTreeDto"] for t in rp_tags(child, tag)]


def test_resplantree_is_one_tree_dto(engine_proc, admin):
    for plan in ({"name": "dl-top"}, {"name": "dl-kid", "parent": "dl-top"}, {"name": "dl-other"}):
        assert admin.post("resplans/resplan", json=plan).status_code == 201
    try:
        with dlicmd_client(engine_proc, engine_proc.token) as client:
            tree = client.get("/resplans/resplantree").json()
        assert isinstance(tree, dict)
        assert (tree["id"], tree["name"], tree["pid"], tree["path"], tree["isParent"]) == ("/", "/", "", "/", "true")
        assert set(tree["V1Resplan"]) >= {"usedcpu", "usedgpu", "requestcpu", "requestgpu", "path"}
        tops = {node["id"]: node for node in tree["childTreeDto"]}
        assert {"dl-top", "dl-other"} <= set(tops) and "dl-kid" not in tops
        assert tops["dl-top"]["pid"] == "/" and tops["dl-top"]["isParent"] == "true"
        (kid,) = tops["dl-top"]["childTreeDto"]
        assert (kid["id"], kid["pid"], kid["path"], kid["isParent"]) == ("dl-kid", "dl-top", "/dl-top/dl-kid", "false")
        tags = rp_tags(tree)
        assert {"/", "/dl-top", "/dl-top/dl-kid", "/dl-other"} <= set(tags)
        paths = {node["path"] for node in [tree, *tops.values(), kid]}
        assert paths <= set(tags)  # a node's tag is its plan's path, as WMLA's consumers are
    finally:
        for name in ("dl-kid", "dl-top", "dl-other"):
            admin.delete(f"resplans/resplan/{name}")


@pytest.fixture(scope="module")
def queried(start_engine, tmp_path_factory):
    """An engine of its own with four finished tasks, two FINISHED and two FAILED: (client, ids
    in submission order)."""
    engine = start_engine(tmp_path_factory.mktemp("queried") / "data", "--port", "0", "--slots", "4")
    client = dlicmd_client(engine, engine.token)
    ids = []
    for script in ("print('a')", "raise SystemExit(3)", "print('c')", "raise SystemExit(4)"):
        ids.append(start_exec(client, script, "python")["id"])
    for exec_id in ids:
        wait_state(client, exec_id)
    yield client, ids
    client.close()


def listed(client: httpx.Client, query_args: str) -> list[str]:
    """The ids of `GET /execs/?<query_args>`, the URL dlicmd.py builds for --exec-get-all."""
    answer = client.get("/execs/" + (f"?{query_args}" if query_args else ""))
    assert answer.status_code == 200, answer.text
    return [batch["id"] for batch in answer.json()]


def test_exec_get_all_query_args_filter_sort_and_limit(queried):
    client, ids = queried
    finished, failed = [ids[0], ids[2]], [ids[1], ids[3]]
    assert listed(client, "") == ids
    assert listed(client, "state=FINISHED") == finished
    assert listed(client, "state=failed") == failed
    assert listed(client, "state=FAILED,FINISHED") == ids
    assert listed(client, "state=RUNNING") == []
    assert listed(client, "sort_by=id:desc") == sorted(ids, reverse=True)
    assert listed(client, "sort_by=id") == listed(client, "sort_by=id:asc") == sorted(ids)
    assert listed(client, "sort_by=-createTime") == list(reversed(ids))
    assert listed(client, "limit=10&state=FINISHED&sort_by=id:desc") == sorted(finished, reverse=True)
    assert listed(client, "limit=1&state=FAILED&sort_by=createTime:desc") == [ids[3]]
    assert listed(client, "limit=2") == ids[:2]
    assert listed(client, "start=1&limit=2") == ids[1:3]
    assert listed(client, "start=9") == []


def test_exec_get_all_ignores_query_args_it_does_not_know(queried):
    client, ids = queried
    assert listed(client, "user=someone&page=7&sort=-id&args=x") == ids
    assert listed(client, "state=&limit=&sort_by=") == ids  # empty values are no filter


@pytest.mark.parametrize(
    ("query_args", "named"),
    [
        ("limit=x", "limit must be a positive whole number, not 'x'"),
        ("limit=0", "limit must be a positive whole number, not '0'"),
        ("limit=-3", "limit must be a positive whole number, not '-3'"),
        ("start=-1", "start must be a whole number >= 0, not '-1'"),
        ("sort_by=nope:desc", "sort_by names an unknown field 'nope'"),
        ("sort_by=id:sideways", "sort_by direction must be asc or desc, not 'sideways'"),
    ],
)
def test_exec_get_all_bad_query_args_are_400_naming_them(queried, query_args, named):
    client, _ = queried
    answer = client.get(f"/execs/?{query_args}")
    assert answer.status_code == 400 and named in answer.json()["message"]
