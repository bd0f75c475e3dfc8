"""`dlicli hpo start` with an ASHA spec against the recording server: accepted and sent as WMLA expects."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.recorder import BASE

SPEC = {
    "hpoName": "asha-1",
    "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
    "algoDef": {
        "algorithm": "ASHA",
        "maxRunTime": 30,
        "maxParalleJob": 4,
        "objectiveMetric": "loss",
        "objective": "minimize",
        "hyperbandEta": 3,
        "algoParams": [
            {"name": "ResourceName", "value": "epochs"},
            {"name": "ResourceValue", "value": 27},
            {"name": "MinResourceValue", "value": 3},
            {"name": "RandomSeed", "value": 1},
        ],
    },
    "hyperParams": [
        {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": -4, "maxDbVal": -1, "power": "10"}
    ],
}


@pytest.fixture
def model(tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    (root / "main.py").write_text("print(1)\n")
    return root


def test_hpo_start_accepts_an_asha_spec(env_server, run, tmp_path, model):
    env_server.route("POST", "/hypersearch", body={"uid": "asha-1", "href": "/hypersearch/asha-1"})
    path = tmp_path / "asha.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    result = run("hpo", "start", str(path), "--model-dir", str(model))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "asha-1\n" and "warning" not in result.stderr
    req = env_server.last
    assert (req.method, req.path) == ("POST", BASE + "/hypersearch")
    algo = json.loads(req.multipart()["data"].data)["algoDef"]
    assert algo["algorithm"] == "ASHA" and algo["hyperbandEta"] == 3
    assert algo["algoParams"] == [
        {"name": "ResourceName", "value": "epochs"},
        {"name": "ResourceValue", "value": "27"},
        {"name": "MinResourceValue", "value": "3"},
        {"name": "RandomSeed", "value": "1"},
    ]


def refused(env_server, run, tmp_path, model, body) -> str:
    """`hpo start` of body: exit 2, nothing sent; the first line of stderr."""
    path = tmp_path / "asha.yaml"
    path.write_text(yaml.safe_dump(body))
    result = run("hpo", "start", str(path), "--model-dir", str(model))
    assert result.exit_code == 2 and env_server.requests == []
    return result.stderr.splitlines()[0].replace(str(path), "SPEC")


def test_hpo_start_refuses_an_asha_spec_that_never_ends(env_server, run, tmp_path, model):
    body = json.loads(json.dumps(SPEC))
    del body["algoDef"]["maxRunTime"]
    assert refused(env_server, run, tmp_path, model, body) == (
        "error: SPEC: algoDef: ASHA runs until maxJobNum or maxRunTime ends it: set one of them"
    )


def test_hpo_start_refuses_a_random_fraction_outside_0_1(env_server, run, tmp_path, model):
    body = json.loads(json.dumps(SPEC))
    body["algoDef"]["algoParams"].append({"name": "RandomFraction", "value": 1.5})
    assert refused(env_server, run, tmp_path, model, body) == (
        "error: SPEC: algoDef.algoParams[4].value: RandomFraction must be a fraction in [0, 1], not '1.5'"
    )
