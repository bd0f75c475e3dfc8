"""`hpo report` against a real engine search: Random over x, y (doubles) and act (a string), on a
loss that depends on x only; a failing experiment (act == "bad") is counted, never a value. The report
(JSON, piped and --html) is checked against what `hpo get` says ran."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import write_model

LOSS_OF_X = """\
    import json, os, sys
    cfg = json.load(open("config.json"))
    if cfg["act"] == "bad":
        sys.exit(3)
    loss = (float(cfg["x"]) - 1) ** 2 + 0.001 * float(cfg["y"])
    json.dump([{"steps": 1, "loss": loss}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""

SPEC = {
    "hpoName": "rep",
    "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
    "algoDef": {
        "algorithm": "Random",
        "objectiveMetric": "loss",
        "objective": "minimize",
        "maxJobNum": 14,
        "maxParalleJob": 4,
        "algoParams": [{"name": "RandomSeed", "value": "5"}],
    },
    "hyperParams": [
        {"name": "x", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
        {"name": "y", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3},
        {"name": "act", "type": "Discrete", "dataType": "str", "discreateStrVal": ["relu", "tanh", "bad"]},
    ],
}


def values(exp: dict) -> dict:
    return {hp["name"]: hp["value"] for hp in exp["hyperParams"]}


def test_a_report_of_a_real_search(cli, tmp_path):
    write_model(tmp_path / "model", LOSS_OF_X)
    spec = tmp_path / "rep.json"
    spec.write_text(json.dumps(SPEC))
    started = cli("hpo", "start", str(spec), "--model-dir", str(tmp_path / "model"), "--wait", timeout=180)
    assert started.returncode in (0, 10), started.stderr  # many "bad" experiments may fail the search
    task = cli.json("hpo", "get", "rep")
    done = sorted((e for e in task["experiments"] if e["state"] == "FINISHED"), key=lambda e: e["id"])
    failed = [e for e in task["experiments"] if e["state"] == "FAILED"]
    assert done and all(values(e)["act"] != "bad" for e in done)

    got = cli.json("hpo", "report", "rep")["searches"][0]
    best = min(e["metricVal"] for e in done)
    assert [p["id"] for p in got["bestSoFar"]] == [e["id"] for e in done]
    assert got["bestSoFar"][-1]["best"] == best and got["failed"] == len(failed)
    assert got["best"]["hyperParams"] == values(min(done, key=lambda e: e["metricVal"]))
    assert [p["value"] for p in got["params"]["act"]] == [values(e)["act"] for e in done]

    piped = cli.ok("hpo", "report", "rep").stdout
    assert piped.startswith("# loss (minimize) per experiment\n") and "\x1b" not in piped

    page = Path(tmp_path / "rep.html")
    wrote = cli.ok("hpo", "report", "rep", "--html", str(page))
    assert f"wrote {page}" in wrote.stderr and page.stat().st_size > 1_000_000  # plotly.js inside
    text = page.read_text()
    assert text.count('class="plotly-graph-div"') == (5 if len(done) >= 2 else 3)
