"""One time format per kind (dlicli.timefmt): local `YYYY-MM-DD HH:MM:SS` on a terminal, ISO-8601
UTC to the second when piped, the server's own value in --json; durations as `1m05s`.

The sites here: `exec get`, `notebook list`/`get`/`kernels`, `server user list`, `server status`,
and the waiting messages."""

from __future__ import annotations

import json
import re

import pytest

from tests.outcome import error_line
from tests.test_resplan_cli import run_on_tty

BATCH = {
    "id": "t1",
    "state": "FINISHED",
    "createTime": "2026-12-02T01:29:45.052Z",
    "startTime": "2026-12-02T01:29:45.959Z",
    "endTime": "2026-12-02T01:30:50.470Z",
}
EPOCH_MS = 1796174985052  # 2026-12-02T01:29:45Z
SERVICE = {"userName": "ann", "podName": "nb-ann", "podStatus": "Running", "podCreateTime": EPOCH_MS}


def record(stdout: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in stdout.splitlines())


def test_exec_get_piped_shows_iso_times_to_the_second(env_server, run):
    env_server.route("GET", "/execs/t1", body=BATCH)
    result = run("exec", "get", "t1")
    assert result.exit_code == 0, result.stderr
    shown = record(result.stdout)
    assert (shown["createTime"], shown["startTime"], shown["endTime"]) == (
        "2026-12-02T01:29:45Z",
        "2026-12-02T01:29:45Z",
        "2026-12-02T01:30:50Z",
    )
    assert shown["state"] == "FINISHED"


def test_exec_get_json_keeps_the_servers_times(env_server, run):
    env_server.route("GET", "/execs/t1", body=BATCH)
    assert json.loads(run("exec", "get", "t1", "--json").stdout) == BATCH


@pytest.mark.slow
def test_exec_get_on_a_terminal_shows_local_times(env_server):
    env_server.route("GET", "/execs/t1", body=BATCH)
    shown = run_on_tty("exec", "get", "t1", TZ="Asia/Tokyo")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"createTime\s+2026-12-02 10:29:45\n", shown.stdout), shown.stdout
    assert re.search(r"endTime\s+2026-12-02 10:30:50\n", shown.stdout), shown.stdout


def test_notebook_list_piped_shows_iso_not_epoch_milliseconds(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", body=[SERVICE])
    result = run("notebook", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip("\n").split("\t")[-1] == "2026-12-02T01:29:45Z"
    assert str(EPOCH_MS) not in result.stdout


def test_notebook_get_and_kernels_show_their_times(env_server, run):
    env_server.route("GET", "/notebooks/ann/runningservices", body=SERVICE)
    env_server.route("GET", "/notebooks/ann/runningkernels", body=[{"kernelName": "k", "createTime": EPOCH_MS}])
    assert record(run("notebook", "get", "ann").stdout)["podCreateTime"] == "2026-12-02T01:29:45Z"
    assert run("notebook", "kernels", "ann").stdout.rstrip("\n").split("\t")[-1] == "2026-12-02T01:29:45Z"
    assert json.loads(run("notebook", "get", "ann", "--json").stdout)["podCreateTime"] == EPOCH_MS


@pytest.mark.slow
def test_server_user_list_iso_piped_local_on_a_terminal(run):
    assert run("server", "user", "add", "bob").exit_code == 0
    piped = run("server", "user", "list").stdout.split("\t")
    assert piped[0] == "bob" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", piped[2]), piped
    shown = run_on_tty("server", "user", "list", TZ="UTC")
    assert re.search(r"bob\s+no\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s", shown.stdout), shown.stdout
    assert piped[2].replace("T", " ").rstrip("Z") in shown.stdout


def test_server_status_shows_no_start_time_when_stopped(run):
    shown = record(run("server", "status").stdout)
    assert shown["RUNNING"] == "no" and shown["STARTED"] == ""


def test_a_wait_that_runs_out_says_the_duration_as_everywhere(env_server, run):
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "RUNNING"})
    result = run("exec", "wait", "t1", "--timeout", "0.25", "--interval", "0.05")
    assert error_line(result, 8) == "error: still running after 0.2s: t1"
