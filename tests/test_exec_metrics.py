"""`dlicli exec metrics` against the recording server: the engine's `metrics` field, a WMLA-shaped
server (no field: the result zip once the task ends), bad inputs, and --plot."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE

ROWS = [{"steps": 1, "loss": 0.5, "accuracy": 0.8}, {"steps": 2, "loss": 0.25, "accuracy": 0.9}]
CANNOT_FIND = {"message": "Cannot find task with given execId."}


def paths(server):
    return [(r.method, r.raw_path.removeprefix(BASE)) for r in server.requests]


def result_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_route(server, exec_id: str, files: dict[str, bytes]) -> None:
    body = result_zip(files)
    server.route("GET", f"/execs/{exec_id}/result", body=body, headers={"Content-Type": "application/zip"})


# -- the local engine's metrics field --------------------------------------------------------


def test_the_metrics_field_as_a_table_step_column_first(env_server, run):
    rows = [{"loss": 0.5, "steps": 1, "accuracy": 0.8}, {"loss": 0.25, "steps": 2, "accuracy": 0.9}]
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "RUNNING", "metrics": rows})
    result = run("exec", "metrics", "t1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["1\t0.5\t0.8", "2\t0.25\t0.9"]
    assert paths(env_server) == [("GET", "/execs/t1")]


def test_rows_without_a_step_are_numbered_and_json_is_the_list(env_server, run):
    rows = [{"loss": 0.5}, {"loss": 0.4, "epoch": 7}]
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "FINISHED", "metrics": rows})
    assert run("exec", "metrics", "t1").stdout.splitlines() == ["\t0.5", "7\t0.4"]  # epoch is the step column
    env_server.route("GET", "/execs/t2", body={"id": "t2", "state": "FINISHED", "metrics": [{"loss": 1}, {"loss": 2}]})
    assert run("exec", "metrics", "t2").stdout.splitlines() == ["1\t1", "2\t2"]
    result = run("exec", "metrics", "t2", "--json")
    assert json.loads(result.stdout) == [{"loss": 1}, {"loss": 2}]


def test_no_metrics_yet_is_exit_3(env_server, run):
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "RUNNING", "metrics": []})
    error_line(run("exec", "metrics", "t1"), 3, "t1", "no metrics yet")
    assert paths(env_server) == [("GET", "/execs/t1")]  # a running task's result is not read


BAD_FILES = {
    "not json": (b"not json", "its val_dict_list.json is not valid JSON"),
    "python quotes": (  # as IBM's HPO notebooks print the file
        b"[{'step': 1, 'loss': 0.2487}]",
        "its val_dict_list.json is not valid JSON (its strings are in single quotes, JSON's are in double quotes: "
        "write it with json.dump)",
    ),
    "an empty list": (b"[]", "its val_dict_list.json is an empty list"),
    "numbers": (b"[1,2,3]", "its val_dict_list.json is not a list of objects"),
    "a string": (b'"loss"', "its val_dict_list.json is not a list of objects"),
    "empty": (b"", "its val_dict_list.json is empty"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
@pytest.mark.parametrize("follow", [[], ["--follow", "--interval", "0"]], ids=["now", "follow"])
@pytest.mark.parametrize("field", [True, False], ids=["engine", "wmla"])
def test_a_file_there_but_not_rows_says_what_is_wrong_with_it(env_server, run, case, follow, field):
    """The file is in the result, but no rows come of it: say so (exit 3), not "no val_dict_list.json"."""
    content, words = BAD_FILES[case]
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "FINISHED", **({"metrics": []} if field else {})})
    zip_route(env_server, "t1", {"out/model.pt": b"x", "out/val_dict_list.json": content})
    result = run("exec", "metrics", "t1", *follow)
    line = error_line(result, 3, f"task t1 has no metrics: {words} (FINISHED)", stdout=None)
    assert "no val_dict_list.json" not in line and result.stdout == ""
    assert 'hint: val_dict_list.json should be a JSON list, one object per epoch: [{"epoch": 1' in result.stderr
    assert paths(env_server)[-1] == ("GET", "/execs/t1/result")


def test_no_such_task_is_exit_3(env_server, run):
    env_server.route("GET", "/execs/nope", status=400, body=CANNOT_FIND)
    error_line(run("exec", "metrics", "nope"), 3, "nope")
    assert paths(env_server) == [("GET", "/execs/nope")]


# -- a server without the field (WMLA): the result zip -----------------------------------------


def test_a_final_task_on_wmla_is_read_from_its_result(env_server, run):
    env_server.route("GET", "/execs/w1", body={"id": "w1", "state": "FINISHED"})
    zip_route(env_server, "w1", {"model.pt": b"x", "w1/val_dict_list.json": json.dumps(ROWS).encode()})
    result = run("exec", "metrics", "w1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["1\t0.5\t0.8", "2\t0.25\t0.9"]
    assert "read from the task's result (this server does not report metrics while a task runs)" in result.stderr
    assert paths(env_server) == [("GET", "/execs/w1"), ("GET", "/execs/w1/result")]


def test_a_running_task_on_wmla_is_exit_3_without_download(env_server, run):
    env_server.route("GET", "/execs/w1", body={"id": "w1", "state": "RUNNING"})
    error_line(run("exec", "metrics", "w1"), 3, "w1 is RUNNING", "result")
    assert paths(env_server) == [("GET", "/execs/w1")]


def test_follow_on_wmla_waits_for_the_end_then_reads_the_result(env_server, run):
    env_server.route("GET", "/execs/w1", body={"id": "w1", "state": "FINISHED"})
    env_server.route("GET", "/execs/w1", body={"id": "w1", "state": "RUNNING"}, times=2)  # newest route first
    zip_route(env_server, "w1", {"val_dict_list.json": json.dumps(ROWS).encode()})
    result = run("exec", "metrics", "w1", "--follow", "--interval", "0")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["1\t0.5\t0.8", "2\t0.25\t0.9"]
    assert "waiting for the task to end" in result.stderr and "read from the task's result" in result.stderr
    assert paths(env_server) == [("GET", "/execs/w1")] * 3 + [("GET", "/execs/w1/result")]


def test_junk_in_the_result_is_no_metrics_and_a_non_zip_is_a_protocol_error(env_server, run):
    env_server.route("GET", "/execs/w1", body={"id": "w1", "state": "FINISHED"})
    zip_route(env_server, "w1", {"val_dict_list.json": b"{not json"})
    error_line(run("exec", "metrics", "w1"), 3, "w1", "no metrics", "not valid JSON")
    env_server.route("GET", "/execs/w2", body={"id": "w2", "state": "FINISHED"})
    env_server.route("GET", "/execs/w2/result", body=b"PK junk", headers={"Content-Type": "application/zip"})
    error_line(run("exec", "metrics", "w2"), 9, "not a zip")


# -- --follow's exit code, --plot --------------------------------------------------------------


def test_follow_prints_new_rows_once_and_exits_with_the_outcome(env_server, run):
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "FAILED", "metrics": ROWS})
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "RUNNING", "metrics": ROWS[:1]}, times=2)
    result = run("exec", "metrics", "t1", "--follow", "--interval", "0")
    assert result.exit_code == 10, result.stderr
    assert result.stdout.splitlines() == ["1\t0.5\t0.8", "2\t0.25\t0.9"]
    assert "t1: FAILED" in result.stderr


def test_plot_draws_each_metric(env_server, run):
    rows = [{"steps": i, "loss": 1 / i, "accuracy": 1 - 1 / i} for i in range(1, 20)]
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "RUNNING", "metrics": rows})
    result = run("exec", "metrics", "t1", "--plot")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.strip() for line in lines if line.strip() in ("loss", "accuracy")] == ["loss", "accuracy"]
    assert "┌" in result.stdout and "┤" in result.stdout and "\x1b[" not in result.stdout  # piped: no colours


def test_plot_with_json_is_a_usage_error(env_server, run):
    error_line(run("exec", "metrics", "t1", "--plot", "--json"), 2, "--plot")
    assert env_server.requests == []


def test_plot_without_plotext_says_how_to_install(env_server, tmp_path):
    shim = tmp_path / "shim" / "plotext"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("No module named plotext (test shim)")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(PYTHONPATH=str(shim.parent), DLICLI_URL=env_server.root, DLICLI_TOKEN=TOKEN)
    result = subprocess.run(
        [sys.executable, "-m", "dlicli", "exec", "metrics", "t1", "--plot"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    error_line(result, 2, "plotext")
    assert "pip install 'dlicli[plots]'" in result.stderr
    assert env_server.requests == []
