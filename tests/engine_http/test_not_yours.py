"""One answer for "not yours" and "not there": bob asking for alice's task, its log, result, stop,
delete and deploy, her scheduler application, her search and her notebook service gets exactly what
he gets for an id that does not exist (status and body, the id itself aside), so ids of others do
not leak. The admin still sees everything."""

from __future__ import annotations

import httpx
import pytest

from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.engine_http.conftest import submit, wait_state

MISSING_TASK = "0123456789abcdef-missing"
MISSING_HPO = "no-such-search"

TASK_ROUTES = [
    ("GET", "execs/{id}"),
    ("GET", "execs/{id}/log"),
    ("GET", "execs/{id}/result"),
    ("POST", "execs/{id}/stop"),
    ("POST", "execs/{id}/deploy"),
    ("DELETE", "execs/{id}"),  # last: it would delete
    ("GET", "scheduler/applications/app-{id}/driver/logs/stdout"),
    ("GET", "scheduler/applications/app-{id}/executor/1/logs/stdout"),
]
HPO_ROUTES = [
    ("GET", "hypersearch/{id}"),
    ("PUT", "hypersearch/{id}"),
    ("PUT", "hypersearch/{id}/force"),
    ("PUT", "hypersearch/{id}/restart"),
    ("DELETE", "hypersearch/{id}"),
]
NOTEBOOK_ROUTES = [
    ("GET", "notebooks/{id}/runningservices"),
    ("GET", "notebooks/{id}/runningkernels"),
    ("PUT", "notebooks/{id}/stopservice"),
    ("PUT", "notebooks/{id}"),
]


def answer(client: httpx.Client, method: str, path: str, object_id: str) -> tuple[int, str]:
    """(status, body with the asked-for id replaced by ID)."""
    body = {"name": "m", "kernel": "main.py"} if path.endswith("deploy") else None
    if method == "PUT" and path.startswith("notebooks/{id}") and path.count("/") == 1:
        body = {"resourcePlan": ""}
    got = client.request(method, path.format(id=object_id), json=body)
    return got.status_code, got.text.replace(object_id, "ID")


@pytest.fixture(scope="module")
def engine_proc(start_engine, tmp_path_factory):
    """This module's own engine: the shared one's task lists are other modules' to count."""
    return start_engine(tmp_path_factory.mktemp("notyours") / "data", "--port", "0", "--slots", "2")


@pytest.fixture(scope="module")
def people(engine_proc):
    alice = engine_proc.client(engine_proc.add_user("alice-ny"))
    bob = engine_proc.client(engine_proc.add_user("bob-ny"))
    yield alice, bob
    alice.close()
    bob.close()


@pytest.mark.slow
def test_another_users_task_and_application_answer_as_a_missing_id(engine_proc, people):
    alice, bob = people
    exec_id = submit(alice, "print('hers')\n").json()["id"]
    wait_state(alice, exec_id)
    for method, path in TASK_ROUTES:
        theirs = answer(bob, method, path, exec_id)
        missing = answer(bob, method, path, MISSING_TASK)
        assert theirs == missing, (method, path)
        assert missing[0] in (400, 404), (method, path, missing)
    with engine_proc.client() as admin:
        assert admin.get(f"execs/{exec_id}").json()["creator"] == "alice-ny"  # the admin sees all
        assert admin.get(f"scheduler/applications/app-{exec_id}/driver/logs/stdout").status_code == 200
    assert alice.get(f"execs/{exec_id}/log").status_code == 200  # still hers, untouched


@pytest.mark.slow
def test_another_users_search_answers_as_a_missing_one(engine_proc, people):
    alice, bob = people
    posted = post_hpo(alice, hpo_body("hers-ny", jobs=1, parallel=1))
    assert posted.status_code == 200, posted.text
    wait_hpo(alice, "hers-ny")
    for method, path in HPO_ROUTES:
        assert answer(bob, method, path, "hers-ny") == answer(bob, method, path, MISSING_HPO), (method, path)
    assert alice.get("hypersearch/hers-ny").status_code == 200
    with engine_proc.client() as admin:
        assert admin.get("hypersearch/hers-ny").json()["creator"] == "alice-ny"


def test_another_users_notebook_service_answers_as_a_missing_one(engine_proc, people):
    _, bob = people
    for method, path in NOTEBOOK_ROUTES:
        theirs = answer(bob, method, path, "alice-ny")
        assert theirs == answer(bob, method, path, "nobody-ny"), (method, path)
        assert theirs[0] != 403, (method, path, theirs)
