"""GET /hypersearch/{name} spells each experiment's hyperParams as IBM's recorded WMLA outputs do
(WMLA-HPO-Custom-Experiment.ipynb, WMLA-HPO-state.ipynb): dataType as the request wrote it, lower-cased
(DOUBLE → double, STRING → string), "str" for Hyperband's resource, userDefined false for all; and
the CLI (`hpo best`, `hpo get`) reads those answers with each value typed, over real HTTP."""

from __future__ import annotations

import json

from tests.engine_hposvc.over_http import wait_hpo
from tests.engine_http.conftest import model_tar

LOSS = """\
import json, os
cfg = json.load(open("config.json"))
loss = float(cfg.get("learning_rate", 0.5)) + (0.0 if cfg.get("optimizer", "Adam") == "Adam" else 1.0)
loss += 1.0 / int(cfg.get("epochs", 1))
with open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w") as f:
    json.dump([{"loss": loss}], f)
"""


def post(client, data: dict):
    tar = model_tar("lossm", {"main.py": LOSS})
    answer = client.post(
        "hypersearch",
        data={"data": json.dumps(data)},
        files={"file": ("lossm.modelDir.tar", tar, "application/x-tar")},
    )
    assert answer.status_code == 200, answer.text
    done = wait_hpo(client, data["hpoName"], timeout=60)
    assert done["state"] == "FINISHED", json.dumps(done, indent=1)[:3000]
    return done


def fixed(name: str, dtype: str, value: str) -> dict:
    return {"name": name, "dataType": dtype, "fixedVal": value}


GRID = {  # the shape of IBM's custom-experiment body: Hyperband's algoParams, experiments of unequal size
    "hpoName": "grid-spellings",
    "modelSpec": {"sigName": "sig0", "args": "--exec-start python --model-dir lossm --model-main main.py"},
    "algoDef": {
        "algorithm": "ExperimentGridSearch",
        "maxRunTime": -1,
        "maxJobNum": -1,
        "maxParalleJobNum": 1,
        "objectiveMetric": "loss",
        "objective": "minimize",
        "hyperbandEta": 3.0,
        "algoParams": [{"name": "ResourceName", "value": "epochs"}, {"name": "ResourceValue", "value": "9"}],
    },
    "experiments": [
        {"id": 1, "hyperParams": [fixed("learning_rate", "DOUBLE", "0.1"), fixed("optimizer", "STRING", "SGD")]},
        {"id": 2, "hyperParams": [fixed("learning_rate", "DOUBLE", "0.2")]},
    ],
}

HYPERBAND = {  # the shape of IBM's Hyperband body, template defaults included
    "hpoName": "hb-spellings",
    "modelSpec": {"sigName": "sig0", "args": "--exec-start python --model-dir lossm --model-main main.py"},
    "algoDef": {
        "algorithm": "Hyperband",
        "maxRunTime": -1,
        "maxJobNum": 2,
        "maxParalleJobNum": 2,
        "objectiveMetric": "loss",
        "objective": "minimize",
        "hyperbandEta": 3.0,
        "algoParams": [{"name": "ResourceName", "value": "epochs"}, {"name": "ResourceValue", "value": "9"}],
    },
    "hyperParams": [
        {
            "name": "learning_rate",
            "type": "Range",
            "dataType": "DOUBLE",
            "minDbVal": 0.001,
            "maxDbVal": 0.1,
            "minIntVal": 0,
            "maxIntVal": 0,
            "discreteDbVal": [],
            "discreteIntVal": [],
            "discreateStrVal": [],
            "step": "0.002",
        }
    ],
}


def shapes(exp: dict) -> dict:
    return {hp["name"]: (hp["dataType"], hp["userDefined"]) for hp in exp["hyperParams"]}


def test_grid_parameters_keep_the_requests_spelling_and_are_not_user_defined(admin, server, run):
    done = post(admin, GRID)
    first, second = sorted(done["experiments"], key=lambda e: e["id"])
    assert shapes(first) == {"learning_rate": ("double", False), "optimizer": ("string", False)}
    # the second experiment names one parameter: its config.json holds only that one, as on WMLA
    assert shapes(second) == {"learning_rate": ("double", False)}
    env = {"DLICLI_URL": server.root, "DLICLI_TOKEN": server.token}
    best = run("hpo", "best", "grid-spellings", "--json", env=env)
    assert best.exit_code == 0, best.stderr
    assert json.loads(best.stdout) == {"learning_rate": 0.2}


def test_the_hyperband_resource_is_a_str_parameter_and_reads_back_as_a_number(admin, server, run):
    done = post(admin, HYPERBAND)
    for exp in done["experiments"]:
        assert shapes(exp) == {"learning_rate": ("double", False), "epochs": ("str", False)}
        epochs = next(hp for hp in exp["hyperParams"] if hp["name"] == "epochs")
        assert epochs["fixedVal"] == str(epochs["value"]) and isinstance(epochs["value"], int)
    env = {"DLICLI_URL": server.root, "DLICLI_TOKEN": server.token}
    best = run("hpo", "best", "hb-spellings", "--json", env=env)
    assert best.exit_code == 0, best.stderr
    chosen = json.loads(best.stdout)
    assert isinstance(chosen["epochs"], int) and isinstance(chosen["learning_rate"], float)
