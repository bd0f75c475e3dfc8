"""The engine's lifecycle end to end: `dlicli server …`, restarts mid-task, and the embedded default."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.e2e.conftest import pid_gone, write_model
from tests.waiting import wait_until

TICKING = """\
    import os, pathlib, time
    for i in range(1, 26):  # about 5 s: long enough to stop and start the engine meanwhile
        print(f"tick {i}", flush=True)
        if i == 2:
            pathlib.Path(os.environ["RESULT_DIR"], "started").write_text("yes")
        time.sleep(0.2)
    pathlib.Path(os.environ["RESULT_DIR"], "done.txt").write_text("done")
    print("finished", flush=True)
"""


def test_server_start_status_logs_stop(new_cli):
    cli = new_cli()
    before = cli.json("server", "status")
    assert before["running"] is False and before["pid"] is None and before["url"] is None
    started = cli.ok("server", "start", "--port", "0", "--slots", "2", env={"DLICLI_TOKEN": "must-not-leak"})
    assert started.stdout == "" and "the local engine runs at http://127.0.0.1:" in started.stderr
    assert b"must-not-leak" not in Path(f"/proc/{cli.engine()['pid']}/environ").read_bytes()
    status = cli.json("server", "status")
    record = cli.engine()
    assert status["running"] is True and status["pid"] == record["pid"] and status["url"] == record["url"]
    assert status["dataDir"] == str(cli.data) and status["version"]
    assert (cli.data / "admin.token").stat().st_mode & 0o777 == 0o600
    assert cli.admin_token not in (cli.data / "engine.log").read_text()

    again = cli.ok("server", "start")  # idempotent
    assert "already runs" in again.stderr and cli.engine()["pid"] == record["pid"]
    assert "listening on" in cli.ok("server", "logs", "--lines", "20").stdout
    follower = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "server", "logs", "--follow", "--lines", "0"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    seen = bytearray()

    def request_then_read() -> bytes:
        """One request (the engine logs it), then what the follower printed; a follower not tailing
        yet misses a request, so each try makes a new one."""
        cli.ok("exec", "list")
        while select.select([follower.stdout], [], [], 0.3)[0]:
            chunk = os.read(follower.stdout.fileno(), 65536)
            if not chunk:
                break
            seen.extend(chunk)
        return bytes(seen)

    try:
        wait_until(
            request_then_read,
            20,
            0,
            "the follower to print a logged request",
            until=lambda out: b"GET /platform/rest/deeplearning/v1/execs" in out,
        )
        assert b"listening on" not in seen
    finally:
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=10) == 130
        follower.stdout.close()

    stopped = cli.ok("server", "stop")
    assert "stopped the local engine" in stopped.stderr
    assert pid_gone(record["pid"]) and cli.engine() is None
    assert cli.json("server", "status")["running"] is False
    assert "not running" in cli.ok("server", "stop").stderr


def test_a_stale_record_is_ignored_and_replaced(new_cli):
    cli = new_cli()
    cli.data.mkdir(parents=True)
    stale = {"pid": os.getpid(), "url": "http://127.0.0.1:9/platform/rest/deeplearning/v1", "port": 9}
    (cli.data / "engine.json").write_text(json.dumps(stale))  # a live pid, but not an engine
    assert cli.json("server", "status")["running"] is False
    cli.ok("server", "start", "--port", "0")
    assert cli.engine()["pid"] != os.getpid() and cli.json("server", "status")["running"] is True


def test_engine_restart_mid_task_loses_nothing(new_cli, tmp_path):
    cli = new_cli()
    cli.ok("server", "start", "--port", "0", "--slots", "2")
    model = write_model(tmp_path / "ticking", TICKING)
    exec_id = cli.ok("exec", "start", "--framework", "python", "--model-main", str(model)).stdout.strip()
    cli.wait_state(exec_id, "RUNNING")
    started = cli.data / "tasks" / exec_id / "result" / "started"
    wait_until(started.exists, 20, what=f"{started} (the task's tick 2)")
    old = cli.engine()["pid"]

    cli.ok("server", "stop")
    assert pid_gone(old) and cli.json("server", "status")["running"] is False
    cli.ok("server", "start", "--port", "0", "--slots", "2")
    assert cli.engine()["pid"] != old

    waited = cli("exec", "wait", exec_id, "--timeout", "30")
    assert waited.returncode == 0, waited.stderr
    log = cli.ok("exec", "logs", exec_id).stdout
    assert "tick 1\n" in log and "tick 25\n" in log and "finished" in log
    assert [t["state"] for t in cli.json("exec", "list") if t["id"] == exec_id] == ["FINISHED"]
    cli.ok("exec", "result", exec_id, "-O", str(tmp_path / "r.zip"))
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        assert zf.read("done.txt") == b"done"


def test_the_embedded_default_starts_the_engine_by_itself(new_cli, tmp_path):
    cli = new_cli("bare")  # no config, no URL, no profile, nothing running
    idle = cli("status", "--json")  # says what would be used, without starting it
    assert idle.returncode == 7 and "error: the local engine is not running" in idle.stderr
    shown = json.loads(idle.stdout)
    assert shown["profile"] == "local" and shown["server"]["message"] == "not running"
    assert cli.engine() is None and cli.json("server", "status")["running"] is False
    model = write_model(tmp_path / "hello", "print('hello from the local engine')\n")
    first = cli("exec", "start", "--framework", "python", "--model-main", str(model), "--follow")
    assert first.returncode == 0, first.stderr
    assert f"starting the local engine ({cli.data / 'engine.log'})" in first.stderr
    assert "hello from the local engine" in first.stdout
    assert cli.json("server", "status")["running"] is True
    assert not (cli.config / "config.yaml").exists()  # nothing written to the config

    second = cli.ok("exec", "list", "--json")
    assert "starting the local engine" not in second.stderr and len(json.loads(second.stdout)) == 1
    status = cli.json("status")
    assert status["profile"] == "local" and status["secretSource"] == "engine:admin.token"
    assert status["url"] == cli.url and status["server"]["status"] == 200
    assert cli.admin_token not in json.dumps(status)
    assert len(cli.json("--profile", "local", "exec", "list")) == 1
    cli.ok("profile", "use", "local")
    assert len(cli.json("exec", "list")) == 1
    assert cli.ok("token").stdout.strip() == cli.admin_token


def test_server_start_foreground_and_sigterm(new_cli):
    cli = new_cli()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlicli", "server", "start", "--foreground", "--port", "0"],
        env=cli.env,
        cwd=cli.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        record = wait_until(cli.engine, 15, what="engine.json from the foreground engine")
        assert record["pid"] == proc.pid  # exec'd: the CLI process became the engine
        busy = cli("server", "start", "--foreground")
        assert busy.returncode == 6 and "already runs" in busy.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert cli.engine() is None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
