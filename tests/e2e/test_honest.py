"""Honest answers end to end (issue 11, item 8): the real CLI against a real engine process.

A task without a result is a 404 and exit 3 (never an empty zip); deploying a taken name is a
409 and exit 6; the CLI's probe of the local engine leaves no 401 in the engine's log.
"""

from __future__ import annotations

import zipfile

import httpx

from tests.e2e.conftest import task_id, write_model
from tests.outcome import error_line


def _run_task(cli, tmp_path, name: str, body: str) -> str:
    write_model(tmp_path / name, body)
    started = cli(
        "exec",
        "start",
        "--framework",
        "python",
        "--model-dir",
        str(tmp_path / name),
        "--model-main",
        "main.py",
        "--wait",
    )
    return task_id(started)


def test_a_failed_task_has_no_result_and_nothing_is_saved(cli, tmp_path):
    exec_id = _run_task(cli, tmp_path, "boom", 'raise SystemExit("boom")\n')
    assert cli.json("exec", "get", exec_id)["state"] == "FAILED"
    answer = httpx.get(f"{cli.url}/execs/{exec_id}/result", headers={"Authorization": f"Bearer {cli.admin_token}"})
    assert answer.status_code == 404
    assert answer.json() == {"message": f"task {exec_id} has no result: it ended FAILED"}
    result = cli("exec", "result", exec_id)
    assert error_line(result, 3) == f"error: task {exec_id} has no result (it ended FAILED)"
    assert f"hint: see what it printed: dlicli exec logs {exec_id}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boom"]


def test_a_task_that_wrote_a_result_saves_it_where_it_says(cli, tmp_path):
    exec_id = _run_task(cli, tmp_path, "ok", "import os\nopen(os.environ['RESULT_DIR'] + '/m.txt', 'w').write('w')\n")
    saved = cli.ok("exec", "result", exec_id)
    path = f"dlicli-results/{exec_id}.zip"
    assert saved.stderr.startswith(f"saved the result of task {exec_id} to {path} (")
    with zipfile.ZipFile(tmp_path / path) as archive:
        assert archive.read("m.txt") == b"w"
    again = cli("exec", "result", exec_id)
    assert error_line(again, 2) == f"error: {path} already exists"


def test_deploying_a_taken_name_is_a_conflict(cli, tmp_path):
    exec_id = _run_task(cli, tmp_path, "model", "print('trained')\n")
    deploy = ["exec", "deploy", exec_id, "--name", "digits-edi", "--kernel", "main.py"]
    assert cli.ok(*deploy).stdout == "digits-edi\n"
    again = cli(*deploy)
    assert "a deployment named digits-edi exists" in error_line(again, 6)
    assert "hint: pick another --name" in again.stderr
    assert cli.ok(*deploy[:4], "digits-edi-2", *deploy[5:]).stdout == "digits-edi-2\n"


def test_the_local_engine_probe_leaves_no_401(new_cli):
    cli = new_cli("probe")
    cli.ok("exec", "list")  # starts the local engine
    cli.ok("exec", "list")
    cli.ok("conf", "get")
    log = (cli.data / "engine.log").read_text()
    assert "/openapi.json" in log  # the probe, authenticated by nothing, answered
    assert [line for line in log.splitlines() if '" 401' in line] == []
