"""What the lists' modes and polling refuse or bound, and how Ctrl-C ends a watch:
-q/--watch with --query name --query; --interval 0 is clamped to a floor; DLICLI_INSECURE takes
yes/no words only; Ctrl-C on a watch or `server logs -f` exits 130 without an `error:` line."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.waiting import wait_until

LISTS = {
    "exec list": ("/execs", [{"id": "t-1", "state": "RUNNING"}]),
    "hpo list": ("/hypersearch", [{"hpoName": "h-1", "state": "RUNNING"}]),
    "scheduler apps": ("/scheduler/applications", [{"applicationid": "app-1", "state": "RUNNING"}]),
}


@pytest.mark.parametrize("command", list(LISTS))
def test_quiet_with_query_names_query_not_json(env_server, run, command):
    result = run(*command.split(), "-q", "--query", "[].state")
    line = error_line(result, 2, "-q/--quiet and --query do not go together")
    assert "-o/--json" not in result.stderr, line
    assert result.stderr.splitlines()[1].startswith("hint: drop -q")
    assert env_server.requests == []


@pytest.mark.parametrize("command", list(LISTS))
def test_watch_with_query_names_query_not_json(env_server, run, command):
    result = run(*command.split(), "--watch", "--query", "[].state")
    error_line(result, 2, "--watch and --query do not go together")
    assert "-o/--json" not in result.stderr
    assert env_server.requests == []


def test_quiet_with_json_still_names_json(env_server, run):
    error_line(run("exec", "list", "-q", "--json"), 2, "-q/--quiet prints ids only: it takes no -o/--json")
    assert env_server.requests == []


def test_query_alone_still_works_on_a_list(env_server, run):
    path, body = LISTS["exec list"]
    env_server.route("GET", path, body=body)
    result = run("exec", "list", "--query", "[].id")
    assert (result.exit_code, result.stdout) == (0, "t-1\n"), result.stderr


# -- polling: never a tight loop ----------------------------------------------------------------


def _stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


@pytest.mark.slow
@pytest.mark.parametrize(
    "args,env",
    [(["--interval", "0"], {}), ([], {"DLICLI_POLL_INTERVAL": "0"}), (["--interval", "0.001"], {})],
    ids=["option", "env", "tiny"],
)
def test_a_zero_interval_waits_at_least_a_tenth_of_a_second_between_polls(env_server, args, env):
    """Each poll's arrival is stamped by the server: unclamped, the next one came within a few ms."""
    path, body = LISTS["scheduler apps"]
    arrivals: list[float] = []

    def answer(_rec) -> list:
        arrivals.append(time.monotonic())
        return body

    env_server.route("GET", path, body=answer)
    full = {**os.environ, "DLICLI_URL": env_server.root, "DLICLI_TOKEN": TOKEN, **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "scheduler", "apps", "--watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )
    try:
        wait_until(lambda: len(arrivals), 30, 0.02, "six polls", until=lambda n: n >= 6)
    finally:
        code, _, err = _stop(proc)
    assert code == 130, err
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.095, [round(g, 3) for g in gaps]


def test_a_negative_interval_is_still_refused(env_server, run):
    error_line(run("exec", "list", "--watch", "--interval", "-1"), 2, "poll interval must be 0 or more")
    assert env_server.requests == []


# -- Ctrl-C ends a watch: exit 130, no error line -----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", ["hpo list", "scheduler apps"])
def test_ctrl_c_ends_a_watch_with_130_and_no_error_line(env_server, command):
    path, body = LISTS[command]
    env_server.route("GET", path, body=body)
    full = {**os.environ, "DLICLI_URL": env_server.root, "DLICLI_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", *command.split(), "--watch", "--interval", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline()  # the first row: it is watching
    finally:
        code, _, err = _stop(proc)
    assert (code, err) == (130, "")


@pytest.mark.slow
def test_ctrl_c_ends_server_logs_follow_with_130_and_no_error_line(tmp_path):
    data = tmp_path / "data"  # the isolated DLICLI_DATA_DIR
    data.mkdir(exist_ok=True)
    (data / "engine.log").write_text("engine up\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "server", "logs", "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DLICLI_DATA_DIR": str(data)},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "engine up\n"
    finally:
        code, _, err = _stop(proc)
    assert (code, err) == (130, "")


# -- DLICLI_INSECURE: a yes/no word or nothing --------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "2", "ture"])
def test_a_bad_insecure_value_is_refused_before_any_request(env_server, run, value):
    result = run("exec", "list", env={"DLICLI_INSECURE": value})
    error_line(result, 2, "DLICLI_INSECURE must be one of 1, true, yes, on or 0, false, no, off", repr(value))
    assert result.stderr.splitlines()[1] == "hint: unset DLICLI_INSECURE, or set it to 1 or 0"
    assert env_server.requests == []


@pytest.mark.parametrize("value,warned", [("0", False), ("off", False), ("No", False), ("", False), ("YES", True)])
def test_insecure_yes_and_no_words_are_taken(env_server, run, value, warned):
    env_server.route("GET", "/execs", body=[])
    result = run("exec", "list", env={"DLICLI_INSECURE": value})
    assert result.exit_code == 0, result.stderr
    assert ("TLS certificate verification is off" in result.stderr) is warned
