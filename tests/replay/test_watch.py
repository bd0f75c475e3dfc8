"""The piped `--watch` of `exec list`, `hpo list` and `scheduler apps` on WMLA 1.2.x and CPD 3.5
(tests/replay/fixtures): a real process polls the replay server; its first lines are the list's
rows, each after its time; when WMLA's answer changes one row's state, exactly that row is printed
again; Ctrl-C ends it with 130. Bounded: a short --interval and a timer that kills a stuck run."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.replay.modes import ok, rows

# (the watch's words, the fixture the list reads, its rows' id field, a state to change, its new state)
WATCHES = [
    (["exec", "list", "--watch"], "execs", "id", "RUNNING", "FINISHED"),
    (["hpo", "list", "--watch"], "hpo-list", "hpoName", "RECOVERPEND", "RUNNING"),
    (["scheduler", "apps", "--watch"], "scheduler-apps", "applicationid", "RUNNING", "FINISHED"),
]


def changed(body: list[dict], key: str, old: str, new: str) -> tuple[list[dict], str]:
    """WMLA's next answer: the first row in state `old` now in `new`; and that row's id."""
    body = copy.deepcopy(body)
    row = next(r for r in body if r["state"] == old)
    row["state"] = new
    return body, row[key]


def read_line(proc: subprocess.Popen) -> list[str]:
    line = proc.stdout.readline()
    assert line, f"the watch ended early: {proc.stderr.read()}"
    return line.rstrip("\n").split("\t")


@pytest.mark.parametrize(("words", "name", "key", "old", "new"), WATCHES, ids=[w[0][0] for w in WATCHES])
def test_watch_piped_prints_the_rows_then_only_the_changed_one(wmla, run, words, name, key, old, new):
    plain = [w for w in words if w != "--watch"]
    expected = rows(run(*plain).stdout)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", *words, "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    killer = threading.Timer(60, proc.kill)
    killer.start()
    route = None
    try:
        first = [read_line(proc) for _ in expected]
        assert [r[1:] for r in first] == expected  # the same rows as the table, each after its time
        assert all(r[0].endswith("Z") for r in first)
        polls = len(wmla.server.requests)
        body, ident = changed(wmla.body(name), key, old, new)
        route = wmla.server.route("GET", wmla.fixtures[name]["path"], body=body)
        again = read_line(proc)
        assert again[1] == ident and new in again
        assert len(wmla.server.requests) > polls
        time.sleep(0.5)  # more polls, nothing else changed
    finally:
        if route is not None:
            wmla.server.routes.remove(route)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
        killer.cancel()
    assert proc.returncode == 130, err
    assert rest == ""
    assert err == ""  # Ctrl-C is how a watch ends: no error line
    ok(run(*plain))  # the module's server answers as before
