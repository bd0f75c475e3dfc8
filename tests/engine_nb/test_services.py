"""The Notebooks operations against a real engine subprocess running real Jupyter servers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import stat
from pathlib import Path

import httpx
import pytest

from dlicli.engine.tasks import runner
from tests.engine_nb.conftest import without_jupyter
from tests.waiting import wait_until

pytest.importorskip("jupyter_server")

SERVICE_KEYS = {
    "userName",
    "podName",
    "podStatus",
    "podMessage",
    "podReason",
    "resourcePlan",
    "resourcePlanPath",
    "podCreateTime",
    "podStartTime",
    "kernels",
    "cpuUsed",
    "gpuUsed",
    "memoryUsed",
}


def jupyter_token(service: dict) -> str:
    return json.loads(Path(service["tokenFile"]).read_text())["IdentityProvider"]["token"]


def server_pid(service: dict) -> int:
    """The server's process-group leader as the engine recorded it: the server itself, or the
    bubblewrap sandbox it runs in (whose jpserver-<pid>.json names a pid of the sandbox's own)."""
    db = Path(service["tokenFile"]).parents[3] / "engine.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT pid FROM notebooks WHERE user = ?", (service["userName"],)).fetchone()[0]


def start_kernel(service: dict) -> str:
    answer = httpx.post(
        service["url"] + "api/kernels",
        json={"name": "fake"},
        headers={"Authorization": f"token {jupyter_token(service)}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def kernel_pids(kernel_id: str) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if f"kernel-{kernel_id}.json".encode() in argv and runner.start_time(int(entry)):
            found.append(int(entry))
    return found


def wait_gone(pids: list[int], timeout: float = 10.0) -> bool:
    alive = wait_until(
        lambda: [pid for pid in pids if runner.start_time(pid)],
        timeout,
        what=f"processes {pids} to end",
        until=lambda alive: not alive,
    )
    return alive == []


@pytest.mark.slow
def test_service_lifecycle_with_a_kernel(nb_engine):
    admin, alice = nb_engine.client(), nb_engine.client(nb_engine.tokens["alice"])
    assert admin.post("resplans/resplan", json={"name": "nbroot"}).status_code == 201
    assert admin.post("resplans/resplan", json={"name": "nbplan", "parent": "nbroot"}).status_code == 201

    started = admin.post("notebooks/alice/startservice", json={"resourcePlan": "nbroot"})
    assert started.status_code == 201, started.text
    service = started.json()
    assert set(service) >= SERVICE_KEYS
    assert (service["userName"], service["podName"], service["podStatus"]) == ("alice", "jupyter-alice", "Running")
    assert service["resourcePlan"] == "nbroot" and service["resourcePlanPath"] == "/nbroot"
    assert service["podStartTime"] >= service["podCreateTime"] > 0 and service["kernels"] == 0
    assert service["memoryUsed"] > 0 and service["url"].startswith("http://127.0.0.1:")
    again = admin.post("notebooks/alice/startservice")
    assert again.status_code == 200 and again.json()["url"] == service["url"]

    # the token is in a 0600 file, never in the server's argv
    token = jupyter_token(service)
    assert stat.S_IMODE(os.stat(service["tokenFile"]).st_mode) == 0o600
    pid = server_pid(service)
    assert token.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    assert httpx.get(service["url"] + "api/kernels").status_code == 403  # the token is required

    kernel_id = start_kernel(service)
    kernels = alice.get("notebooks/alice/runningkernels").json()
    assert [(k["jobId"], k["kernelName"], k["userName"]) for k in kernels] == [(kernel_id, "fake", "alice")]
    assert (
        kernels[0]["status"] and kernels[0]["memoryUsed"] > 0 and kernels[0]["createTime"] >= service["podCreateTime"]
    )
    mine = alice.get("notebooks/alice/runningservices").json()
    assert mine["kernels"] == 1 and mine["podStatus"] == "Running"
    assert [s["userName"] for s in admin.get("notebooks/runningservices").json()] == ["alice"]
    assert [s["userName"] for s in alice.get("notebooks/runningservices").json()] == ["alice"]
    assert nb_engine.client(nb_engine.tokens["bob"]).get("notebooks/runningservices").json() == []

    moved = alice.put("notebooks/alice", json={"userName": "alice", "resourcePlan": "nbplan"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["resourcePlan"], moved.json()["resourcePlanPath"]) == ("nbplan", "/nbroot/nbplan")
    bad = alice.put("notebooks/alice", json={"resourcePlan": "no-such-plan"})
    assert bad.status_code == 400 and "no-such-plan" in bad.json()["message"]
    assert alice.get("notebooks/alice/runningservices").json()["resourcePlan"] == "nbplan"

    kernel_procs = kernel_pids(kernel_id)
    assert kernel_procs
    stopped = alice.put("notebooks/alice/stopservice")
    assert stopped.status_code == 200 and stopped.json() == {"result": "ok"}
    assert wait_gone([pid, *kernel_procs])
    assert admin.get("notebooks/runningservices").json() == []
    assert admin.get("notebooks/alice/runningservices").status_code == 404
    nothing = admin.put("notebooks/alice/stopservice").json()
    assert nothing["result"] == "error" and "alice" in nothing["message"]


def test_no_service_and_forbidden(nb_engine):
    admin, bob = nb_engine.client(), nb_engine.client(nb_engine.tokens["bob"])
    for path in ("notebooks/carol/runningservices", "notebooks/carol/runningkernels"):
        answer = admin.get(path)
        assert answer.status_code == 404 and "carol" in answer.json()["message"]
    assert admin.put("notebooks/carol", json={"resourcePlan": ""}).status_code == 404
    assert admin.put("notebooks/carol/stopservice").json()["result"] == "error"
    for method, path in (("POST", "notebooks/carol/startservice"), ("POST", "notebooks/bob/startservice")):
        answer = bob.request(method, path)
        assert answer.status_code == 403, (method, path, answer.text)  # only an administrator starts one
    for path in ("notebooks/carol/runningservices", "notebooks/carol/runningkernels"):  # as for no service
        assert bob.get(path).status_code == 404 and "carol" in bob.get(path).json()["message"]
    assert bob.put("notebooks/carol/stopservice").json()["result"] == "error"
    assert bob.put("notebooks/carol", json={"resourcePlan": ""}).status_code == 404
    assert nb_engine.client(None).get("notebooks/runningservices").status_code == 401
    missing = admin.post("notebooks/nobody/startservice")
    assert missing.status_code == 404 and "nobody" in missing.json()["message"]
    plan = admin.post("notebooks/carol/startservice", json={"resourcePlan": "no-such-plan"})
    assert plan.status_code == 400 and "no-such-plan" in plan.json()["message"]
    assert admin.put("notebooks/carol", content=b"not json").status_code == 400
    assert admin.get("notebooks/carol/runningservices").status_code == 404  # nothing was started


@pytest.mark.slow
def test_restarted_engine_readopts_then_sees_the_server_die(nb_start, tmp_path):
    data = tmp_path / "data"
    first = nb_start(data)
    service = first.client().post("notebooks/admin/startservice").json()
    pid = server_pid(service)
    assert first.stop() == 0
    assert runner.start_time(pid), "stopping the engine must leave the Jupyter server running"

    second = nb_start(data)
    admin = second.client()
    adopted = admin.get("notebooks/admin/runningservices").json()
    assert adopted["podStatus"] == "Running"
    assert (adopted["url"], adopted["podCreateTime"]) == (service["url"], service["podCreateTime"])
    os.killpg(pid, signal.SIGKILL)
    assert wait_gone([pid])
    dead = admin.get("notebooks/runningservices").json()
    assert [(s["userName"], s["podStatus"], s["podReason"]) for s in dead] == [("admin", "Stopped", "Exited")]
    assert "exited" in dead[0]["podMessage"]
    assert admin.get("notebooks/admin/runningkernels").json() == []
    assert admin.put("notebooks/admin/stopservice").json()["result"] == "error"
    assert admin.get("notebooks/runningservices").json() == []


@pytest.mark.slow
def test_without_jupyter_server_start_says_how_to_install(nb_start, tmp_path):
    engine = nb_start(tmp_path / "data", without_jupyter(tmp_path))
    admin = engine.client()
    answer = admin.post("notebooks/admin/startservice")
    assert answer.status_code == 400
    assert "pip install 'dlicli[notebook]'" in answer.json()["message"]
    assert admin.get("notebooks/runningservices").json() == []
    assert admin.get("notebooks/admin/runningservices").status_code == 404
    assert not (engine.data_dir / "notebooks" / "admin").exists()


@pytest.mark.slow
def test_restarted_engine_kills_a_server_it_has_no_record_of(nb_start, tmp_path):
    """An engine killed between starting a Jupyter server and recording it (or mid-stop) leaves a
    server nobody can reach: the next engine kills whatever runs in a notebook dir without a record."""
    data = tmp_path / "data"
    first = nb_start(data)
    service = first.client().post("notebooks/admin/startservice").json()
    pid = server_pid(service)
    assert first.stop() == 0
    with contextlib.closing(sqlite3.connect(data / "engine.db")) as db, db:
        db.execute("DELETE FROM notebooks")
    assert runner.start_time(pid)
    members = runner.group_members(pid)
    assert members

    second = nb_start(data)
    assert wait_gone(members), "the unrecorded server (and its sandbox) must be killed at start"
    assert second.client().get("notebooks/runningservices").json() == []
