"""`scheduler apps --sort/--order` and `scheduler stats --state`: the names a user reads in the
table work, the server gets its own field names, and bad values are refused before any request."""

from __future__ import annotations

import pytest

from dlicli import wmla
from tests.outcome import error_line

APPS = [
    {"applicationid": "app-1", "applicationname": "b", "username": "zoe", "apprunduration": 5, "submittedtime": 3000},
    {"applicationid": "app-2", "applicationname": "c", "username": "amy", "apprunduration": 90, "submittedtime": 1000},
    {"applicationid": "app-3", "applicationname": "a", "username": "bob", "apprunduration": 30, "submittedtime": 2000},
]


@pytest.mark.parametrize(
    "sort,sent,ids",
    [
        ("-duration", "-apprunduration", "app-2 app-3 app-1"),
        ("duration", "apprunduration", "app-1 app-3 app-2"),
        ("user", "username", "app-2 app-3 app-1"),
        ("name", "applicationname", "app-3 app-1 app-2"),
        ("-submitted", "-submittedtime", "app-1 app-3 app-2"),
        ("id", "applicationid", "app-1 app-2 app-3"),
        ("-ID", "-applicationid", "app-3 app-2 app-1"),
        ("apprunduration", "apprunduration", "app-1 app-3 app-2"),  # the server's own name still works
    ],
)
def test_sort_by_a_column_name_sends_the_servers_field(env_server, run, sort, sent, ids):
    env_server.route("GET", "/scheduler/applications", body=APPS)  # a server that does not sort
    result = run("scheduler", "apps", "--sort", sort, "-q")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.query == {"sort": [sent]}
    assert result.stdout.split() == ids.split()


def test_order_desc_sorts_descending_and_is_sent_lower_case(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=APPS)
    result = run("scheduler", "apps", "--sort", "duration", "--order", "DESC", "-q")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.query == {"sort": ["apprunduration"], "order": ["desc"]}
    assert result.stdout.split() == ["app-2", "app-3", "app-1"]


@pytest.mark.parametrize("sort", ["bogus", "-created", "createtime"])
def test_unknown_sort_field_is_refused_listing_the_names_without_request(env_server, run, sort):
    result = run("scheduler", "apps", "--sort", sort)
    error_line(result, 2, f"cannot sort by {sort!r}")
    hint = result.stderr.splitlines()[1]
    assert hint.startswith("hint: sort by one of: submitted, id, name, state, user, duration"), hint
    assert "e.g. -submitted" in hint and "also taken: submittedtime, applicationid" in hint
    assert env_server.requests == []


def test_bad_order_is_refused_without_request(env_server, run):
    result = run("scheduler", "apps", "--sort", "name", "--order", "sideways")
    error_line(result, 2, "--order takes asc or desc, not 'sideways'")
    assert env_server.requests == []


def test_help_names_the_sort_fields(run):
    text = " ".join(run("scheduler", "apps", "--help").stdout.split())
    assert "Sort by " + ", ".join(wmla.APP_SORT_FIELDS) in text


def test_stats_unknown_state_is_refused_like_apps(env_server, run):
    env_server.route("GET", "/scheduler/applicationStatistic", body=[])
    result = run("scheduler", "stats", "--state", "bogus")
    error_line(result, 2, "unknown application state BOGUS")
    assert result.stderr.splitlines()[1].startswith("hint: valid states: ")
    assert env_server.requests == []


def test_stats_states_any_case_comma_separated(env_server, run):
    env_server.route("GET", "/scheduler/applicationStatistic", body=[])
    result = run("scheduler", "stats", "--state", "running,Pending_Crd_Scheduler", "--state", "finished")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.query == {"state": ["FINISHED,PENDING_CRD_SCHEDULER,RUNNING"]}
