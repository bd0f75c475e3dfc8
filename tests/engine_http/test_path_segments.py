"""Each path segment is matched as the client sent it: an id holding an encoded `/` (`%2F`) is one
id, never a way into another operation, and `..`, `.`, `%2E%2E` or NUL are ids like any other
(unknown ones: the spec's 400 for a task, a 404 naming the id elsewhere), never a parent path.

The requests go out byte for byte (rawhttp.py): httpx would remove dot segments itself."""

from __future__ import annotations

import re

import pytest

from dlicli.engine import NOT_FOUND_EXEC
from dlicli.engine.api import TAGS
from tests.engine_http.conftest import submit, wait_state
from tests.engine_http.rawhttp import raw
from tests.waiting import wait_until

SLEEPER = "import time\nprint('tick', flush=True)\ntime.sleep(60)\n"


def test_an_encoded_slash_in_a_task_id_reaches_no_other_operation(admin, engine_proc):
    exec_id = submit(admin, SLEEPER).json()["id"]
    wait_state(admin, exec_id, "RUNNING")
    wait_until(lambda: "tick" in admin.get(f"execs/{exec_id}/log").json(), 20, what="the task's log")
    for method, path in [
        ("GET", f"/execs/{exec_id}%2Flog"),
        ("GET", f"/execs/{exec_id}%2Fresult"),
        ("DELETE", f"/execs/{exec_id}%2Flog"),
        ("GET", f"/execs/{exec_id}%2flog/"),
    ]:
        assert raw(engine_proc, method, path) == (400, {"message": NOT_FOUND_EXEC}), (method, path)
    status, answer = raw(engine_proc, "POST", f"/execs/{exec_id}%2Fstop")  # POST /execs/{id}: no such operation
    assert status == 405 and "POST is not allowed" in answer["message"], answer
    assert admin.get(f"execs/{exec_id}").json()["state"] == "RUNNING"  # the stop did not happen
    check_raw_dots_and_slashes(engine_proc, exec_id)
    status, _ = raw(engine_proc, "GET", f"/scheduler/applications/app-{exec_id}%2Fdriver%2Flogs/stdout")
    assert status == 404
    assert admin.post(f"execs/{exec_id}/stop").status_code == 204
    wait_state(admin, exec_id)


DOTS_AND_NUL = [
    "..",
    ".",
    "%2E%2E",
    "%2e",
    "..%2Fconf",
    "..%2F..%2Fconf",
    "%2E%2E%2Fconf",
    "%00",
    "a%00b",
    "%2F",
    "%FF",
]


def test_dot_segments_and_nul_are_task_ids(engine_proc):
    for segment in DOTS_AND_NUL:
        for path in (f"/execs/{segment}", f"/execs/{segment}/", f"/execs/{segment}/log", f"/execs/{segment}/result"):
            assert raw(engine_proc, "GET", path) == (400, {"message": NOT_FOUND_EXEC}), path
        assert raw(engine_proc, "POST", f"/execs/{segment}/stop") == (400, {"message": NOT_FOUND_EXEC}), segment
        status, answer = raw(engine_proc, "GET", f"/hypersearch/{segment}")
        assert status == 404 and re.fullmatch(r"hpo task .* not found", answer["message"], re.S), answer


def check_raw_dots_and_slashes(engine_proc, exec_id: str) -> None:
    """`..` sent as is (curl --path-as-is) is a segment of its own, never a step up to GET /conf; and
    both spellings of a path (dlicmd.py posts to /execs/) still reach their operation."""
    for path in ("/execs/../conf", "/execs/./../conf", "/hypersearch/../conf", f"/execs/{exec_id}/../../conf"):
        status, answer = raw(engine_proc, "GET", path)
        assert status == 404 and answer["message"].startswith("no such endpoint"), (path, answer)
    for path in ("/conf", "/execs", "/execs/", f"/execs/{exec_id}", f"/execs/{exec_id}/", "/execs/frameworks/"):
        assert raw(engine_proc, "GET", path)[0] == 200, path
    assert raw(engine_proc, "GET", "/execs//")[0] == 404  # an empty id is no id


def _operations() -> list[tuple[str, str]]:
    return [(op.method, op.path) for tag in TAGS for op in tag.OPS if "{" in op.path]


@pytest.mark.parametrize(("method", "template"), _operations())
def test_every_operation_with_an_id_takes_an_encoded_slash_as_part_of_it(engine_proc, method, template):
    """Each {param} holding `%2F` or NUL still reaches its own operation (which then does not find
    it), never another one nor none: no 404 'no such endpoint', no 405, no 500."""
    for value in ("x%2Fy", "..%2F..", "%00", "stop%2F"):
        for slash in ("", "/"):
            path = re.sub(r"\{[^}]+\}", value, template) + slash
            status, answer = raw(engine_proc, method, path, b"{}" if method in ("POST", "PUT") else None)
            message = answer.get("message", "") if isinstance(answer, dict) else answer
            assert status < 500 and status != 405, (method, path, status, answer)
            assert not message.startswith("no such endpoint"), (method, path, answer)
