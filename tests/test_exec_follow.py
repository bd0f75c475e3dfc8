"""`dlicli exec logs|wait`, and the wait/follow helpers, against the recording server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from dlicli.cli.exec.follow import follow_and_exit, wait_and_exit
from dlicli.cli.state import AppState
from dlicli.errors import ExitCode, TaskOutcome, WaitTimeout
from dlicli.output import Output
from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE
from tests.waiting import wait_until

FAST = ["--interval", "0.05"]


def states(exec_id: str, *sequence: str):
    """A route body answering a Batch whose state walks through `sequence` (the last repeats)."""
    seen = {"n": 0}

    def body(rec):
        state = sequence[min(seen["n"], len(sequence) - 1)]
        seen["n"] += 1
        return {"id": exec_id, "state": state, "creator": "alice"}

    return body


def growing(*chunks: str, as_json: bool = True):
    """A route body answering a log that grows by one chunk per request."""
    seen = {"n": 0}

    def body(rec):
        seen["n"] += 1
        text = "".join(chunks[: seen["n"]])
        return json.dumps(text).encode() if as_json else text.encode()

    return body


def by_type(**bodies):
    """A route body answering the log the request's logType asks for (outlog=…, errlog=…: text or a
    body function); "" for a stream not given."""

    def body(rec):
        answer = bodies.get(rec.query.get("logType", [""])[0], "")
        return answer(rec) if callable(answer) else answer

    return body


Q_OUT, Q_ERR = "logType=outlog&timestamps=true", "logType=errlog&timestamps=true"


def paths(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


# -- logs --------------------------------------------------------------------------------


def test_logs_prints_the_log_raw(env_server, run):
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="epoch 1\nepoch 2 ✓\n", errlog="warned\n"))
    result = run("exec", "logs", "t1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "epoch 1\nepoch 2 ✓\n"
    assert result.stderr == "warned\n"  # the task's stderr on ours
    assert paths(env_server) == [("GET", "/execs/t1/log", Q_OUT), ("GET", "/execs/t1/log", Q_ERR)]


def test_logs_stderr_and_quoted_id(env_server, run):
    env_server.route("GET", "/execs/a b/c/log", body=b"boom\n", headers={"Content-Type": "text/plain"})
    result = run("exec", "logs", "a b/c", "--stderr")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "boom\n"
    assert paths(env_server) == [("GET", "/execs/a%20b%2Fc/log", "logType=errlog")]  # one stream: no times needed


def test_logs_not_found_exits_3(env_server, run):
    env_server.route("GET", "/execs/t1/log", status=400, body={"message": "Cannot find task with the given execId."})
    result = run("exec", "logs", "t1")
    assert result.exit_code == 3
    assert result.stdout == ""


@pytest.mark.parametrize("as_json", [True, False])
def test_follow_prints_each_byte_once_and_exits_10_on_failed(env_server, run, as_json):
    chunks = ("step 1\n", "step 2\n", "", "step 3\nstep 4\n", "Traceback: boom\n")
    env_server.route(
        "GET",
        "/execs/t1/log",
        body=by_type(outlog=growing(*chunks, as_json=as_json)),
        headers={} if as_json else {"Content-Type": "text/plain"},
    )
    env_server.route("GET", "/execs/t1", body=states("t1", "RUNNING", "RUNNING", "RUNNING", "FAILED"))
    result = run("exec", "logs", "t1", "--follow", *FAST)
    assert result.exit_code == 10, result.stderr
    assert result.stdout == "".join(chunks)
    log_calls = [q for m, p, q in paths(env_server) if p == "/execs/t1/log"]
    assert log_calls == [Q_OUT, Q_ERR] * 5  # four polls, one last fetch after FAILED
    assert "FAILED" in result.stderr
    assert "dlicli exec logs t1 --stderr" not in result.stderr  # both streams were followed: nothing more to read


def test_follow_finished_exits_0_and_follows_errlog(env_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0.05")
    env_server.route("GET", "/execs/t1/log", body=growing("a", "b", "c"))
    env_server.route("GET", "/execs/t1", body=states("t1", "PENDING_JOB_SCHEDULER", "FINISHED"))
    result = run("exec", "logs", "t1", "-f", "--stderr")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "abc"
    assert {q for m, p, q in paths(env_server) if p.endswith("/log")} == {Q_ERR}


def test_follow_killed_exits_11(env_server, run):
    env_server.route("GET", "/execs/t1/log", body="x")
    env_server.route("GET", "/execs/t1", body=states("t1", "KILLED"))
    result = run("exec", "logs", "t1", "--follow", *FAST)
    assert result.exit_code == 11
    assert result.stdout == "x"


def test_follow_reprints_a_log_that_shrank_with_a_notice(env_server, run):
    texts = iter(["first run\n", "first run\nmore\n", "restart\n", "restart\ndone\n"])
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=lambda rec: next(texts)))
    env_server.route("GET", "/execs/t1", body=states("t1", "RUNNING", "RUNNING", "FINISHED"))
    result = run("exec", "logs", "t1", "--follow", *FAST)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "first run\nmore\nrestart\ndone\n"
    assert "warning: the stdout log of t1 was truncated or restarted" in result.stderr


def test_follow_timeout_exits_8(env_server, run):
    env_server.route("GET", "/execs/t1/log", body="")
    env_server.route("GET", "/execs/t1", body=states("t1", "RUNNING"))
    result = run("exec", "logs", "t1", "--follow", "--timeout", "0.2", *FAST)
    assert result.exit_code == 8
    assert "t1" in result.stderr.splitlines()[0]


# -- wait --------------------------------------------------------------------------------


@pytest.mark.parametrize("final,code", [("FINISHED", 0), ("FAILED", 10), ("ERROR", 10), ("KILLED", 11)])
def test_wait_exit_code_follows_the_final_state(env_server, run, final, code):
    env_server.route("GET", "/execs/t1", body=states("t1", "SUBMITTED", "RUNNING", "RUNNING", final))
    result = run("exec", "wait", "t1", *FAST)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[:3] == ["t1: SUBMITTED", "t1: RUNNING", f"t1: {final}"]
    polls = [r for r in env_server.requests if not r.path.endswith("/log")]
    assert len(polls) == 4
    assert len(env_server.requests) == 4 + (final in ("FAILED", "ERROR"))  # + its last stderr lines


def test_wait_several_ids_worst_outcome_and_json(env_server, run):
    env_server.route("GET", "/execs/a", body=states("a", "RUNNING", "KILLED"))
    env_server.route("GET", "/execs/b", body=states("b", "WAITING", "MYSTERY", "FAILED"))
    env_server.route("GET", "/execs/c d", body=states("c d", "FINISHED"))
    result = run("exec", "wait", "a", "b", "c d", "--json", *FAST)
    assert result.exit_code == 10
    assert json.loads(result.stdout) == [
        {"id": "a", "state": "KILLED", "creator": "alice"},
        {"id": "b", "state": "FAILED", "creator": "alice"},
        {"id": "c d", "state": "FINISHED", "creator": "alice"},
    ]
    err = result.stderr.splitlines()
    assert "b: MYSTERY" in err  # an unknown state keeps the wait going
    assert err[-2].startswith("error: tasks ended badly: a KILLED, b FAILED")
    # a final task is not asked again
    got = [p for _, p, _ in paths(env_server)]
    assert got.count("/execs/c%20d") == 1
    assert got.count("/execs/a") == 2 and got.count("/execs/b") == 3


def test_wait_killed_and_finished_exits_11(env_server, run):
    env_server.route("GET", "/execs/a", body=states("a", "FINISHED"))
    env_server.route("GET", "/execs/b", body=states("b", "KILLED"))
    result = run("exec", "wait", "a", "b", *FAST)
    assert error_line(result, 11) == "error: task ended badly: b KILLED"
    assert result.stderr.splitlines()[:2] == ["a: FINISHED", "b: KILLED"]
    assert [r.path for r in env_server.requests] == [f"{BASE}/execs/a", f"{BASE}/execs/b"]


def test_wait_timeout_exits_8_naming_the_running_ids(env_server, run):
    env_server.route("GET", "/execs/a", body=states("a", "RUNNING"))
    env_server.route("GET", "/execs/b", body=states("b", "FINISHED"))
    env_server.route("GET", "/execs/c", body=states("c", "LAUNCHING"))
    result = run("exec", "wait", "a", "b", "c", "--timeout", "0.3", *FAST)
    assert result.exit_code == 8
    assert result.stdout == ""
    err = result.stderr.splitlines()
    assert err[:3] == ["a: RUNNING", "b: FINISHED", "c: LAUNCHING"]  # printed once, not every poll
    assert err[3] == "error: still running after 0.3s: a, c"
    assert err[4] == "hint: wait again with: dlicli exec wait a c"


def test_wait_not_found_exits_3(env_server, run):
    env_server.route("GET", "/execs/zz", status=400, body={"message": "Cannot find task with given execId."})
    result = run("exec", "wait", "zz", *FAST)
    assert error_line(result, 3) == "error: task zz not found"
    assert [r.path for r in env_server.requests] == [f"{BASE}/execs/zz"]  # not retried, not polled again


@pytest.mark.parametrize("args", [["--interval", "-1"], ["--timeout", "-2"]])
def test_wait_negative_numbers_are_usage_errors(env_server, run, args):
    result = run("exec", "wait", "t1", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert env_server.requests == []


def test_wait_and_exit_and_follow_and_exit_helpers(env_server, monkeypatch, capsys):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0.01")
    st = AppState(url=env_server.root)
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    env_server.route("GET", "/execs/ok", body=states("ok", "RUNNING", "FINISHED"))
    env_server.route("GET", "/execs/bad", body=states("bad", "ERROR"))
    env_server.route("GET", "/execs/run", body=states("run", "RUNNING"))
    env_server.route("GET", "/execs/ok/log", body="all good\n")
    try:
        assert wait_and_exit(st, Output(), ["ok"], None) is None
        with pytest.raises(TaskOutcome) as failed:
            wait_and_exit(st, Output(), ["ok", "bad"], 5)
        assert failed.value.exit_code == ExitCode.TASK_FAILED
        with pytest.raises(WaitTimeout):
            wait_and_exit(st, Output(), ["run"], 0.05)
        assert follow_and_exit(st, Output(), "ok") is None
    finally:
        st.close()
    assert capsys.readouterr().out == "all good\n"


def _interrupted(server, *args: str) -> subprocess.CompletedProcess:
    """Run dlicli in a child, press Ctrl-C (SIGINT) once it has polled, collect the outcome."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DLICLI_POLL_INTERVAL": "0.05"},
    )
    wait_until(lambda: len(server.requests) >= 3, 30, 0.02, "the CLI's first three polls")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())


@pytest.mark.parametrize(
    "args,hint",
    [
        (["exec", "logs", "t1", "--follow"], "hint: the task runs on; reattach with: dlicli exec logs t1 --follow"),
        (
            ["exec", "logs", "t1", "-f", "--stderr"],
            "hint: the task runs on; reattach with: dlicli exec logs t1 --follow --stderr",
        ),
        (["exec", "wait", "t1", "t2"], "hint: the tasks run on; wait again with: dlicli exec wait t1 t2"),
    ],
)
@pytest.mark.slow
def test_ctrl_c_detaches_with_exit_130_and_a_hint(env_server, args, hint):
    env_server.route("GET", "/execs/t1/log", body="still going\n")
    env_server.route("GET", "/execs/t1", body=states("t1", "RUNNING"))
    env_server.route("GET", "/execs/t2", body=states("t2", "RUNNING"))
    done = _interrupted(env_server, *args)
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1] == hint
    assert "error:" not in done.stderr  # Ctrl-C is the user's own act: the hint says what runs on
    assert "Traceback" not in done.stderr
    assert done.stdout in ("", "still going\n")
