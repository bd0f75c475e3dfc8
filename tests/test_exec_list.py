"""`dlicli exec list`: columns, hidden HPO experiments, --state/--sort/--limit/-q/--headers, fitting
a terminal, and --watch when piped (the terminal --watch is tests/test_tmux_lists.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.test_resplan_cli import run_on_tty
from tests.waiting import wait_until

NOW = time.time()
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the header's bold (NO_COLOR keeps styles)


def iso(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW - seconds_ago))


def task(exec_id: str, state: str, created: float, ran: float | None, search: str | None = None, **extra) -> dict:
    """An engine-shaped Batch: created `created` seconds ago, ran `ran` seconds (None: not started)."""
    start = None if ran is None else iso(created - 1)
    end = None if ran is None or state == "RUNNING" else iso(created - 1 - ran)
    return {
        "id": exec_id,
        "state": state,
        "args": f"--exec-start PyTorch --model-main main.py --model-dir {exec_id}",
        "appName": f"app-{exec_id}",
        "framework": "PyTorch",
        "createTime": iso(created),
        "startTime": start,
        "endTime": end,
        "hpoName": search,
        **extra,
    }


TASKS = [
    task("t-old", "FINISHED", 7200, 65),
    task("e-1", "FINISHED", 3600, 10, "search-a"),
    task("e-2", "FAILED", 3000, 3725, "search-a"),
    task("t-mid", "FAILED", 600, 5),
    task("e-3", "FINISHED", 300, 20, "search-b"),
    task("t-new", "SUBMITTED", 60, None),
]


def ids(stdout: str) -> list[str]:
    return [line.split("\t")[0] for line in stdout.splitlines()]


@pytest.fixture
def tasks(env_server):
    env_server.route("GET", "/execs", body=TASKS)
    return env_server


def test_piped_columns_iso_created_duration_and_experiments_hidden(tasks, run):
    result = run("exec", "list")
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == [
        "t-old",
        "FINISHED",
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - 7200)),
        "1m05s",
        "",
        "PyTorch",
        "main.py",
        "app-t-old",
        "--exec-start PyTorch --model-main main.py --model-dir t-old",
    ]
    assert [r[0] for r in rows] == ["t-old", "t-mid", "t-new"]
    assert rows[2][3] == ""  # not started: no duration
    assert result.stderr == ""  # piped: no word of what was hidden
    assert [(r.method, r.raw_query) for r in tasks.requests] == [("GET", "")]  # hpoName sent: no GET /hypersearch


def test_all_shows_experiments_with_their_search_and_hpo_only_that_search(tasks, run):
    rows = [line.split("\t") for line in run("exec", "list", "--all").stdout.splitlines()]
    assert [(r[0], r[4]) for r in rows] == [
        ("t-old", ""),
        ("e-1", "search-a"),
        ("e-2", "search-a"),
        ("t-mid", ""),
        ("e-3", "search-b"),
        ("t-new", ""),
    ]
    assert rows[2][3] == "1h02m"
    assert ids(run("exec", "list", "--hpo", "search-a").stdout) == ["e-1", "e-2"]
    listed = json.loads(run("exec", "list", "--hpo", "search-b", "--json").stdout)
    assert listed == [TASKS[4]]  # JSON: the server's objects exactly


def test_hpo_of_a_search_that_does_not_exist_is_exit_3_and_of_one_without_experiments_empty(env_server, run):
    env_server.route("GET", "/execs", body=TASKS)
    env_server.route("GET", "/hypersearch/nope", status=404, body={"message": "cannot find hpo task nope"})
    result = run("exec", "list", "--hpo", "nope")
    error_line(result, 3, "search nope not found")
    assert result.stdout == ""
    assert [r.path.rsplit("/", 1)[-1] for r in env_server.requests] == ["execs", "nope"]
    env_server.route("GET", "/hypersearch/fresh", body={"hpoName": "fresh", "state": "SUBMITTED", "experiments": []})
    fresh = run("exec", "list", "--hpo", "fresh", "--json")
    assert fresh.exit_code == 0 and json.loads(fresh.stdout) == []
    env_server.requests.clear()
    assert ids(run("exec", "list", "--hpo", "search-a").stdout) == ["e-1", "e-2"]
    assert [r.path.rsplit("/", 1)[-1] for r in env_server.requests] == ["execs"]  # rows listed: no check


def test_a_server_without_hpo_name_is_asked_once_which_tasks_are_experiments(env_server, run):
    wmla = [{k: v for k, v in t.items() if k != "hpoName"} for t in TASKS]
    env_server.route("GET", "/execs", body=wmla)
    env_server.route(
        "GET",
        "/hypersearch",
        body=[
            {"hpoName": "search-a", "experiments": [{"id": 0, "appId": "e-1"}, {"id": 1, "appId": "e-2"}]},
            {"hpoName": "search-b", "experiments": [{"id": 0, "appId": "e-3"}]},
        ],
    )
    assert ids(run("exec", "list").stdout) == ["t-old", "t-mid", "t-new"]
    assert [r.path.rsplit("/", 1)[-1] for r in env_server.requests] == ["execs", "hypersearch"]
    assert json.loads(run("exec", "list", "--hpo", "search-a", "--json").stdout) == wmla[1:3]
    env_server.requests.clear()
    assert len(json.loads(run("exec", "list", "--all", "--json").stdout)) == 6
    assert [r.path.rsplit("/", 1)[-1] for r in env_server.requests] == ["execs"]  # nothing to hide: one call


@pytest.mark.parametrize("value", ["bogus", "finished,nope"])
def test_an_unknown_state_is_exit_2_naming_the_valid_ones_and_sends_nothing(env_server, run, value):
    result = run("exec", "list", "--state", value)
    error_line(result, 2, "unknown task state")
    assert "FINISHED" in result.stderr and "PENDING_JOB_SCHEDULER" in result.stderr
    assert env_server.requests == []


def test_state_is_sent_to_the_server_and_applied_here_too(tasks, run):
    result = run("exec", "list", "--state", "failed", "--all")
    assert ids(result.stdout) == ["e-2", "t-mid"]
    assert tasks.requests[0].query == {"state": ["FAILED"]}
    assert ids(run("exec", "list", "--state", "Submitted,", "--state", "finished").stdout) == ["t-old", "t-new"]


def test_sort_fields_and_descending(tasks, run):
    assert ids(run("exec", "list", "--sort", "-created").stdout) == ["t-new", "t-mid", "t-old"]
    assert ids(run("exec", "list", "--all", "--sort", "duration").stdout) == [
        "t-mid",
        "e-1",
        "e-3",
        "t-old",
        "e-2",
        "t-new",  # no duration: last, whichever the direction
    ]
    assert ids(run("exec", "list", "--all", "--sort", "-duration").stdout)[:2] == ["e-2", "t-old"]
    assert ids(run("exec", "list", "--sort", "-id").stdout) == ["t-old", "t-new", "t-mid"]
    tasks.requests.clear()
    run("exec", "list", "--sort", "-id")
    assert tasks.requests[0].query == {"sort_by": ["id:desc"]}  # a spec field: the server sorts too
    tasks.requests.clear()
    run("exec", "list", "--sort", "created")
    assert tasks.requests[0].query == {}  # createTime is no spec field: sorted here only


def test_an_unknown_sort_field_is_exit_2_and_sends_nothing(env_server, run):
    result = run("exec", "list", "--sort", "colour")
    error_line(result, 2, "cannot sort by 'colour'")
    assert "created" in result.stderr and "duration" in result.stderr
    assert env_server.requests == []


def test_limit_keeps_the_newest_or_the_first_in_sort_order(tasks, run):
    assert ids(run("exec", "list", "--limit", "2").stdout) == ["t-mid", "t-new"]
    assert ids(run("exec", "list", "--all", "--limit", "2", "--sort", "-duration").stdout) == ["e-2", "t-old"]
    assert tasks.requests[-1].query == {}  # no server sort for duration: no server limit either
    run("exec", "list", "--all", "--limit", "2", "--sort", "id")
    assert tasks.requests[-1].query == {"sort_by": ["id:asc"], "limit": ["2"]}
    run("exec", "list", "--limit", "2", "--sort", "id")
    assert tasks.requests[-1].query == {"sort_by": ["id:asc"]}  # experiments hidden here: no server limit


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_limit_below_one_is_exit_2(env_server, run, value):
    error_line(run("exec", "list", "--limit", value), 2, "--limit")
    assert env_server.requests == []


def test_quiet_prints_ids_only(tasks, run):
    result = run("exec", "list", "-q", "--all", "--sort", "-created", "--limit", "3")
    assert result.exit_code == 0 and result.stdout == "t-new\ne-3\nt-mid\n"
    error_line(run("exec", "list", "-q", "--json"), 2, "-q/--quiet")


def test_headers_when_piped_on_request(tasks, run):
    lines = run("exec", "list", "--headers").stdout.splitlines()
    assert lines[0].split("\t") == ["ID", "STATE", "CREATED", "DURATION", "SEARCH", "FRAMEWORK", "MAIN", "NAME", "ARGS"]
    assert len(lines) == 4
    assert run("exec", "list", "--no-headers").stdout.splitlines()[0].startswith("t-old\t")


@pytest.mark.slow
def test_a_terminal_shows_ages_says_what_was_hidden_and_no_row_wraps_at_80_columns(env_server):
    long_args = "--exec-start PyTorch --model-main main.py " + " ".join(f"--opt{i} {i}" for i in range(30))
    rows = [*TASKS, task("t-long", "RUNNING", 30, 25, args=long_args, appName="a-very-long-application-name-x")]
    env_server.route("GET", "/execs", body=rows)
    done = run_on_tty("exec", "list", COLUMNS="80", LINES="25")
    assert done.returncode == 0, done.stderr
    lines = ANSI.sub("", done.stdout).splitlines()
    assert len(lines) == 5  # header + 4 tasks: no row folded onto a second line
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].split()[:4] == ["ID", "STATE", "CREATED", "DURATION"]
    assert lines[1].split()[:4] == ["t-old", "FINISHED", "2h", "1m05s"]
    assert "SEARCH" not in lines[0]  # no task shown is an experiment: the empty column gives way
    assert done.stderr == "3 HPO experiments hidden; --all shows them\n"
    wide = run_on_tty("exec", "list", "--all", "--no-headers", COLUMNS="200", LINES="25")
    assert "search-a" in wide.stdout and "ARGS" not in wide.stdout and wide.stderr == ""
    assert "--opt2 2" not in wide.stdout and "main.py" in wide.stdout  # the table: MAIN, no args


@pytest.mark.slow
def test_watch_piped_prints_changed_rows_with_a_time_and_ctrl_c_exits_130(env_server):
    first = [task("t-1", "RUNNING", 30, 20), task("t-2", "SUBMITTED", 10, None)]
    env_server.route("GET", "/execs", body=first)
    env = {**os.environ, "DLICLI_URL": env_server.root, "DLICLI_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "exec", "list", "--watch", "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert [line.split("\t")[1:3] for line in lines] == [["t-1", "RUNNING"], ["t-2", "SUBMITTED"]]
        assert all(line.split("\t")[0].endswith("Z") for line in lines)
        polls = len(env_server.requests)
        wait_until(lambda: len(env_server.requests), 10, 0.05, "two more polls", until=lambda n: n >= polls + 2)
        env_server.route("GET", "/execs", body=[task("t-1", "FINISHED", 30, 20), first[1]])
        changed = proc.stdout.readline()
        assert changed.split("\t")[1:4] == ["t-1", "FINISHED", first[0]["createTime"][:19] + "Z"]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert rest == ""  # the running task's duration grew, but no row changed what it shows
    assert err == ""  # Ctrl-C is how a watch ends: no error line


def test_watch_goes_with_neither_json_nor_quiet(env_server, run):
    error_line(run("exec", "list", "--watch", "--json"), 2, "--watch")
    error_line(run("exec", "list", "--watch", "-q"), 2, "--watch")
    assert env_server.requests == []
