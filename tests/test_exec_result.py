"""`dlicli exec result` against the recording server: where the zip goes, and a task without a
result (the engine's 404, or an empty archive from another server) as exit 3 with nothing written."""

from __future__ import annotations

import io
import os
import socket
import threading
import zipfile

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE

ZIP = bytes(range(256)) * 300  # binary, with NULs and every byte value
EMPTY_ZIP = b"PK\x05\x06" + b"\0" * 18  # what zipfile writes for an archive with no entries


def paths(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


def test_an_empty_zip_is_22_bytes_of_end_record():
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    assert buffer.getvalue() == EMPTY_ZIP


# -- where the result goes -----------------------------------------------------------------


def test_result_goes_to_dlicli_results_by_default(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_server.route(
        "GET",
        "/execs/t1/result",
        body=ZIP,
        headers={"Content-Type": "application/zip", "Content-Disposition": 'attachment; filename="t1-model.zip"'},
    )
    result = run("exec", "result", "t1")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "dlicli-results" / "t1.zip").read_bytes() == ZIP
    assert sorted(os.listdir(tmp_path)) == ["dlicli-results"]
    assert result.stdout == ""
    assert result.stderr == f"saved the result of task t1 to dlicli-results/t1.zip ({len(ZIP)} bytes)\n"
    assert paths(env_server) == [("GET", "/execs/t1/result", "")]


def test_the_repository_ignores_the_default_results_folder():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, ".gitignore"), encoding="utf-8") as handle:
        assert "dlicli-results/" in handle.read().split()


@pytest.mark.parametrize("exec_id,expected", [("a b/c", "a b_c.zip"), ("../up", "_up.zip")])
def test_result_file_name_is_the_sanitised_id(env_server, run, tmp_path, monkeypatch, exec_id, expected):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    env_server.route("GET", f"/execs/{exec_id}/result", body=b"PK\x03\x04")
    result = run("exec", "result", exec_id)
    assert result.exit_code == 0, result.stderr
    assert os.listdir(work / "dlicli-results") == [expected]
    assert set(os.listdir(tmp_path)) - {"config", "data"} == {"work"}


def test_result_to_a_named_file_and_into_a_directory(env_server, run, tmp_path):
    env_server.route("GET", "/execs/t1/result", body=ZIP, headers={"Content-Disposition": "attachment; filename=m.zip"})
    target = tmp_path / "out.zip"
    result = run("exec", "result", "t1", "-O", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == ZIP
    assert f"to {target} " in result.stderr
    folder = tmp_path / "dir"
    folder.mkdir()
    result = run("exec", "result", "t1", "--output-file", str(folder))
    assert result.exit_code == 0, result.stderr
    assert os.listdir(folder) == ["t1.zip"]


def test_result_to_stdout(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", "/execs/t1/result", body=ZIP)
    result = run("exec", "result", "t1", "-O", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == ZIP
    assert os.listdir(tmp_path) == []


def test_result_refuses_to_overwrite_before_any_request(env_server, run, tmp_path):
    target = tmp_path / "keep.zip"
    target.write_bytes(b"precious")
    env_server.route("GET", "/execs/t1/result", body=ZIP)
    result = run("exec", "result", "t1", "-O", str(target))
    assert error_line(result, 2, f"{target} already exists")
    assert env_server.requests == []
    assert target.read_bytes() == b"precious"
    result = run("exec", "result", "t1", "-O", str(target), "--force")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == ZIP
    assert os.listdir(tmp_path) == ["keep.zip"]


def test_result_refuses_to_overwrite_the_default_file(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dlicli-results").mkdir()
    (tmp_path / "dlicli-results" / "t1.zip").write_bytes(b"precious")
    env_server.route("GET", "/execs/t1/result", body=ZIP)
    result = run("exec", "result", "t1")
    assert error_line(result, 2) == "error: dlicli-results/t1.zip already exists"
    assert "hint: pass --force to overwrite it" in result.stderr
    assert env_server.requests == []
    assert (tmp_path / "dlicli-results" / "t1.zip").read_bytes() == b"precious"


def test_result_into_a_missing_directory_is_a_usage_error(env_server, run, tmp_path):
    env_server.route("GET", "/execs/t1/result", body=ZIP)
    result = run("exec", "result", "t1", "-O", str(tmp_path / "nope" / "r.zip"))
    error_line(result, 2, "no such directory")
    assert env_server.requests == []


@pytest.mark.parametrize("target", ["/proc/r.zip", "/proc"])
def test_result_into_a_directory_that_takes_no_file_is_a_usage_error(env_server, run, target):
    """/proc exists but no file can be made in it (as root too): exit 2 before the download, not an
    unexpected FileNotFoundError for the .part file after it."""
    env_server.route("GET", "/execs/t1/result", body=ZIP)
    result = run("exec", "result", "t1", "-O", target)
    error_line(result, 2, "cannot write in /proc")
    assert "hint: choose another -O FILE" in result.stderr
    assert env_server.requests == []
    assert not os.path.exists("/proc/r.zip") and not os.path.exists("/proc/t1.zip")


def test_result_server_error_leaves_nothing(env_server, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", "/execs/t1/result", status=500, body={"message": "zip failed"})
    result = run("exec", "result", "t1")
    error_line(result, 1, "zip failed")
    assert os.listdir(tmp_path) == []


# -- a task without a result ---------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 404, "body": {"message": "task t1 has no result: it ended FAILED"}},
        {"body": EMPTY_ZIP, "headers": {"Content-Type": "application/zip"}},
        {"body": EMPTY_ZIP + b"comment", "headers": {"Content-Type": "application/zip"}},
        {"body": b"", "headers": {"Content-Type": "application/zip"}},
    ],
    ids=["engine-404", "empty-zip", "empty-zip-with-comment", "no-body"],
)
@pytest.mark.parametrize("where", [(), ("-O", "r.zip"), ("-O", "-"), ("-O", ".")])
def test_no_result_is_exit_3_and_writes_nothing(env_server, run, tmp_path, monkeypatch, answer, where):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", "/execs/t1/result", **answer)
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": "FAILED"})
    result = run("exec", "result", "t1", *where)
    assert error_line(result, 3) == "error: task t1 has no result (it ended FAILED)"
    assert "hint: see what it printed: dlicli exec logs t1" in result.stderr
    assert result.stdout_bytes == b""
    assert os.listdir(tmp_path) == []
    assert [p for _, p, _ in paths(env_server)] == ["/execs/t1/result", "/execs/t1"]


@pytest.mark.parametrize(
    "state,words",
    [
        ("RUNNING", "task t1 has no result yet (it is RUNNING)"),
        ("FINISHED", "task t1 has no result (it FINISHED without writing any file to its result directory)"),
        ("KILLED", "task t1 has no result (it ended KILLED)"),
    ],
)
def test_no_result_says_why_from_the_state(env_server, run, tmp_path, monkeypatch, state, words):
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", "/execs/t1/result", body=EMPTY_ZIP)
    env_server.route("GET", "/execs/t1", body={"id": "t1", "state": state})
    result = run("exec", "result", "t1")
    assert error_line(result, 3) == f"error: {words}"
    assert os.listdir(tmp_path) == []
    if state == "RUNNING":
        assert "hint: wait for it: dlicli exec wait t1" in result.stderr


def test_a_404_for_an_unknown_task_is_that_error(env_server, run, tmp_path, monkeypatch):
    """A 404 from a proxy or a wrong base path is not called "no result": the task lookup fails too."""
    monkeypatch.chdir(tmp_path)
    env_server.route("GET", "/execs/t1/result", status=404, body={"message": "no such page"})
    env_server.route("GET", "/execs/t1", status=400, body={"message": "Cannot find task with given execId."})
    result = run("exec", "result", "t1")
    assert error_line(result, 3) == "error: task t1 not found"
    assert os.listdir(tmp_path) == []


# -- a download that breaks off ------------------------------------------------------------


def _truncating_server(declared: int, sent: bytes):
    """A server that promises `declared` bytes, sends `sent`, and hangs up."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n"
                    + f"Content-Length: {declared}\r\n\r\n".encode()
                    + sent
                )

    threading.Thread(target=serve, daemon=True).start()
    return sock


@pytest.mark.parametrize("sent", [ZIP[:1000], ZIP[:2]], ids=["midway", "in-the-first-bytes"])
def test_result_broken_off_leaves_no_partial_file(run, tmp_path, monkeypatch, sent):
    monkeypatch.chdir(tmp_path)
    sock = _truncating_server(len(ZIP), sent)
    try:
        host, port = sock.getsockname()
        monkeypatch.setenv("DLICLI_URL", f"http://{host}:{port}")
        monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
        result = run("exec", "result", "t1")
        error_line(result, 7, "the download broke off after")
        assert os.listdir(tmp_path) == []
        result = run("exec", "result", "t1", "-O", str(tmp_path / "named.zip"))
        assert result.exit_code == 7
        assert os.listdir(tmp_path) == []
    finally:
        sock.close()


def test_the_documented_stdout_example_works(env_server, tmp_path):
    """`exec result -O -`'s example (docs/commands.md, --help) run as written, in a shell with
    pipefail: `ssh HOST CMD` stands in for a remote shell that runs CMD here."""
    import shlex
    import subprocess
    import sys

    from dlicli.cli.examples import EXAMPLES

    (line,) = [command for _, command in EXAMPLES["exec result"] if "-O -" in command]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("out/model.pt", b"weights")
    env_server.route("GET", "/execs/wmla-123/result", body=archive.getvalue())
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ssh").write_text('#!/bin/sh\nshift\nexec sh -c "$*"\n')
    (fake / "ssh").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(DLICLI_URL=env_server.root, DLICLI_TOKEN=TOKEN)
    env["PATH"] = os.pathsep.join([str(fake), os.path.dirname(sys.executable), env["PATH"]])
    proc = subprocess.run(
        ["bash", "-c", "set -o pipefail; " + line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    target = shlex.split(line)[-1].split("> ")[-1]
    with zipfile.ZipFile(tmp_path / target) as saved:
        assert saved.read("out/model.pt") == b"weights"
