"""GET /execs/{id}/log's Kubernetes-style parameters on a real engine: timestamps=true (each line
prefixed by the RFC 3339 UTC time it was written, within the sampling's second), sinceSeconds,
tailLines, and 400s naming a bad value."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from tests.engine_http.conftest import submit, wait_state

pytestmark = pytest.mark.slow

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (.*)$")

# each line says when it was written; a pause splits the log into an early and a late part
SCRIPT = """
import sys, time
print(f"early {time.time()}", flush=True)
print(f"warn {time.time()}", file=sys.stderr, flush=True)
time.sleep(3.5)
print(f"late {time.time()}", flush=True)
print(f"oops {time.time()}", file=sys.stderr, flush=True)
"""


def epoch(stamp: str) -> float:
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float("0." + (fraction or "0"))


def stamped(text: str) -> list[tuple[float, str]]:
    """(time, text) of each line; fails on a line without its stamp."""
    rows = []
    for line in text.splitlines():
        match = STAMP.match(line)
        assert match, f"no RFC 3339 stamp on {line!r}"
        rows.append((epoch(match.group(1)), match.group(2)))
    return rows


@pytest.fixture(scope="module")
def done(engine_proc):
    with engine_proc.client() as client:
        task = submit(client, SCRIPT).json()
        return wait_state(client, task["id"], timeout=40)


def test_timestamps_are_when_each_line_was_written(admin, done):
    answer = admin.get(f"execs/{done['id']}/log", params={"timestamps": "true"})
    assert answer.status_code == 200 and answer.headers["x-dlicli-log-timestamps"] == "1"
    rows = stamped(answer.json())
    assert [text.split()[0] for _, text in rows] == ["early", "late", "warn", "oops"]  # stdout, then stderr
    for when, text in rows:
        written = float(text.split()[1])
        assert written - 0.05 <= when <= written + 1.5, (text, when)  # sampled about once a second


def test_without_timestamps_the_log_is_as_before(admin, done):
    answer = admin.get(f"execs/{done['id']}/log", params={"logType": "outlog"})
    assert "x-dlicli-log-timestamps" not in answer.headers
    assert [line.split()[0] for line in answer.json().splitlines()] == ["early", "late"]
    off = admin.get(f"execs/{done['id']}/log", params={"logType": "outlog", "timestamps": "false"})
    assert off.json() == answer.json() and "x-dlicli-log-timestamps" not in off.headers


def test_since_seconds_keeps_only_recent_lines(admin, done):
    rows = stamped(admin.get(f"execs/{done['id']}/log", params={"timestamps": "true"}).json())
    early, late = rows[0][0], rows[1][0]
    since = round(time.time() - (early + late) / 2)  # the cut falls in the pause
    answer = admin.get(f"execs/{done['id']}/log", params={"sinceSeconds": str(since)})
    assert [line.split()[0] for line in answer.json().splitlines()] == ["late", "oops"]
    everything = admin.get(f"execs/{done['id']}/log", params={"sinceSeconds": "86400"}).json()
    assert len(everything.splitlines()) == 4


def test_tail_lines_keeps_the_last_lines(admin, done):
    tail = admin.get(f"execs/{done['id']}/log", params={"logType": "errlog", "tailLines": "1"}).json()
    assert tail.split()[0] == "oops" and tail.endswith("\n") and tail.count("\n") == 1
    assert admin.get(f"execs/{done['id']}/log", params={"tailLines": "0"}).json() == ""
    both = admin.get(f"execs/{done['id']}/log", params={"tailLines": "2", "timestamps": "true"}).json()
    assert [text.split()[0] for _, text in stamped(both)] == ["warn", "oops"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("timestamps", "yes please"), ("sinceSeconds", "0"), ("sinceSeconds", "5m"), ("tailLines", "-1")],
)
def test_a_bad_parameter_is_a_400_naming_it(admin, done, name, value):
    answer = admin.get(f"execs/{done['id']}/log", params={name: value})
    assert answer.status_code == 400
    assert name in answer.json()["message"] and repr(value) in answer.json()["message"]
