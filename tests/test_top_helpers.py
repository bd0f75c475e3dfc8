"""A real engine with work in it for the `dlicli top` tests: running tasks that print a known last
line and sleep, one that finished, and an HPO search with experiments running."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.engine_hposvc.over_http import hpo_body, post_hpo
from tests.engine_http.conftest import EngineProc, submit, wait_state
from tests.waiting import wait_until

SLEEPER = """\
import time
print("starting up", flush=True)
print("epoch 1 loss=0.42 top-marker", flush=True)
time.sleep(300)
"""
QUICK = 'print("all done")\n'
SEARCH = "topsearch"


def start_engine(procs: list, data_dir: Path) -> EngineProc:
    engine = EngineProc(data_dir, ("--port", "0", "--slots", "8", "--grace-seconds", "1"))
    procs.append(engine)
    return engine


def start_sleeper(client: httpx.Client) -> str:
    """A task that prints its marker line and sleeps: RUNNING, with that line in its log."""
    exec_id = submit(client, SLEEPER).json()["id"]
    wait_state(client, exec_id, "RUNNING")
    wait_until(
        lambda: client.get(f"execs/{exec_id}/log", params={"logType": "outlog"}).text,
        20,
        what=f"the marker line in {exec_id}'s log",
        until=lambda text: "top-marker" in text,
    )
    return exec_id


def finished_task(client: httpx.Client) -> str:
    exec_id = submit(client, QUICK).json()["id"]
    wait_state(client, exec_id, "FINISHED")
    return exec_id


def start_search(client: httpx.Client, name: str = SEARCH) -> None:
    """A search of 4 experiments, 2 at a time, each sleeping long: running experiments to show."""
    response = post_hpo(client, json.dumps(hpo_body(name, jobs=4, parallel=2, args="--sleep 300")))
    assert response.status_code in (200, 201), response.text
    wait_until(
        lambda: client.get(f"hypersearch/{name}").json(),
        30,
        0.1,
        f"search {name} to run experiments",
        until=lambda view: view.get("running", 0) >= 1,
    )
