"""`dlicli hpo start` with bodies in the shape of IBM's WMLA HPO notebooks (WMLA-HPO-state.ipynb,
WMLA-HPO-Custom-Experiment.ipynb, the learning path's Random one): `modelSpec.sigName`, every
hyperParams field present with 0, 0.0 or [] where it does not apply, a grid carrying Hyperband's
algoParams and experiments of unequal size. They start without a warning and are sent as written;
a value that would really be ignored still warns. And `hpo report` reads IBM's STRING as str.
Against the recording server."""

from __future__ import annotations

import copy
import json

import pytest

from tests.hpo_report_data import FIXED, SPACE, engine_task
from tests.recorder import BASE

ARGS = "--exec-start tensorflow --python-version 2.7 --gpuPerWorker 1 --model-main main.py --model-dir m"


def template_param(name: str, dtype: str, **given) -> dict:
    """One hyperParams entry as IBM's template writes it: every field, the unused ones empty."""
    param = {
        "name": name,
        "type": "Range",
        "dataType": dtype,
        "minDbVal": 0.0,
        "maxDbVal": 0.0,
        "minIntVal": 0,
        "maxIntVal": 0,
        "discreteDbVal": [],
        "discreteIntVal": [],
        "discreateStrVal": [],
    }
    param.update(given)
    return param


def algo(algorithm: str, **extra) -> dict:
    return {
        "algorithm": algorithm,
        "maxRunTime": -1,
        "maxJobNum": 4,
        "maxParalleJobNum": 2,
        "objectiveMetric": "loss",
        "objective": "minimize",
        **extra,
    }


RESOURCE = [{"name": "ResourceName", "value": "epochs"}, {"name": "ResourceValue", "value": "27"}]
HYPERBAND = {
    "modelSpec": {"sigName": "sig0", "args": ARGS},
    "algoDef": algo("Hyperband", hyperbandEta=3.0, algoParams=RESOURCE),
    "hyperParams": [template_param("learning_rate", "DOUBLE", minDbVal=0.001, maxDbVal=0.1, step="0.002")],
}
RANDOM = {
    "modelSpec": {"sigName": "my-ig", "args": ARGS},
    "algoDef": algo("Random"),
    "hyperParams": [
        template_param("learning_rate", "DOUBLE", minDbVal=0.0001, maxDbVal=0.1),
        template_param("num_hidden_layers", "INT", minIntVal=25, maxIntVal=200),
    ],
}
GRID = {
    "modelSpec": {"sigName": "sig0", "args": ARGS},
    "algoDef": algo("ExperimentGridSearch", hyperbandEta=3.0, algoParams=RESOURCE),
    "experiments": [
        {
            "id": 1,
            "hyperParams": [
                {"name": "learning_rate", "dataType": "DOUBLE", "fixedVal": "0.1"},
                {"name": "optimizer", "dataType": "STRING", "fixedVal": "Adam"},
                {"name": "beta1", "dataType": "DOUBLE", "fixedVal": "0.7"},
            ],
        },
        {"id": 2, "hyperParams": [{"name": "learning_rate", "dataType": "DOUBLE", "fixedVal": "0.2"}]},
    ],
}


@pytest.fixture
def model(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.py").write_text("print(1)\n")
    return tmp_path / "m"


def start(server, run, tmp_path, model, body: dict):
    server.route("POST", "/hypersearch", body={"uid": "s-1", "href": "/hypersearch/s-1"})
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(body))
    result = run("hpo", "start", str(path), "--model-dir", str(model))
    assert result.exit_code == 0, result.stderr
    return result


def sent(server) -> dict:
    req = server.last
    assert (req.method, req.path) == ("POST", BASE + "/hypersearch")
    return json.loads(req.multipart()["data"].data)


@pytest.mark.parametrize("body", [HYPERBAND, RANDOM, GRID], ids=["hyperband", "random", "grid"])
def test_ibm_template_bodies_start_without_a_warning_and_go_as_written(env_server, run, tmp_path, model, body):
    result = start(env_server, run, tmp_path, model, body)
    assert "warning" not in result.stderr, result.stderr
    data = sent(env_server)
    assert data["modelSpec"]["sigName"] == body["modelSpec"]["sigName"]
    assert data.get("hyperParams") == body.get("hyperParams")
    assert data.get("experiments") == body.get("experiments")
    assert data["algoDef"].get("algoParams") == body["algoDef"].get("algoParams")


def test_a_field_that_does_not_apply_still_warns_when_it_holds_a_value(env_server, run, tmp_path, model):
    body = copy.deepcopy(HYPERBAND)
    body["hyperParams"][0].update(minIntVal=5, discreteDbVal=[0.01, 0.02], discreateStrVal=[])
    result = start(env_server, run, tmp_path, model, body)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: hyperParams[0].minIntVal: ignored for a Range of double",
        "warning: hyperParams[0].discreteDbVal: ignored for a Range of double",
    ]


@pytest.mark.parametrize(
    "algorithm, params, warning",
    [
        (
            "ExperimentGridSearch",
            [{"name": "Foo", "value": "1"}],
            "warning: algoDef.algoParams[0].name: 'Foo' is not an ExperimentGridSearch parameter (known: none); "
            "sent anyway",
        ),
        (
            "Random",
            RESOURCE[:1],
            "warning: algoDef.algoParams[0].name: 'ResourceName' is not a Random parameter "
            "(known: RandomSeed; Hyperband takes it); sent anyway",
        ),
    ],
    ids=["grid-unknown", "random-hyperbands"],
)
def test_an_algo_param_the_algorithm_does_not_take_is_named_with_its_owner(
    env_server, run, tmp_path, model, algorithm, params, warning
):
    body = copy.deepcopy(GRID if algorithm == "ExperimentGridSearch" else RANDOM)
    body["algoDef"]["algoParams"] = params
    result = start(env_server, run, tmp_path, model, body)
    assert [line for line in result.stderr.splitlines() if line.startswith("warning:")] == [warning]


def test_hpo_report_reads_ibms_capital_data_types_as_the_specs(env_server, run):
    capitals = [dict(p, dataType={"double": "DOUBLE", "int": "INT", "str": "STRING"}[p["dataType"]]) for p in SPACE]
    env_server.route("GET", "/hypersearch/a", body=engine_task("a", FIXED))
    env_server.route("GET", "/hypersearch/b", body=engine_task("b", FIXED, space=capitals))
    result = run("hpo", "report", "a", "b", "--json")
    assert result.exit_code == 0, result.stderr
    assert [s["hpoName"] for s in json.loads(result.stdout)["searches"]] == ["a", "b"]
