"""What a person sees on a terminal (a pseudo-terminal here) against what a pipe gets: a record's
multi-line value, NO_COLOR, lists on a narrow terminal; and the hint of a missing resource plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.outcome import error_line
from tests.test_resplan_cli import run_on_tty

ANSI = re.compile(r"\x1b\[[0-9;]*m")
EVENTS = (
    "2026-12-02T15:44:59.479Z Info SUBMITTED: by admin\r\n"
    "2026-12-02T15:44:59.494Z Info RUNNING: on 1 slot\n"
    "2026-12-02T15:45:03.001Z Error \x1b[31mFAILED\x1b[0m: exit 1"
)
TASK = {"id": "admin-3", "state": "FAILED", "appName": "mnist", "events": EVENTS}


# -- a record's multi-line value (exec get's events) ---------------------------------------------


@pytest.mark.slow
def test_exec_get_shows_one_event_a_line_on_a_terminal_and_escapes_them_piped(env_server, run):
    env_server.route("GET", "/execs/admin-3", body=TASK)
    done = run_on_tty("exec", "get", "admin-3", COLUMNS="120")
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in ANSI.sub("", done.stdout).splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("events"))
    assert lines[first].endswith("Info SUBMITTED: by admin")
    assert lines[first + 1].strip() == "2026-12-02T15:44:59.494Z Info RUNNING: on 1 slot"
    assert lines[first + 2].strip() == r"2026-12-02T15:45:03.001Z Error \x1b[31mFAILED\x1b[0m: exit 1"
    assert lines[first + 1].index("2026") == lines[first].index("2026")  # under the first, in the value column
    assert "\\n" not in done.stdout and "\\r" not in done.stdout
    piped = run("exec", "get", "admin-3")
    events = next(line for line in piped.stdout.splitlines() if line.startswith("events\t"))
    assert events == "events\t" + EVENTS.replace("\r", "\\r").replace("\n", "\\n").replace("\x1b", "\\x1b")


# -- NO_COLOR ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_only_a_non_empty_no_color_turns_colour_off(env_server):
    """no-color.org: NO_COLOR "present and not an empty string" turns colour off; `exec get`'s keys
    are bold only with colour."""
    env_server.route("GET", "/execs/admin-3", body={"id": "admin-3", "state": "RUNNING"})
    for value, coloured in (("", True), ("1", False)):
        done = run_on_tty("exec", "get", "admin-3", NO_COLOR=value, TERM="xterm")
        assert done.returncode == 0, done.stderr
        assert ("\x1b[1m" in done.stdout) is coloured, (value, done.stdout)


# -- a missing resource plan names the command that lists plans ----------------------------------


def test_notebook_update_to_a_missing_plan_hints_resplan_tree(env_server, run):
    env_server.route("PUT", "/notebooks/admin", status=400, body={"message": "resource plan nosuch does not exist"})
    result = run("notebook", "update", "admin", "--resource-plan", "nosuch")
    assert error_line(result, 3).endswith("resource plan nosuch does not exist")
    assert result.stderr.splitlines()[1] == "hint: check the name or id; list them with `dlicli resplan tree`"

    env_server.route("GET", "/notebooks/bob/runningservices", status=404, body={"message": "no such service"})
    missing = run("notebook", "get", "bob")  # the service itself: still the list of services
    assert error_line(missing, 3)
    assert missing.stderr.splitlines()[1] == "hint: check the name or id; list them with `dlicli notebook list`"


# -- lists on a narrow terminal ------------------------------------------------------------------

SERVICES = [
    {
        "userName": "admin",
        "podName": "jupyter-admin-7f9c6d5b4",
        "podStatus": "Running",
        "resourcePlan": "sample-project",
        "podCreateTime": 1700000000000,
        "kernels": 2,
        "cpuUsed": 1.5,
        "gpuUsed": 0,
        "memoryUsed": 2048.25,
    },
    {"userName": "bob", "podName": "jupyter-bob", "podStatus": "Pending", "resourcePlan": "gpu", "kernels": 0},
]


def _fits(stdout: str, width: int, rows: int) -> list[str]:
    lines = [line.rstrip() for line in ANSI.sub("", stdout).splitlines()]
    assert len(lines) == rows + 1, lines  # the header and one line a row: nothing wrapped
    assert all(len(line) <= width for line in lines), lines
    return lines


@pytest.mark.slow
def test_notebook_list_fits_a_narrow_terminal_without_breaking_words(env_server, run):
    env_server.route("GET", "/notebooks/runningservices", body=SERVICES)
    done = run_on_tty("notebook", "list", COLUMNS="60")
    assert done.returncode == 0, done.stderr
    header, admin, bob = _fits(done.stdout, 60, 2)
    # the usage numbers and KERNELS give way, then the pod name is cut: no header or word broken
    assert header.split() == ["USER", "POD", "STATUS", "PLAN", "CREATED"]
    assert admin.split()[:4] == ["admin", "jupyter-admin-7f9c…", "Running", "sample-project"]
    assert bob.split()[0] == "bob" and "Pending" in bob.split()
    assert re.search(r"\s\d+[smhd]$", admin), admin  # CREATED as an age, as exec list shows it
    wide = run_on_tty("notebook", "list", COLUMNS="200")
    assert "jupyter-admin-7f9c6d5b4" in wide.stdout and "2048.25" in wide.stdout
    piped = run("notebook", "list").stdout.splitlines()[0].split("\t")
    assert piped[1] == "jupyter-admin-7f9c6d5b4" and piped[-1] == "2023-11-14T22:13:20Z"  # all, whole


LONG_URL = "https://wmla-console.research.example.com:9243/platform/rest/deeplearning/v1"


def _profiles(tmp_path) -> Path:
    """config.yaml (in the config dir tests/conftest.py gives each test) with profiles prod and dev."""
    config = tmp_path / "config" / "config.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        "current_profile: prod\n"
        "profiles:\n"
        f"  prod:\n    url: {LONG_URL}\n    username: alice\n    auth: basic\n    store: file\n"
        "  dev:\n    url: http://127.0.0.1:9392\n    auth: token\n    store: file\n"
    )
    return config


@pytest.mark.slow
def test_profile_list_fits_a_narrow_terminal(tmp_path, run):
    _profiles(tmp_path)
    done = run_on_tty("profile", "list", COLUMNS="60")
    assert done.returncode == 0, done.stderr
    header, local, dev, prod = _fits(done.stdout, 60, 3)
    assert header.split() == ["NAME", "URL", "CURRENT"]  # AUTH and USER give way, then the URL is cut
    assert [local.split()[0], dev.split()[0], prod.split()[0]] == ["local", "dev", "prod"]
    assert prod.split()[1].startswith("https://wmla-console.research.example.com") and prod.endswith("…  *")
    assert LONG_URL in run("profile", "list").stdout  # piped: whole


# -- asking first: one wording, and "no" is no error ---------------------------------------------


@pytest.mark.slow
def test_profile_delete_asks_as_every_delete_does(tmp_path, run):
    config = _profiles(tmp_path)
    refused = run("profile", "delete", "dev", input="y\n")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        'error: cannot ask "Delete profile dev (http://127.0.0.1:9392) and its secret?": stdin is not a terminal',
        "hint: confirm with --yes: dlicli profile delete dev --yes",
    ]
    declined = run_on_tty("profile", "delete", "dev", answer=b"n\n")
    assert declined.returncode == 2
    assert declined.stderr.startswith("Delete profile dev (http://127.0.0.1:9392) and its secret? [y/N]: ")
    assert declined.stderr.endswith("not confirmed: nothing was changed\n") and "error" not in declined.stderr
    assert "dev:" in config.read_text()
    agreed = run_on_tty("profile", "delete", "dev", answer=b"y\n")
    assert agreed.returncode == 0, agreed.stderr
    assert agreed.stderr.endswith("deleted profile dev\n") and "dev:" not in config.read_text()
