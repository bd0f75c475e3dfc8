"""/scheduler and /resplans over real HTTP against a real engine process."""

from __future__ import annotations

import pytest

from tests.engine_http.conftest import submit, wait_state

THREE_LINES = "print('one')\nprint('two')\nprint('three')\n"


@pytest.fixture(scope="module")
def apps(engine_proc):
    """Two finished tasks: (first, second) Batch objects."""
    with engine_proc.client() as client:
        first = submit(client, THREE_LINES, name="alpha").json()
        second = submit(client, "import sys\nprint('oops', file=sys.stderr)\n", name="beta").json()
        return wait_state(client, first["id"]), wait_state(client, second["id"])


def test_applications_filter_sort_and_page(admin, apps):
    first, second = apps
    for path in ("scheduler/applications", "scheduler/applications/"):
        found = admin.get(path, params={"applicationid": first["appId"]}).json()
        assert [a["applicationid"] for a in found] == [first["appId"]]
        assert (
            found[0]["state"] == "FINISHED"
            and found[0]["username"] == "admin"
            and found[0]["task12n"] == [{"id": "1", "rank": 0}]
        )
    ids = {first["appId"], second["appId"]}
    ascending = [a["applicationid"] for a in admin.get("scheduler/applications?sort=submittedtime").json()]
    descending = [a["applicationid"] for a in admin.get("scheduler/applications?sort=-submittedtime").json()]
    assert ids <= set(ascending) and descending == list(reversed(ascending))
    assert ascending.index(first["appId"]) < ascending.index(second["appId"])
    page = admin.get("scheduler/applications", params={"sort": "submittedtime", "start": 1, "length": 1}).json()
    assert [a["applicationid"] for a in page] == ascending[1:2]
    assert admin.get("scheduler/applications", params={"state": "RUNNING", "search": first["id"]}).json() == []
    bad = admin.get("scheduler/applications?length=many")
    assert bad.status_code == 400 and bad.json()["message"]


def test_application_statistic(admin, apps):
    stats = admin.get("scheduler/applicationStatistic/").json()
    assert [s["username"] for s in stats] == ["admin"]
    assert set(stats[0]) == {"username", "cpuReq", "cpuUsed", "gpuReq", "gpuUsed", "jobPending", "jobRunning"}


def test_driver_and_executor_logs(admin, apps):
    first, second = apps
    app = f"scheduler/applications/{first['appId']}"
    answer = admin.get(f"{app}/driver/logs/stdout", params={"lastlines": 2})
    assert answer.status_code == 200 and answer.text == "two\nthree\n"
    assert admin.get(f"{app}/driver/logs/stdout/").text == "one\ntwo\nthree\n"
    assert admin.get(f"{app}/executor/1/logs/stdout?lastlines=1").text == "three\n"
    assert admin.get(f"{app}/executor/0/logs/stdout").status_code == 404
    assert admin.get(f"scheduler/applications/{second['appId']}/driver/logs/stderr").text == "oops\n"
    assert admin.get(f"{app}/driver/logs/stdout?lastlines=-1").status_code == 400
    assert admin.get(f"{app}/executor/7/logs/stdout").status_code == 404
    assert admin.get(f"{app}/driver/logs/nonsense").status_code == 400
    assert admin.get("scheduler/applications/app-nobody-0/driver/logs/stdout").status_code == 404


def test_log_downloads_are_attachments(admin, apps):
    first, _ = apps
    app = f"scheduler/applications/{first['appId']}"
    answer = admin.get(f"{app}/driver/logs/stdout/download")
    assert answer.status_code == 200 and answer.content == b"one\ntwo\nthree\n"
    assert answer.headers["content-disposition"] == f'attachment; filename="{first["appId"]}-driver-stdout.log"'
    answer = admin.get(f"{app}/executor/1/logs/stderr/download/")
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["content-disposition"].startswith("attachment;")


def test_resplans_lifecycle_and_in_use_conflict(engine_proc, admin):
    plan = {"name": "team", "labels": [{"key": "cpu", "value": "1"}]}
    assert admin.post("resplans/resplan", json=plan).status_code == 201
    assert admin.post("resplans/resplan/", json=plan).status_code == 409
    assert admin.post("resplans/resplan", json={"name": "sub", "parent": "team"}).status_code == 201
    got = admin.get("resplans/resplan/team").json()
    assert got["name"] == "team" and got["cpuQuota"] == "1" and got["path"] == "/team"
    assert (
        admin.put("resplans/resplan", json={"name": "team", "labels": [{"key": "cpu", "value": "2"}]}).status_code
        == 204
    )
    assert admin.get("resplans/resplan/team/").json()["cpuQuota"] == "2"
    tree = admin.get("resplans/resplantree").json()
    team = next(node for node in tree["childTreeDto"] if node["name"] == "team")
    assert [child["name"] for child in team["childTreeDto"]] == ["sub"]
    assert admin.delete("resplans/resplan/team").status_code == 409  # it has a child plan
    assert admin.delete("resplans/resplan/sub").status_code == 200

    busy = submit(admin, "import time\ntime.sleep(60)\n", args="--resplan team").json()
    wait_state(admin, busy["id"], "RUNNING")
    assert admin.get("resplans/resplan/team").json()["usedcpu"] == "1"
    conflict = admin.delete("resplans/resplan/team/")
    assert conflict.status_code == 409 and "in use" in conflict.json()["message"]
    assert admin.post(f"execs/{busy['id']}/stop").status_code == 204
    wait_state(admin, busy["id"])
    assert admin.delete("resplans/resplan/team").status_code == 200
    assert admin.get("resplans/resplan/team").status_code == 404


def test_resplans_errors(engine_proc, admin):
    assert admin.post("resplans/resplan", content=b"{nope").status_code == 400
    assert admin.post("resplans/resplan", json={"labels": []}).status_code == 400
    assert admin.put("resplans/resplan", json={"name": "ghost"}).status_code == 404
    assert admin.get("resplans/resplan/ghost").status_code == 404
    with engine_proc.client(engine_proc.add_user("carol")) as carol:
        answer = carol.post("resplans/resplan", json={"name": "mine"})
        assert answer.status_code == 403 and answer.json()["message"]
