"""`exec logs`, `exec wait` and `hpo logs` through the real CLI: both streams (the task's stderr on
ours, marked on a terminal), --stdout/--stderr, --tail, --since, --timestamps, and a failed task's
last stderr lines; against the recording server (a server with and without log times) and a real
engine (times recorded by the engine, a real HPO search)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import textwrap
import time
from datetime import datetime

import httpx
import pytest

from tests.engine_http.conftest import EngineProc, model_tar, submit, wait_state
from tests.outcome import error_line
from tests.recorder import BASE
from tests.waiting import wait_until

FAST = ["--interval", "0.02"]
ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (.*)$")
TIMED = {"X-Dlicli-Log-Timestamps": "1"}


def rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1e6):06d}Z"


def stamped(*rows: tuple[float, str]) -> str:
    """A log as the engine answers with timestamps=true."""
    return "".join(f"{rfc3339(when)} {text}\n" for when, text in rows)


def by_type(**bodies):
    """A route body answering the log of the request's logType (outlog=…, errlog=…: text or a
    function of the request); "" for a stream not given."""

    def body(rec):
        answer = bodies.get(rec.query.get("logType", [""])[0], "")
        return answer(rec) if callable(answer) else answer

    return body


def states(*sequence: str):
    seen = {"n": 0}

    def body(rec):
        seen["n"] += 1
        return {"id": "t1", "state": sequence[min(seen["n"], len(sequence)) - 1]}

    return body


def log_queries(server) -> list[dict[str, list[str]]]:
    return [r.query for r in server.requests if r.path.endswith("/log")]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# -- both streams, one stream ----------------------------------------------------------------


def test_one_stream_picked_goes_to_stdout_unmarked(env_server, run):
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="out\n", errlog="Traceback\n"))
    result = run("exec", "logs", "t1", "--stderr")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Traceback\n", "")
    result = run("exec", "logs", "t1", "--stdout")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "out\n", "")
    assert [q["logType"] for q in log_queries(env_server)] == [["errlog"], ["outlog"]]
    assert all("timestamps" not in q for q in log_queries(env_server))  # one stream, nothing to merge or cut by time
    for times in (["--timestamps"], ["--since", "5m"]):
        result = run("exec", "logs", "t1", "--stdout", *times)
        assert result.exit_code == 0, result.stderr
        assert log_queries(env_server)[-1]["timestamps"] == ["true"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--stdout", "--stderr"], "--stdout and --stderr each pick one stream"),
        (["--tail", "-1"], "--tail must be 0 or more lines, not -1"),
        (["--since", "soon"], "--since takes a duration such as 30s, 5m or 2h, not 'soon'"),
        (["--since", "0s"], "--since takes a duration"),
    ],
)
def test_bad_options_exit_2_before_any_request(env_server, run, args, words):
    result = run("exec", "logs", "t1", *args)
    assert words in error_line(result, 2)
    assert env_server.requests == []


def run_on_pty(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m dlicli ARGS` with stdout AND stderr on one pseudo-terminal: what a user sees."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env={**os.environ, **env},
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, b"".join(chunks).decode().replace("\r\n", "\n"))


@pytest.mark.slow
def test_on_a_terminal_stderr_lines_are_red_or_prefixed_and_merged_in_time_order(env_server):
    now = time.time()
    outlog = stamped((now - 30, "epoch 1"), (now - 10, "epoch 2"))
    errlog = stamped((now - 20, "warning: slow"), (now - 5, "Traceback: boom"))
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog, errlog=errlog), headers=TIMED)
    plain = run_on_pty("exec", "logs", "t1", NO_COLOR="1")
    assert plain.returncode == 0, plain.stdout
    assert plain.stdout == "epoch 1\n[stderr] warning: slow\nepoch 2\n[stderr] Traceback: boom\n"
    coloured = run_on_pty("exec", "logs", "t1")
    assert "\x1b[31mwarning: slow\x1b[0m\n" in coloured.stdout and "epoch 2\n" in coloured.stdout
    assert coloured.stdout.startswith("epoch 1\n\x1b[31mwarning")  # stdout lines are not red


# -- --tail, --since, --timestamps on a server that keeps no times ---------------------------


def test_tail_on_a_server_that_ignores_tail_lines(env_server, run):
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="1\n2\n3\n", errlog="a\nb\nc\n"))
    result = run("exec", "logs", "t1", "--tail", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "2\n3\n", "b\nc\n")  # N of each stream
    assert all(q["tailLines"] == ["2"] for q in log_queries(env_server))
    assert run("exec", "logs", "t1", "--tail", "0", "--stdout").stdout == ""


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (["--since", "5m"], "--since cannot work"),
        (["--timestamps"], "--timestamps cannot work"),
        (["--since", "1h", "--timestamps"], "--since and --timestamps cannot work"),
    ],
)
def test_since_and_timestamps_without_server_times_warn_and_print_the_log(env_server, run, args, warning):
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="epoch 1\nepoch 2\n"))
    result = run("exec", "logs", "t1", *args)
    assert result.exit_code == 0
    assert result.stdout == "epoch 1\nepoch 2\n"
    assert result.stderr == (
        f"warning: the server does not record when log lines were written: {warning}; printing the log as it is\n"
    )
    if "--since" in args:
        assert {q["sinceSeconds"][0] for q in log_queries(env_server)} == {"300" if "5m" in args else "3600"}


# -- --tail, --since, --timestamps on a server that keeps them (the engine's extension) ------


def test_since_and_timestamps_with_server_times(env_server, run):
    now = time.time()
    outlog = stamped((now - 600, "old"), (now - 90, "recent"), (now - 5, "newest"))
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog), headers=TIMED)  # sinceSeconds ignored
    result = run("exec", "logs", "t1", "--stdout", "--since", "2m", "--timestamps")
    assert result.exit_code == 0 and result.stderr == ""
    rows = [ISO.match(line).groups() for line in result.stdout.splitlines()]
    assert [text for _, text in rows] == ["recent", "newest"]
    assert abs(epoch(rows[0][0]) - (now - 90)) < 1.01
    assert log_queries(env_server)[0]["sinceSeconds"] == ["120"]
    plain = run("exec", "logs", "t1", "--stdout", "--tail", "1")
    assert plain.stdout == "newest\n"  # the times the CLI asked for are not shown unasked


# -- --follow --------------------------------------------------------------------------------


def test_follow_stdout_of_a_failed_task_shows_the_last_lines_of_stderr(env_server, run):
    traceback = "".join(f"frame {i}\n" for i in range(30)) + "ZeroDivisionError: division by zero\n"
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="epoch 1\n", errlog=traceback))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FAILED"))
    result = run("exec", "logs", "t1", "--follow", "--stdout", *FAST)
    assert result.exit_code == 10
    assert result.stdout == "epoch 1\n"
    err = result.stderr.splitlines()
    at = err.index("last lines of stderr:")
    assert err[at - 1] == "t1: FAILED"
    assert err[at + 1 : at + 21] == [f"  frame {i}" for i in range(11, 30)] + ["  ZeroDivisionError: division by zero"]
    assert err[at + 21].startswith("error: task ended badly: t1 FAILED")
    assert log_queries(env_server)[-1] == {"logType": ["errlog"], "timestamps": ["true"], "tailLines": ["20"]}


def test_follow_both_streams_shows_no_extra_tail_and_a_finished_task_none(env_server, run):
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog="epoch 1\n", errlog="boom\n"))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FAILED"))
    result = run("exec", "logs", "t1", "-f", *FAST)
    assert (result.exit_code, result.stdout) == (10, "epoch 1\n")
    assert result.stderr.startswith("boom\nt1: FAILED\nerror:") and "last lines" not in result.stderr
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FINISHED"))
    result = run("exec", "logs", "t1", "-f", "--stdout", *FAST)
    assert (result.exit_code, result.stderr) == (0, "t1: FINISHED\n")


def test_follow_tail_starts_from_the_last_lines_then_prints_new_ones(env_server, run):
    texts = iter(["1\n2\n3\n", "1\n2\n3\n4\n"])
    last = {"text": ""}

    def outlog(rec):
        last["text"] = next(texts, last["text"])
        return last["text"]

    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FINISHED"))
    result = run("exec", "logs", "t1", "-f", "--stdout", "--tail", "1", *FAST)
    assert (result.exit_code, result.stdout) == (0, "3\n4\n")
    assert all("tailLines" not in q for q in log_queries(env_server))  # following reads the whole log


def test_follow_holds_a_partial_line_and_stamps_lines_by_arrival_without_server_times(env_server, run):
    texts = iter(["step 1\nstep 2 ha", "step 1\nstep 2 half done\n"])
    last = {"text": ""}

    def outlog(rec):
        last["text"] = next(texts, last["text"])
        return last["text"]

    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FINISHED"))
    before = time.time()
    result = run("exec", "logs", "t1", "-f", "--stdout", "--timestamps", *FAST)
    assert result.exit_code == 0
    rows = [ISO.match(line).groups() for line in result.stdout.splitlines()]
    assert [text for _, text in rows] == ["step 1", "step 2 half done"]  # one line, one stamp
    assert all(before - 1 <= epoch(stamp) <= time.time() + 1 for stamp, _ in rows)
    assert result.stderr.splitlines()[0] == (
        "warning: the server does not record when log lines were written: the times shown are when a line arrived here"
    )


def test_follow_never_splits_a_line_around_another_streams_line(env_server, run):
    texts = iter(["step 1\nstep 2 ha", "step 1\nstep 2 half done\n"])
    last = {"text": ""}

    def outlog(rec):
        last["text"] = next(texts, last["text"])
        return last["text"]

    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog, errlog="oops\n"))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FINISHED"))
    result = run("exec", "logs", "t1", "-f", *FAST)
    assert result.exit_code == 0
    assert result.output == "step 1\noops\nstep 2 half done\nt1: FINISHED\n"  # as a terminal shows both


def test_follow_since_with_server_times_starts_from_recent_lines(env_server, run):
    now = time.time()
    outlog = stamped((now - 3600, "an hour ago"), (now - 20, "just now"))
    env_server.route("GET", "/execs/t1/log", body=by_type(outlog=outlog), headers=TIMED)
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FINISHED"))
    result = run("exec", "logs", "t1", "-f", "--stdout", "--since", "1m", *FAST)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "just now\n", "t1: FINISHED\n")


# -- exec wait -------------------------------------------------------------------------------


def test_wait_on_a_failed_task_shows_its_last_stderr_lines(env_server, run):
    env_server.route("GET", "/execs/t1/log", body=by_type(errlog='  File "main.py", line 3\nValueError: bad lr\n'))
    env_server.route("GET", "/execs/t1", body=states("RUNNING", "FAILED"))
    result = run("exec", "wait", "t1", *FAST)
    assert error_line(result, 10)
    assert (
        't1: FAILED\nlast lines of stderr:\n    File "main.py", line 3\n  ValueError: bad lr\nerror:' in result.stderr
    )
    env_server.requests.clear()
    env_server.route("GET", "/execs/t1", body=states("KILLED"))
    assert "last lines" not in run("exec", "wait", "t1", *FAST).stderr  # stopped on request: no tail
    assert log_queries(env_server) == []


# -- a real engine ---------------------------------------------------------------------------

SCRIPT = """
import sys, time
print(f"early {time.time()}", flush=True)
print("warn: slow start", file=sys.stderr, flush=True)
time.sleep(3.5)
print(f"late {time.time()}", flush=True)
1 / 0
"""

EXPERIMENT = """
import json, os, sys
x = json.load(open("config.json"))["x"]
print(f"exp x={x}", flush=True)
print(f"note x={x}", file=sys.stderr, flush=True)
json.dump([{"loss": (x - 1) ** 2}], open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""


@pytest.fixture(scope="module")
def engine(procs, tmp_path_factory):
    proc = EngineProc(tmp_path_factory.mktemp("logs-engine") / "data", ("--port", "0", "--slots", "4"))
    procs.append(proc)
    return proc


@pytest.fixture(scope="module")
def failed(engine):
    with engine.client() as client:
        task = submit(client, SCRIPT).json()
        return wait_state(client, task["id"], timeout=40)


@pytest.fixture
def on_engine(engine, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", engine.url)
    monkeypatch.setenv("DLICLI_TOKEN", engine.token)
    return engine


@pytest.mark.slow
def test_engine_task_both_streams_and_the_traceback(on_engine, failed, run):
    assert failed["state"] == "FAILED"
    result = run("exec", "logs", failed["id"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["early", "late"]
    assert result.stderr.startswith("warn: slow start\nTraceback (most recent call last):")
    assert result.stderr.endswith("ZeroDivisionError: division by zero\n")
    followed = run("exec", "logs", failed["id"], "--follow", "--stdout", *FAST)
    assert followed.exit_code == 10
    assert "last lines of stderr:\n  warn: slow start\n  Traceback" in followed.stderr
    assert "  ZeroDivisionError: division by zero\nerror: task ended badly" in followed.stderr


@pytest.mark.slow
def test_engine_timestamps_since_and_tail(on_engine, failed, run):
    result = run("exec", "logs", failed["id"], "--stdout", "--timestamps")
    assert result.exit_code == 0 and result.stderr == ""
    rows = [ISO.match(line).groups() for line in result.stdout.splitlines()]
    for stamp, text in rows:
        written = float(text.split()[1])
        assert written - 1 <= epoch(stamp) <= written + 2, text  # to the second; sampled each second
    middle = (epoch(rows[0][0]) + epoch(rows[1][0])) / 2
    since = run("exec", "logs", failed["id"], "--since", f"{round(time.time() - middle)}s")
    assert [line.split()[0] for line in since.stdout.splitlines()] == ["late"]
    assert "warn: slow start" not in since.stderr and "ZeroDivisionError" in since.stderr
    tail = run("exec", "logs", failed["id"], "--tail", "1")
    assert tail.stdout == "" and tail.stderr == "ZeroDivisionError: division by zero\n"  # merged: the last line


@pytest.fixture(scope="module")
def search(engine):
    body = {
        "hpoName": "logs-search",
        "modelSpec": {"args": "--exec-start python --model-dir quad --model-main main.py"},
        "algoDef": {
            "algorithm": "Random",
            "objective": "minimize",
            "objectiveMetric": "loss",
            "maxJobNum": 2,
            "maxParalleJob": 2,
            "algoParams": [{"name": "RandomSeed", "value": "7"}],
        },
        "hyperParams": [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 3}],
    }
    tar = model_tar("quad", {"main.py": textwrap.dedent(EXPERIMENT)})
    with engine.client() as client:
        answer = client.post(
            "hypersearch",
            data={"data": json.dumps(body)},
            files={"file": ("quad.modelDir.tar", tar, "application/x-tar")},
        )
        assert answer.status_code == 200, answer.text
        return wait_until(
            lambda: client.get("hypersearch/logs-search").json(),
            90,
            0.1,
            "the search to end",
            until=lambda view: view.get("state") in ("FINISHED", "FAILED"),
        )


@pytest.mark.slow
def test_hpo_logs_shows_an_experiments_task_logs(on_engine, search, run):
    experiments = search["experiments"]
    assert len(experiments) == 2
    first = experiments[0]
    result = run("hpo", "logs", "logs-search", str(first["id"]))
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"exp x=-?\d+(\.\d+)?\n", result.stdout)
    assert result.stderr == result.stdout.replace("exp", "note")
    by_task = run("hpo", "logs", "logs-search", first["appId"], "--stderr", "--follow", *FAST)
    assert by_task.exit_code == 0 and by_task.stdout == result.stderr
    other = run("hpo", "logs", "logs-search", str(experiments[1]["id"]), "--stdout", "--timestamps")
    assert ISO.match(other.stdout) and other.stdout != result.stdout


@pytest.mark.slow
def test_hpo_logs_of_an_unknown_experiment_exits_3_naming_the_ones_that_exist(on_engine, search, run):
    result = run("hpo", "logs", "logs-search", "7")
    assert "search logs-search has no experiment '7'" in error_line(result, 3)
    ids = ", ".join(str(exp["id"]) for exp in search["experiments"])
    assert f"hint: its experiments: {ids}" in result.stderr
    missing = run("hpo", "logs", "no-such-search", "0")
    assert missing.exit_code == 3 and missing.stdout == ""


def test_hpo_logs_asks_for_the_experiments_task(env_server, run):
    env_server.route("GET", "/hypersearch/s1", body={"hpoName": "s1", "experiments": [{"id": 0, "execId": "t-9"}]})
    env_server.route("GET", "/execs/t-9/log", body=by_type(outlog="hello\n"))
    result = run("hpo", "logs", "s1", "0", "--stdout")
    assert (result.exit_code, result.stdout) == (0, "hello\n")
    assert [r.path.removeprefix(BASE) for r in env_server.requests] == ["/hypersearch/s1", "/execs/t-9/log"]
    env_server.route("GET", "/hypersearch/s1", body={"hpoName": "s1", "experiments": [{"id": 0, "state": "PENDING"}]})
    result = run("hpo", "logs", "s1", "0")
    assert "experiment 0 of s1 has no task yet (PENDING)" in error_line(result, 3)


def test_engine_rejects_a_bad_log_parameter_in_words(engine):
    answer = httpx.get(f"{engine.url}/execs/x/log?tailLines=many", headers={"Authorization": f"Bearer {engine.token}"})
    assert answer.status_code == 400 and "tailLines" in answer.json()["message"]


# -- scheduler logs --------------------------------------------------------------------------

DRIVER = "/scheduler/applications/app-1/driver/logs/{}"
TEXT = {"Content-Type": "text/plain"}


def sched_logs(server) -> list[tuple[str, str]]:
    return [(r.path.rsplit("/", 1)[-1], r.raw_query) for r in server.requests if "/logs/" in r.path]


def test_scheduler_logs_one_stream_and_tail(env_server, run):
    env_server.route("GET", DRIVER.format("stdout"), body=b"out\n", headers=TEXT)
    env_server.route("GET", DRIVER.format("stderr"), body=b"err 1\nerr 2\n", headers=TEXT)
    result = run("scheduler", "logs", "app-1", "--stderr", "--tail", "2")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "err 1\nerr 2\n", "")
    assert run("scheduler", "logs", "app-1", "--stdout").stdout == "out\n"
    assert sched_logs(env_server) == [("stderr", "lastlines=2"), ("stdout", "")]


def test_scheduler_logs_both_streams_with_one_missing_and_since_warns(env_server, run):
    env_server.route("GET", DRIVER.format("stdout"), body=b"out\n", headers=TEXT)  # no stderr log: a 404
    result = run("scheduler", "logs", "app-1", "--since", "10m")
    assert (result.exit_code, result.stdout) == (0, "out\n")
    assert result.stderr == (
        "warning: the server does not record when log lines were written: --since cannot work; "
        "printing the log as it is\n"
    )
    assert [t for t, _ in sched_logs(env_server)] == ["stdout", "stderr"]


def test_scheduler_follow_both_streams_with_arrival_times(env_server, run):
    apps = iter([[{"applicationid": "app-1", "state": "RUNNING"}]])
    env_server.route(
        "GET", "/scheduler/applications", body=lambda rec: next(apps, [{"applicationid": "app-1", "state": "FAILED"}])
    )
    env_server.route("GET", DRIVER.format("stdout"), body=b"epoch 1\n", headers=TEXT)
    env_server.route("GET", DRIVER.format("stderr"), body=b"boom\n", headers=TEXT)
    result = run("scheduler", "logs", "app-1", "-f", "--timestamps", *FAST)
    assert result.exit_code == 10
    assert [ISO.match(line).group(2) for line in result.stdout.splitlines()] == ["epoch 1"]
    err = result.stderr.splitlines()
    assert err[0].endswith("the times shown are when a line arrived here")
    assert ISO.match(err[1]).group(2) == "boom" and err[2] == "app-1: FAILED"
