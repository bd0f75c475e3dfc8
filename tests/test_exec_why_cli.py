"""Say why (issue 14): a task that ended ERROR or FAILED shows the server's `events` (where WMLA says
why: "Job <wmla-1293> task <1> failed") with the "task ended badly" line, in `exec wait`, `exec get`
and `exec start --wait|--follow`; a state the CLI waits through (PENDING_CRD_SCHEDULER …) says what
it waits for. Against a recording server answering WMLA-shaped Batch bodies."""

from __future__ import annotations

import pytest

WHY = "Job <wmla-1293> task <1> failed"


def batch(state: str, **extra) -> dict:
    """GET /execs/{id} as WMLA 1.2.x answers it (appId the id, times as "YYYY-MM-DD HH:MM:SS")."""
    return {
        "id": "wmla-1293",
        "appId": "wmla-1293",
        "appName": "pytorch-mnist",
        "args": "--exec-start PyTorch --cs-datastore-meta type=fs --workerDeviceNum 1 --model-main main.py",
        "creator": "admin",
        "createTime": "2021-08-06 10:16:37",
        "state": state,
        "submissionId": "driver-20210806101637-0042",
        "schedulerUrl": "",
        "workDir": "/gpfs/dlfs1/admin/batchworkdir/wmla-1293",
        "events": "",
        **extra,
    }


def walk(*bodies: dict):
    """A route body answering each Batch in turn (the last repeats)."""
    seen = {"n": 0}

    def body(rec):
        seen["n"] += 1
        return bodies[min(seen["n"], len(bodies)) - 1]

    return body


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")


@pytest.mark.parametrize("final", ["ERROR", "FAILED"])
def test_wait_on_a_task_that_ended_badly_prints_its_events(env_server, run, final):
    env_server.route("GET", "/execs/wmla-1293", body=walk(batch("RUNNING"), batch(final, events=WHY)))
    env_server.route("GET", "/execs/wmla-1293/log", body=b"", headers={"Content-Type": "text/plain"})
    result = run("exec", "wait", "wmla-1293")
    assert result.exit_code == 10
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "wmla-1293: RUNNING",
        f"wmla-1293: {final}",
        f"wmla-1293 events: {WHY}",
        f"error: task ended badly: wmla-1293 {final}",
        "hint: see the task's error log: dlicli exec logs wmla-1293 --stderr",
    ]


def test_wait_shows_only_the_last_lines_of_long_events_and_none_for_a_killed_task(env_server, run):
    events = "\n".join(f"2021-08-06T10:16:{n:02d}Z Info step {n}" for n in range(8)) + "\n\n" + WHY + "\n"
    env_server.route("GET", "/execs/wmla-1293", body=batch("ERROR", events=events))
    env_server.route("GET", "/execs/wmla-1294", body=dict(batch("KILLED", events="killed by admin"), id="wmla-1294"))
    env_server.route("GET", "/execs/wmla-1293/log", body=b"", headers={"Content-Type": "text/plain"})
    result = run("exec", "wait", "wmla-1293", "wmla-1294")
    assert result.exit_code == 10
    shown = [line for line in result.stderr.splitlines() if " events: " in line]
    assert shown == [
        "wmla-1293 events: 2021-08-06T10:16:04Z Info step 4",
        "wmla-1293 events: 2021-08-06T10:16:05Z Info step 5",
        "wmla-1293 events: 2021-08-06T10:16:06Z Info step 6",
        "wmla-1293 events: 2021-08-06T10:16:07Z Info step 7",
        f"wmla-1293 events: {WHY}",
    ]


def test_wait_through_pending_crd_scheduler_says_what_it_waits_for(env_server, run):
    env_server.route(
        "GET",
        "/execs/wmla-1293",
        body=walk(batch("PENDING_CRD_SCHEDULER"), batch("PENDING_CRD_SCHEDULER"), batch("FINISHED")),
    )
    result = run("exec", "wait", "wmla-1293")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "wmla-1293: PENDING_CRD_SCHEDULER: waiting for the Kubernetes scheduler to place it",
        "wmla-1293: FINISHED",
    ]


def test_wait_through_another_pending_state_says_it_waits_for_a_scheduler(env_server, run):
    env_server.route("GET", "/execs/wmla-1293", body=walk(batch("PENDING_QUOTA"), batch("FINISHED")))
    result = run("exec", "wait", "wmla-1293")
    assert result.stderr.splitlines()[0] == "wmla-1293: PENDING_QUOTA: waiting for a scheduler to run it"


def test_get_of_an_error_task_prints_its_events_on_stderr(env_server, run):
    env_server.route("GET", "/execs/wmla-1293", body=batch("ERROR", events=WHY))
    result = run("exec", "get", "wmla-1293")
    assert result.exit_code == 0, result.stderr
    assert "state\tERROR" in result.stdout.splitlines()
    assert result.stderr.splitlines() == [f"wmla-1293 events: {WHY}"]
    as_json = run("exec", "get", "wmla-1293", "--json")
    assert as_json.stderr == ""


def test_get_of_a_pending_task_says_what_it_waits_for(env_server, run):
    env_server.route("GET", "/execs/wmla-1293", body=batch("PENDING_CRD_SCHEDULER"))
    result = run("exec", "get", "wmla-1293")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "wmla-1293: PENDING_CRD_SCHEDULER: waiting for the Kubernetes scheduler to place it"
    ]


def test_get_of_a_finished_task_adds_nothing(env_server, run):
    env_server.route("GET", "/execs/wmla-1293", body=batch("FINISHED", events="Job <wmla-1293> finished"))
    result = run("exec", "get", "wmla-1293")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_logs_follow_of_a_task_that_ended_in_error_prints_its_events(env_server, run):
    env_server.route("GET", "/execs/wmla-1293", body=walk(batch("RUNNING"), batch("ERROR", events=WHY)))
    env_server.route("GET", "/execs/wmla-1293/log", body=b"epoch 1\n", headers={"Content-Type": "text/plain"})
    result = run("exec", "logs", "wmla-1293", "--follow", "--stdout")
    assert result.exit_code == 10
    assert "wmla-1293: ERROR\nwmla-1293 events: " + WHY + "\n" in result.stderr
    assert result.stderr.rstrip().splitlines()[-2] == "error: task ended badly: wmla-1293 ERROR"


@pytest.fixture
def model(tmp_path):
    root = tmp_path / "mnist"
    root.mkdir()
    (root / "main.py").write_text("print('train')\n")
    return root


@pytest.mark.parametrize("how", ["--wait", "--follow"])
def test_start_wait_or_follow_prints_the_events_of_a_task_that_failed(env_server, run, model, how):
    env_server.route("POST", "/execs", body={"id": "wmla-1293", "appId": "wmla-1293"})
    env_server.route("GET", "/execs/wmla-1293", body=walk(batch("RUNNING"), batch("FAILED", events=WHY)))
    env_server.route("GET", "/execs/wmla-1293/log", body=b"", headers={"Content-Type": "text/plain"})
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py", how)
    assert result.exit_code == 10
    lines = result.stderr.splitlines()
    assert f"wmla-1293 events: {WHY}" in lines
    assert lines.index(f"wmla-1293 events: {WHY}") < lines.index("error: task ended badly: wmla-1293 FAILED")
