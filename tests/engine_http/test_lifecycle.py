"""`python -m dlicli.engine.serve`: files, binding, SIGTERM, restart with a running task, add-user."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from tests.engine_http.conftest import clean_env, submit, wait_state

# Runs until the test writes $RESULT_DIR/go: it outlives an engine restart however slow the machine.
RUNS_UNTIL_GO = """\
import os, time
print("start", flush=True)
go = os.path.join(os.environ["RESULT_DIR"], "go")
deadline = time.time() + 120
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
print("end")
"""


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as opened:
                lines = opened.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


@pytest.mark.slow
def test_files_binding_and_a_restart_that_keeps_a_running_task(start_engine, tmp_path):
    data = tmp_path / "data"
    first = start_engine(data)  # no --port: 9281 when free, else any free port
    info = first.info
    assert set(info) == {"pid", "host", "port", "url", "cert", "version", "dataDir", "isolation", "startedAt"}
    assert info["cert"] is None  # plain http (tests/engine_http/test_tls.py: --tls)
    assert (
        info["host"] == "127.0.0.1" and info["url"] == f"http://127.0.0.1:{info['port']}/platform/rest/deeplearning/v1"
    )
    assert info["dataDir"] == str(data)
    assert listening_addresses(info["port"]) == {"0100007F"}  # 127.0.0.1 only
    assert stat.S_IMODE((data / "admin.token").stat().st_mode) == 0o600
    assert first.token not in first.log()

    second = subprocess.run(
        [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(data), "--port", "0"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=30,
    )
    assert second.returncode == 1 and "another engine" in second.stderr
    assert json.loads((data / "engine.json").read_text())["pid"] == info["pid"]

    with first.client() as client:
        task = submit(client, RUNS_UNTIL_GO).json()
        wait_state(client, task["id"], "RUNNING")
    assert first.stop() == 0
    assert not (data / "engine.json").exists()
    assert "Shutting down" in first.log()

    again = start_engine(data, "--port", "0")
    assert again.token == first.token  # admin.token is written once
    with again.client() as client:
        assert client.get(f"execs/{task['id']}").json()["state"] == "RUNNING"  # re-adopted, not ERROR
        (data / "tasks" / task["id"] / "result" / "go").write_text("go")
        done = wait_state(client, task["id"], timeout=15)
        assert done["state"] == "FINISHED" and done["exitCode"] == 0
        assert client.get(f"execs/{task['id']}/log?logType=outlog").json() == "start\nend\n"
    assert again.stop() == 0


@pytest.mark.slow
def test_add_user_prints_only_a_token(start_engine, tmp_path):
    running = start_engine(tmp_path / "data", "--port", "0")
    token = running.add_user("dave")
    with running.client(token) as dave:
        assert dave.get("execs").json() == []
    duplicate = subprocess.run(
        [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(running.data_dir), "--add-user", "dave"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=30,
    )
    assert duplicate.returncode == 12 and duplicate.stdout == "" and "already exists" in duplicate.stderr
