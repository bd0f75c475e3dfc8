"""`dlicli notebook list|get|kernels|stop|update` against the recording server."""

from __future__ import annotations

import json
import re

import pytest

from tests.outcome import error_line
from tests.recorder import BASE
from tests.test_resplan_cli import run_on_tty

ODD = "a b/c"
ODD_RAW = "a%20b%2Fc"
ALICE = {
    "userName": "alice",
    "podName": "nb-alice-0",
    "podStatus": "Running",
    "podMessage": "",
    "podReason": "",
    "resourcePlan": "sample-project",
    "resourcePlanPath": "/sample-project",
    "podCreateTime": 1700000000000,
    "podStartTime": 1700000005000,
    "kernels": 2,
    "cpuUsed": 1,
    "gpuUsed": 0,
    "memoryUsed": 512.5,
}
BOB = {"userName": "bob", "podName": "nb-bob-0", "podStatus": "Pending", "resourcePlan": "gpu", "kernels": 0}
KERNELS = [
    {
        "kernelName": "python3",
        "userName": "alice",
        "jobId": "job-1",
        "status": "busy",
        "cpuUsed": 0.5,
        "gpuUsed": 1.0,
        "memoryUsed": 256.0,
        "createTime": 1700000010000,
    },
    {"kernelName": "r", "userName": "alice", "status": "idle"},
]


def calls(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


# -- list --------------------------------------------------------------------------------


def test_list_piped_is_tsv_with_iso_times(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", body=[ALICE, BOB])
    result = run("notebook", "list")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", "/notebooks/runningservices", "")]
    assert result.stdout == (
        "alice\tnb-alice-0\tRunning\tsample-project\t2\t1\t0\t512.5\t2023-11-14T22:13:20Z\n"
        "bob\tnb-bob-0\tPending\tgpu\t0\t\t\t\t\n"
    )


def test_list_accepts_a_single_object(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", body=ALICE)
    result = run("notebook", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("alice\tnb-alice-0\t")
    assert result.stdout.count("\n") == 1
    assert json.loads(run("notebook", "list", "--json").stdout) == ALICE


def test_list_json_exact(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", body=[ALICE, BOB])
    result = run("notebook", "list", "--json")
    assert json.loads(result.stdout) == [ALICE, BOB]
    assert result.stdout == json.dumps([ALICE, BOB], indent=2) + "\n"


@pytest.mark.parametrize("body", [[], b""])
def test_list_empty(env_server, run, body):
    env_server.route("GET", "/notebooks/runningservices", body=body)
    result = run("notebook", "list")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no notebook services" in result.stderr
    assert run("notebook", "list", "--json").stdout == "[]\n"


@pytest.mark.slow
def test_list_on_a_terminal_shows_ages(env_server):
    """CREATED as `exec list` shows it on a terminal: how long ago (`notebook get` has the time)."""
    env_server.route("GET", "/notebooks/runningservices", body=[ALICE])
    done = run_on_tty("notebook", "list", TZ="UTC")
    assert done.returncode == 0, done.stderr
    assert re.search(r"  \d+d\s*$", done.stdout), done.stdout
    assert "2023-11-14" not in done.stdout
    assert "1700000000000" not in done.stdout


def test_list_forbidden_exits_5(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", status=403, body={"message": "admins only"})
    result = run("notebook", "list")
    assert result.exit_code == 5
    assert "admins only" in result.stderr


# -- get ---------------------------------------------------------------------------------


def test_get_quotes_the_user_and_prints_a_record(env_server, run):
    env_server.route("GET", f"/notebooks/{ODD}/runningservices", body={"extra": "x", **BOB})
    result = run("notebook", "get", ODD)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", f"/notebooks/{ODD_RAW}/runningservices", "")]
    assert result.stdout == (
        "userName\tbob\npodName\tnb-bob-0\npodStatus\tPending\nresourcePlan\tgpu\nkernels\t0\nextra\tx\n"
    )


def test_get_json_exact(env_server, run):
    env_server.route("GET", "/notebooks/alice/runningservices", body=ALICE)
    result = run("notebook", "get", "alice", "--json")
    assert result.stdout == json.dumps(ALICE, indent=2) + "\n"


def test_get_missing_service_exits_3(env_server, run):
    env_server.route("GET", "/notebooks/ghost/runningservices", status=404, body={"message": "no service"})
    result = run("notebook", "get", "ghost")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: the notebook service of ghost not found\n")


# -- kernels -----------------------------------------------------------------------------


def test_kernels_piped_tsv(env_server, run):
    env_server.route("GET", f"/notebooks/{ODD}/runningkernels", body=KERNELS)
    result = run("notebook", "kernels", ODD)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", f"/notebooks/{ODD_RAW}/runningkernels", "")]
    assert result.stdout == "python3\tbusy\tjob-1\t0.5\t1\t256\t2023-11-14T22:13:30Z\nr\tidle\t\t\t\t\t\n"


def test_kernels_single_object_and_json(env_server, run):
    env_server.route("GET", "/notebooks/alice/runningkernels", body=KERNELS[0])
    assert run("notebook", "kernels", "alice").stdout.startswith("python3\tbusy\tjob-1\t")
    assert json.loads(run("notebook", "kernels", "alice", "--json").stdout) == KERNELS[0]


def test_kernels_yaml(env_server, run):
    import yaml

    env_server.route("GET", "/notebooks/alice/runningkernels", body=KERNELS)
    result = run("notebook", "kernels", "alice", "-o", "yaml")
    assert yaml.safe_load(result.stdout) == KERNELS


# -- stop --------------------------------------------------------------------------------


def test_stop_puts_and_reports_on_stderr(env_server, run):
    env_server.route("PUT", f"/notebooks/{ODD}/stopservice", body={"result": "ok", "message": ""})
    result = run("notebook", "stop", ODD)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("PUT", f"/notebooks/{ODD_RAW}/stopservice", "")]
    assert env_server.last.body == b""
    assert result.stdout == ""
    assert f"stopped the notebook service of {ODD}" in result.stderr


@pytest.mark.parametrize(
    "status,answer",
    [(200, ALICE), (403, {"message": "nope"}), (500, {"message": "kaput"})],
    ids=["running", "403", "500"],
)
def test_stop_error_result_exits_1_with_its_message(env_server, run, status, answer):
    """A service that is there (or a question about it that fails) leaves the stop's error: exit 1."""
    env_server.route("PUT", "/notebooks/alice/stopservice", body={"result": "error", "message": "pod is stuck"})
    env_server.route("GET", "/notebooks/alice/runningservices", status=status, body=answer)
    result = run("notebook", "stop", "alice")
    assert error_line(result, 1, "could not stop the notebook service of alice: pod is stuck")
    assert "hint: check it with: dlicli notebook get alice" in result.stderr
    assert calls(env_server) == [
        ("PUT", "/notebooks/alice/stopservice", ""),
        ("GET", "/notebooks/alice/runningservices", ""),
    ]


def test_stop_json_prints_the_result_even_on_error(env_server, run):
    body = {"result": "error", "message": "pod is stuck"}
    env_server.route("PUT", "/notebooks/alice/stopservice", body=body)
    env_server.route("GET", "/notebooks/alice/runningservices", body=ALICE)
    result = run("notebook", "stop", "alice", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == body


NOT_RUNNING = {"result": "error", "message": "no notebook service runs for user bob"}


@pytest.mark.parametrize(
    "status,answer",
    [(404, {"message": "no notebook service for user bob"}), (400, {"message": "Cannot find user bob"})],
)
def test_stop_when_no_service_runs_exits_3_as_get_does(env_server, run, status, answer):
    """The spec's stopService answers 200 {result: error} whatever failed; whether the service is
    there is what `notebook get` asks (404, or the spec's 400 "cannot find": exit 3)."""
    env_server.route("PUT", "/notebooks/bob/stopservice", body=NOT_RUNNING)
    env_server.route("GET", "/notebooks/bob/runningservices", status=status, body=answer)
    result = run("notebook", "stop", "bob")
    assert error_line(result, 3, "could not stop the notebook service of bob: no notebook service runs for user bob")
    assert "hint: list the running ones with `dlicli notebook list`" in result.stderr
    assert calls(env_server) == [
        ("PUT", "/notebooks/bob/stopservice", ""),
        ("GET", "/notebooks/bob/runningservices", ""),
    ]
    assert run("notebook", "get", "bob").exit_code == 3


def test_stop_json_when_no_service_runs_prints_the_answer_and_exits_3(env_server, run):
    env_server.route("PUT", "/notebooks/bob/stopservice", body=NOT_RUNNING)
    env_server.route("GET", "/notebooks/bob/runningservices", status=404, body={"message": "no service"})
    result = run("notebook", "stop", "bob", "--json")
    assert error_line(
        result, 3, "no notebook service runs for user bob", stdout=json.dumps(NOT_RUNNING, indent=2) + "\n"
    )


# -- update ------------------------------------------------------------------------------


def test_update_sends_the_notebook_service_body(env_server, run):
    env_server.route("PUT", f"/notebooks/{ODD}", body={**ALICE, "userName": ODD, "resourcePlan": "gpu"})
    result = run("notebook", "update", ODD, "--resource-plan", "gpu")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("PUT", f"/notebooks/{ODD_RAW}", "")]
    assert env_server.last.headers["content-type"] == "application/json"
    assert env_server.last.json() == {"userName": ODD, "resourcePlan": "gpu"}
    assert "resourcePlan\tgpu\n" in result.stdout


def test_update_json_exact(env_server, run):
    env_server.route("PUT", "/notebooks/alice", body=ALICE)
    result = run("notebook", "update", "alice", "--resource-plan", "p", "--json")
    assert result.stdout == json.dumps(ALICE, indent=2) + "\n"


def test_update_empty_answer_reports_on_stderr(env_server, run):
    env_server.route("PUT", "/notebooks/alice", status=204)
    result = run("notebook", "update", "alice", "--resource-plan", "p")
    assert result.exit_code == 0 and result.stdout == ""
    assert "moved the notebook service of alice to p" in result.stderr


@pytest.mark.parametrize("args", [[], ["--resource-plan", " "]])
def test_update_needs_a_plan_exit_2_no_request(env_server, run, args):
    result = run("notebook", "update", "alice", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert env_server.requests == []


def test_update_unknown_plan_400_cannot_find_exits_3(env_server, run):
    env_server.route("PUT", "/notebooks/alice", status=400, body={"message": "Cannot find resource plan nope"})
    result = run("notebook", "update", "alice", "--resource-plan", "nope")
    assert error_line(result, 3, "could not update the notebook service of alice: Cannot find resource plan nope")
    assert [(r.method, r.path) for r in env_server.requests] == [("PUT", BASE + "/notebooks/alice")]
