"""Searches through the engine facade (engine.hpo): real experiments as engine tasks."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from dlicli.engine import EngineError
from tests.engine_hposvc.conftest import ADMIN, body, create, max_overlap, read_stamps, values, wait_for, wait_hpo


@pytest.mark.slow
def test_random_search_counts_limits_best_and_config(engine, model, stamps):
    create(engine, model, body("rnd", jobs=6, parallel=2, args=f"--stamps {stamps} --sleep 0.3"))
    view = wait_hpo(engine, "rnd")
    assert view["state"] == "FINISHED" and view["algorithm"] == "Random"
    assert (view["complete"], view["failed"], view["running"], view["progress"]) == (6, 0, 0, "6/6")
    exps = view["experiments"]
    assert [e["id"] for e in exps] == [0, 1, 2, 3, 4, 5]  # WMLA counts experiments from 0
    assert all(e["state"] == "FINISHED" and e["appId"] == e["execId"] for e in exps)  # appId: the exec id
    best = min(exps, key=lambda e: e["metricVal"])
    assert view["best"]["id"] == best["id"]
    loss = next(m for m in best["metrics"] if m["name"] == "loss")
    assert loss["min"] == loss["latest"] == best["metricVal"] and loss["max"] == pytest.approx(loss["min"] + 1)
    assert best["maxiteration"] == 2
    runs = read_stamps(stamps)
    assert len(runs) == 6
    assert max_overlap([(r["start"], r["end"]) for r in runs]) <= 2
    by_exp = {int(r["exp"]): r for r in runs}
    for exp in exps:  # config.json holds exactly the experiment's values, in its own copy of the code
        assert by_exp[exp["id"]]["cfg"] == values(exp) and set(values(exp)) == {"x", "y"}
        assert all(-3 <= v <= 3 for v in values(exp).values())
        assert exp["hyperParams"][0]["type"] == "fix" and exp["hyperParams"][0]["dataType"] == "double"
    assert len({r["cwd"] for r in runs}) == 6
    assert view["input"]["algoDef"]["objective"] == "minimize" and view["objective"] == "minimize"
    # each experiment is an ordinary engine task
    task = engine.execs.get_task(ADMIN, exps[0]["execId"])
    assert task["state"] == "FINISHED" and task["appName"] == "rnd-0"


@pytest.mark.slow
def test_experiments_never_exceed_max_parallel_and_the_gap_is_small(engine, model, stamps):
    create(engine, model, body("par", jobs=5, parallel=1, args=f"--stamps {stamps} --sleep 0.2"))
    view = wait_hpo(engine, "par")
    runs = sorted(read_stamps(stamps), key=lambda r: r["start"])
    assert len(runs) == 5 and max_overlap([(r["start"], r["end"]) for r in runs]) == 1
    gaps = [b["start"] - a["end"] for a, b in itertools.pairwise(runs)]
    assert max(gaps) < 2.0, gaps  # woken by the task's end, not a slow poll
    assert view["progress"] == "5/5"


@pytest.mark.slow
def test_grid_search_runs_exactly_the_experiments_in_order_numbered_from_0(engine, model, stamps):
    grid = [
        {
            "id": 10,
            "hyperParams": [
                {"name": "x", "dataType": "double", "fixedVal": "1.5"},
                {"name": "y", "dataType": "int", "fixedVal": "-2"},
                {"name": "opt", "dataType": "str", "fixedVal": "adam"},
            ],
        },
        {
            "id": 20,
            "hyperParams": [
                {"name": "x", "dataType": "double", "fixedVal": "0.5"},
                {"name": "y", "dataType": "int", "fixedVal": "1"},
            ],
        },
        {
            "id": 30,
            "hyperParams": [
                {"name": "x", "dataType": "double", "fixedVal": "1"},
                {"name": "y", "dataType": "int", "fixedVal": "-2"},
            ],
        },
    ]
    data = body("grid", "ExperimentGridSearch", jobs=-1, parallel=1, params={}, args=f"--stamps {stamps}")
    data["experiments"] = grid
    create(engine, model, data)
    view = wait_hpo(engine, "grid")
    assert view["state"] == "FINISHED" and view["progress"] == "3/3"
    assert [e["id"] for e in view["experiments"]] == [0, 1, 2]  # WMLA numbers a grid's from 0 too
    assert [values(e) for e in view["experiments"]] == [
        {"x": 1.5, "y": -2, "opt": "adam"},
        {"x": 0.5, "y": 1},
        {"x": 1.0, "y": -2},
    ]
    runs = sorted(read_stamps(stamps), key=lambda r: r["start"])
    assert [int(r["exp"]) for r in runs] == [0, 1, 2] and runs[0]["cfg"]["opt"] == "adam"
    assert view["best"]["id"] == 2


@pytest.mark.slow
def test_failed_and_metricless_experiments_are_failed_and_rank_last(engine, model):
    hyper = [
        {"name": "x", "type": "Discrete", "dataType": "double", "discreteDbVal": [0.0, 2.0]},
        {"name": "y", "type": "Discrete", "dataType": "int", "discreteIntVal": [-2]},
    ]
    create(engine, model, body("mixed", jobs=6, parallel=3, hyper=hyper, args="--fail-above 1"))
    view = wait_hpo(engine, "mixed")
    assert view["state"] == "FINISHED"
    states = Counter(e["state"] for e in view["experiments"])
    assert states["FINISHED"] + states["FAILED"] == 6 and states["FINISHED"] >= 1
    assert view["complete"] == 6 and view["failed"] == states["FAILED"]  # complete: succeeded and failed
    assert all(e["metricVal"] is None and e["reason"] for e in view["experiments"] if e["state"] == "FAILED")
    assert values(view["best"])["x"] == 0.0
    create(engine, model, body("nometric", jobs=2, parallel=2, args="--no-metric"))
    view = wait_hpo(engine, "nometric")
    assert view["state"] == "FAILED" and view["failed"] == 2 and view["best"] is None
    assert view["experiments"][0]["reason"] == "it reported no loss in val_dict_list.json (it has: other, acc)"
    assert "0 of 2" in view["reason"]


def test_max_run_time_is_a_deadline_in_the_database(engine, model):
    create(engine, model, body("late", jobs=-1, parallel=2, args="--sleep 30", maxRunTime=5))
    row = engine.store.one("SELECT * FROM hpo_tasks WHERE name = 'late'")
    assert 280 < row["deadline"] - row["create_time"] <= 300
    wait_for(
        lambda: (
            engine.hpo.get(ADMIN, "late")["running"] == 2
            and all(e["state"] == "RUNNING" for e in engine.hpo.get(ADMIN, "late")["experiments"])
        )
    )
    engine.store.run("UPDATE hpo_tasks SET deadline = 0 WHERE name = 'late'")  # time flies
    view = wait_hpo(engine, "late")
    assert view["state"] == "FAILED" and "maxRunTime of 5 minute(s) reached" in view["reason"]
    view = wait_for(lambda: (v := engine.hpo.get(ADMIN, "late"))["running"] == 0 and v)
    assert [e["state"] for e in view["experiments"]] == ["KILLED", "KILLED"] and view["progress"] == "0/-"


@pytest.mark.slow
def test_stop_lets_running_experiments_finish_and_restart_resumes(engine, model):
    create(engine, model, body("st", jobs=4, parallel=1, args="--sleep 0.6"))
    # really running, not just submitted: a stop cancels experiments that have not started
    wait_for(lambda: [e["state"] for e in engine.hpo.get(ADMIN, "st")["experiments"]] == ["RUNNING"])
    engine.hpo.stop(ADMIN, "st")
    view = engine.hpo.get(ADMIN, "st")
    assert view["state"] == "STOPPED" and "stopped by admin" in view["reason"]
    with pytest.raises(EngineError) as err:
        engine.hpo.stop(ADMIN, "st")
    assert err.value.status == 400 and "already STOPPED" in err.value.message
    view = wait_for(lambda: (v := engine.hpo.get(ADMIN, "st"))["running"] == 0 and v)
    assert view["state"] == "STOPPED" and [e["state"] for e in view["experiments"]] == ["FINISHED"]
    engine.hpo.restart(ADMIN, "st")
    view = wait_hpo(engine, "st")
    assert view["state"] == "FINISHED" and view["complete"] == 4
    assert [e["id"] for e in view["experiments"]] == [0, 1, 2, 3]
    with pytest.raises(EngineError) as err:
        engine.hpo.restart(ADMIN, "st")
    assert err.value.status == 400


def test_force_stop_kills_and_restart_reruns_the_killed_experiment(engine, model):
    create(engine, model, body("fs", jobs=3, parallel=2, args="--sleep 30"))
    wait_for(lambda: [e["state"] for e in engine.hpo.get(ADMIN, "fs")["experiments"]] == ["RUNNING", "RUNNING"])
    before = {e["id"]: values(e) for e in engine.hpo.get(ADMIN, "fs")["experiments"]}
    engine.hpo.stop(ADMIN, "fs", force=True)
    view = wait_for(lambda: (v := engine.hpo.get(ADMIN, "fs"))["running"] == 0 and v, timeout=10)
    assert view["state"] == "STOPPED" and [e["state"] for e in view["experiments"]] == ["KILLED", "KILLED"]
    old_tasks = {e["execId"] for e in view["experiments"]}
    assert {engine.execs.get_task(ADMIN, t)["state"] for t in old_tasks} == {"KILLED"}
    engine.hpo.restart(ADMIN, "fs")
    view = engine.hpo.get(ADMIN, "fs")
    assert view["state"] == "RUNNING" and {e["execId"] for e in view["experiments"]}.isdisjoint(old_tasks)
    assert {e["id"]: values(e) for e in view["experiments"]} == before  # the same experiments run again
    engine.hpo.stop(ADMIN, "fs", force=True)
    wait_for(lambda: engine.hpo.get(ADMIN, "fs")["running"] == 0, timeout=10)


@pytest.mark.slow
def test_engine_restart_mid_search_loses_and_repeats_nothing(make_engine, model, stamps):
    engine = make_engine(slots=4, grace_seconds=2.0)
    create(engine, model, body("rs", jobs=6, parallel=2, args=f"--stamps {stamps} --sleep 0.8"))
    wait_for(lambda: engine.hpo.get(ADMIN, "rs")["running"] == 2 and engine.hpo.get(ADMIN, "rs")["complete"] >= 1)
    engine.shutdown()  # running experiments keep running
    engine = make_engine(slots=4, grace_seconds=2.0)
    view = wait_hpo(engine, "rs")
    assert view["state"] == "FINISHED" and (view["complete"], view["failed"]) == (6, 0)
    assert [e["id"] for e in view["experiments"]] == [0, 1, 2, 3, 4, 5]
    assert "search resumed from the saved state" in Path(view["searchLog"]).read_text()
    runs = read_stamps(stamps)
    assert sorted(int(r["exp"]) for r in runs) == [0, 1, 2, 3, 4, 5]
    # Random with a seed: the same six points as one uninterrupted run would draw
    from dlicli.engine.hpo.algorithms.base import make_optimizer
    from dlicli.engine.hpo.algorithms.space import canonical_hyper_parameters
    from tests.engine_hposvc.conftest import XY

    fresh = make_optimizer(
        "Random",
        "rs",
        canonical_hyper_parameters(XY),
        RandomSeed="7",
        objective="minimize",
        objectiveMetric="loss",
        maxJobNum="6",
    ).search(6, [])
    assert [values(e) for e in view["experiments"]] == fresh


@pytest.mark.slow
def test_hyperband_resources_follow_the_bracket_table(engine, model):
    params = {"ResourceName": "epochs", "ResourceValue": 27, "eta": 3, "RandomSeed": 3}
    create(engine, model, body("hb", "Hyperband", jobs=-1, parallel=4, params=params))
    view = wait_hpo(engine, "hb", timeout=120)
    assert view["state"] == "FINISHED" and view["progress"] == "69/-"
    exps = view["experiments"]
    table = [(27, 1), (9, 3), (3, 9), (1, 27), (12, 3), (4, 9), (1, 27), (6, 9), (2, 27), (4, 27)]
    expected = [r for n, r in table for _ in range(n)]
    assert [values(e)["epochs"] for e in exps] == expected
    assert all(isinstance(values(e)["epochs"], int) for e in exps)
    # each rung re-runs the best 1/eta of the one before it, with the larger resource
    start = 0
    rungs = []
    for n, _ in table:
        rungs.append(exps[start : start + n])
        start += n
    for lower, upper in ((0, 1), (1, 2), (2, 3), (4, 5), (5, 6), (7, 8)):
        ranked = sorted(rungs[lower], key=lambda e: e["metricVal"])
        best = [{k: v for k, v in values(e).items() if k != "epochs"} for e in ranked[: len(rungs[upper])]]
        promoted = [{k: v for k, v in values(e).items() if k != "epochs"} for e in rungs[upper]]
        assert sorted(map(json.dumps, best)) == sorted(map(json.dumps, promoted))
    epochs = next(hp for hp in exps[0]["hyperParams"] if hp["name"] == "epochs")
    assert epochs["userDefined"] is False and epochs["dataType"] == "str"  # as IBM's recorded Hyperband output


@pytest.mark.parametrize(
    "algorithm, params", [("Tpe", {"RandomSeed": 1, "WarmUp": 3}), ("Bayesian", {"RandomSeed": 1, "InitPoints": 3})]
)
@pytest.mark.slow
def test_model_based_algorithms_run_through_the_engine(engine, model, algorithm, params):
    create(engine, model, body(algorithm.lower(), algorithm, jobs=6, parallel=2, params=params))
    view = wait_hpo(engine, algorithm.lower(), timeout=90)
    assert view["state"] == "FINISHED" and view["progress"] == "6/6" and view["complete"] == 6
    assert len({json.dumps(values(e), sort_keys=True) for e in view["experiments"]}) == 6
