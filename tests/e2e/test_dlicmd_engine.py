"""`dlicli dlicmd …` end to end: every dlicmd.py command the engine serves, run as a subprocess with
dlicmd's own connection flags (--rest-host/--rest-port/--http/--jwt-token, and nothing else to find
the engine by), beside its native dlicli command against the same engine. Exit codes must match,
and so must the parsed JSON — exactly for reads of one object, and up to ids and times for two
submissions of the same thing.

tests/test_dlicmd.py checks the wire against a recording server (and a few exec commands in
process); this file checks the real thing: two processes, one engine, the flags a script passes.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Cli, write_model
from tests.waiting import wait_until

MAIN = """\
    import os, sys, time
    print("args", sys.argv[1:])
    print("data", os.path.relpath(os.environ["DATA_DIR"], os.path.dirname(os.environ["DATA_DIR"])))
    print("oops", file=sys.stderr)
    open(os.path.join(os.environ["RESULT_DIR"], "model.txt"), "w").write("weights")
    if "--sleep" in sys.argv:
        time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
"""
QUADRATIC = """\
    import json, os, sys, time
    cfg = json.load(open("config.json"))
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
    loss = (cfg["x"] - 1) ** 2 + (cfg["y"] + 2) ** 2
    json.dump([{"steps": 1, "loss": loss}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""
SOURCES = ['{"type": "fs", "location": {"paths": "mnist"}}', '[{"type": "s3", "location": {"bucket": "b"}}]']
# Fields that differ between two submissions of the same thing (ids, names, times, durations).
VOLATILE = {
    "id",
    "submissionId",
    "workDir",
    "appId",
    "appName",
    "events",
    "createTime",
    "startTime",
    "endTime",
    "createtime",
    "execId",
    "hpoName",
    "duration",
    "searchLog",
    "applicationid",
    "driverid",
    "href",
}


def stable(value):
    """`value` without the volatile fields, at any depth."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def dlicmd(engine_cli, tmp_path_factory):
    """Runs `dlicli dlicmd ARGS --rest-host 127.0.0.1 --rest-port P --http --jwt-token T` with empty
    config and data dirs: the flags are its only way to the engine."""
    port = urlsplit(engine_cli.url).port
    lonely = Cli(tmp_path_factory.mktemp("dlicmd-client"))
    flags = ("--rest-host", "127.0.0.1", "--rest-port", str(port), "--http", "--jwt-token", engine_cli.admin_token)

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        lonely.root = cwd or engine_cli.root
        result = lonely("dlicmd", *flags, *args)  # the flags first: after `--` all goes to the model
        assert "--jwt-token puts the token in the command line" in result.stderr
        assert engine_cli.admin_token not in result.stdout + result.stderr
        assert lonely.engine() is None, "dlicmd started a local engine instead of using the flags"
        return result

    try:
        yield run
    finally:
        lonely.cleanup()


def pair(dlicmd, cli, dlicmd_args: list[str], native_args: list[str], *, code: int = 0):
    """Run both; same exit code (`code`); returns (ours, native) as parsed JSON when stdout is JSON."""
    ours, native = dlicmd(*dlicmd_args), cli(*native_args)
    assert (ours.returncode, native.returncode) == (code, code), ours.stderr + native.stderr
    parsed = []
    for result in (ours, native):
        try:
            parsed.append(json.loads(result.stdout))
        except ValueError:
            parsed.append(result.stdout)
    return parsed[0], parsed[1]


def same(dlicmd, cli, dlicmd_args: list[str], native_args: list[str], *, code: int = 0):
    """Run both; identical exit code and output. Returns the output."""
    ours, native = pair(dlicmd, cli, dlicmd_args, native_args, code=code)
    assert ours == native
    return ours


@pytest.fixture
def model(tmp_path) -> Path:
    write_model(tmp_path / "mnist", MAIN)
    write_model(tmp_path / "mnist", "def predict(x):\n    return x\n", name="kernel.py")
    return tmp_path / "mnist"


def test_frameworks_and_a_task_from_start_to_delete(cli, dlicmd, model, tmp_path):
    frameworks = same(dlicmd, cli, ["--dl-frameworks"], ["exec", "frameworks", "--json"])
    assert "python" in {f["name"] for f in frameworks}

    submit = [
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--data-source",
        SOURCES[0],
        "--data-source",
        SOURCES[1],
    ]
    mine, theirs = pair(
        dlicmd,
        cli,
        ["--exec-start", "python", *submit, "--", "--lr", "0.1"],
        ["exec", "start", "--framework", "python", *submit, "--json", "--", "--lr", "0.1"],
    )
    assert mine["id"] != theirs["id"] and stable(mine) == stable(theirs)
    assert mine["args"] == "--exec-start python --model-main main.py --model-dir mnist -- --lr 0.1"
    assert cli("exec", "wait", mine["id"], theirs["id"], "--timeout", "60").returncode == 0

    got = same(dlicmd, cli, ["--exec-get", mine["id"]], ["exec", "get", mine["id"], "--json"])
    assert got["state"] == "FINISHED" and stable(got) == stable(cli.json("exec", "get", theirs["id"]))
    for batch in (got, cli.json("exec", "get", theirs["id"])):  # both data sources reached the engine
        assert "data source of type 's3' ignored" in batch["events"]
    listed = same(dlicmd, cli, ["--exec-get-all"], ["exec", "list", "--all", "--json"])
    assert {mine["id"], theirs["id"]} <= {t["id"] for t in listed}
    missing = same(dlicmd, cli, ["--exec-get", "nope"], ["exec", "get", "nope", "--json"], code=3)
    assert missing == ""

    log = same(dlicmd, cli, ["--exec-trainoutlogs", mine["id"]], ["exec", "logs", mine["id"], "--stdout"])
    assert log == "args ['--lr', '0.1']\ndata mnist\n" == cli.ok("exec", "logs", theirs["id"]).stdout
    assert same(dlicmd, cli, ["--exec-trainerrlogs", mine["id"]], ["exec", "logs", mine["id"], "--stderr"]) == "oops\n"

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours = dlicmd("--exec-trainresult", mine["id"], cwd=tmp_path / "a")
    native = cli("exec", "result", mine["id"], cwd=tmp_path / "b")
    assert ours.returncode == native.returncode == 0 and ours.stdout == native.stdout
    saved = [sorted(p.name for p in (tmp_path / d / "dlicli-results").iterdir()) for d in ("a", "b")]
    assert saved[0] == saved[1] == [f"{mine['id']}.zip"]
    for d in ("a", "b"):
        with zipfile.ZipFile(tmp_path / d / "dlicli-results" / saved[0][0]) as zf:
            assert zf.read("model.txt") == b"weights"

    deploy = ["--name", "mnist-model", "--kernel", "kernel.py", "--weight", "model.txt", "--runtime", "python"]
    ours = dlicmd("--exec-deploy", mine["id"], *deploy, "--attributes", "a=1,b=2", "--envs", "E=1")
    other = ["--name", "mnist-model-2", *deploy[2:]]  # a deployment's name is unique: the native one differs
    native = cli("exec", "deploy", mine["id"], *other, "--attr", "a=1", "--attr", "b=2", "--env", "E=1", "--json")
    assert ours.returncode == native.returncode == 0, ours.stderr + native.stderr
    assert json.loads(ours.stdout)["uid"] == "mnist-model" and json.loads(native.stdout)["uid"] == "mnist-model-2"
    same(dlicmd, cli, ["--exec-deploy", mine["id"], *deploy], ["exec", "deploy", mine["id"], *deploy, "--json"], code=6)
    same(
        dlicmd,
        cli,
        ["--exec-deploy", mine["id"], "--name", "x", "--kernel", "missing.py"],
        ["exec", "deploy", mine["id"], "--name", "x", "--kernel", "missing.py", "--json"],
        code=2,
    )

    assert same(dlicmd, cli, ["--exec-delete", mine["id"]], ["exec", "delete", theirs["id"]]) == ""
    same(dlicmd, cli, ["--exec-get", mine["id"]], ["exec", "get", theirs["id"], "--json"], code=3)
    same(dlicmd, cli, ["--exec-delete", mine["id"]], ["exec", "delete", theirs["id"]], code=3)


def test_stop_then_delete_all(cli, dlicmd, model):
    start = [
        "exec",
        "start",
        "--framework",
        "python",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--",
        "--sleep",
        "60",
    ]
    first, second = cli.ok(*start).stdout.strip(), cli.ok(*start).stdout.strip()
    cli.wait_state(first, "RUNNING")
    cli.wait_state(second, "RUNNING")
    assert same(dlicmd, cli, ["--exec-stop", first], ["exec", "stop", second]) == ""
    one, two = cli.wait_state(first), cli.wait_state(second)
    assert one["state"] == two["state"] == "KILLED" and stable(one) == stable(two)
    same(dlicmd, cli, ["--exec-stop", "nope"], ["exec", "stop", "nope"], code=3)

    assert dlicmd("--exec-delete-all").returncode == 0
    assert cli.json("exec", "list") == []
    cli.ok(*start[:-3])  # one more task, for the native command to delete
    assert cli("exec", "delete", "--all", "--yes").returncode == 0
    assert same(dlicmd, cli, ["--exec-get-all"], ["exec", "list", "--all", "--json"]) == []
    assert same(dlicmd, cli, ["--exec-delete-all"], ["exec", "delete", "--all", "--yes"]) == ""


def hpo_spec(tmp_path: Path, name: str, jobs: int, sleep: float = 0.0) -> Path:
    body = {
        "hpoName": name,
        "modelSpec": {"args": f"--exec-start python --model-main main.py --model-dir quad {sleep}"},
        "algoDef": {
            "algorithm": "Random",
            "maxJobNum": jobs,
            "maxParalleJob": 2,
            "objectiveMetric": "loss",
            "objective": "minimize",
            "algoParams": [{"name": "RandomSeed", "value": "11"}],
        },
        "hyperParams": [
            {"name": n, "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3} for n in ("x", "y")
        ],
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(body))
    return path


def wait_hpo(cli: Cli, name: str, states: set[str], timeout: float = 60) -> dict:
    return wait_until(
        lambda: cli.json("hpo", "get", name),
        timeout,
        0.2,
        f"search {name} to reach {sorted(states)}",
        until=lambda task: task["state"] in states,
    )


def test_hpo_start_get_list_stop_delete(cli, dlicmd, tmp_path):
    quad = tmp_path / "quad"
    write_model(quad, QUADRATIC)
    mine, theirs = pair(
        dlicmd,
        cli,
        ["--hpo-start", str(hpo_spec(tmp_path, "dl-mine", 4)), "--model-dir", str(quad)],
        ["hpo", "start", str(hpo_spec(tmp_path, "dl-theirs", 4)), "--model-dir", str(quad), "--json"],
    )
    assert mine == {"uid": "dl-mine", "href": "/hypersearch/dl-mine"} and theirs["uid"] == "dl-theirs"
    mine, theirs = mine["uid"], theirs["uid"]
    for name in (mine, theirs):
        wait_hpo(cli, name, {"FINISHED", "FAILED"})
    got = same(dlicmd, cli, ["--hpo-get", mine], ["hpo", "get", mine, "--json"])
    assert got["state"] == "FINISHED" and got["progress"] == "4/4"
    # the same seed and a deterministic model: the same search, experiment for experiment
    assert stable(got) == stable(cli.json("hpo", "get", theirs))
    listed = same(dlicmd, cli, ["--hpo-get-all"], ["hpo", "list", "--json"])
    assert {mine, theirs} <= {t["hpoName"] for t in listed}
    same(dlicmd, cli, ["--hpo-get", "nope"], ["hpo", "get", "nope", "--json"], code=3)

    slow = [hpo_spec(tmp_path, f"dl-slow{i}", 20, sleep=1.0) for i in range(3)]
    for path in slow:
        cli.ok("hpo", "start", str(path), "--model-dir", str(quad))
    assert same(dlicmd, cli, ["--hpo-stop", "dl-slow0", "dl-slow1"], ["hpo", "stop", "dl-slow2"]) == ""
    stopped = [wait_hpo(cli, f"dl-slow{i}", {"STOPPED"}) for i in range(3)]
    assert all(task["complete"] < 20 for task in stopped)
    same(dlicmd, cli, ["--hpo-stop", "dl-slow0"], ["hpo", "stop", "dl-slow2"], code=2)  # 400: already stopped

    deleted = same(dlicmd, cli, ["--hpo-delete", mine, "dl-slow0", "dl-slow1"], ["hpo", "delete", theirs, "dl-slow2"])
    assert deleted == ""
    same(dlicmd, cli, ["--hpo-get", mine], ["hpo", "get", theirs, "--json"], code=3)
    assert not {mine, theirs, "dl-slow0"} & {t["hpoName"] for t in cli.json("hpo", "list")}


def test_resource_plans(cli, dlicmd):
    for name in ("rp-a", "rp-b"):
        cli.ok("resplan", "create", name, "--label", "cpu=2")
    cli.ok("resplan", "create", "rp-a-child", "--parent", "rp-a")
    tree = same(dlicmd, cli, ["--rp-get-all"], ["resplan", "tree", "--json"])
    rp_a = next(node for node in tree["childTreeDto"] if node["name"] == "rp-a")
    assert [child["name"] for child in rp_a["childTreeDto"]] == ["rp-a-child"]
    plan = same(dlicmd, cli, ["--rp-get", "rp-a-child"], ["resplan", "get", "rp-a-child", "--json"])
    assert plan["path"] == "/rp-a/rp-a-child"
    mine, theirs = pair(dlicmd, cli, ["--rp-get", "rp-a"], ["resplan", "get", "rp-b", "--json"])
    assert (mine["name"], theirs["name"]) == ("rp-a", "rp-b") and mine["cpuQuota"] == theirs["cpuQuota"] == "2"
    same(dlicmd, cli, ["--rp-get", "nope"], ["resplan", "get", "nope", "--json"], code=3)

    same(dlicmd, cli, ["--rp-delete", "rp-a"], ["resplan", "delete", "rp-a", "--yes"], code=6)  # it has a child
    assert same(dlicmd, cli, ["--rp-delete", "rp-a-child"], ["resplan", "delete", "rp-b", "--yes"]) == ""
    same(dlicmd, cli, ["--rp-get", "rp-a-child"], ["resplan", "get", "rp-b", "--json"], code=3)
    assert dlicmd("--rp-delete", "rp-a").returncode == 0
    same(dlicmd, cli, ["--rp-delete", "rp-a"], ["resplan", "delete", "rp-a", "--yes"], code=3)
