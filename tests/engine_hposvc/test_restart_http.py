"""A restarted search over real HTTP: the tasks its re-run experiments replace stay the search's
(hidden from a plain GET /execs' experiments-aside view by hpoName, left by DELETE /execs, deleted
with the search), and a search name holding an encoded `/` reaches no other operation."""

from __future__ import annotations

import httpx
import pytest

from dlicli.engine import NOT_FOUND_EXEC
from tests.engine_hposvc.over_http import hpo_body, post_hpo, wait_hpo
from tests.engine_hposvc.test_http import wait_running
from tests.engine_http.rawhttp import raw
from tests.waiting import wait_until


def settled(client: httpx.Client, name: str) -> dict:
    """The stopped search once none of its experiments runs any more."""
    return wait_until(
        lambda: client.get(f"hypersearch/{name}").json(),
        20,
        0.1,
        f"{name}'s experiments to end",
        until=lambda view: not view["running"] and all(e["state"] != "SUBMITTED" for e in view["experiments"]),
    )


def check_replaced_tasks_stay_the_searchs(admin: httpx.Client, name: str, replaced: list[str]) -> None:
    view = wait_hpo(admin, name)
    assert view["state"] == "FINISHED", view
    assert not set(replaced) & {e["execId"] for e in view["experiments"]}  # re-run in new tasks
    assert [e["id"] for e in view["experiments"]] == list(range(len(view["experiments"])))
    searches = {batch["id"]: batch["hpoName"] for batch in admin.get("execs").json()}
    assert {searches.get(task_id) for task_id in replaced} == {name}  # still the search's
    for task_id in replaced:
        assert admin.get(f"execs/{task_id}").json()["hpoName"] == name
        assert admin.get(f"execs/{task_id}/log").status_code == 200
    assert admin.delete("execs").status_code == 204  # leaves a search's tasks to it
    assert all(admin.get(f"execs/{task_id}").status_code == 200 for task_id in replaced)
    assert admin.get(f"hypersearch/{name}").json()["experiments"] == view["experiments"]
    assert admin.delete(f"hypersearch/{name}").status_code == 204
    for task_id in replaced + [e["execId"] for e in view["experiments"]]:
        assert admin.get(f"execs/{task_id}").json() == {"message": NOT_FOUND_EXEC}  # gone with the search


@pytest.mark.slow
def test_a_force_stopped_search_restarted_keeps_its_killed_tasks(admin, server):
    assert post_hpo(admin, hpo_body("fr", jobs=2, parallel=2, args="--sleep 3")).status_code == 200
    wait_running(admin, "fr", 2)
    assert admin.put("hypersearch/fr/force").status_code == 204
    view = settled(admin, "fr")
    assert [e["state"] for e in view["experiments"]] == ["KILLED", "KILLED"]
    replaced = [e["execId"] for e in view["experiments"]]
    assert admin.put("hypersearch/fr/restart").status_code == 204
    check_replaced_tasks_stay_the_searchs(admin, "fr", replaced)


@pytest.mark.slow
def test_a_stopped_search_restarted_keeps_its_cancelled_tasks(admin, server):
    """Six at once on four slots: the two queued are cancelled by the stop, then re-run."""
    assert post_hpo(admin, hpo_body("sr", jobs=6, parallel=6, args="--sleep 3")).status_code == 200
    wait_running(admin, "sr", 4)
    assert admin.put("hypersearch/sr").status_code == 204
    view = settled(admin, "sr")
    cancelled = [e for e in view["experiments"] if e["state"] == "STOPPED"]
    assert len(cancelled) == 2 and len(view["experiments"]) == 6, view["experiments"]
    assert admin.put("hypersearch/sr/restart").status_code == 204
    check_replaced_tasks_stay_the_searchs(admin, "sr", [e["execId"] for e in cancelled])


@pytest.mark.slow
def test_a_search_name_with_an_encoded_slash_reaches_no_other_operation(admin, server):
    """`hpo stop "s2/restart"` sends PUT /hypersearch/s2%2Frestart: the stop of a search of that
    name (there is none), never a restart of s2; likewise /force on a running search."""
    assert post_hpo(admin, hpo_body("s2", jobs=2, parallel=2, args="--sleep 3")).status_code == 200
    wait_running(admin, "s2", 2)
    assert raw(server, "PUT", "/hypersearch/s2%2Fforce") == (404, {"message": "hpo task s2/force not found"})
    assert raw(server, "DELETE", "/hypersearch/s2%2Fforce/") == (404, {"message": "hpo task s2/force not found"})
    view = admin.get("hypersearch/s2").json()
    assert view["state"] == "RUNNING" and view["running"] == 2  # not force-stopped
    assert admin.put("hypersearch/s2/force").status_code == 204
    stopped = settled(admin, "s2")
    assert raw(server, "PUT", "/hypersearch/s2%2Frestart") == (404, {"message": "hpo task s2/restart not found"})
    assert raw(server, "GET", "/hypersearch/s2%2F..%2F..%2Fconf")[0] == 404
    assert admin.get("hypersearch/s2").json() == stopped  # not restarted
    assert admin.delete("hypersearch/s2").status_code == 204
