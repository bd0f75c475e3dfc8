"""`dlicli conf|resplan|scheduler|notebook|top|api` replayed against what WMLA 1.2.x and CPD 3.5
answer (tests/replay/fixtures): table, `--json` and `-o yaml`, and the requests that arrived."""

from __future__ import annotations

import json

import pytest

from tests.replay.modes import json_is_served, ok, rows, yaml_is_served

# (command words, {id}: the path segment at index `at` of the fixture's path; the fixture; at)
READS = [
    (["conf", "get"], "conf", -1),
    (["resplan", "tree"], "resplan-tree", -1),
    (["resplan", "get", "{id}"], "resplan", -1),
    (["scheduler", "apps"], "scheduler-apps", -1),
    (["scheduler", "stats"], "scheduler-stats", -1),
    (["notebook", "list"], "notebooks", -1),
    (["notebook", "get", "{id}"], "notebook", 2),
    (["notebook", "kernels", "{id}"], "notebook-kernels", 2),
]
IDS = [name for _, name, _ in READS]


def argv(words: list[str], wmla, name: str, at: int) -> list[str]:
    return [w.replace("{id}", wmla.path_id(name, at)) for w in words]


@pytest.mark.parametrize(("words", "name", "at"), READS, ids=IDS)
def test_json_is_the_served_answer(wmla, run, words, name, at):
    json_is_served(run(*argv(words, wmla, name, at), "--json"), wmla, name)
    assert [(m, p) for m, p, _ in wmla.calls()] == [("GET", wmla.fixtures[name]["path"])]


@pytest.mark.parametrize(("words", "name", "at"), READS, ids=IDS)
def test_yaml_is_the_served_answer(wmla, run, words, name, at):
    yaml_is_served(run(*argv(words, wmla, name, at), "-o", "yaml"), wmla, name)


def test_conf_table_and_one_key(wmla, run):
    conf = wmla.body("conf")
    result = run("conf", "get")
    ok(result)
    assert rows(result.stdout) == [[k, conf[k]] for k in sorted(conf)]
    one = run("conf", "get", "DLI_SHARED_FS")
    ok(one)
    assert one.stdout == conf["DLI_SHARED_FS"] + "\n"


def test_resplan_tree_and_get_tables(wmla, run):
    tree = run("resplan", "tree")
    ok(tree)
    assert tree.stdout.splitlines() == [
        "/sample-project\t6/8\t2/4",
        "  /sample-project/team-a\t4/4\t2/2",
        "  /sample-project/team-b\t2/4\t0/2",
        "/notebooks\t1/2\t0/0",
    ]
    plan = run("resplan", "get", "team-a")
    ok(plan)
    assert dict(rows(plan.stdout)) == wmla.body("resplan")


def test_scheduler_apps_stats_and_logs(wmla, run):
    apps = run("scheduler", "apps")
    ok(apps)
    assert [r[:4] for r in rows(apps.stdout)] == [
        [a["applicationid"], a["applicationname"], a["state"], a["username"]] for a in wmla.body("scheduler-apps")
    ]
    assert [r[8] for r in rows(apps.stdout)] == ["1h14m", "1m02s"]  # apprunduration in seconds
    stats = run("scheduler", "stats")
    ok(stats)
    user = wmla.body("scheduler-stats")[0]["username"]
    assert rows(stats.stdout) == [[user, "1/2", "1/1", "1", "1"]]
    app = wmla.path_id("scheduler-driver-log", -4)
    logs = run("scheduler", "logs", app)
    ok(logs)
    assert logs.stdout == wmla.fixtures["scheduler-driver-log"]["text"]


def test_notebook_tables(wmla, run):
    service = wmla.body("notebook")
    listed = run("notebook", "list")
    ok(listed)
    assert [r[:4] for r in rows(listed.stdout)] == [
        [service["userName"], service["podName"], service["podStatus"], service["resourcePlan"]]
    ]
    kernels = run("notebook", "kernels", service["userName"])
    ok(kernels)
    assert wmla.body("notebook-kernels")[0]["kernelName"] in kernels.stdout


def test_top_once_shows_tasks_searches_apps_and_plans(wmla, run, monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "1")
    result = run("top", "--once")
    ok(result)
    assert result.stderr == ""
    for task in wmla.body("execs"):
        assert f"{task['id']}\t{task['state']}\t" in result.stdout
    for search in wmla.body("hpo-list"):
        assert f"{search['hpoName']}\t{search['state']}\t" in result.stdout
    assert "390/390 - 39s - loss: 0.6120 - accuracy: 0.7893" in result.stdout  # the running task's last line
    assert "  team-a\t4/4\t2/2" in result.stdout
    paths = {p for _, p, _ in wmla.calls()}
    assert {"/execs", "/hypersearch", "/scheduler/applications", "/resplans/resplantree"} <= paths


def test_api_get_prints_the_answer_as_sent(wmla, run):
    result = run("api", "GET", "/execs/frameworks")
    ok(result)
    assert json.loads(result.stdout) == wmla.body("frameworks")
    assert wmla.calls() == [("GET", "/execs/frameworks", {})]
