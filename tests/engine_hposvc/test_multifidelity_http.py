"""ASHA and multi-pass Hyperband through a real engine process over HTTP: they end on maxJobNum,
and on maxRunTime (its deadline moved into the past in the engine's database: time flies)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.engine_hposvc.conftest import values
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.waiting import wait_until

RESOURCE = {"ResourceName": "epochs", "ResourceValue": 9, "eta": 3, "RandomSeed": 4}  # ASHA's rungs: 1, 3, 9


def started(client: httpx.Client, data: dict) -> None:
    answer = post_hpo(client, data)
    assert answer.status_code == 200, answer.text


def wait_experiments(client: httpx.Client, name: str, count: int) -> dict:
    return wait_until(
        lambda: client.get(f"hypersearch/{name}").json(),
        60,
        0.1,
        f"{count} experiments in {name}",
        until=lambda view: len(view["experiments"]) >= count,
    )


def time_flies(server, name: str) -> None:
    """The search's maxRunTime deadline is now."""
    with sqlite3.connect(server.data_dir / "engine.db", timeout=30) as db:
        db.execute("UPDATE hpo_tasks SET deadline = 0 WHERE name = ?", (name,))
    db.close()


def key(exp: dict) -> tuple:
    got = values(exp)
    return got["x"], got["y"]


@pytest.mark.slow
def test_asha_promotes_without_waiting_and_ends_on_max_job_num(admin):
    started(admin, hpo_body("asha1", algorithm="ASHA", jobs=12, parallel=4, params=RESOURCE))
    view = wait_hpo(admin, "asha1")
    assert view["state"] == "FINISHED" and view["progress"] == "12/12", view.get("reason")
    exps = view["experiments"]
    epochs = [values(e)["epochs"] for e in exps]
    assert set(epochs) <= {1, 3, 9} and epochs[:4] == [1, 1, 1, 1] and 3 in epochs
    assert all(isinstance(e, int) for e in epochs)
    at = {r: [e for e in exps if values(e)["epochs"] == r] for r in (1, 3, 9)}
    assert {key(e) for e in at[3]} <= {key(e) for e in at[1]}  # promotions, not new configs
    assert len({key(e) for e in at[1]}) == len(at[1])  # no config drawn twice
    # the first promotion is the best of the first results at epochs 1, at most a third of them promoted
    assert len(at[3]) <= len(at[1]) // 3
    assert {key(e) for e in at[9]} <= {key(e) for e in at[3]}


@pytest.mark.slow
def test_hyperband_starts_a_second_pass_and_ends_on_max_job_num(admin):
    params = {**RESOURCE, "ResourceValue": 3}  # one pass: 3 at 1, the best at 3; then 2 at 3 (6 runs)
    started(admin, hpo_body("hbpass", algorithm="Hyperband", jobs=9, parallel=4, params=params))
    view = wait_hpo(admin, "hbpass")
    assert view["state"] == "FINISHED" and view["progress"] == "9/9", view.get("reason")
    exps = view["experiments"]
    assert [values(e)["epochs"] for e in exps] == [1, 1, 1, 3, 3, 3, 1, 1, 1]
    assert not {key(e) for e in exps[6:]} & {key(e) for e in exps[:6]}  # the second pass: fresh configs


@pytest.mark.parametrize(
    "algorithm, params, beyond",
    [("ASHA", RESOURCE, 8), ("Hyperband", {**RESOURCE, "ResourceValue": 3}, 8)],  # a Hyperband pass is 6
)
@pytest.mark.slow
def test_max_run_time_alone_keeps_them_going_until_it_ends_them(server, admin, algorithm, params, beyond):
    name = f"{algorithm.lower()}-time"
    started(admin, hpo_body(name, algorithm=algorithm, jobs=-1, parallel=2, params=params, maxRunTime=1))
    wait_experiments(admin, name, beyond)
    time_flies(server, name)
    view = wait_hpo(admin, name)
    assert view["state"] == "FINISHED" and "maxRunTime of 1 minute(s) reached" in view["reason"]
    assert len(view["experiments"]) >= beyond and view["complete"] >= beyond - 2


def test_asha_that_would_never_end_or_has_a_bad_param_is_400(admin):
    answer = post_hpo(admin, hpo_body("asha-bad", algorithm="ASHA", jobs=-1, params=RESOURCE))
    assert answer.status_code == 400
    assert "ASHA runs until maxJobNum or maxRunTime ends it" in answer.json()["message"]
    answer = post_hpo(admin, hpo_body("asha-bad", algorithm="asha", params={**RESOURCE, "MinResourceValue": 10}))
    assert answer.status_code == 400
    assert answer.json()["message"] == "algoDef: ASHA: algoParams MinResourceValue: 10 is more than ResourceValue 9"
    assert admin.get("hypersearch/asha-bad").status_code == 404
