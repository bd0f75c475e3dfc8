"""A task's end time is when its processes ended, not when the engine noticed: over HTTP, against a
real engine process, read to the millisecond from GET /scheduler/applications (`endtime`).

The task writes its own clock just before it exits (os._exit: no interpreter shutdown between the
two); the engine's record must follow within 20 ms. That bound does not depend on how loaded the
machine is, only on the launcher reaping its worker, which is why it is the figure tested here.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.engine.conftest import ENDS_AND_SAYS_WHEN
from tests.engine_http.conftest import FINAL, submit, wait_state
from tests.waiting import wait_until

CLOSE = 0.02  # seconds between the process's real end and the recorded one


def recorded_end(client: httpx.Client, exec_id: str) -> float:
    """The engine's end time of the task, epoch seconds, from its application's `endtime` (ms)."""
    (app,) = client.get("scheduler/applications", params={"applicationid": f"app-{exec_id}"}).json()
    assert app["endtime"], app
    return app["endtime"] / 1000


def start_and_release(data_dir: Path, client: httpx.Client) -> tuple[str, Path]:
    answer = submit(client, ENDS_AND_SAYS_WHEN)
    assert answer.status_code == 200, answer.text
    exec_id = answer.json()["id"]
    wait_state(client, exec_id, "RUNNING")
    return exec_id, data_dir / "tasks" / exec_id / "result"


def real_end(result: Path) -> float:
    ended = result / "ended"
    return wait_until(lambda: ended.exists() and ended.read_text() and float(ended.read_text()), 20)


def test_the_end_time_is_when_the_process_ended(engine_proc, admin):
    exec_id, result = start_and_release(engine_proc.data_dir, admin)
    (result / "go").write_text("")
    assert wait_state(admin, exec_id)["state"] == "FINISHED"
    late = recorded_end(admin, exec_id) - real_end(result)
    assert -0.001 <= late < CLOSE, f"end recorded {late * 1000:.1f} ms after the process ended"


def test_a_task_that_ended_while_the_engine_was_down_keeps_its_real_end_time(start_engine, tmp_path):
    data = tmp_path / "data"
    first = start_engine(data, "--port", "0")
    with first.client() as client:
        exec_id, result = start_and_release(data, client)
    assert first.stop() == 0
    (result / "go").write_text("")
    ended = real_end(result)
    time.sleep(0.5)  # the restart comes well after the end: noticing it is not the end
    again = start_engine(data, "--port", "0")
    with again.client() as client:
        assert wait_state(client, exec_id, FINAL)["state"] == "FINISHED"
        late = recorded_end(client, exec_id) - ended
    assert -0.001 <= late < CLOSE, f"end recorded {late * 1000:.1f} ms after the process ended"
