"""Every body the issue found answered with a 500 is a 400 naming what is wrong, and the engine
keeps answering; a bad value already stored cannot break a listing (issue 10, item 6)."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from tests.engine_bounds.conftest import message, responsive
from tests.engine_hposvc.over_http import hpo_body, post_hpo
from tests.engine_http.conftest import model_tar, submit, wait_state

START = "execs?args=--exec-start python --model-dir m --model-main main.py"

NAMED = '{"name": "\\ud800"}'
APP = '{"appName": "\\ud800"}'


def model() -> dict:
    return {"file": ("m.modelDir.tar", model_tar("m", {"main.py": "print(1)\n"}), "application/x-tar")}


def test_a_100k_deep_json_body_is_a_400(admin):
    deep = b"[" * 100_000 + b"]" * 100_000
    for answer in (
        admin.post("hypersearch/algorithm/debug", content=deep),
        admin.post("resplans/resplan", content=b'{"name": ' + deep + b"}"),
        post_hpo(admin, deep.decode()),
    ):
        assert answer.status_code == 400, answer.text[:300]
        assert "nested" in message(answer)
    responsive(admin)


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("resplans/resplan", content=NAMED.encode()),
        lambda c: c.post("execs", files=model(), data={"data": '{"args": "--exec-start python --appName \\ud800"}'}),
        lambda c: c.post(START, files=model(), data={"data": APP}),
        lambda c: c.post(
            "hypersearch/algorithm/install",
            files={"other": ("x", b"x")},
            data={"data": '{"name": "p", "path": "/x/\\ud800"}'},
        ),
        lambda c: post_hpo(c, json.dumps(hpo_body("s", hyper=[{"name": "\ud800", "type": "Discrete"}]))),
    ],
    ids=["resplan", "exec-args", "exec-data", "install", "hpo"],
)
def test_a_lone_surrogate_is_a_400(admin, send):
    answer = send(admin)
    assert answer.status_code == 400, answer.text[:300]
    assert "surrogate" in message(answer)


def test_data_source_location_as_a_string_is_a_400(admin):
    data = {"dataSource": [{"type": "fs", "location": "/data/set"}]}
    answer = admin.post(START, files=model(), data={"data": json.dumps(data)})
    assert answer.status_code == 400, answer.text
    assert "dataSource[0].location" in message(answer)


@pytest.mark.parametrize(
    "text, named",
    [
        ('"maxJobNum": 1e400', "algoDef.maxJobNum"),
        ('"maxJobNum": NaN', "algoDef.maxJobNum"),
        ('"maxJobNum": -Infinity', "algoDef.maxJobNum"),
        ('"maxJobNum": 1' + "0" * 400, "algoDef.maxJobNum"),
    ],
)
def test_non_finite_numbers_are_a_400_naming_the_field(admin, text, named):
    body = json.dumps(hpo_body("nf", jobs=1)).replace('"maxJobNum": 1', text)
    answer = post_hpo(admin, body)
    assert answer.status_code == 400, answer.text
    assert named in message(answer)
    debug = admin.post("hypersearch/algorithm/debug", content=body.encode())
    assert debug.status_code == 400 and named in message(debug)


def test_a_double_range_whose_width_overflows_is_a_400_and_listings_stay_whole(admin):
    hyper = [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": -1.7e308, "maxDbVal": 1.7e308}]
    answer = post_hpo(admin, hpo_body("wide", hyper=hyper))
    assert answer.status_code == 400, answer.text
    assert "hyperParams[0]" in message(answer) and "too wide" in message(answer)
    assert admin.get("hypersearch").status_code == 200
    assert admin.get("hypersearch/wide").status_code in (400, 404)


def test_a_stored_non_finite_value_cannot_break_a_listing(admin, plain):
    created = post_hpo(admin, hpo_body("stored", jobs=1, parallel=1))
    assert created.status_code == 200, created.text
    db = sqlite3.connect(plain.data_dir / "engine.db")  # as an older engine could have left it
    try:
        db.execute("UPDATE hpo_tasks SET input = ? WHERE name = 'stored'", ('{"hpoName": "stored", "x": NaN}',))
        db.commit()
    finally:
        db.close()
    listing = admin.get("hypersearch")
    assert listing.status_code == 200, listing.text[:300]
    assert "stored" in [t["hpoName"] for t in listing.json()]
    view = admin.get("hypersearch/stored")
    assert view.status_code == 200 and view.json()["input"]["x"] is None


def test_exec_result_after_the_task_dir_is_gone_is_a_400(admin, plain):
    exec_id = submit(admin, "print('done')\n").json()["id"]
    wait_state(admin, exec_id)
    task_dir = plain.data_dir / "tasks" / exec_id
    shutil.rmtree(task_dir)
    answer = admin.get(f"execs/{exec_id}/result")
    assert answer.status_code == 400, answer.text
    assert "gone" in message(answer) and exec_id in message(answer)
    responsive(admin)
