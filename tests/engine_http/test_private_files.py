"""The engine's files are its own: after a task ran, nothing under the data dir has a group or other
permission bit (an existing too-open data dir is tightened at start, and the log says so); and the
engine log never holds the values of secret-looking options a user put in a task's args."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.engine_http.conftest import submit, wait_state

WRITER = """
import os
os.makedirs(os.path.join(os.environ["RESULT_DIR"], "out"), exist_ok=True)
open(os.path.join(os.environ["RESULT_DIR"], "out", "model.txt"), "w").write("weights")
open("scratch.txt", "w").write("scratch")
print("done", flush=True)
"""


def too_open(root: Path) -> list[str]:
    """Every path under `root` (itself too) that a group or other user may read, write or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {stat.filemode(mode)}")
    return found


@pytest.fixture(scope="module")
def engine(start_engine, tmp_path_factory):
    data = tmp_path_factory.mktemp("private") / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # as a data dir made before this release
    (data / "engine.log").write_text("old\n")
    os.chmod(data / "engine.log", 0o644)
    return start_engine(data, "--port", "0")


@pytest.mark.slow
def test_nothing_under_the_data_dir_is_open_to_others_after_a_task_ran(engine):
    with engine.client() as admin:
        batch = submit(admin, WRITER, args="--cpu 1")
        assert batch.status_code == 200, batch.text
        done = wait_state(admin, batch.json()["id"])
        assert done["state"] == "FINISHED", admin.get(f"execs/{done['id']}/log").text
        assert admin.get(f"execs/{done['id']}/result").status_code == 200  # writes the result zip too
    assert (engine.data_dir / "tasks" / done["id"]).is_dir()
    assert too_open(engine.data_dir) == []
    assert "tightened" in engine.log() and "engine.log" in engine.log()


@pytest.mark.slow
def test_the_engine_log_hides_values_of_secret_looking_options(engine):
    with engine.client() as admin:
        args = "--db-password s3cr3t --api_token=ab9zq --Secret-Key xyz987 --lr 0.1"
        batch = submit(admin, "print('ok')\n", args=args)
        assert batch.status_code == 200, batch.text
        wait_state(admin, batch.json()["id"])
        listed = admin.get("execs", params={"password": "qu3ry", "apiKey": "k3y"})
        assert listed.status_code in (200, 400)
    log = engine.log()
    assert "POST /platform/rest/deeplearning/v1/execs/?args=" in log  # the access log line is there
    for secret in ("s3cr3t", "ab9zq", "xyz987", "qu3ry", "k3y"):
        assert secret not in log, secret
    assert "***" in log and "--lr" in log and "0.1" in log
