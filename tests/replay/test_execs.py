"""`dlicli exec …` replayed against what WMLA 1.2.x and CPD 3.5 answer (tests/replay/fixtures):
every read command in table, `--json` and `-o yaml`, and the requests that arrived."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from tests.outcome import error_line
from tests.replay.modes import json_is_served, ok, rows, yaml_is_served
from tests.test_resplan_cli import run_on_tty

# (command words, with {id} for the fixture's task id; the fixture answering it)
READS = [
    (["exec", "list", "--all"], "execs"),
    (["exec", "get", "{id}"], "exec-finished"),
    (["exec", "get", "{id}"], "exec-error"),
    (["exec", "get", "{id}"], "exec-running"),
    (["exec", "get", "{id}"], "exec-pending"),
    (["exec", "frameworks"], "frameworks"),
]


def argv(words: list[str], wmla, name: str) -> list[str]:
    return [w.replace("{id}", wmla.path_id(name)) for w in words]


def tasks(wmla) -> list[dict]:
    """The tasks `exec list` shows: GET /execs without the HPO experiments' own tasks."""
    experiment = wmla.body("exec-experiment")["id"]
    return [t for t in wmla.body("execs") if t["id"] != experiment]


@pytest.mark.parametrize(("words", "name"), READS, ids=lambda v: v if isinstance(v, str) else None)
def test_json_is_the_served_answer(wmla, run, words, name):
    json_is_served(run(*argv(words, wmla, name), "--json"), wmla, name)
    assert [(m, p) for m, p, _ in wmla.calls()][-1] == ("GET", wmla.fixtures[name]["path"])


@pytest.mark.parametrize(("words", "name"), READS, ids=lambda v: v if isinstance(v, str) else None)
def test_yaml_is_the_served_answer(wmla, run, words, name):
    yaml_is_served(run(*argv(words, wmla, name), "-o", "yaml"), wmla, name)


def test_list_json_leaves_out_the_searches_experiments(wmla, run):
    result = run("exec", "list", "--json")
    ok(result)
    assert json.loads(result.stdout) == tasks(wmla)
    assert [(m, p, q) for m, p, q in wmla.calls()] == [("GET", "/execs", {}), ("GET", "/hypersearch", {})]


def test_list_yaml_leaves_out_the_searches_experiments(wmla, run):
    yaml_is_served(run("exec", "list", "-o", "yaml"), wmla, "execs", body=tasks(wmla))


def test_list_table_piped_shows_every_task_with_its_args_whole(wmla, run):
    result = run("exec", "list")
    ok(result)
    assert result.stderr == ""
    shown = rows(result.stdout)
    assert [r[:2] for r in shown] == [[t["id"], t["state"]] for t in tasks(wmla)]
    assert [r[5:] for r in shown] == [["tensorflow", t["appName"], t["args"]] for t in tasks(wmla)]
    created = [r[2] for r in shown]
    assert all(re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", c) for c in created), created
    assert created == sorted(created)  # oldest first, read from WMLA's own time form


def test_list_table_on_a_terminal_shows_every_task(wmla):
    result = run_on_tty("exec", "list")
    ok(result)
    for task in tasks(wmla):
        assert task["id"] in result.stdout
        assert task["state"] in result.stdout


def test_get_table_shows_the_fields_and_the_events_of_an_error(wmla, run):
    task = wmla.body("exec-error")
    result = run("exec", "get", task["id"])
    ok(result)
    record = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert record["id"] == task["id"] and record["state"] == "ERROR"
    assert record["events"] == task["events"]
    assert record["args"] == task["args"]
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["createTime"])


@pytest.mark.parametrize("name", ["exec-running", "exec-pending"])
def test_get_table_shows_a_task_not_ended_yet(wmla, run, name):
    task = wmla.body(name)
    result = run("exec", "get", task["id"])
    ok(result)
    assert f"state\t{task['state']}\n" in result.stdout


def test_logs_print_the_output_log_on_stdout_and_the_error_log_on_stderr(wmla, run):
    ident = wmla.path_id("exec-log", -2)
    result = run("exec", "logs", ident)
    ok(result)
    out, err = (wmla.fixtures[n] for n in ("exec-log", "exec-errlog"))
    assert result.stdout == out.get("text", out.get("body"))
    assert result.stderr == err.get("text", err.get("body"))
    types = sorted(q["logType"][0] for m, p, q in wmla.calls() if p == f"/execs/{ident}/log")
    assert types == ["errlog", "outlog"]


def test_wait_on_a_finished_task_exits_0(wmla, run):
    ident = wmla.path_id("exec-finished")
    result = run("exec", "wait", ident)
    ok(result)
    assert f"{ident}: FINISHED" in result.stderr
    assert wmla.calls() == [("GET", f"/execs/{ident}", {})]


def test_wait_on_an_error_task_exits_10_with_the_tasks_last_error_lines(wmla, run):
    ident = wmla.path_id("exec-error")
    result = run("exec", "wait", ident)
    assert result.exit_code == 10, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and ident in errors[0] and "ERROR" in errors[0]
    # the task's own Python traceback is quoted, indented; dlicli's never shows
    assert "  ModuleNotFoundError: No module named 'keras'" in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("Traceback")]


def test_get_of_a_missing_task_is_exit_3(wmla, run):
    error_line(run("exec", "get", "no-such-task"), 3, "no-such-task")


def result_zip() -> bytes:
    """A result zip as WMLA hands it out: the model and the val_dict_list.json IBM's HPO samples write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model/saved_model.pb", b"\x08\x01")
        zf.writestr("val_dict_list.json", json.dumps([{"steps": 1, "loss": 0.31}, {"steps": 2, "loss": 0.12}]))
    return buffer.getvalue()


def test_result_downloads_the_zip_and_metrics_read_it(wmla, run, tmp_path, monkeypatch):
    ident = wmla.path_id("exec-finished")
    data = result_zip()
    wmla.server.route("GET", f"/execs/{ident}/result", body=data, headers={"Content-Type": "application/zip"})
    monkeypatch.chdir(tmp_path)
    ok(run("exec", "result", ident, "-O", "r.zip"))
    assert (tmp_path / "r.zip").read_bytes() == data
    metrics = run("exec", "metrics", ident)
    ok(metrics)
    assert rows(metrics.stdout)[-2:] == [["1", "0.31"], ["2", "0.12"]]
    as_json = run("exec", "metrics", ident, "--json")
    ok(as_json)
    assert [r["loss"] for r in json.loads(as_json.stdout)] == [0.31, 0.12]


def test_frameworks_table_names_every_framework(wmla, run):
    result = run("exec", "frameworks")
    ok(result)
    shown = rows(result.stdout)
    assert [r[:2] for r in shown] == [[f["name"], f["frameworkVersion"]] for f in wmla.body("frameworks")]
    assert all(f["desc"][0] in r[3] for f, r in zip(wmla.body("frameworks"), shown, strict=True))


def test_frameworks_table_on_a_terminal_names_every_framework(wmla):
    result = run_on_tty("exec", "frameworks")
    ok(result)
    for framework in wmla.body("frameworks"):
        assert framework["name"] in result.stdout


def test_start_prints_the_exec_id_wmla_answers(wmla, run, tmp_path):
    model = tmp_path / "tf-keras"
    model.mkdir()
    (model / "main.py").write_text("print('train')\n")
    result = run("exec", "start", "--framework", "tensorflow", "--model-dir", str(model), "--model-main", "main.py")
    ok(result)
    assert result.stdout == wmla.body("exec-start")["execId"] + "\n"
    ((method, path, query),) = wmla.calls()
    assert (method, path) == ("POST", "/execs")
    assert query["args"] == ["--exec-start tensorflow --model-main main.py --model-dir tf-keras"]


def test_logs_follow_of_an_ended_task_prints_both_logs_and_its_end(wmla, run):
    ident = wmla.path_id("exec-log", -2)
    result = run("exec", "logs", ident, "--follow")
    ok(result)
    assert result.stdout == wmla.fixtures["exec-log"].get("text", wmla.fixtures["exec-log"].get("body"))
    assert result.stderr.splitlines()[-1] == f"{ident}: FINISHED"


def test_logs_tail_is_cut_by_dlicli_as_wmla_ignores_tail_lines(wmla, run):
    ident = wmla.path_id("exec-log", -2)
    result = run("exec", "logs", ident, "--stdout", "--tail", "2")
    ok(result)
    assert result.stdout == "Test loss: 0.8421\nTest accuracy: 0.7113\n"
    assert {q["tailLines"][0] for _, p, q in wmla.calls() if p.endswith("/log")} == {"2"}
