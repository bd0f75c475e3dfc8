"""`hpo list` and `scheduler apps` take exec list's list options where they make sense: --state
(hpo: checked), --sort, --limit, -q, --headers, --watch, and columns that fit the terminal."""

from __future__ import annotations

import re

import pytest

from tests.outcome import error_line
from tests.test_resplan_cli import run_on_tty

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SEARCHES = [
    {
        "hpoName": "old-search",
        "state": "FINISHED",
        "progress": "6/6",
        "running": 0,
        "complete": 6,
        "failed": 0,
        "duration": "01:02:05",
        "creator": "alice",
        "createtime": "2024-01-01 10:00:00",
        "best": {"metricVal": 0.25},
    },
    {
        "hpoName": "new-search",
        "state": "RUNNING",
        "progress": "1/6",
        "running": 2,
        "complete": 1,
        "failed": 0,
        "duration": "00:00:07",
        "creator": "bob",
        "createtime": "2024-03-01 10:00:00",
        "best": {"metricVal": 0.5},
    },
    {"hpoName": "mid-search", "state": "STOPPED", "duration": "00:10:00", "createtime": "2024-02-01 10:00:00"},
]
APPS = [
    {"applicationid": "app-b", "applicationname": "b", "state": "RUNNING", "submittedtime": 1700000300000},
    {"applicationid": "app-a", "applicationname": "a", "state": "FINISHED", "submittedtime": 1700000100000},
    {"applicationid": "app-c", "applicationname": "c", "state": "FAILED", "submittedtime": 1700000200000},
]


@pytest.fixture
def searches(env_server):
    env_server.route("GET", "/hypersearch", body=SEARCHES)
    return env_server


@pytest.fixture
def applications(env_server):
    env_server.route("GET", "/scheduler/applications", body=APPS)
    return env_server


def first_cells(stdout: str) -> list[str]:
    return [line.split("\t")[0] for line in stdout.splitlines()]


# -- hpo list ------------------------------------------------------------------------------------


def test_hpo_list_state_is_checked_then_filtered(searches, run):
    assert first_cells(run("hpo", "list", "--state", "running,stopped").stdout) == ["new-search", "mid-search"]
    searches.requests.clear()
    error_line(run("hpo", "list", "--state", "PENDING"), 2, "unknown HPO task state PENDING")
    assert searches.requests == []


def test_hpo_list_sort_limit_quiet(searches, run):
    assert first_cells(run("hpo", "list", "--sort", "-created").stdout) == ["new-search", "mid-search", "old-search"]
    assert first_cells(run("hpo", "list", "--sort", "duration").stdout) == ["new-search", "mid-search", "old-search"]
    assert run("hpo", "list", "--limit", "1", "-q").stdout == "new-search\n"  # the most recent
    assert run("hpo", "list", "--sort", "best", "--limit", "1", "-q").stdout == "old-search\n"
    error_line(run("hpo", "list", "--sort", "size"), 2, "cannot sort by 'size'")


def test_hpo_list_headers_and_durations_as_everywhere(searches, run):
    lines = run("hpo", "list", "--headers").stdout.splitlines()
    assert lines[0].split("\t") == [
        "NAME",
        "STATE",
        "PROGRESS",
        "BEST METRIC",
        "RUNNING",
        "COMPLETE",
        "FAILED",
        "DURATION",
        "CREATOR",
        "CREATED",
    ]
    assert [line.split("\t")[7] for line in lines[1:]] == ["1h02m", "7s", "10m00s"]


@pytest.mark.slow
def test_hpo_list_fits_80_columns(searches):
    done = run_on_tty("hpo", "list", COLUMNS="80", LINES="25", TZ="UTC")
    assert done.returncode == 0, done.stderr
    lines = ANSI.sub("", done.stdout).splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines), lines
    assert lines[0].split()[:2] == ["NAME", "STATE"] and "CREATOR" not in lines[0]  # gave way first


# -- scheduler apps ------------------------------------------------------------------------------


def test_apps_quiet_and_limit_keeps_the_most_recently_submitted(applications, run):
    assert run("scheduler", "apps", "-q").stdout == "app-b\napp-a\napp-c\n"
    assert run("scheduler", "apps", "-q", "--limit", "2").stdout == "app-b\napp-c\n"
    assert applications.last.query == {}  # no server sort: the server is not asked to cut the list


def test_apps_sort_is_applied_here_too_and_limit_goes_with_it(applications, run):
    assert run("scheduler", "apps", "-q", "--sort", "-submittedtime", "--limit", "2").stdout == "app-b\napp-c\n"
    assert applications.last.query == {"sort": ["-submittedtime"], "length": ["2"]}
    assert run("scheduler", "apps", "-q", "--sort", "applicationname").stdout == "app-a\napp-b\napp-c\n"
    assert run("scheduler", "apps", "-q", "--sort", "state", "--order", "desc").stdout == "app-b\napp-a\napp-c\n"


def test_apps_headers_and_bad_combinations(applications, run):
    assert run("scheduler", "apps", "--headers").stdout.splitlines()[0].startswith("ID\tNAME\tSTATE\t")
    applications.requests.clear()
    error_line(run("scheduler", "apps", "-q", "-o", "yaml"), 2, "-q/--quiet")
    error_line(run("scheduler", "apps", "--limit", "0"), 2, "--limit")
    assert applications.requests == []
