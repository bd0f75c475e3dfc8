"""What a search tells its user over real HTTP: the engine's notes on its args (each experiment's
task gets the NOTE events a plain task of those args gets; POST /hypersearch's answer and `hpo start`
tell them once) and why an experiment that ended well has no value of the objective metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine_hposvc.conftest import QUADRATIC
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.engine_http.conftest import model_tar

IGNORED = "--gpuPerWorker 1 --ig sig0"  # no GPU on this engine; --ig has no meaning here (IBM's bodies carry both)
NOTES = [
    {"level": "Info", "message": "ignored on the local engine: --ig sig0"},
    {"level": "Warning", "message": "this engine has no GPU; the task runs on the CPU"},
]


def note_events(events: str) -> list[str]:
    """A Batch's NOTE events without their times: `Warning NOTE: …`."""
    return [line.split(" ", 1)[1] for line in events.splitlines() if " NOTE: " in line]


@pytest.mark.slow
def test_each_experiment_has_the_notes_a_plain_task_of_its_args_gets(admin):
    data = hpo_body("noted", jobs=2, parallel=2, args=IGNORED)
    answer = post_hpo(admin, data)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"uid": "noted", "href": "/hypersearch/noted", "notes": NOTES}
    plain = admin.post(
        f"execs/?args={data['modelSpec']['args']}",
        files={"file": ("quad.modelDir.tar", model_tar("quad", {"main.py": QUADRATIC}), "application/x-tar")},
    )
    assert plain.status_code == 200, plain.text
    expected = note_events(plain.json()["events"])
    assert expected == [f"{n['level']} NOTE: {n['message']}" for n in NOTES]
    view = wait_hpo(admin, "noted")
    assert view["state"] == "FINISHED" and len(view["experiments"]) == 2
    for exp in view["experiments"]:
        events = admin.get(f"execs/{exp['execId']}").json()["events"]
        assert note_events(events) == expected, events


@pytest.mark.slow
def test_hpo_start_prints_the_engines_notes_once(server, run, tmp_path, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", server.url)
    monkeypatch.setenv("DLICLI_TOKEN", server.token)
    (tmp_path / "quad").mkdir()
    (tmp_path / "quad" / "main.py").write_text(QUADRATIC)
    spec = tmp_path / "search.json"
    spec.write_text(json.dumps(hpo_body("told", jobs=1, parallel=1, args=IGNORED)))
    result = run("hpo", "start", str(spec), "--model-dir", str(tmp_path / "quad"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "told\n"
    lines = result.stderr.splitlines()
    assert lines.count("warning: this engine has no GPU; the task runs on the CPU") == 1, result.stderr
    assert lines.count("note: ignored on the local engine: --ig sig0") == 1, result.stderr
    with server.client() as client:
        wait_hpo(client, "told")


# -- why an experiment that ended well counts as FAILED ---------------------------------------------

WRITES = """\
import json, os
mode = json.load(open("config.json"))["mode"]
path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
if mode == "good":
    json.dump([{"step": 1, "loss": 0.5}], open(path, "w"))
elif mode == "wrongname":
    json.dump([{"step": 1, "acc": 0.5, "val_loss": 0.4}, {"step": 2, "acc": 0.6}], open(path, "w"))
elif mode == "pyquotes":  # the form IBM's HPO notebooks print the file in
    open(path, "w").write("[{'step': 1, 'loss': 0.2487, 'accuracy': 0.4523}]")
elif mode == "text":
    json.dump([{"step": 1, "loss": "n/a"}], open(path, "w"))
elif mode == "empty":
    json.dump([], open(path, "w"))
"""
MODES = ["good", "wrongname", "pyquotes", "none", "text", "empty"]
REASONS = {
    "good": "",
    "wrongname": "it reported no loss in val_dict_list.json (it has: acc, val_loss)",
    "pyquotes": "it reported no loss: its val_dict_list.json is not valid JSON (its strings are in single "
    "quotes, JSON's are in double quotes: write it with json.dump)",
    "none": "it reported no loss: no val_dict_list.json in its result",
    "text": "it reported no number for loss in val_dict_list.json",
    "empty": "it reported no loss: its val_dict_list.json is an empty list",
}


def grid_body(name: str) -> dict:
    return {
        "hpoName": name,
        "modelSpec": {"args": "--exec-start python --model-dir writes --model-main main.py"},
        "algoDef": {
            "algorithm": "ExperimentGridSearch",
            "objectiveMetric": "loss",
            "objective": "minimize",
            "maxParalleJobNum": 3,
        },
        "experiments": [
            {"id": i + 1, "hyperParams": [{"name": "mode", "dataType": "str", "fixedVal": mode}]}
            for i, mode in enumerate(MODES)
        ],
    }


@pytest.mark.slow
def test_an_experiment_without_the_objective_metric_says_why(admin, server):
    tar = model_tar("writes", {"main.py": WRITES})
    answer = admin.post(
        "hypersearch",
        data={"data": json.dumps(grid_body("why"))},
        files={"file": ("writes.modelDir.tar", tar, "application/x-tar")},
    )
    assert answer.status_code == 200, answer.text
    view = wait_hpo(admin, "why")
    got = {exp["hyperParams"][0]["value"]: (exp["state"], exp["reason"]) for exp in view["experiments"]}
    assert got == {mode: ("FINISHED" if mode == "good" else "FAILED", REASONS[mode]) for mode in MODES}
    log = Path(view["searchLog"]).read_text()
    assert f"FAILED: {REASONS['wrongname']}" in log
