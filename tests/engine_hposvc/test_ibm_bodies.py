"""HPO request bodies in the shapes of IBM's WMLA tutorials run to FINISHED over real HTTP: WMLA
options before --model-main, TPE in capitals, INT/DOUBLE/STRING dataTypes, `step`, and a strict
argparse script that reads DLI_DATA_FS and writes to $DLI_RESULT_FS/$USER/batchworkdir/$DLI_EXECID."""

from __future__ import annotations

import json

from tests.engine_hposvc.over_http import wait_hpo
from tests.engine_http.conftest import model_tar

IBM_STYLE = """\
import argparse, json, os
p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, required=True)
a = p.parse_args()  # strict: any WMLA option left in the args makes this exit 2
assert os.path.isdir(os.environ["DLI_DATA_FS"])
cfg = json.load(open("config.json"))
lr, batch, opt = float(cfg["learning_rate"]), int(cfg["batch_size"]), cfg["optimizer"]
assert batch % 16 == 0 and opt in ("SGD", "Adam"), cfg
loss = (lr - 0.05) ** 2 + batch / 1000 + (0.0 if opt == "Adam" else 0.01) + 1.0 / a.epochs
out = os.path.join(os.environ["DLI_RESULT_FS"], os.environ["USER"], "batchworkdir", os.environ["DLI_EXECID"])
with open(os.path.join(out, "val_dict_list.json"), "w") as f:
    json.dump([{"loss": loss, "accuracy": 1 - loss}], f)
"""

TUTORIAL_BODY = {
    "hpoName": "ibm-tutorial",
    "modelSpec": {
        "args": "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --edt-options maxWorkers=2 "
        "--model-main main.py --model-dir ibmmodel --epochs 3 --debug-level debug"
    },
    "algoDef": {
        "algorithm": "TPE",
        "maxRunTime": 600,
        "maxJobNum": 4,
        "maxParalleJob": 2,
        "objectiveMetric": "loss",
        "objective": "minimize",
    },
    "hyperParams": [
        {"name": "learning_rate", "type": "Range", "dataType": "DOUBLE", "minDbVal": 0.001, "maxDbVal": 0.1},
        {"name": "batch_size", "type": "Range", "dataType": "INT", "minIntVal": 16, "maxIntVal": 64, "step": 16},
        {"name": "optimizer", "type": "Discrete", "dataType": "STRING", "discreteStrVal": ["SGD", "Adam"]},
    ],
}


def test_an_ibm_tutorial_body_runs_to_finished(admin):
    tar = model_tar("ibmmodel", {"main.py": IBM_STYLE})
    posted = admin.post(
        "hypersearch",
        data={"data": json.dumps(TUTORIAL_BODY)},
        files={"file": ("ibmmodel.modelDir.tar", tar, "application/x-tar")},
    )
    assert posted.status_code == 200, posted.text
    done = wait_hpo(admin, "ibm-tutorial", timeout=90)
    assert done["state"] == "FINISHED", json.dumps(done, indent=1)[:3000]
    experiments = done["experiments"]
    assert len(experiments) == 4 and {e["state"] for e in experiments} == {"FINISHED"}
    for experiment in experiments:
        params = {hp["name"]: hp for hp in experiment["hyperParams"]}
        assert int(float(params["batch_size"]["value"])) % 16 == 0
        assert params["optimizer"]["value"] in ("SGD", "Adam")
    assert done["best"]["metricVal"] is not None
