"""`dlicli scheduler logs` replayed against WMLA 1.2.x and CPD 3.5 (tests/replay/fixtures): the
driver's two logs, an executor's (`--executor`), whole files (`--download`, driver and executor)
and `--follow` of an application that ended ERROR; the requests that arrived."""

from __future__ import annotations

from tests.replay.modes import ok


def text(wmla, name: str) -> str:
    return wmla.fixtures[name]["text"]


def running_app(wmla) -> str:
    return wmla.path_id("scheduler-driver-log", -4)


def executor_id(wmla) -> str:
    return wmla.path_id("scheduler-executor-log", -3)


def test_driver_logs_stdout_on_stdout_and_stderr_on_stderr(wmla, run):
    app = running_app(wmla)
    result = run("scheduler", "logs", app)
    ok(result)
    assert result.stdout == text(wmla, "scheduler-driver-log")
    assert result.stderr == text(wmla, "scheduler-driver-stderr")
    assert sorted(p for _, p, _ in wmla.calls()) == [
        f"/scheduler/applications/{app}/driver/logs/stderr",
        f"/scheduler/applications/{app}/driver/logs/stdout",
    ]


def test_executor_logs_read_the_executors_paths(wmla, run):
    app, executor = running_app(wmla), executor_id(wmla)
    result = run("scheduler", "logs", app, "--executor", executor, "--tail", "5")
    ok(result)
    assert result.stdout == text(wmla, "scheduler-executor-log")
    assert result.stderr == text(wmla, "scheduler-executor-stderr")
    calls = sorted((p, q) for _, p, q in wmla.calls())
    base = f"/scheduler/applications/{app}/executor/{executor}/logs"
    assert calls == [(f"{base}/stderr", {"lastlines": ["5"]}), (f"{base}/stdout", {"lastlines": ["5"]})]


def test_executor_one_type_on_stdout(wmla, run):
    result = run("scheduler", "logs", running_app(wmla), "--executor", executor_id(wmla), "--stderr")
    ok(result)
    assert result.stdout == text(wmla, "scheduler-executor-stderr")
    assert result.stderr == ""


def test_download_of_the_driver_log_saves_the_whole_file(wmla, run, tmp_path, monkeypatch):
    app = running_app(wmla)
    monkeypatch.chdir(tmp_path)
    result = run("scheduler", "logs", app, "--download")
    ok(result)
    saved = tmp_path / f"{app}-stdout.log"  # WMLA names no file: APPID-TYPE.log
    assert saved.read_text() == text(wmla, "scheduler-driver-download")
    assert result.stderr == f"saved {saved.name} ({saved.stat().st_size} bytes)\n"
    assert [p for _, p, _ in wmla.calls()] == [f"/scheduler/applications/{app}/driver/logs/stdout/download"]


def test_download_of_an_executor_log_to_stdout(wmla, run):
    app, executor = running_app(wmla), executor_id(wmla)
    result = run("scheduler", "logs", app, "--executor", executor, "--type", "stderr", "--download", "-O", "-")
    ok(result)
    assert result.stdout == text(wmla, "scheduler-executor-download")
    assert [p for _, p, _ in wmla.calls()] == [
        f"/scheduler/applications/{app}/executor/{executor}/logs/stderr/download"
    ]


def test_download_of_an_executor_log_to_a_file(wmla, run, tmp_path):
    app, executor = running_app(wmla), executor_id(wmla)
    target = tmp_path / "executor.log"
    ok(run("scheduler", "logs", app, "--executor", executor, "--stderr", "--download", "-O", str(target)))
    assert target.read_text() == text(wmla, "scheduler-executor-download")


def test_follow_of_an_application_that_ended_error_prints_its_logs_and_exits_10(wmla, run):
    app = wmla.path_id("scheduler-error-stdout", -4)
    result = run("scheduler", "logs", app, "--follow")
    assert result.exit_code == 10, result.stderr
    assert result.stdout == text(wmla, "scheduler-error-stdout")
    assert result.stderr.startswith(text(wmla, "scheduler-error-stderr"))
    assert f"{app}: ERROR" in result.stderr.splitlines()
    assert f"error: application {app} ended ERROR" in result.stderr
    assert "Traceback (most recent call last):" in result.stderr  # the task's own, quoted as its log
    state_reads = [q for _, p, q in wmla.calls() if p == "/scheduler/applications"]
    assert state_reads and all(q.get("applicationid") == [app] for q in state_reads)
