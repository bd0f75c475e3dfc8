"""`dlicli exec list|get|stop|delete|deploy|frameworks` against the recording server."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest
import yaml

from tests.conftest import TOKEN
from tests.recorder import BASE

NOT_FOUND = {"message": "Cannot find task with given execId."}
ODD_ID = "a b/c"
ODD_RAW = "a%20b%2Fc"

TASKS = [
    {
        "id": "dl-1",
        "state": "RUNNING",
        "args": "--exec-start PyTorch --model-main main.py --model-dir mnist --numWorker 2 "
        "--epochs 10 --learning-rate 0.001 --batch-size 64 --extra-long-argument value",
        "appId": "app-1",
        "creator": "alice",
        "submissionId": "s-1",
    },
    {"id": "dl-2", "state": "FINISHED", "args": "--exec-start tensorflow --model-main t.py", "creator": "bob"},
    {"id": "dl-3", "state": "failed", "args": "", "appId": "app-3", "creator": "alice"},
]


def calls(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


# -- list --------------------------------------------------------------------------------


def test_list_piped_is_untruncated_tsv(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list")
    assert result.exit_code == 0, result.stderr
    # ID STATE CREATED DURATION SEARCH FRAMEWORK MAIN NAME ARGS (WMLA's Batch has no times: empty)
    assert result.stdout.splitlines() == [
        "dl-1\tRUNNING\t\t\t\tPyTorch\tmain.py\t\t" + TASKS[0]["args"],
        "dl-2\tFINISHED\t\t\t\ttensorflow\tt.py\t\t--exec-start tensorflow --model-main t.py",
        "dl-3\tfailed\t\t\t\t\t\t\t",
    ]
    # a Batch without hpoName: GET /hypersearch says which tasks are experiments (here: 404, none)
    assert calls(env_server) == [("GET", "/execs", ""), ("GET", "/hypersearch", "")]
    assert env_server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_list_json_is_the_server_list_exactly(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == json.dumps(TASKS, indent=2) + "\n"


@pytest.mark.parametrize("flag", [["--json"], ["-o", "json"]])
def test_list_json_empty_is_brackets(env_server, run, flag):
    env_server.route("GET", "/execs", body=[])
    result = run("exec", "list", *flag)
    assert result.exit_code == 0
    assert result.stdout == "[]\n"


def test_list_empty_table_prints_nothing_on_stdout(env_server, run):
    env_server.route("GET", "/execs", body=[])
    result = run("exec", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no tasks" in result.stderr


def test_list_state_filter_is_case_insensitive_and_repeatable(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list", "--state", "FAILED", "--state", "finished", "--json")
    assert result.exit_code == 0, result.stderr
    assert [t["id"] for t in json.loads(result.stdout)] == ["dl-2", "dl-3"]
    assert env_server.requests[0].query == {"state": ["FAILED,FINISHED"]}  # the server filters too
    result = run("exec", "list", "--state", "running,failed")
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["dl-1", "dl-3"]


def test_list_yaml(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    result = run("exec", "list", "-o", "yaml")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == TASKS


# -- get ---------------------------------------------------------------------------------


def test_get_quotes_the_id_as_one_segment_and_prints_a_record(env_server, run):
    batch = {"state": "RUNNING", "id": ODD_ID, "custom": {"x": 1}, "creator": "alice"}
    env_server.route("GET", "/execs/" + ODD_ID, body=batch)
    result = run("exec", "get", ODD_ID)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", "/execs/" + ODD_RAW, "")]
    assert result.stdout == 'id\ta b/c\nstate\tRUNNING\ncreator\talice\ncustom\t{"x":1}\n'


def test_get_json_exact(env_server, run):
    env_server.route("GET", "/execs/dl-1", body=TASKS[0])
    result = run("exec", "get", "dl-1", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == TASKS[0]
    assert result.stdout == json.dumps(TASKS[0], indent=2) + "\n"


@pytest.mark.parametrize(
    "verb,method,path",
    [
        ("get", "GET", "/execs/nope"),
        ("stop", "POST", "/execs/nope/stop"),
        ("delete", "DELETE", "/execs/nope"),
    ],
)
def test_spec_400_cannot_find_exits_3(env_server, run, verb, method, path):
    env_server.route(method, path, status=400, body=NOT_FOUND)
    result = run("exec", verb, "nope")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "error: task nope not found"
    assert calls(env_server) == [(method, path, "")]


# -- stop / delete -----------------------------------------------------------------------


def test_stop_each_id_prints_ids_to_stderr(env_server, run):
    env_server.route("POST", "/execs/dl-1/stop", status=204)
    env_server.route("POST", f"/execs/{ODD_ID}/stop", status=204)
    result = run("exec", "stop", "dl-1", ODD_ID)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("POST", "/execs/dl-1/stop", ""), ("POST", f"/execs/{ODD_RAW}/stop", "")]
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["dl-1", ODD_ID]


def test_stop_goes_on_past_failures_and_exits_with_the_first(env_server, run):
    env_server.route("POST", "/execs/a/stop", status=204)
    env_server.route("POST", "/execs/b/stop", status=403, body={"message": "not yours"})
    env_server.route("POST", "/execs/c/stop", status=400, body=NOT_FOUND)
    env_server.route("POST", "/execs/d/stop", status=204)
    result = run("exec", "stop", "a", "b", "c", "d")
    assert result.exit_code == 5
    assert [p for _, p, _ in calls(env_server)] == ["/execs/a/stop", "/execs/b/stop", "/execs/c/stop", "/execs/d/stop"]
    err = result.stderr.splitlines()
    assert err[0] == "a" and err[3] == "d"
    assert err[1].startswith("error: could not stop task b: ") and "not yours" in err[1]
    assert err[2] == "error: task c not found"
    assert err[4] == "error: could not stop 2 of 4 tasks: b, c"


def test_delete_ids(env_server, run):
    env_server.route("DELETE", "/execs/x", status=204)
    env_server.route("DELETE", f"/execs/{ODD_ID}", status=204)
    result = run("exec", "delete", "x", ODD_ID)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("DELETE", "/execs/x", ""), ("DELETE", f"/execs/{ODD_RAW}", "")]


def test_delete_partial_failure_exit_code_is_the_first_failure(env_server, run):
    env_server.route("DELETE", "/execs/x", status=400, body=NOT_FOUND)
    env_server.route("DELETE", "/execs/y", status=204)
    result = run("exec", "delete", "x", "y")
    assert result.exit_code == 3
    assert [p for _, p, _ in calls(env_server)] == ["/execs/x", "/execs/y"]
    assert result.stderr.splitlines()[-2:] == [
        "error: could not delete 1 of 2 tasks: x",
        "hint: check the name or id; list them with `dlicli exec list`",
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "error: no task to delete"),
        (["x", "--all", "--yes"], "error: give task ids or --all, not both"),
        (["--all"], 'error: cannot ask "Delete ALL your tasks on {url}?": stdin is not a terminal'),
    ],
)
def test_delete_usage_errors_send_nothing(env_server, run, args, message):
    env_server.route("DELETE", "/execs", status=204)
    result = run("exec", "delete", *args, input="y\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message.format(url=env_server.url)
    assert env_server.requests == []


def test_delete_all_yes(env_server, run):
    env_server.route("DELETE", "/execs", status=204)
    result = run("exec", "delete", "--all", "--yes")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("DELETE", "/execs", "")]
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].endswith(
        "deleted all your tasks; a search's experiments stay with it (`dlicli hpo delete NAME`)"
    )


def _delete_all_on_a_tty(answer: bytes) -> subprocess.CompletedProcess:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli", "exec", "delete", "--all"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        os.close(slave)
        os.write(master, answer)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())


@pytest.mark.slow
def test_delete_all_on_a_terminal_asks_and_deletes_on_yes(env_server):
    env_server.route("DELETE", "/execs", status=204)
    done = _delete_all_on_a_tty(b"y\n")
    assert done.returncode == 0, done.stderr
    assert f"Delete ALL your tasks on {env_server.url}?" in done.stderr
    assert done.stdout == ""
    assert calls(env_server) == [("DELETE", "/execs", "")]


def test_delete_all_on_a_terminal_answer_no_sends_nothing(env_server):
    env_server.route("DELETE", "/execs", status=204)
    done = _delete_all_on_a_tty(b"n\n")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("not confirmed: nothing was changed")
    assert "error" not in done.stderr
    assert env_server.requests == []


# -- deploy ------------------------------------------------------------------------------


def test_deploy_sends_the_model_description(env_server, run):
    env_server.route("POST", f"/execs/{ODD_ID}/deploy", body={"uid": "edi-7", "href": "/edi/edi-7"})
    result = run(
        "exec",
        "deploy",
        ODD_ID,
        "--name",
        "mnist",
        "--kernel",
        "kernel.py",
        "--runtime",
        "dlipy3",
        "--weight",
        "model/w.pth",
        "--tag",
        "v1",
        "--attr",
        "batch=8",
        "--attr",
        "eq=a=b",
        "--env",
        "MODE=fast",
        "--env",
        "EMPTY=",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "edi-7\n"
    req = env_server.last
    assert (req.method, req.raw_path.removeprefix(BASE)) == ("POST", f"/execs/{ODD_RAW}/deploy")
    assert req.headers["content-type"] == "application/json"
    assert req.json() == {
        "name": "mnist",
        "kernel": "kernel.py",
        "runtime": "dlipy3",
        "weight": "model/w.pth",
        "tag": "v1",
        "attributes": [{"name": "batch", "value": "8"}, {"name": "eq", "value": "a=b"}],
        "environments": [{"name": "MODE", "value": "fast"}, {"name": "EMPTY", "value": ""}],
    }


def test_deploy_minimal_body_omits_absent_fields(env_server, run):
    env_server.route("POST", "/execs/t1/deploy", body="edi-9")
    result = run("exec", "deploy", "t1", "--name", "m", "--kernel", "k.py")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.json() == {"name": "m", "kernel": "k.py"}
    assert result.stdout == "edi-9\n"


def test_deploy_json_prints_the_response(env_server, run):
    env_server.route("POST", "/execs/t1/deploy", body={"uid": "u", "href": "h"})
    result = run("exec", "deploy", "t1", "--name", "m", "--kernel", "k.py", "--json")
    assert result.exit_code == 0
    assert result.stdout == '{\n  "uid": "u",\n  "href": "h"\n}\n'


@pytest.mark.parametrize(
    "args",
    [
        ["--attr", "novalue"],
        ["--env", "=x"],
        ["--env", "A=1", "--env", "B"],
    ],
)
def test_deploy_bad_pairs_are_usage_errors(env_server, run, args):
    env_server.route("POST", "/execs/t1/deploy", body="x")
    result = run("exec", "deploy", "t1", "--name", "m", "--kernel", "k.py", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --") and "NAME=VALUE" in result.stderr
    assert env_server.requests == []


def test_deploy_requires_name_and_kernel(env_server, run):
    result = run("exec", "deploy", "t1", "--name", "m")
    assert result.exit_code == 2
    assert "--kernel" in result.stderr
    assert env_server.requests == []


# -- frameworks --------------------------------------------------------------------------

FRAMEWORKS = [
    {
        "name": "PyTorch",
        "frameworkVersion": "1.13",
        "distributeStrategy": "MultiWorkerMirroredStrategy",
        "description": "PyTorch jobs",
        "numPs": 0,
    },
    {"name": "tensorflow", "frameworkVersion": "2.11", "desc": ["TF", "jobs"]},
]


def test_frameworks_table_piped(env_server, run):
    env_server.route("GET", "/execs/frameworks", body=FRAMEWORKS)
    result = run("exec", "frameworks")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "PyTorch\t1.13\tMultiWorkerMirroredStrategy\tPyTorch jobs\ntensorflow\t2.11\t\tTF\n"
    assert calls(env_server) == [("GET", "/execs/frameworks", "")]
    assert run("exec", "frameworks", "-o", "wide").stdout.splitlines()[1] == "tensorflow\t2.11\t\tTF jobs"


def test_frameworks_json_exact(env_server, run):
    env_server.route("GET", "/execs/frameworks", body=FRAMEWORKS)
    result = run("exec", "frameworks", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == FRAMEWORKS
