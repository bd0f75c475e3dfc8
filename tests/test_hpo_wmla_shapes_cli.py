"""`dlicli hpo get|list|best|wait` render what a real WMLA server answers (IBM's recorded WMLA 2.2.0
GET /hypersearch/{name}: experiments from id 0, appId the exec id, "YYYY-MM-DD HH:MM:SS" times,
duration "00:01:00", no metrics) as well as the local engine's richer answer."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest


def wmla_exp(ident: int, app: str, lr: str, metric: float) -> dict:
    return {
        "appId": app,
        "endTime": "2020-11-17 20:00:58",
        "hyperParams": [{"dataType": "double", "fixedVal": lr, "name": "learning_rate", "userDefined": False}],
        "id": ident,
        "metricVal": metric,
        "startTime": "2020-11-17 19:59:48",
        "state": "FINISHED",
    }


EXPS = [
    wmla_exp(0, "liqbj-605", "0.07682903454845375", 0.0652),
    wmla_exp(1, "liqbj-606", "0.04433426721204368", 0.0896),
]
WMLA_TASK = {  # the shape of IBM's recorded answer (IBM/wmla-learning-path, CPD3.5.0 HPO notebook)
    "algoDef": {"algorithm": "Random", "maxJobNum": 2, "objective": "minimize", "objectiveMetric": "loss"},
    "best": EXPS[0],
    "complete": 2,
    "createtime": "2020-11-17 19:59:46",
    "creator": "admin",
    "duration": "00:01:00",
    "experiments": EXPS,
    "failed": 0,
    "hpoName": "admin-hpo-6487177646872135",
    "progress": "2/2",
    "running": 0,
    "state": "FINISHED",
}
NAME = WMLA_TASK["hpoName"]


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")


def test_get_renders_a_wmla_answer_with_experiment_0_best(env_server, run):
    env_server.route("GET", f"/hypersearch/{NAME}", body=WMLA_TASK)
    result = run("hpo", "get", NAME)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "BEST\tID\tEXEC\tSTATE\tLOSS\tDURATION\tREASON\tlearning_rate",
        "*\t0\tliqbj-605\tFINISHED\t0.0652\t1m10s\t\t0.076829",
        "\t1\tliqbj-606\tFINISHED\t0.0896\t1m10s\t\t0.0443343",
    ]
    assert result.stderr.splitlines() == [
        f"{NAME}  FINISHED  progress 2/2  running 0  complete 2  failed 0  duration 1m00s",
        "best: experiment 0  loss=0.0652  (minimize)  learning_rate=0.076829",
    ]


def test_list_best_and_wait_take_a_wmla_answer(env_server, run):
    env_server.route("GET", "/hypersearch", body=[WMLA_TASK])
    env_server.route("GET", f"/hypersearch/{NAME}", body=WMLA_TASK)
    listed = run("hpo", "list")
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(datetime(2020, 11, 17, 19, 59, 46).timestamp()))
    assert listed.stdout.splitlines() == [f"{NAME}\tFINISHED\t2/2\t0.0652\t0\t2\t0\t1m00s\tadmin\t{created}"]
    best = run("hpo", "best", NAME)
    assert json.loads(best.stdout) == {"learning_rate": 0.07682903454845375}
    waited = run("hpo", "wait", NAME, "--follow")
    assert waited.exit_code == 0, waited.stderr
    assert waited.stderr.splitlines() == [
        f"{NAME}: experiment 0 FINISHED loss=0.0652",
        f"{NAME}: experiment 1 FINISHED loss=0.0896",
        f"{NAME}: FINISHED (2/2)",
        f"hint: the best parameters: dlicli hpo best {NAME}",
    ]
