"""User passwords on the engine over HTTPS, set with `dlicli server user add NAME --password-stdin`
and used as WMLA users use theirs: Basic auth on any endpoint, and dlicmd.py's `--logon`
(GET https://HOST:PORT/auth/v1/logon with Basic auth, the token read from `accessToken`).

The CLI runs as a subprocess under an audit hook that records every process it starts, so the test
sees the argv that reached the engine's `--add-user`; the password must not be in it, nor on
stdout/stderr, in the engine's log, or in the SQLite files' bytes.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.engine_http.conftest import clean_env

PASSWORD = "c0rrect horse: battery"  # a space and a colon, as Basic auth splits on the first colon
NEW_PASSWORD = "st4ple-2"
RECORDING_CLI = """
import json, sys
record, sys.argv = sys.argv[1], ["dlicli", *sys.argv[2:]]
spawned = []
sys.addaudithook(lambda event, args: spawned.append([str(a) for a in args[1]]) if event == "subprocess.Popen" else None)
from dlicli.__main__ import main
try:
    main()
finally:
    open(record, "w").write(json.dumps(spawned))
"""


@pytest.fixture(scope="module")
def engine(start_engine, tmp_path_factory):
    return start_engine(tmp_path_factory.mktemp("passwords") / "data", "--port", "0", "--tls")


def user_add(engine, name: str, stdin: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """`dlicli server user add NAME --password-stdin` on the engine's data dir → (result, argvs it spawned)."""
    record = tmp_path / f"spawned-{name}-{len(list(tmp_path.iterdir()))}.json"
    env = dict(clean_env(), DLICLI_DATA_DIR=str(engine.data_dir), DLICLI_CONFIG_DIR=str(tmp_path / "config"))
    done = subprocess.run(
        [sys.executable, "-c", RECORDING_CLI, str(record), "server", "user", "add", name, "--password-stdin"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return done, json.loads(record.read_text())


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def trusted(engine) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=engine.info["cert"])


def logon(engine, headers: dict[str, str]) -> httpx.Response:
    """dlicmd.py's --logon: GET https://HOST:PORT/auth/v1/logon, Accept JSON, Basic auth."""
    url = f"https://127.0.0.1:{engine.info['port']}/auth/v1/logon"
    return httpx.get(url, headers={"Accept": "application/json", **headers}, verify=trusted(engine))


def execs(engine, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(engine.url + "/execs", headers=headers, verify=trusted(engine))


@pytest.mark.slow
def test_a_password_set_by_the_cli_signs_in_as_on_wmla(engine, tmp_path):
    done, spawned = user_add(engine, "alice", PASSWORD + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) >= 32 and "added user alice" in done.stderr

    answer = logon(engine, basic("alice", PASSWORD))
    assert answer.status_code == 200, answer.text
    session = answer.json()["accessToken"]
    listed = execs(engine, {"Authorization": f"Bearer {session}"})
    assert listed.status_code == 200 and listed.json() == []
    assert execs(engine, basic("alice", PASSWORD)).status_code == 200  # Basic on any endpoint
    assert execs(engine, {"Authorization": f"Bearer {token}"}).status_code == 200  # the token still works

    wrong = logon(engine, basic("alice", "not it"))
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Authentication error: wrong user name or password"}
    assert execs(engine, basic("alice", "not it")).status_code == 401
    assert logon(engine, basic("nobody", PASSWORD)).status_code == 401

    # never in argv, output, the engine's log or its store
    assert spawned and any("--password-stdin" in argv for argv in spawned)
    assert all(PASSWORD not in " ".join(argv) for argv in spawned)
    assert PASSWORD not in done.stdout + done.stderr
    encoded = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert PASSWORD not in engine.log() and encoded not in engine.log()
    stored = b"".join(p.read_bytes() for p in engine.data_dir.glob("engine.db*"))
    assert PASSWORD.encode() not in stored and b"scrypt$" in stored


@pytest.mark.slow
def test_a_new_password_replaces_the_old_and_tokens_keep_working(engine, tmp_path):
    done, _ = user_add(engine, "bob", PASSWORD + "\n", tmp_path)
    token = done.stdout.strip()
    session = logon(engine, basic("bob", PASSWORD)).json()["accessToken"]

    again, _ = user_add(engine, "bob", NEW_PASSWORD + "\r\n", tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "" and "set a new password for user bob" in again.stderr

    assert logon(engine, basic("bob", PASSWORD)).status_code == 401
    assert logon(engine, basic("bob", NEW_PASSWORD)).status_code == 200
    for kept in (token, session):
        assert execs(engine, {"Authorization": f"Bearer {kept}"}).status_code == 200


def test_an_empty_password_is_refused_before_anything_changes(engine, tmp_path):
    done, spawned = user_add(engine, "carol", "\n", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no password on stdin") and done.stdout == ""
    assert spawned == []  # the engine's store was not even opened
    assert logon(engine, basic("carol", "")).status_code == 401


def test_a_user_without_a_password_signs_in_with_the_token_only(engine):
    token = engine.add_user("dave")
    assert logon(engine, basic("dave", token)).status_code == 200  # Basic user:token, as before
    assert logon(engine, basic("dave", "")).status_code == 401
    assert logon(engine, basic("dave", "anything")).status_code == 401
