"""HPO as IBM writes it and WMLA reports it, over real HTTP against real engine processes: a plugin's
values snapped to step/power, the counters, ids/times/duration in the recorded WMLA form, what
delete removes, and a search whose experiments keep failing ending FAILED."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.engine_hposvc.conftest import plugin_tar, start, values
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo

WMLA_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")  # "2020-11-17 19:59:48" in IBM's recorded outputs
WMLA_DURATION = re.compile(r"^\d\d+:\d\d:\d\d$")  # "00:01:00"

UNSNAPPED = """\
from plugins.core.base_plugin_opt import BasePluginOptimizer


class PluginOptimizer(BasePluginOptimizer):
    \"\"\"Suggests the given points, off the grid and out of range, as IBM's sample plugin would.\"\"\"

    POINTS = POINTS_HERE

    def __init__(self, name, hyper_parameters, **kwargs):
        super().__init__(name, hyper_parameters, **kwargs)
        self.next = 0

    def search(self, number_samples, last_exp_results):
        out = self.POINTS[self.next:self.next + number_samples]
        self.next += len(out)
        return out

    def get_state(self):
        return self.next

    def set_state(self, state):
        self.next = state
"""

SPACE = [
    {"name": "x", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3, "step": "0.5"},
    {"name": "y", "type": "Range", "dataType": "double", "minDbVal": -2, "maxDbVal": 0, "power": "10"},
    {"name": "n", "type": "Range", "dataType": "int", "minIntVal": 1, "maxIntVal": 8},
    {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": -4, "maxDbVal": -1, "power": "10", "step": "1"},
    {"name": "opt", "type": "Discrete", "dataType": "str", "discreateStrVal": ["adam", "sgd"]},
]


def install_plugin(client, name: str, points: list[dict]) -> None:
    code = UNSNAPPED.replace("POINTS_HERE", repr(points))
    tar = plugin_tar(name, {"optimizer.py": code})
    answer = client.post(
        "hypersearch/algorithm/install",
        data={"data": json.dumps({"name": name})},
        files={"file": (f"{name}.tar", tar, "application/x-tar")},
    )
    assert answer.status_code == 200, answer.text


def local_stamp(text: str) -> float:
    return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


@pytest.mark.slow
def test_a_plugins_values_are_snapped_to_step_and_power_and_clipped_into_range(admin):
    points = [
        {"x": 0.123, "y": 50.0, "n": 2.6, "lr": 0.003, "opt": "sgd"},  # y above 10**0, lr between grid points
        {"x": 2.77, "y": 0.05, "n": 9, "lr": 1e-9, "opt": "adam"},  # n and lr below/above their ranges
    ]
    install_plugin(admin, "offgrid", points)
    assert post_hpo(admin, hpo_body("snap", algorithm="offgrid", jobs=-1, parallel=1, hyper=SPACE)).status_code == 200
    view = wait_hpo(admin, "snap")
    assert view["state"] == "FINISHED", view["reason"]
    assert [values(e) for e in view["experiments"]] == [
        {"x": 0.0, "y": 1.0, "n": 3, "lr": 0.001, "opt": "sgd"},
        {"x": 3.0, "y": 0.05, "n": 8, "lr": 0.0001, "opt": "adam"},
    ]
    # what the training script read: the experiment's own config.json (its exec's working copy)
    for exp in view["experiments"]:
        task_dir = Path(view["searchLog"]).parents[2] / "tasks" / exp["appId"]
        config = json.loads(next(task_dir.glob("_submitted_code/*/config.json")).read_text())
        assert config == values(exp)
    log = Path(view["searchLog"]).read_text()
    assert "suggestion 0: x=0.123 snapped to 0.0; y=50.0 is outside its range; clipped to 1.0" in log
    assert "n=9 is outside its range; clipped to 8" in log


@pytest.mark.slow
def test_a_plugin_value_of_the_wrong_type_fails_the_search_saying_which(admin):
    install_plugin(admin, "badtype", [{"x": "abc", "y": 0.1, "n": 1, "lr": 0.01, "opt": "adam"}])
    assert post_hpo(admin, hpo_body("badtype", algorithm="badtype", jobs=2, parallel=1, hyper=SPACE)).status_code == 200
    view = wait_hpo(admin, "badtype")
    assert view["state"] == "FAILED" and view["experiments"] == []
    assert "the algorithm failed: x: 'abc' is not a number" in view["reason"]


@pytest.mark.slow
def test_counters_ids_times_and_delete_as_wmla_reports_them(admin):
    grid = [
        {
            "id": 5,
            "hyperParams": [
                {"name": "x", "dataType": "double", "fixedVal": x},
                {"name": "y", "dataType": "int", "fixedVal": "-2"},
            ],
        }
        for x in ("0", "2", "0.5")
    ]
    data = hpo_body("counted", algorithm="ExperimentGridSearch", jobs=-1, parallel=1, args="--fail-above 1")
    data["algoDef"]["algoParams"] = []
    data["experiments"] = grid
    before = time.time()
    assert post_hpo(admin, data).status_code == 200
    view = wait_hpo(admin, "counted")
    after = time.time()
    # complete counts the succeeded and the failed experiments, as WMLA documents it
    assert (view["state"], view["complete"], view["failed"], view["running"]) == ("FINISHED", 3, 1, 0)
    assert view["progress"] == "3/3"
    exps = view["experiments"]
    assert [e["id"] for e in exps] == [0, 1, 2]  # a counter from 0, whatever ids the grid gave
    assert [e["state"] for e in exps] == ["FINISHED", "FAILED", "FINISHED"]
    assert WMLA_DURATION.match(view["duration"]) and view["duration"] < "00:01:00"
    stamps = [view["createtime"]] + [e[k] for e in exps for k in ("startTime", "endTime")]
    assert all(WMLA_TIME.match(t) for t in stamps), stamps
    assert all(before - 1 <= local_stamp(t) <= after + 1 for t in stamps)  # the engine's local time
    # appId is the experiment's exec, as IBM's notebooks use it: GET /execs/{appId}
    assert all(e["appId"] == e["execId"] for e in exps)
    assert [admin.get(f"execs/{e['appId']}").json()["state"] for e in exps] == ["FINISHED", "FAILED", "FINISHED"]
    # delete removes the search and its experiments' exec tasks
    assert admin.delete("hypersearch/counted").status_code == 204
    assert admin.get("hypersearch/counted").status_code == 404
    assert [admin.get(f"execs/{e['appId']}").status_code for e in exps] == [400, 400, 400]
    listed = {t["id"] for t in admin.get("execs").json()}
    assert not listed & {e["appId"] for e in exps}


@pytest.mark.slow
def test_a_search_whose_experiments_never_report_the_metric_ends_failed(procs, tmp_path):
    proc = start(procs, tmp_path / "data", "--hpo-max-failures", "3")
    with proc.client() as client:
        data = hpo_body("hopeless", jobs=-1, parallel=1, args="--no-metric")
        assert post_hpo(client, data).status_code == 200
        view = wait_hpo(client, "hopeless", timeout=60)
    assert (view["state"], view["failed"], view["complete"], view["running"]) == ("FAILED", 3, 3, 0)
    assert [e["state"] for e in view["experiments"]] == ["FAILED"] * 3
    assert view["reason"].startswith("3 experiments in a row failed; the search stopped")
    assert "experiment 2 FAILED: it reported no loss in val_dict_list.json (it has: other, acc)" in view["reason"]
