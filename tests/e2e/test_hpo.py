"""Hyperparameter search end to end: the real CLI (`python -m dlicli hpo …`) against one real engine,
with every algorithm (Random, Tpe, Bayesian, Hyperband, ExperimentGridSearch, an uploaded plugin)
on a noisy quadratic that runs in a fraction of a second.

Each experiment leaves a stamp in its result dir (its id, start, end, config.json, loss; the tests
read them from the engine's task dirs: a sandboxed experiment writes nowhere else), so the tests check what really ran — how many, how many at once, with which values — and
compare it with what `hpo get`, `hpo best` and `hpo list` print.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import write_model
from tests.outcome import error_line
from tests.waiting import holds_for, wait_until

# Loss = (x-1)^2 + (y+2)^2 + noise (+ 1/epochs when Hyperband gives a resource); config.json holds the values.
QUADRATIC = """\
    import json, os, random, sys, time
    start = time.time()
    cfg = json.load(open("config.json"))
    time.sleep(SLEEP)
    loss = (float(cfg["x"]) - 1) ** 2 + (float(cfg["y"]) + 2) ** 2 + random.gauss(0, 0.01)
    if "epochs" in cfg:
        loss += 1.0 / cfg["epochs"]
    json.dump([{"steps": 1, "loss": loss}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
    line = json.dumps({"exp": int(os.environ["DLI_HPO_EXPERIMENT_ID"]), "start": start, "end": time.time(),
                       "cfg": cfg, "loss": loss, "tag": TAG})
    out = os.path.join(os.environ["RESULT_DIR"], "stamp.json")
    with open(out + ".tmp", "w") as f:
        f.write(line)
    os.replace(out + ".tmp", out)
"""

# A WMLA-style plugin: random search with numpy, WMLA's logger, any picklable state. It insists on
# WMLA's canonical spelling of the hyper-parameters (the spec below writes them in lower case).
NUMPY_RANDOM = """\
    import numpy as np
    from plugins.core.base_plugin_opt import BasePluginOptimizer
    from plugins.core.logger import logger


    class PluginOptimizer(BasePluginOptimizer):
        def __init__(self, name, hyper_parameters, **kwargs):
            super().__init__(name, hyper_parameters, **kwargs)
            for hp in hyper_parameters:
                if (hp["type"], hp["dataType"]) != ("Range", "DOUBLE"):
                    raise ValueError(f"not WMLA's spelling: {hp}")
            self.params = hyper_parameters
            self.rng = np.random.RandomState(int(kwargs["RandomSeed"]))
            logger.info("numpy random search over %s", [hp["name"] for hp in hyper_parameters])

        def search(self, number_samples, last_exp_results):
            logger.info("%d new result(s)", len(last_exp_results))
            return [{hp["name"]: float(self.rng.uniform(float(hp["minDbVal"]), float(hp["maxDbVal"])))
                     for hp in self.params} for _ in range(number_samples)]

        def get_state(self):
            return self.rng.get_state()

        def set_state(self, state):
            self.rng.set_state(state)
"""

XY = [
    {"name": "x", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
    {"name": "y", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
]
GRID = [
    {
        "id": 7,
        "hyperParams": [
            {"name": "x", "dataType": "double", "fixedVal": 2.5},
            {"name": "y", "dataType": "double", "fixedVal": 0},
        ],
    },
    {
        "id": 8,
        "hyperParams": [
            {"name": "x", "dataType": "double", "fixedVal": 1},
            {"name": "y", "dataType": "double", "fixedVal": -2},
        ],
    },
    {
        "id": 9,
        "hyperParams": [
            {"name": "x", "dataType": "double", "fixedVal": -1},
            {"name": "y", "dataType": "double", "fixedVal": 1.5},
        ],
    },
    {
        "id": 10,
        "hyperParams": [
            {"name": "x", "dataType": "double", "fixedVal": 0.5},
            {"name": "y", "dataType": "double", "fixedVal": -1},
        ],
    },
]
# Hyperband R=9, eta=3: brackets 9@1 → 3@3 → 1@9, then 5@3 → 1@9, then 3@9 (22 experiments), in id order.
HYPERBAND_EPOCHS = [1] * 9 + [3] * 3 + [9] + [3] * 5 + [9] + [9] * 3
PARALLEL = 2

# algorithm → (algoDef additions, hyperParams or None for a grid, experiments expected)
ALGORITHMS = {
    "Random": ({"maxJobNum": 6, "algoParams": [{"name": "RandomSeed", "value": "3"}]}, XY, 6),
    "Tpe": (
        {"maxJobNum": 5, "algoParams": [{"name": "RandomSeed", "value": "3"}, {"name": "WarmUp", "value": "3"}]},
        XY,
        5,
    ),
    "Bayesian": (
        {"maxJobNum": 5, "algoParams": [{"name": "RandomSeed", "value": "3"}, {"name": "InitPoints", "value": "3"}]},
        XY,
        5,
    ),
    "Hyperband": (
        {
            "algoParams": [
                {"name": "ResourceName", "value": "epochs"},
                {"name": "ResourceValue", "value": "9"},
                {"name": "eta", "value": "3"},
                {"name": "RandomSeed", "value": "3"},
            ]
        },
        XY,
        len(HYPERBAND_EPOCHS),
    ),
    "ExperimentGridSearch": ({}, None, len(GRID)),
    "numpyrand": (
        {"maxJobNum": 6, "algoParams": [{"name": "RandomSeed", "value": "5"}]},
        [{**hp, "type": "range", "dataType": "double"} for hp in XY],
        6,
    ),
}


def model(tmp_path: Path, cli, sleep: float = 0.0) -> tuple[Path, tuple[Path, str]]:
    """The model dir (named `model`) and where its experiments' stamps are: (the data dir, their tag)."""
    tag = str(tmp_path)
    write_model(tmp_path / "model", QUADRATIC.replace("SLEEP", repr(sleep)).replace("TAG", repr(tag)))
    return tmp_path / "model", (cli.data, tag)


def spec(name: str, algorithm: str, algo: dict, hyper: list | None, *, parallel: int = PARALLEL) -> dict:
    body = {
        "hpoName": name,
        "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
        "algoDef": {
            "algorithm": algorithm,
            "objectiveMetric": "loss",
            "objective": "minimize",
            "maxParalleJob": parallel,
            **algo,
        },
    }
    if hyper is None:
        body["experiments"] = GRID
    else:
        body["hyperParams"] = hyper
    return body


def write_spec(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / f"{body['hpoName']}.json"
    path.write_text(json.dumps(body))
    return path


def read_stamps(stamps: tuple[Path, str]) -> list[dict]:
    data, tag = stamps
    found = [json.loads(path.read_text()) for path in data.glob("tasks/*/result/stamp.json")]
    return sorted((stamp for stamp in found if stamp["tag"] == tag), key=lambda stamp: stamp["start"])


def max_overlap(runs: list[dict]) -> int:
    """The most experiments running at one time (an end before a start at the same instant)."""
    events = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    most = now = 0
    for _, delta in events:
        now += delta
        most = max(most, now)
    return most


def values(exp: dict) -> dict:
    return {hp["name"]: hp["value"] for hp in exp["hyperParams"]}


def xy(exp: dict) -> tuple[float, float]:
    v = values(exp)
    return v["x"], v["y"]


def check_hyperband(exps: list[dict]) -> None:
    """Resources follow the bracket table; each rung goes on with the best 1/eta of the one before."""
    assert [values(e)["epochs"] for e in exps] == HYPERBAND_EPOCHS

    def top(rung: list[dict], k: int) -> set:
        return {xy(e) for e in sorted(rung, key=lambda e: e["metricVal"])[:k]}

    assert {xy(e) for e in exps[9:12]} == top(exps[0:9], 3)
    assert {xy(exps[12])} == top(exps[9:12], 1)
    assert {xy(exps[18])} == top(exps[13:18], 1)
    assert len({xy(e) for e in exps[0:9]}) == 9 and not {xy(e) for e in exps[19:22]} & {xy(e) for e in exps[:19]}


@pytest.fixture(scope="module")
def plugin(engine_cli, tmp_path_factory):
    """numpyrand, installed by upload (`hpo algorithm install NAME --dir DIR`)."""
    folder = tmp_path_factory.mktemp("plugin") / "numpyrand"
    write_model(folder, NUMPY_RANDOM, name="optimizer.py")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    assert engine_cli.ok("hpo", "algorithm", "install", "numpyrand", "--dir", str(folder)).stdout == "numpyrand\n"
    return "numpyrand"


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_every_algorithm_searches_within_its_limits(cli, tmp_path, plugin, algorithm):
    algo, hyper, count = ALGORITHMS[algorithm]
    name = f"q-{algorithm.lower()}"
    model_dir, stamps = model(tmp_path, cli)
    path = write_spec(tmp_path, spec(name, algorithm, algo, hyper))

    started = cli("hpo", "start", str(path), "--model-dir", str(model_dir), "--wait", timeout=90)
    assert started.returncode == 0, started.stderr
    assert started.stdout == f"{name}\n" and f"{name}: FINISHED ({count}/" in started.stderr

    task = cli.json("hpo", "get", name)
    exps = task["experiments"]
    assert (task["state"], task["algorithm"], task["complete"], task["failed"], task["running"]) == (
        "FINISHED",
        algorithm,
        count,
        0,
        0,
    )
    assert len(exps) == count and all(e["state"] == "FINISHED" for e in exps)
    assert task["progress"] == (f"{count}/{count}" if "maxJobNum" in algo or hyper is None else f"{count}/-")

    runs = read_stamps(stamps)
    assert len(runs) == count and max_overlap(runs) <= PARALLEL
    by_id = {r["exp"]: r for r in runs}
    assert sorted(by_id) == sorted(e["id"] for e in exps)
    for exp in exps:  # config.json held exactly the experiment's values; metricVal is what the script wrote
        assert by_id[exp["id"]]["cfg"] == values(exp)
        assert exp["metricVal"] == pytest.approx(by_id[exp["id"]]["loss"])
        assert all(-3 <= values(exp)[k] <= 3 for k in "xy")

    best = min(exps, key=lambda e: e["metricVal"])
    assert task["best"]["id"] == best["id"]
    printed = cli.ok("hpo", "best", name)
    assert json.loads(printed.stdout) == values(best) and printed.stderr == ""
    expected_keys = {"x", "y", "epochs"} if algorithm == "Hyperband" else {"x", "y"}
    assert set(json.loads(printed.stdout)) == expected_keys

    if algorithm == "Hyperband":
        check_hyperband(exps)
    if algorithm == "ExperimentGridSearch":  # exactly the given experiments, started in order, numbered from 0
        assert [e["id"] for e in exps] == list(range(len(GRID)))
        assert [values(e) for e in exps] == [{hp["name"]: hp["fixedVal"] for hp in g["hyperParams"]} for g in GRID]
        assert [r["exp"] for r in sorted(runs, key=lambda r: r["start"])][:2] in ([0, 1], [1, 0])
        assert json.loads(printed.stdout) == {"x": 1, "y": -2}

    if algorithm == "numpyrand":  # WMLA's logger reaches the search log
        assert "numpy random search over ['x', 'y']" in Path(task["searchLog"]).read_text()

    table = cli.ok("hpo", "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in table if line.startswith(name + "\t")] == [
        [name, "FINISHED", task["progress"]]
    ]


def test_the_uploaded_plugin_is_listed_and_installed_without_its_pycache(cli, plugin):
    algos = {a["name"]: a for a in cli.json("hpo", "algorithm", "list")}
    assert algos["numpyrand"]["type"] == "USER_PLUGIN" and algos["Tpe"]["type"] == "BUILD_IN"
    got = cli.json("hpo", "algorithm", "get", "numpyrand")
    assert got["name"] == "numpyrand" and got["type"] == "USER_PLUGIN"
    installed = Path(got["path"])
    assert (installed / "optimizer.py").is_file() and not (installed / "__pycache__" / "junk.pyc").exists()


def test_an_invalid_spec_exits_2_and_the_engine_gets_no_task(cli, tmp_path):
    model_dir, _ = model(tmp_path, cli)
    before = cli.json("hpo", "list")
    bad = spec("bad", "Random", {"maxJobNum": 4}, [XY[0], {**XY[1], "maxDbVal": -5}])
    result = cli("hpo", "start", str(write_spec(tmp_path, bad)), "--model-dir", str(model_dir), "--wait")
    assert result.returncode == 2 and result.stdout == ""
    assert "hyperParams[1].maxDbVal" in result.stderr and result.stderr.startswith("error: ")
    unknown = spec("bad2", "NoSuchAlgo", {"maxJobNum": 4}, XY)
    result = cli("hpo", "start", str(write_spec(tmp_path, unknown)), "--model-dir", str(model_dir))
    assert result.returncode == 2 and "algoDef.algorithm" in result.stderr
    assert cli.json("hpo", "list") == before
    error_line(cli("hpo", "get", "bad"), 3, "bad")


def test_stop_then_restart_resumes_the_search_then_delete(cli, tmp_path):
    model_dir, stamps = model(tmp_path, cli, sleep=0.8)
    name, jobs = "q-long", 10
    path = write_spec(tmp_path, spec(name, "Random", {"maxJobNum": jobs}, XY))
    assert cli.ok("hpo", "start", str(path), "--model-dir", str(model_dir)).stdout == f"{name}\n"
    wait_until(lambda: read_stamps(stamps), 30, 0.1, "one experiment done, more to come")
    cli.ok("hpo", "stop", name)
    # STOPPED at once; experiments already running finish on their own
    task = wait_until(
        lambda: cli.json("hpo", "get", name),
        30,
        0.2,
        f"{name} STOPPED with nothing running",
        until=lambda task: task["state"] == "STOPPED" and not task["running"],
    )
    stopped_at = time.time()  # from here on nothing may start (one launched just before the stop may start late)
    done = task["complete"]
    assert 1 <= done < jobs and task["running"] == 0
    again = cli("hpo", "stop", name)  # the API answers 400 on a stopped task
    assert again.returncode != 0 and "already" in again.stderr
    holds_for(lambda: cli.json("hpo", "get", name)["complete"] == done, 1.0, what="a stopped search starts nothing")
    restarted_at = time.time()
    assert not [r for r in read_stamps(stamps) if stopped_at < r["start"] < restarted_at]

    cli.ok("hpo", "restart", name)
    waited = cli("hpo", "wait", name, "--timeout", "60", timeout=90)
    assert waited.returncode == 0, waited.stderr
    task = cli.json("hpo", "get", name)
    assert (task["state"], task["complete"], task["progress"]) == ("FINISHED", jobs, f"{jobs}/{jobs}")
    assert [e["id"] for e in task["experiments"]] == list(range(jobs))
    runs = read_stamps(stamps)
    assert sorted(r["exp"] for r in runs) == list(range(jobs)) and max_overlap(runs) <= PARALLEL
    assert len([r for r in runs if r["start"] > restarted_at]) == jobs - done

    deleted = cli("hpo", "delete", name)
    assert deleted.returncode == 0, deleted.stderr
    error_line(cli("hpo", "get", name), 3, name)
    assert name not in {t["hpoName"] for t in cli.json("hpo", "list")}


def test_an_engine_restart_mid_search_loses_and_repeats_nothing(new_cli, tmp_path):
    cli = new_cli("restart")
    cli.ok("server", "start", "--port", "0", "--slots", "2")
    model_dir, stamps = model(tmp_path, cli, sleep=0.8)
    path = write_spec(tmp_path, spec("q-resume", "Random", {"maxJobNum": 6}, XY))
    cli.ok("hpo", "start", str(path), "--model-dir", str(model_dir))
    wait_until(
        lambda: cli.json("hpo", "get", "q-resume"), 30, 0.1, "an experiment to start", until=lambda t: t["running"]
    )
    old = cli.engine()["pid"]
    cli.ok("server", "stop")
    cli.ok("server", "start", "--port", "0", "--slots", "2")
    assert cli.engine()["pid"] != old

    waited = cli("hpo", "wait", "q-resume", "--timeout", "60", timeout=90)
    assert waited.returncode == 0, waited.stderr
    task = cli.json("hpo", "get", "q-resume")
    assert (task["state"], task["complete"], task["failed"]) == ("FINISHED", 6, 0)
    assert [e["id"] for e in task["experiments"]] == [0, 1, 2, 3, 4, 5]
    runs = read_stamps(stamps)  # each experiment ran exactly once, across the restart
    assert sorted(r["exp"] for r in runs) == [0, 1, 2, 3, 4, 5] and max_overlap(runs) <= PARALLEL
