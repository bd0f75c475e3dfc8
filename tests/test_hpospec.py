"""HPO spec files: every invalid spec exits 2 with one `error:` summary naming the field paths and
sends nothing; valid ones become the body as WMLA expects it (spellings both ways)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from dlicli import hpospec

BASE = {
    "hpoName": "h1",
    "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
    "algoDef": {"algorithm": "Random", "maxJobNum": 4, "objectiveMetric": "loss", "objective": "minimize"},
    "hyperParams": [
        {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": 0.1, "maxDbVal": 1.0},
        {"name": "units", "type": "Discrete", "dataType": "int", "discreteIntVal": [16, 32]},
    ],
}


def spec(**changes):
    """BASE with dotted-path changes: spec(**{"algoDef.objective": None}) deletes that key."""
    body = copy.deepcopy(BASE)
    for path, value in changes.items():
        obj = body
        parts = path.split(".")
        for part in parts[:-1]:
            obj = obj[int(part)] if isinstance(obj, list) else obj[part]
        last = int(parts[-1]) if isinstance(obj, list) else parts[-1]
        if value is None:
            del obj[last]
        else:
            obj[last] = value
    return body


@pytest.fixture
def model(tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    (root / "main.py").write_text("print(1)\n")
    return root


def start(run, tmp_path, model, body, name="spec.yaml", *extra):
    path = tmp_path / name
    path.write_text(json.dumps(body) if name.endswith(".json") else yaml.safe_dump(body))
    return run("hpo", "start", str(path), "--model-dir", str(model), *extra)


CASES = [
    (spec(**{"hyperParams.0.maxDbVal": 0.1}), ["hyperParams[0].maxDbVal: must be greater than minDbVal (0.1)"]),
    (spec(**{"hyperParams.0.minDbVal": None}), ["hyperParams[0].minDbVal: required for a Range of double"]),
    (spec(**{"hyperParams.0.minDbVal": "abc"}), ["hyperParams[0].minDbVal: must be a number, not 'abc'"]),
    (
        spec(**{"hyperParams.1": {"name": "n", "type": "Range", "dataType": "int", "minIntVal": 1.5, "maxIntVal": 1}}),
        ["hyperParams[1].minIntVal: must be an integer, not 1.5"],
    ),
    (
        spec(**{"hyperParams.1": {"name": "n", "type": "range", "dataType": "INT", "minIntVal": 4, "maxIntVal": 2}}),
        ["hyperParams[1].maxIntVal: must be greater than minIntVal (4)"],
    ),
    (spec(**{"hyperParams.1.discreteIntVal": []}), ["hyperParams[1].discreteIntVal: must be a non-empty list, not []"]),
    (
        spec(**{"hyperParams.1.discreteIntVal": [1, "x"]}),
        ["hyperParams[1].discreteIntVal[1]: must be an integer, not 'x'"],
    ),
    (
        spec(**{"hyperParams.1": {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["a", 1]}}),
        ["hyperParams[1].discreteStrVal[1]: must be a string, not 1 (quote it)"],
    ),
    (spec(**{"hyperParams.1.type": "Fix"}), ["hyperParams[1].type: must be Range or Discrete, not 'Fix'"]),
    (spec(**{"hyperParams.1.dataType": "float"}), ["hyperParams[1].dataType: must be int, double or str, not 'float'"]),
    (spec(**{"hyperParams.1.name": "lr"}), ["hyperParams[1].name: 'lr' is already hyperParams[0]"]),
    (
        spec(**{"hyperParams.0.step": "-1"}),
        ["hyperParams[0].step: must be a number (as a string) greater than 0, not '-1'"],
    ),
    (
        spec(**{"hyperParams.0.power": "x"}),
        ["hyperParams[0].power: must be a number (as a string) greater than 0 and not 1, not 'x'"],
    ),
    (
        spec(**{"hyperParams.0.dataType": "str"}),
        ["hyperParams[0].dataType: a Range is int or double; use Discrete with discreateStrVal for strings"],
    ),
    (spec(hyperParams=None), ["hyperParams: required: the parameters to search"]),
    (
        spec(**{"algoDef.algorithm": None}),
        [
            "algoDef.algorithm: required: Random, Bayesian, Tpe, Hyperband, ASHA, ExperimentGridSearch or an installed "
            "plugin's name"
        ],
    ),
    (spec(**{"algoDef.objective": None}), ["algoDef.objective: required: minimize or maximize"]),
    (spec(**{"algoDef.objective": "lowest"}), ["algoDef.objective: must be minimize or maximize, not 'lowest'"]),
    (
        spec(**{"algoDef.objectiveMetric": None}),
        ["algoDef.objectiveMetric: required: the metric to optimise, as named in val_dict_list.json"],
    ),
    (spec(**{"algoDef.maxJobNum": 0}), ["algoDef.maxJobNum: must be -1 (unlimited) or an integer ≥ 1, not 0"]),
    (
        spec(**{"algoDef.maxParalleJob": 2, "algoDef.maxParalleJobNum": 3}),
        ["algoDef.maxParalleJobNum: contradicts maxParalleJob (2); give one of them"],
    ),
    (spec(**{"algoDef.algoParams": {"RandomSeed": 1}}), ["algoDef.algoParams: must be a list of {name, value}"]),
    (
        spec(**{"algoDef.algoParams": [{"name": "RandomSeed", "value": "-3"}]}),
        ["algoDef.algoParams[0].value: RandomSeed must be an integer ≥ 0, not '-3'"],
    ),
    (
        spec(**{"algoDef.algoParams": [{"name": "RandomSeed", "value": "1"}, {"name": "randomseed", "value": "2"}]}),
        ["algoDef.algoParams[1].name: 'randomseed' is already algoParams[0]"],
    ),
    (
        spec(**{"algoDef.algorithm": "Hyperband"}),
        [
            "algoDef.algoParams: Hyperband needs ResourceName (the config.json key it sets, e.g. epochs)",
            "algoDef.algoParams: Hyperband needs ResourceValue (the largest resource, an integer > 0)",
        ],
    ),
    (
        spec(
            **{
                "algoDef.algorithm": "Hyperband",
                "algoDef.algoParams": [
                    {"name": "ResourceName", "value": "epochs"},
                    {"name": "ResourceValue", "value": "0"},
                    {"name": "eta", "value": "1"},
                ],
            }
        ),
        [
            "algoDef.algoParams[1].value: ResourceValue must be an integer greater than 0, not '0'",
            "algoDef.algoParams[2].value: eta must be a number greater than 1, not '1'",
        ],
    ),
    (
        spec(**{"algoDef.algorithm": "Tpe", "algoDef.algoParams": [{"name": "WarmUp", "value": "2"}]}),
        ["algoDef.algoParams[0].value: WarmUp must be an integer greater than 2, not '2'"],
    ),
    (
        spec(**{"algoDef.algorithm": "ExperimentGridSearch"}),
        [
            "hyperParams: ExperimentGridSearch runs the given experiments; remove hyperParams",
            "experiments: required for ExperimentGridSearch: the experiments to run",
        ],
    ),
    (
        spec(experiments=[{"id": 1, "hyperParams": [{"name": "lr", "dataType": "double", "fixedVal": 0.1}]}]),
        ["experiments: only ExperimentGridSearch runs experiments; Random searches hyperParams"],
    ),
    (
        spec(
            hyperParams=None,
            experiments=[
                {"id": 1, "hyperParams": [{"name": "lr", "dataType": "double", "fixedVal": "fast"}]},
                {"id": 1, "hyperParams": []},
            ],
            **{"algoDef.algorithm": "ExperimentGridSearch"},
        ),
        [
            "experiments[0].hyperParams[0].fixedVal: must be a number, not 'fast'",
            "experiments[1].id: 1 is already experiments[0]'s id",
            "experiments[1].hyperParams: required: a non-empty list of {name, dataType, fixedVal}",
        ],
    ),
    (
        spec(modelSpec={"args": "--exec-start python --numWorker x --model-main main.py --model-dir model"}),
        ["modelSpec.args: option --numWorker must be a whole number, not 'x'"],  # the engine's words
    ),
    (
        spec(modelSpec={"args": "--exec-start python --model-main main.py --model-dir model --gpuPerWorker"}),
        ["modelSpec.args: option --gpuPerWorker needs a value"],
    ),
    (
        spec(**{"modelSpec.dataSource": "fs"}),
        ["modelSpec.dataSource: must be a list of data source objects ({type, location, …})"],
    ),
    (spec(algoDef=None), ["algoDef: required: algorithm, objectiveMetric, objective …"]),
    (
        spec(**{"algoDef.algorithm": "asha", "algoDef.maxJobNum": -1}),
        [
            "algoDef.algoParams: ASHA needs ResourceName (the config.json key it sets, e.g. epochs)",
            "algoDef.algoParams: ASHA needs ResourceValue (the largest resource, an integer > 0)",
            "algoDef: ASHA runs until maxJobNum or maxRunTime ends it: set one of them",
        ],
    ),
    (
        spec(
            **{
                "algoDef.algorithm": "ASHA",
                "algoDef.algoParams": [
                    {"name": "ResourceName", "value": "epochs"},
                    {"name": "ResourceValue", "value": "27"},
                    {"name": "MinResourceValue", "value": "0"},
                ],
            }
        ),
        ["algoDef.algoParams[2].value: MinResourceValue must be an integer greater than 0, not '0'"],
    ),
    (spec(hpoName=""), ["hpoName: must be a non-empty string, not ''"]),
]


@pytest.mark.parametrize("body,problems", CASES, ids=[p[0].split(":")[0] + f"-{i}" for i, (_, p) in enumerate(CASES)])
def test_invalid_spec_exits_2_naming_the_field_and_sends_nothing(env_server, run, tmp_path, model, body, problems):
    result = start(run, tmp_path, model, body)
    assert result.exit_code == 2, result.stderr
    assert env_server.requests == []
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    if len(problems) == 1:
        assert lines[0] == f"error: {tmp_path / 'spec.yaml'}: {problems[0]}"
    else:
        assert lines[0] == f"error: {tmp_path / 'spec.yaml'}: {len(problems)} problems"
        assert [line.strip() for line in lines[1 : 1 + len(problems)]] == problems
    assert lines[-1].startswith("hint: the spec is startHPO's body")
    assert result.stdout == ""


def test_every_problem_at_once(env_server, run, tmp_path, model):
    body = spec(**{"hyperParams.0.maxDbVal": 0.05, "hyperParams.1.discreteIntVal": None, "algoDef.objective": "up"})
    result = start(run, tmp_path, model, body, "spec.json")
    assert result.exit_code == 2
    assert env_server.requests == []
    assert result.stderr.splitlines()[:4] == [
        f"error: {tmp_path / 'spec.json'}: 3 problems",
        "  algoDef.objective: must be minimize or maximize, not 'up'",
        "  hyperParams[0].maxDbVal: must be greater than minDbVal (0.1)",
        "  hyperParams[1].discreteIntVal: required for a Discrete of int: a non-empty list",
    ]


@pytest.mark.parametrize(
    "text,message",
    [
        ("a: [1, 2\n", "not valid YAML"),
        ("- 1\n- 2\n", "the spec must be a mapping (startHPO's body), not list"),
    ],
)
def test_unparseable_or_wrong_shape_exits_2(env_server, run, tmp_path, model, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run("hpo", "start", str(path), "--model-dir", str(model))
    assert result.exit_code == 2
    assert message in result.stderr.splitlines()[0]
    assert env_server.requests == []


def test_bad_json_names_the_file(env_server, run, tmp_path, model):
    path = tmp_path / "s.json"
    path.write_text('{"hpoName": }')
    result = run("hpo", "start", str(path), "--model-dir", str(model))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not valid JSON: ")
    assert env_server.requests == []


def test_missing_spec_file(env_server, run, tmp_path):
    result = run("hpo", "start", str(tmp_path / "nope.yaml"), "--model-file", __file__)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot read the spec {tmp_path / 'nope.yaml'}: No such file")
    assert env_server.requests == []


# -- valid specs: the body sent ------------------------------------------------------------------


def test_spellings_both_ways_and_wmla_types():
    body, warnings = hpospec.validate(
        {
            "modelSpec": {"args": "--exec-start python --model-main m.py"},
            "algoDef": {
                "algorithm": "Hyperband",
                "maxParalleJobNum": "2",
                "objectiveMetric": "acc",
                "objective": "MAXIMIZE",
                "hyperbandEta": 3,
                "algoParams": [
                    {"name": "ResourceName", "value": "epochs"},
                    {"name": "ResourceValue", "value": 27},
                    {"name": "hyperbandEta", "value": 3},
                    {"name": "Exotic", "value": True},
                ],
            },
            "hyperParams": [
                {
                    "name": "lr",
                    "type": "RANGE",
                    "dataType": "Double",
                    "minDbVal": "1e-4",
                    "maxDbVal": 1,
                    "power": 10,
                    "step": 0.5,
                },
                {"name": "opt", "type": "discrete", "dataType": "STR", "discreteStrVal": ["adam", "sgd"]},
                # as IBM's own published request bodies write it
                {"name": "act", "type": "Discrete", "dataType": "STRING", "discreteStrVal": ["relu", "tanh"]},
            ],
        }
    )
    assert body["algoDef"]["maxParalleJobNum"] == 2  # a numeric string for a number field → the number
    assert [p["value"] for p in body["algoDef"]["algoParams"]] == ["epochs", "27", "3", "true"]
    assert body["hyperParams"][0] == {
        "name": "lr",
        "type": "RANGE",
        "dataType": "Double",
        "minDbVal": 0.0001,
        "maxDbVal": 1,
        "power": "10",
        "step": "0.5",
    }
    assert body["hyperParams"][1] == {
        "name": "opt",
        "type": "discrete",
        "dataType": "STR",
        "discreateStrVal": ["adam", "sgd"],
    }
    assert body["hyperParams"][2]["dataType"] == "STRING"  # sent as given
    assert warnings == [
        "algoDef.algoParams[3].name: 'Exotic' is not a Hyperband parameter (known: RandomSeed, eta, "
        "hyperbandEta, ResourceName, ResourceValue); sent anyway"
    ]


def test_warnings_do_not_refuse():
    body, warnings = hpospec.validate(
        spec(
            **{
                "algoDef.algorithm": "TPE",
                "algoDef.extra": 1,
                "hyperParams.1.minDbVal": 0.5,
                "algoDef.additionalMetrics": {"acc": "highest"},
            }
        )
    )
    assert body["algoDef"]["algorithm"] == "TPE"  # any case, as IBM's own bodies write it: no warning
    assert warnings == [
        "algoDef.extra: not a startHPO field; sent as given",
        "algoDef.additionalMetrics.acc: 'highest' is not minimize, maximize or latest; the server uses latest",
        "hyperParams[1].minDbVal: ignored for a Discrete of int",
    ]


def test_plugin_algorithms_take_any_params_and_grid_takes_experiments():
    _body, warnings = hpospec.validate(
        spec(**{"algoDef.algorithm": "myPlugin", "algoDef.algoParams": [{"name": "Anything", "value": "1"}]})
    )
    assert warnings == []
    grid, _ = hpospec.validate(
        spec(
            hyperParams=None,
            experiments=[
                {
                    "id": "1",
                    "hyperParams": [
                        {"name": "lr", "dataType": "double", "fixedVal": "0.1"},
                        {"name": "opt", "dataType": "str", "fixedVal": "adam"},
                    ],
                }
            ],
            **{"algoDef.algorithm": "ExperimentGridSearch"},
        )
    )
    assert grid["experiments"] == [
        {
            "id": 1,
            "hyperParams": [
                {"name": "lr", "dataType": "double", "fixedVal": "0.1"},
                {"name": "opt", "dataType": "str", "fixedVal": "adam"},
            ],
        }
    ]


def test_the_input_is_not_changed():
    raw = spec(**{"hyperParams.0.minDbVal": "0.1"})
    before = copy.deepcopy(raw)
    hpospec.validate(raw)
    assert raw == before


@pytest.mark.parametrize(
    "args,values,expected",
    [
        (
            "--exec-start python --model-main main.py --model-dir m",
            [("--model-dir", "m")],
            "--exec-start python --model-main main.py --model-dir m",
        ),
        (
            "--exec-start  python   --model-main main.py",
            [("--model-main", "main.py")],
            "--exec-start  python   --model-main main.py",
        ),  # unchanged: exactly as written
        (
            "--model-main main.py --lr 0.1",
            [("--exec-start", "PyTorch"), ("--model-dir", "my model")],
            "--exec-start PyTorch --model-main main.py --lr 0.1 --model-dir 'my model'",
        ),
        (
            "--exec-start python --model-main a.py",
            [("--model-main", "src/b.py")],
            "--exec-start python --model-main src/b.py",
        ),
        (  # found wherever they are; the model's words after `--` are never touched
            "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --model-main m.py --lr 1 -- --model-dir x",
            [("--model-main", "n.py"), ("--model-dir", "d")],
            "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --model-main n.py --lr 1 --model-dir d "
            "-- --model-dir x",
        ),
        (  # --opt=value is replaced in place
            "--exec-start=tf --appName x --model-main=a.py",
            [("--model-main", "b.py"), ("--exec-start", "PyTorch")],
            "--exec-start=PyTorch --appName x --model-main=b.py",
        ),
        (  # not valid shell quoting: split on whitespace, as the engine does
            "--exec-start tf --model-main a.py --note it's",
            [("--model-dir", "d")],
            "--exec-start tf --model-main a.py --note 'it'\"'\"'s' --model-dir d",
        ),
    ],
)
def test_set_args_options(args, values, expected):
    assert hpospec.set_args_options(args, values) == expected
