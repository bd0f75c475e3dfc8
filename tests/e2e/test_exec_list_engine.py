"""`exec list` against a real engine running a real HPO search: the engine names each experiment's
search (Batch `hpoName`), `exec list` hides them unless --all or --hpo NAME, and sorts and cuts."""

from __future__ import annotations

import json

from tests.e2e.conftest import task_id, write_model


def test_experiments_are_named_by_the_engine_and_hidden_unless_asked(cli, tmp_path):
    write_model(tmp_path / "plain", "print('plain')\n")
    plain = task_id(
        cli.ok(
            "exec", "start", "--framework", "python", "--model-dir", str(tmp_path / "plain"), "--model-main", "main.py"
        )
    )
    cli.wait_state(plain)
    write_model(
        tmp_path / "model",
        """\
        import json, os
        x = json.load(open("config.json"))["x"]
        json.dump([{"steps": 1, "loss": x * x}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
        """,
    )
    spec = {
        "hpoName": "listed",
        "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir model"},
        "algoDef": {
            "algorithm": "Random",
            "objective": "minimize",
            "objectiveMetric": "loss",
            "maxJobNum": 3,
            "maxParalleJob": 2,
        },
        "hyperParams": [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": -1, "maxDbVal": 1}],
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    cli.ok("hpo", "start", str(tmp_path / "spec.json"), "--model-dir", str(tmp_path / "model"), "--wait")
    experiments = {e["appId"] for e in cli.json("hpo", "get", "listed")["experiments"]}
    assert len(experiments) == 3

    every = cli.json("exec", "list", "--all")
    assert {t["id"]: t["hpoName"] for t in every if t["id"] in experiments | {plain}} == {
        **dict.fromkeys(experiments, "listed"),
        plain: None,
    }
    assert cli.json("exec", "get", next(iter(experiments)))["hpoName"] == "listed"
    assert not experiments & {t["id"] for t in cli.json("exec", "list")}
    assert set(cli.ok("exec", "list", "--hpo", "listed", "-q").stdout.split()) == experiments
    rows = [line.split("\t") for line in cli.ok("exec", "list", "--hpo", "listed").stdout.splitlines()]
    assert {(r[1], r[4]) for r in rows} == {("FINISHED", "listed")} and all(r[2].endswith("Z") and r[3] for r in rows)
    newest = cli.ok("exec", "list", "--all", "--sort", "-created", "--limit", "1", "-q").stdout.split()
    assert newest[0] in experiments
    assert cli.ok("exec", "list", "--sort", "-created", "--limit", "1", "-q").stdout.split() == [plain]
