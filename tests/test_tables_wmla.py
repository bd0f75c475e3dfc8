"""Tables for real WMLA data (issue 14, items 4 and 5), against the recording server: `exec list`
tells one user's tasks apart by their model main file, `exec frameworks` shows one row per
framework, WMLA's time and duration forms sort and age, and `hpo start` is never stricter than
WMLA (dataType STRING; --no-validate sends what it is given)."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.outcome import error_line
from tests.recorder import BASE
from tests.test_resplan_cli import run_on_tty

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COMMON = "tensorflow --cs-datastore-meta type=fs --workerDeviceNum 1 --numWorker 1"


def local(text: str) -> float:
    """WMLA's zone-less "YYYY-MM-DD HH:MM:SS" as this machine reads it (its local time)."""
    return time.mktime(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def main_option(i: int) -> str:
    """The three ways a WMLA args string names its main file."""
    return [f"--model-main train_{i:02d}.py", f"--model-main=train_{i:02d}.py", f"--model-main 'train_{i:02d}.py'"][
        i % 3
    ]


def wmla_task(i: int, **extra) -> dict:
    """A Batch as WMLA 1.2.x sends it: no framework, no hpoName, args starting with the framework,
    times as the server's local "YYYY-MM-DD HH:MM:SS"."""
    return {
        "id": f"wmla-{1270 + i}",
        "state": "FINISHED",
        "args": f"{COMMON} {main_option(i)} --epochs 5 --batch-size 64 --learning-rate 0.01",
        "appId": f"Admin-{1270 + i}-1923606690",
        "appName": f"Admin-tensorflow-{1270 + i}",
        "creator": "Admin",
        "createTime": f"2020-01-09 17:{i:02d}:32",
        "startTime": f"2020-01-09 17:{i:02d}:40",
        "endTime": f"2020-01-09 18:{i:02d}:05",
        **extra,
    }


TASKS = [wmla_task(i) for i in range(24)]


@pytest.fixture
def wmla(env_server):
    env_server.route("GET", "/execs", body=TASKS)
    env_server.route("GET", "/hypersearch", body=[])
    return env_server


# -- exec list -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_24_tasks_of_one_user_read_differently_at_80_columns(wmla):
    done = run_on_tty("exec", "list", COLUMNS="80", LINES="40")
    assert done.returncode == 0, done.stderr
    lines = ANSI.sub("", done.stdout).splitlines()
    assert len(lines) == 25 and all(len(line) <= 80 for line in lines), lines
    assert "MAIN" in lines[0].split() and "ARGS" not in lines[0]
    mains = [re.search(r"train_\d\d\.py", line) for line in lines[1:]]
    assert [m.group(0) if m else None for m in mains] == [f"train_{i:02d}.py" for i in range(24)]
    assert len(set(lines[1:])) == 24
    assert lines[1].split()[:2] == ["wmla-1270", "FINISHED"]
    wide = run_on_tty("exec", "list", "-o", "wide", COLUMNS="250", LINES="40")
    lines = ANSI.sub("", wide.stdout).splitlines()
    assert lines[0].split()[-1] == "ARGS", lines[:3]
    assert lines[2].rstrip().endswith(TASKS[1]["args"]), lines[:3]  # -o wide: the whole args
    assert "SEARCH" not in lines[0]  # an empty column stays out, wide or not


def test_piped_main_and_framework_from_wmla_args_and_the_whole_args_last(wmla, run):
    result = run("exec", "list", "--headers")
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["ID", "STATE", "CREATED", "DURATION", "SEARCH", "FRAMEWORK", "MAIN", "NAME", "ARGS"]
    assert [r[6] for r in rows[1:4]] == ["train_00.py", "train_01.py", "train_02.py"]  # x, =x, 'x'
    assert {r[5] for r in rows[1:]} == {"tensorflow"}
    assert rows[1][2] == iso(local("2020-01-09 17:00:32"))
    assert rows[1][3] == "59m25s"  # 17:00:40 → 18:00:05
    assert rows[2][-1] == TASKS[1]["args"]  # the whole args, uncut
    assert run("exec", "list", "-o", "wide", "--headers").stdout == result.stdout  # piped: every column anyway
    assert json.loads(run("exec", "list", "--json").stdout) == TASKS  # JSON: the server's objects


def test_exec_start_forms_and_the_engines_own_answer_still_render(env_server, run):
    engine = {"id": "t-1", "state": "RUNNING", "framework": "PyTorch", "hpoName": None}
    env_server.route(
        "GET",
        "/execs",
        body=[
            {**engine, "args": "--exec-start PyTorch --model-main main.py --model-dir t-1"},
            {"id": "t-2", "state": "FINISHED", "args": "--exec-start=edtPyTorch --model-dir d -- --model-main no.py"},
            {"id": "t-3", "state": "FINISHED", "args": '--cs-datastore-meta type=fs --model-main "my model.py"'},
        ],
    )
    env_server.route("GET", "/hypersearch", body=[])
    rows = [line.split("\t") for line in run("exec", "list").stdout.splitlines()]
    assert [(r[0], r[5], r[6]) for r in rows] == [
        ("t-1", "PyTorch", "main.py"),
        ("t-2", "edtPyTorch", ""),  # after `--` the words are the model's own
        ("t-3", "", "my model.py"),
    ]


def test_wmla_time_forms_sort_by_created_and_duration(env_server, run):
    rows = [
        {"id": "zulu", "state": "FINISHED", "createTime": "2021-08-06T10:16:37Z", "startTime": 1628245000000,
         "endTime": 1628245445000},
        {"id": "local", "state": "FINISHED", "createTime": "2020-01-09 17:31:32", "startTime": "2020-01-09 17:31:40",
         "endTime": "2020-01-10 19:34:44"},
        {"id": "millis", "state": "FINISHED", "createTime": 1700000000000, "startTime": "2023-11-14T22:13:21Z",
         "endTime": "2023-11-14T22:13:31Z"},
    ]  # fmt: skip
    env_server.route("GET", "/execs", body=rows)
    env_server.route("GET", "/hypersearch", body=[])

    def listed(*args: str) -> list[list[str]]:
        return [line.split("\t") for line in run("exec", "list", *args).stdout.splitlines()]

    assert [r[0] for r in listed("--sort", "created")] == ["local", "zulu", "millis"]
    assert [r[0] for r in listed("--sort", "-duration")] == ["local", "zulu", "millis"]
    by_id = {r[0]: r for r in listed()}
    assert by_id["zulu"][2:4] == ["2021-08-06T10:16:37Z", "7m25s"]
    assert by_id["local"][2:4] == [iso(local("2020-01-09 17:31:32")), "1d02h"]
    assert by_id["millis"][2:4] == ["2023-11-14T22:13:20Z", "10s"]
    assert [r[0] for r in listed("--limit", "1")] == ["millis"]  # the newest, by parsed time


@pytest.mark.slow
def test_a_terminal_ages_wmla_times(env_server):
    now = time.time()
    env_server.route(
        "GET",
        "/execs",
        body=[
            {
                "id": "a",
                "state": "FINISHED",
                "createTime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - 7300)),
            },
            {"id": "b", "state": "FINISHED", "createTime": iso(now - 3 * 86400 - 60)},
        ],
    )
    env_server.route("GET", "/hypersearch", body=[])
    done = run_on_tty("exec", "list", "--no-headers", COLUMNS="80")
    lines = [line.split() for line in ANSI.sub("", done.stdout).splitlines()]
    assert [line[:3] for line in lines] == [["a", "FINISHED", "2h"], ["b", "FINISHED", "3d"]]


# -- hpo list and scheduler apps -----------------------------------------------------------------


def test_hpo_list_reads_wmla_durations_and_times(env_server, run):
    searches = [
        {"hpoName": "long", "state": "FINISHED", "progress": "40/-", "duration": "1 day 02:03:04",
         "createtime": "2020-01-09 17:31:32"},
        {"hpoName": "short", "state": "FINISHED", "progress": "2/2", "duration": "00:07:25",
         "createtime": "2021-08-06T10:16:37Z"},
        {"hpoName": "mid", "state": "RECOVERPEND", "progress": "5/10", "duration": "26:00:01",
         "createtime": 1700000000000},
    ]  # fmt: skip
    env_server.route("GET", "/hypersearch", body=searches)
    rows = [line.split("\t") for line in run("hpo", "list", "--headers").stdout.splitlines()]
    head = rows[0]
    by_name = {r[0]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    assert by_name["long"]["DURATION"] == "1d02h" and by_name["long"]["PROGRESS"] == "40/-"
    assert by_name["short"]["DURATION"] == "7m25s"
    assert by_name["mid"]["DURATION"] == "1d02h"
    assert by_name["long"]["CREATED"] == iso(local("2020-01-09 17:31:32"))
    assert by_name["mid"]["CREATED"] == "2023-11-14T22:13:20Z"
    names = [line.split("\t")[0] for line in run("hpo", "list", "--sort", "-duration").stdout.splitlines()]
    assert names == ["long", "mid", "short"]
    names = [line.split("\t")[0] for line in run("hpo", "list", "--sort", "created").stdout.splitlines()]
    assert names == ["long", "short", "mid"]


def test_scheduler_apps_reads_a_day_long_run(env_server, run):
    env_server.route(
        "GET",
        "/scheduler/applications",
        body=[
            {"applicationid": "app-1", "state": "RUNNING", "apprunduration": "1 day 02:03:04",
             "submittedtime": "2020-01-09 17:31:32"},
        ],
    )  # fmt: skip
    result = run("scheduler", "apps", "--headers")
    assert result.exit_code == 0, result.stderr
    head, row = (line.split("\t") for line in result.stdout.splitlines())
    shown = dict(zip(head, row, strict=True))
    assert shown["DURATION"] == "1d02h"
    assert shown["SUBMITTED"] == iso(local("2020-01-09 17:31:32"))


# -- exec frameworks -----------------------------------------------------------------------------


def framework(name: str, lines: int) -> dict:
    """A framework as WMLA lists it: `desc` is an array of lines."""
    return {
        "name": name,
        "frameworkVersion": "1.15",
        "distributeStrategy": "multi-node",
        "desc": [f"{name}: the first line says what it is."]
        + [
            f"  line {n} of {name}'s notes, long enough to wrap a terminal table if it were joined"
            for n in range(lines)
        ],
    }


FRAMEWORKS = [framework(n, 8) for n in ("tensorflow", "PyTorch", "edtPyTorch", "caffe", "distPyTorch", "dist")]


@pytest.mark.slow
def test_frameworks_one_row_each_on_a_terminal(env_server):
    env_server.route("GET", "/execs/frameworks", body=FRAMEWORKS)
    done = run_on_tty("exec", "frameworks", COLUMNS="100")
    assert done.returncode == 0, done.stderr
    lines = ANSI.sub("", done.stdout).splitlines()
    assert len(lines) == 7, lines  # header + 6
    assert lines[2].split()[0] == "PyTorch" and "PyTorch: the first line says what it is." in lines[2]
    narrow = ANSI.sub("", run_on_tty("exec", "frameworks", COLUMNS="60").stdout).splitlines()
    assert len(narrow) == 7 and all(len(line) <= 60 for line in narrow), narrow
    assert [line.split()[0] for line in narrow[1:]] == [f["name"] for f in FRAMEWORKS]  # names whole


def test_frameworks_first_line_piped_all_of_it_wide_and_json(env_server, run):
    odd = {"name": "custom", "desc": "\nOne line here.\nAnother line."}  # a string elsewhere
    env_server.route("GET", "/execs/frameworks", body=[*FRAMEWORKS, odd])
    rows = [line.split("\t") for line in run("exec", "frameworks").stdout.splitlines()]
    assert len(rows) == 7
    assert rows[0] == ["tensorflow", "1.15", "multi-node", "tensorflow: the first line says what it is."]
    assert rows[6][3] == "One line here."
    wide = [line.split("\t") for line in run("exec", "frameworks", "-o", "wide").stdout.splitlines()]
    assert wide[0][3] == " ".join(line.strip() for line in FRAMEWORKS[0]["desc"])
    assert wide[6][3] == "One line here. Another line."
    assert json.loads(run("exec", "frameworks", "--json").stdout) == [*FRAMEWORKS, odd]


def test_an_unknown_output_format_is_still_a_usage_error(env_server, run):
    error_line(run("exec", "frameworks", "-o", "widest"), 2, "unknown output format")
    assert env_server.requests == []


# -- hpo start: never stricter than WMLA ---------------------------------------------------------


def custom_experiments(dtype: str) -> dict:
    """The body IBM's WMLA-HPO-Custom-Experiment notebook POSTs (shape, not copy): upper-case
    dataTypes, WMLA's maxParalleJobNum, and the answer WMLA gave was lower-case `string`."""
    return {
        "modelSpec": {"args": "--exec-start tensorflow --cs-datastore-meta type=fs --model-main main.py"},
        "algoDef": {
            "algorithm": "ExperimentGridSearch",
            "maxRunTime": -1,
            "maxJobNum": 2,
            "maxParalleJobNum": 1,
            "objectiveMetric": "loss",
            "objective": "minimize",
        },
        "experiments": [
            {"id": 1, "hyperParams": [{"name": "lr", "dataType": "DOUBLE", "fixedVal": "0.1"},
                                      {"name": "optimizer", "dataType": dtype, "fixedVal": "Adam"}]},
        ],
    }  # fmt: skip


def searched(dtype: str) -> dict:
    return {
        "modelSpec": {"args": "--exec-start tensorflow --model-main main.py"},
        "algoDef": {"algorithm": "Random", "maxJobNum": 2, "objectiveMetric": "loss", "objective": "Minimize"},
        "hyperParams": [
            {"name": "opt", "type": "DISCRETE", "dataType": dtype, "discreateStrVal": ["adam", "sgd"]},
            {"name": "lr", "type": "range", "dataType": "Double", "minDbVal": 0.01, "maxDbVal": 0.5},
        ],
    }


def post_spec(env_server, run, tmp_path, body, *extra: str):
    (tmp_path / "main.py").write_text("print('train')\n")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(body))
    env_server.route("POST", "/hypersearch", body="Admin-hpo-9559865415941081")  # WMLA 1.2.x: a bare string
    result = run("hpo", "start", str(spec), "--model-file", str(tmp_path / "main.py"), *extra)
    posted = [r for r in env_server.requests if (r.method, r.path) == ("POST", BASE + "/hypersearch")]
    return result, [json.loads(r.multipart()["data"].data) for r in posted]


@pytest.mark.parametrize("dtype", ["STRING", "String", "str", "STR", "string"])
def test_a_body_wmla_accepted_is_sent_as_written(env_server, run, tmp_path, dtype):
    for body in (custom_experiments(dtype), searched(dtype)):
        env_server.requests.clear()
        result, posted = post_spec(env_server, run, tmp_path, body)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "Admin-hpo-9559865415941081\n"
        assert posted == [body]


def test_no_validate_sends_an_invalid_body_unchanged(env_server, run, tmp_path):
    bad = searched("STRING")
    bad["algoDef"]["algorithm"] = "MyPlugin"
    bad["algoDef"]["maxJobNum"] = "lots"
    bad["hyperParams"][1]["maxDbVal"] = 0.001  # below minDbVal
    bad["hyperParams"].append({"name": "opt", "type": "Cube"})
    result, posted = post_spec(env_server, run, tmp_path, bad)
    error_line(result, 2, "problems")
    assert posted == []  # checked here: nothing sent
    result, posted = post_spec(env_server, run, tmp_path, bad, "--no-validate")
    assert result.exit_code == 0, result.stderr
    assert posted == [bad]


def test_no_validate_still_shows_the_servers_refusal(env_server, run, tmp_path):
    (tmp_path / "main.py").write_text("print('train')\n")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"modelSpec": {"args": "--model-main main.py"}, "algoDef": {"algorithm": "??"}}))
    env_server.route("POST", "/hypersearch", status=400, body={"code": 400, "message": "Invalid algorithm ??"})
    result = run("hpo", "start", str(spec), "--model-file", str(tmp_path / "main.py"), "--no-validate")
    assert result.exit_code != 0
    assert "Invalid algorithm ??" in result.stderr and "Traceback" not in result.stderr


def test_no_validate_is_in_help(run):
    result = run("hpo", "start", "--help", env={"COLUMNS": "200"})
    assert "--no-validate" in result.stdout and "server decides" in result.stdout
