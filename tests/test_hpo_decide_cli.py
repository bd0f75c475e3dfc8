"""Which experiment is best is decided from the request, never guessed from the values (issue 14):
`hpo get|best|wait` and `top` against a recording server answering WMLA-shaped getOneHPO bodies
(experiments from id 0, `appId`, "YYYY-MM-DD HH:MM:SS" times, FAILED experiments recorded with
WMLA's metric 9999.99; WMLA 1.2.x sends no objective, CPD 3.5 sends `algoDef`)."""

from __future__ import annotations

import copy
import json

import pytest

NAME = "admin-hpo-7304922416051093"


def wmla_exp(ident: int, state: str, lr: str, metric: float) -> dict:
    return {
        "appId": f"wmla-{1290 + ident}",
        "endTime": "2021-03-02 10:04:11",
        "hyperParams": [{"dataType": "double", "fixedVal": lr, "name": "learning_rate", "userDefined": False}],
        "id": ident,
        "metricVal": metric,
        "startTime": "2021-03-02 10:01:40",
        "state": state,
    }


EXPS = [
    wmla_exp(0, "FINISHED", "0.01", 0.81),
    wmla_exp(1, "FAILED", "0.5", 9999.99),
    wmla_exp(2, "FINISHED", "0.02", 0.93),
    wmla_exp(3, "FAILED", "0.9", 9999.99),
]
WMLA_12_TASK = {  # WMLA 1.2.x: no objective anywhere; the server's own best (accuracy is maximized)
    "best": EXPS[2],
    "complete": 4,
    "createtime": "2021-03-02 10:01:38",
    "creator": "admin",
    "duration": "00:02:33",
    "experiments": EXPS,
    "failed": 2,
    "hpoName": NAME,
    "progress": "4/4",
    "running": 0,
    "state": "FINISHED",
}


def task(**changes) -> dict:
    body = copy.deepcopy(WMLA_12_TASK)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def cpd_task(objective: str, *extra: dict, **changes) -> dict:
    """CPD 3.5's shape: the search's algoDef, no `best` (as while it runs, or as a server omits it)."""
    algo = {"algorithm": "Random", "maxJobNum": 4, "objective": objective, "objectiveMetric": "accuracy"}
    return task(algoDef=algo, best=None, experiments=copy.deepcopy(EXPS) + list(extra), **changes)


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")


def serve(server, body: dict) -> None:
    server.route("GET", f"/hypersearch/{NAME}", body=body)


def rows(stdout: str) -> list[list[str]]:
    return [line.split("\t")[:5] for line in stdout.splitlines()[1:]]


# -- hpo get --------------------------------------------------------------------------------------


def test_get_without_an_objective_marks_the_servers_best_and_says_the_objective_is_unknown(env_server, run):
    serve(env_server, WMLA_12_TASK)
    result = run("hpo", "get", NAME)
    assert result.exit_code == 0, result.stderr
    assert rows(result.stdout) == [  # id order: no direction to rank by, failed ones last
        ["", "0", "wmla-1290", "FINISHED", "0.81"],
        ["*", "2", "wmla-1292", "FINISHED", "0.93"],
        ["", "1", "wmla-1291", "FAILED", "9999.99"],
        ["", "3", "wmla-1293", "FAILED", "9999.99"],
    ]
    assert "best: experiment 2  metric=0.93  (the server's best)  learning_rate=0.02" in result.stderr
    assert "objective unknown: pass --objective minimize|maximize to rank the experiments" in result.stderr
    assert "minimize" not in result.stderr.replace("minimize|maximize", "")


def test_get_with_objective_maximize_ranks_the_finished_best_first_and_failed_last(env_server, run):
    serve(env_server, task(best=None))
    result = run("hpo", "get", NAME, "--objective", "maximize")
    assert result.exit_code == 0, result.stderr
    assert [r[:2] for r in rows(result.stdout)] == [["*", "2"], ["", "0"], ["", "1"], ["", "3"]]
    assert "(maximize)" in result.stderr
    assert "objective unknown" not in result.stderr


def test_get_never_marks_a_sentinel_metric_best_of_a_maximize_search(env_server, run):
    serve(env_server, cpd_task("Maximize", wmla_exp(4, "FINISHED", "0.7", 9999.99)))
    result = run("hpo", "get", NAME)
    assert result.exit_code == 0, result.stderr
    assert [r[:2] for r in rows(result.stdout)] == [["*", "2"], ["", "0"], ["", "4"], ["", "1"], ["", "3"]]
    assert "best: experiment 2  accuracy=0.93  (maximize)" in result.stderr


# -- hpo best -------------------------------------------------------------------------------------


def test_best_takes_the_servers_best_without_an_objective(env_server, run):
    serve(env_server, WMLA_12_TASK)
    result = run("hpo", "best", NAME)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"learning_rate": 0.02}


def test_best_without_the_servers_best_picks_as_the_server_does(env_server, run):
    """algoDef says maximize; a FINISHED experiment with the sentinel 9999.99 is no result."""
    serve(env_server, cpd_task("MAXIMIZE", wmla_exp(4, "FINISHED", "0.7", 9999.99)))
    result = run("hpo", "best", NAME)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"learning_rate": 0.02}


def test_objective_overrides_the_searchs_own(env_server, run):
    serve(env_server, cpd_task("minimize"))
    assert json.loads(run("hpo", "best", NAME).stdout) == {"learning_rate": 0.01}
    result = run("hpo", "best", NAME, "--objective", "maximize")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"learning_rate": 0.02}


def test_best_with_an_unknown_objective_and_no_servers_best_exits_2_saying_so(env_server, run):
    serve(env_server, task(best=None))
    result = run("hpo", "best", NAME)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: hpo task {NAME}: objective unknown: pass --objective minimize|maximize "
        "(the server sent no objective and no best)",
        f"hint: say which is better: dlicli hpo best {NAME} --objective minimize|maximize",
    ]


def test_best_of_a_failed_search_without_experiments_says_it_ended(env_server, run):
    serve(env_server, task(best=None, experiments=[], state="FAILED", complete=0, failed=0, progress="0/4"))
    result = run("hpo", "best", NAME)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"error: hpo task {NAME} ended FAILED with no finished experiment",
        f"hint: see its experiments: dlicli hpo get {NAME}",
    ]


def test_best_of_a_search_whose_experiments_all_failed_says_so(env_server, run):
    serve(env_server, task(best=None, experiments=[EXPS[1], EXPS[3]], state="FINISHED"))
    result = run("hpo", "best", NAME, "--objective", "maximize")
    assert result.exit_code == 3
    assert "ended FINISHED with no finished experiment (2 tried, none finished with a metric)" in result.stderr
    assert "wait for it" not in result.stderr


def test_best_of_a_running_search_without_results_says_wait(env_server, run):
    serve(env_server, task(best=None, experiments=[wmla_exp(0, "RUNNING", "0.1", 0)], state="RUNNING"))
    result = run("hpo", "best", NAME)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"error: hpo task {NAME} has no finished experiment yet (RUNNING)",
        f"hint: wait for it: dlicli hpo wait {NAME}",
    ]


# -- states the CLI waits through -----------------------------------------------------------------


def test_wait_on_recoverpend_says_once_what_it_waits_for(env_server, run):
    env_server.route("GET", f"/hypersearch/{NAME}", body=WMLA_12_TASK)
    env_server.route("GET", f"/hypersearch/{NAME}", body=task(state="RECOVERPEND", progress="2/4"), times=2)
    env_server.route("GET", f"/hypersearch/{NAME}", body=task(state="RECOVERPEND", progress="1/4"), times=1)
    result = run("hpo", "wait", NAME)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"{NAME}: RECOVERPEND (1/4): the search waits to recover after a restart of the HPO service; "
        "it resumes from its saved state",
        f"{NAME}: RECOVERPEND (2/4)",
        f"{NAME}: FINISHED (4/4)",
        f"hint: the best parameters: dlicli hpo best {NAME}",
    ]


def test_get_shows_what_recoverpend_means(env_server, run):
    serve(env_server, task(state="RECOVERPEND"))
    result = run("hpo", "get", NAME)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[1] == (
        "RECOVERPEND: the search waits to recover after a restart of the HPO service; it resumes from its saved state"
    )


# -- top ------------------------------------------------------------------------------------------


def test_tops_searches_pane_shows_the_best_hpo_best_prints(env_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "1")  # top takes no 0
    body = cpd_task("maximize", wmla_exp(4, "FINISHED", "0.7", 9999.99))
    env_server.route("GET", "/hypersearch", body=[body])
    serve(env_server, body)
    shown = run("top", "--once")
    assert shown.exit_code == 0, shown.stderr
    (row,) = [line for line in shown.stdout.splitlines() if line.startswith(NAME)]
    assert row.split("\t")[3] == "accuracy=0.93 (#2)"
    assert json.loads(run("hpo", "best", NAME).stdout) == {"learning_rate": 0.02}


def test_tops_searches_pane_shows_no_best_when_the_objective_is_unknown(env_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "1")
    env_server.route("GET", "/hypersearch", body=[task(best=None)])
    shown = run("top", "--once")
    assert shown.exit_code == 0, shown.stderr
    (row,) = [line for line in shown.stdout.splitlines() if line.startswith(NAME)]
    assert row.split("\t")[3] == ""


# -- hpo report -----------------------------------------------------------------------------------


def test_report_picks_the_best_hpo_best_prints_and_leaves_the_sentinel_out(env_server, run):
    serve(env_server, cpd_task("maximize", wmla_exp(4, "FINISHED", "0.7", 9999.99)))
    result = run("hpo", "report", NAME, "--json")
    assert result.exit_code == 0, result.stderr
    (search,) = json.loads(result.stdout)["searches"]
    assert search["best"]["id"] == 2 and search["best"]["hyperParams"] == {"learning_rate": 0.02}
    assert [(s["id"], s["best"]) for s in search["bestSoFar"]] == [(0, 0.81), (2, 0.93)]
    assert json.loads(run("hpo", "best", NAME).stdout) == search["best"]["hyperParams"]


def test_report_objective_override_and_unknown_objective_as_hpo_best(env_server, run):
    serve(env_server, task(best=None))
    unknown = run("hpo", "report", NAME, "--json")
    assert unknown.exit_code == 2
    assert "--objective minimize|maximize" in unknown.stderr
    (search,) = json.loads(run("hpo", "report", NAME, "--json", "--objective", "minimize").stdout)["searches"]
    assert search["best"]["id"] == 0
    assert json.loads(run("hpo", "best", NAME, "--objective", "minimize").stdout) == {"learning_rate": 0.01}
