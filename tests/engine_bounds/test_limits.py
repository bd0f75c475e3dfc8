"""The limits a `server start` option sets, crossed over real HTTP: each answer is a clear 400, 413 or
429 naming the limit, and the engine stays responsive (issue 10, item 2)."""

from __future__ import annotations

import io
import json
import secrets
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.engine_bounds.conftest import message, responsive
from tests.engine_hposvc.over_http import hpo_body, post_hpo
from tests.engine_http.conftest import model_tar
from tests.waiting import wait_until

START = "execs?args=--exec-start python --model-dir m --model-main main.py"
HUGE_INT = [
    {"name": "x", "type": "Range", "dataType": "int", "minIntVal": -(10**30), "maxIntVal": 10**30},
    {"name": "y", "type": "Range", "dataType": "int", "minIntVal": -(10**30), "maxIntVal": 10**30, "step": 7},
]


def tar_of(files: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def post_tar(client, data: bytes):
    return client.post(START, files={"file": ("m.modelDir.tar", data, "application/x-tar")})


@pytest.mark.parametrize("algorithm", ["Random", "Tpe", "Bayesian"])
def test_an_int_range_of_10_to_the_30_is_sampled_not_materialised(admin, algorithm):
    name = f"huge-{algorithm.lower()}"
    began = time.monotonic()
    answer = post_hpo(admin, hpo_body(name, algorithm=algorithm, jobs=2, parallel=2, hyper=HUGE_INT))
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - began < 10.0  # materialised, it took minutes and 12 GB; 10 s spares a loaded CI
    responsive(admin)
    view = wait_until(
        lambda: admin.get(f"hypersearch/{name}").json(),
        30,
        0.1,
        "two experiments",
        until=lambda v: len(v["experiments"]) == 2,
    )
    for exp in view["experiments"]:
        got = {h["name"]: json.loads(h["fixedVal"]) for h in exp["hyperParams"]}
        assert isinstance(got["x"], int) and -(10**30) <= got["x"] <= 10**30
        assert isinstance(got["y"], int) and -(10**30) <= got["y"] <= 10**30
    admin.put(f"hypersearch/{name}/force")
    responsive(admin)


def test_a_grid_larger_than_the_limit_is_refused_with_its_size(tight):
    experiments = [{"id": i, "hyperParams": [{"name": "x", "dataType": "int", "fixedVal": i}]} for i in range(51)]
    data = hpo_body("grid", algorithm="ExperimentGridSearch")
    data["experiments"] = experiments
    with tight.client() as admin:
        answer = post_hpo(admin, data)
        assert answer.status_code == 400, answer.text
        assert "51" in message(answer) and "50" in message(answer) and "--max-grid" in message(answer)
        responsive(admin)


@pytest.mark.parametrize(
    "change, named",
    [({"jobs": 101}, "algoDef.maxJobNum"), ({"parallel": 9}, "algoDef.maxParalleJob")],
)
def test_max_job_num_and_max_parallel_are_capped(tight, change, named):
    with tight.client() as admin:
        answer = post_hpo(admin, hpo_body("capped", **change))
        assert answer.status_code == 400, answer.text
        assert named in message(answer) and ("100" in message(answer) or "8" in message(answer))


def test_tasks_per_user_are_limited(tight):
    token = tight.add_user("tasker")
    sleeper = model_tar("m", {"main.py": "import time\ntime.sleep(60)\n"})
    with tight.client(token) as alice:
        ids = []
        for _ in range(2):
            answer = alice.post(START, files={"file": ("m.modelDir.tar", sleeper)})
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["id"])
        third = alice.post(START, files={"file": ("m.modelDir.tar", sleeper)})
        assert third.status_code == 429, third.text
        assert "2" in message(third) and "--max-tasks-per-user" in message(third)
        with tight.client() as admin:  # another user is not held back by alice's tasks
            other = admin.post(START, files={"file": ("m.modelDir.tar", model_tar("m", {"main.py": "pass\n"}))})
            assert other.status_code == 200, other.text
        for exec_id in ids:
            alice.post(f"execs/{exec_id}/stop")


def test_concurrent_submits_cannot_pass_the_per_user_limit_together(tight):
    # the count and the new row are apart by the upload's unpacking: checked without a reservation,
    # submits arriving together all saw room and all got in
    token = tight.add_user("racer")
    files = {
        "main.py": "import time\ntime.sleep(60)\n",
        **{f"pad{i}.txt": secrets.token_hex(20_000) for i in range(30)},
    }
    sleeper = model_tar("m", files)
    barrier = threading.Barrier(8)

    def submit(_: int) -> httpx.Response:
        with tight.client(token) as client:
            barrier.wait()
            return client.post(START, files={"file": ("m.modelDir.tar", sleeper)})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(submit, range(8)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200] + [429] * 6, [a.text[:120] for a in answers]
    with tight.client(token) as racer:
        for answer in answers:
            if answer.status_code == 200:
                racer.post(f"execs/{answer.json()['id']}/stop")


def test_active_searches_per_user_are_limited(tight):
    token = tight.add_user("searcher")
    with tight.client(token) as bob:
        first = post_hpo(bob, hpo_body("first", jobs=4, parallel=1, args="--sleep 30"))
        assert first.status_code == 200, first.text
        second = post_hpo(bob, hpo_body("second", jobs=1, parallel=1))
        assert second.status_code == 429, second.text
        assert "--max-searches-per-user" in message(second)
        bob.put("hypersearch/first/force")


def test_a_refused_submit_does_not_use_up_the_per_user_limit(tight):
    token = tight.add_user("unlucky")
    no_main = model_tar("m", {"other.py": "pass\n"})
    sleeper = model_tar("m", {"main.py": "import time\ntime.sleep(60)\n"})
    with tight.client(token) as unlucky:
        for _ in range(3):
            answer = unlucky.post(START, files={"file": ("m.modelDir.tar", no_main)})
            assert answer.status_code == 400 and "main.py" in message(answer), answer.text
        ids = []
        for _ in range(2):
            answer = unlucky.post(START, files={"file": ("m.modelDir.tar", sleeper)})
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["id"])
        assert unlucky.post(START, files={"file": ("m.modelDir.tar", sleeper)}).status_code == 429
        for exec_id in ids:
            unlucky.post(f"execs/{exec_id}/stop")


def test_concurrent_searches_cannot_pass_the_per_user_limit_together(tight):
    token = tight.add_user("hurried")
    barrier = threading.Barrier(4)

    def create(i: int) -> httpx.Response:
        with tight.client(token) as client:
            barrier.wait()
            return post_hpo(client, hpo_body(f"hurry{i}", jobs=4, parallel=1, args="--sleep 30"))

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(create, range(4)))
    assert sorted(a.status_code for a in answers) == [200, 429, 429, 429], [a.text[:120] for a in answers]
    with tight.client(token) as hurried:
        for i, answer in enumerate(answers):
            if answer.status_code == 200:
                hurried.put(f"hypersearch/hurry{i}/force")


def test_an_upload_over_the_limit_is_a_413(tight):
    with tight.client() as admin:
        answer = admin.post(START, files={"file": ("main.py", b"#" * ((1 << 20) + 10))})
        assert answer.status_code == 413, answer.text
        assert "--max-upload-bytes" in message(answer)
        responsive(admin)


def test_a_tar_unpacking_over_the_limit_is_a_413(tight):
    with tight.client() as admin:
        big = tar_of({"m/main.py": b"pass\n", "m/data.bin": bytes(range(256)) * (5 << 12)})  # 5 MiB > 4 MiB
        answer = post_tar(admin, big)
        assert answer.status_code == 413, answer.text
        assert "--max-unpacked-bytes" in message(answer)


def test_a_tar_of_too_many_members_is_a_413(tight):
    with tight.client() as admin:
        many = tar_of({"m/main.py": b"pass\n", **{f"m/f{i}": b"x" for i in range(60)}})
        answer = post_tar(admin, many)
        assert answer.status_code == 413, answer.text
        assert "--max-tar-members" in message(answer) and "50" in message(answer)
        assert list((tight.data_dir / "tasks").glob("*/_submitted_code/m/f1")) == []


def test_a_gzip_bomb_is_a_413_with_the_defaults(admin, plain):
    bomb = tar_of({"m/main.py": b"pass\n", "m/zeros": bytes(200 << 20)})
    assert len(bomb) < 1 << 20
    began = time.monotonic()
    answer = post_tar(admin, bomb)
    assert answer.status_code == 413, answer.text
    assert "ratio" in message(answer)
    assert time.monotonic() - began < 10
    assert list((plain.data_dir / "tasks").glob("*/_submitted_code/m/zeros")) == []
    responsive(admin)


def test_conf_reports_the_limits(tight):
    with tight.client() as admin:
        conf = admin.get("conf").json()
    assert conf["DLI_MAX_TASKS_PER_USER"] == "2" and conf["DLI_MAX_GRID"] == "50"
    assert conf["DLI_MAX_UNPACKED_BYTES"] == str(4 << 20)


def test_a_json_body_or_form_field_over_1_mib_is_a_413(admin):
    big = json.dumps({"name": "p", "pad": "x" * (2 << 20)})
    answer = admin.post("resplans/resplan", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text
    assert "1 MiB" in message(answer) and "the request body" in message(answer)
    form = admin.post(
        START,
        data={"data": big},
        files={"file": ("m.modelDir.tar", model_tar("m", {"main.py": "pass\n"}), "application/x-tar")},
    )
    assert form.status_code == 413, form.text
    assert "form field 'data'" in message(form)
    responsive(admin)
