"""`dlicli exec start` against the recording server: the request that arrives, and what is printed."""

from __future__ import annotations

import io
import json
import os
import tarfile
from urllib.parse import parse_qs

import pytest
import yaml

from tests.conftest import TOKEN

CREATED = {"id": "exec-42", "args": "whatever", "state": "SUBMITTED"}


@pytest.fixture
def model(tmp_path):
    """A model directory with things to skip, nested, and a .dliignore."""
    root = tmp_path / "mnist"
    files = {
        "main.py": "print('train')\n",
        "lib/net.py": "net = 1\n",
        "lib/__pycache__/net.cpython-311.pyc": "",
        "lib/old.pyc": "",
        ".git/HEAD": "ref",
        ".DS_Store": "",
        "lib/._net.py": "",
        ".dliignore": "*.ckpt\nscratch/\n",
        "w.ckpt": "",
        "lib/deep/w2.ckpt": "",
        "lib/deep/keep.txt": "k",
        "scratch/tmp.bin": "",
        "lib/scratch/t.bin": "",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def submitted(server):
    """The one request that arrived: (request, parsed args string, multipart parts)."""
    assert len(server.requests) == 1
    req = server.last
    return req, parse_qs(req.raw_query)["args"][0], req.multipart()


def test_model_dir_request_and_output(env_server, run, model):
    env_server.route("POST", "/execs", body=CREATED)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "exec-42\n"
    assert "follow it with: dlicli exec logs exec-42 --follow" in result.stderr
    req, args, parts = submitted(env_server)
    assert req.method == "POST" and req.path == "/platform/rest/deeplearning/v1/execs"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert args == "--exec-start PyTorch --model-main main.py --model-dir mnist"
    assert "transfer-encoding" not in req.headers and int(req.headers["content-length"]) == len(req.body)
    assert set(parts) == {"file"}  # no data sources → no data field
    part = parts["file"]
    assert part.filename == "mnist.modelDir.tar"
    with tarfile.open(fileobj=io.BytesIO(part.data)) as tf:
        assert tf.getnames() == [
            "mnist",
            "mnist/.dliignore",
            "mnist/lib",
            "mnist/lib/deep",
            "mnist/lib/deep/keep.txt",
            "mnist/lib/net.py",
            "mnist/main.py",
        ]
        assert tf.extractfile("mnist/main.py").read() == b"print('train')\n"
    assert len(part.data) % tarfile.RECORDSIZE == 0


def test_model_args_survive_the_query_string(env_server, run, model):
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec",
        "start",
        "--framework",
        "PyTorch",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--",
        "--lr",
        "0.1",
        "--name",
        "a b",
        "--x",
        "a&b#c+d",
        "--q",
        'it\'s "q"',
    )
    assert result.exit_code == 0, result.stderr
    req, args, _ = submitted(env_server)
    expected = (
        "--exec-start PyTorch --model-main main.py --model-dir mnist -- --lr 0.1 --name 'a b' "
        "--x 'a&b#c+d' --q 'it'\"'\"'s \"q\"'"
    )
    assert args == expected
    assert list(parse_qs(req.raw_query)) == ["args"]
    for encoded in ("%26", "%2B", "%23", "%22", "%27"):  # & + # " '
        assert encoded in req.raw_query
    assert "&" not in req.raw_query and "#" not in req.target and '"' not in req.target
    assert req.raw_query.count("+") == args.count(" ")  # a literal + in the query is a space


def test_platform_options_use_dlicmd_spellings(env_server, run, model):
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec",
        "start",
        "--framework",
        "tensorflow",
        "--model-dir",
        str(model),
        "--model-main",
        "lib/net.py",
        "--num-worker",
        "3",
        "--worker-device-num",
        "2",
        "--app-name",
        "my app",
        "--conda-env-name",
        "py311",
        "--cs-datastore-meta",
        "type=fs,data_path=mnist",
        "--",
        "--epochs",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    _, args, _ = submitted(env_server)
    assert args == (
        "--exec-start tensorflow --model-main lib/net.py --model-dir mnist --numWorker 3 "
        "--workerDeviceNum 2 --appName 'my app' --conda-env-name py311 "
        "--cs-datastore-meta type=fs,data_path=mnist -- --epochs 2"
    )


def test_data_sources_are_merged_into_one_form_field(env_server, run, model):
    env_server.route("POST", "/execs", body=CREATED)
    one = {"type": "fs", "location": {"paths": "/data/mnist"}}
    more = [{"type": "connection", "asset": {"asset_id": "a1"}}, {"type": "data_asset"}]
    result = run(
        "exec",
        "start",
        "--framework",
        "PyTorch",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--data-source",
        json.dumps(one),
        "--data-source",
        json.dumps(more),
    )
    assert result.exit_code == 0, result.stderr
    _, _, parts = submitted(env_server)
    assert set(parts) == {"file", "data"} and parts["data"].filename is None
    assert json.loads(parts["data"].data) == {"dataSource": [one, *more]}


def test_single_file_without_model_dir(env_server, run, tmp_path):
    main = tmp_path / "src" / "tf_mnist.py"
    main.parent.mkdir()
    main.write_bytes(b"import tensorflow\n" * 100)
    env_server.route("POST", "/execs", body="exec-7")  # a bare string answer
    result = run("exec", "start", "--framework", "tensorflow", "--model-main", str(main), "--", "--batch-size", "200")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "exec-7\n"
    _, args, parts = submitted(env_server)
    assert args == "--exec-start tensorflow --model-main tf_mnist.py -- --batch-size 200"
    assert parts["file"].filename == "tf_mnist.py" and parts["file"].data == main.read_bytes()


@pytest.mark.parametrize("answer", [{"uid": "u-9", "href": "/execs/u-9"}, {"href": "https://h/x/execs/u-9"}])
def test_created_id_from_creation_response(env_server, run, model, answer):
    env_server.route("POST", "/execs", body=answer)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "u-9\n"


@pytest.mark.parametrize("flag", [["--json"], ["-o", "json"]])
def test_json_prints_the_server_object_exactly(env_server, run, model, flag):
    body = {"id": "exec-42", "extra": {"nested": [1, "ü"]}, "state": "SUBMITTED"}
    env_server.route("POST", "/execs", body=body)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py", *flag)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == body


BAD = {
    "missing dir": (["--model-dir", "{tmp}/nope", "--model-main", "main.py"], "no such directory"),
    "main outside": (["--model-dir", "{model}", "--model-main", "../outside.py"], "not inside"),
    "main absent in dir": (["--model-dir", "{model}", "--model-main", "nope.py"], "not found"),
    "main is a dir": (["--model-dir", "{model}", "--model-main", "lib"], "not a file"),
    "main excluded": (["--model-dir", "{model}", "--model-main", "w.ckpt"], "excluded"),
    "main missing, no dir": (["--model-main", "{tmp}/nope.py"], "no such file"),
    "bad data-source": (["--model-main", "{tmp}/outside.py", "--data-source", "{{bad"], "--data-source"),
    "data-source not objects": (["--model-main", "{tmp}/outside.py", "--data-source", "[1]"], "--data-source"),
    "unknown option": (["--model-main", "{tmp}/outside.py", "--bogus"], "No such option"),
    "wait and follow": (["--model-main", "{tmp}/outside.py", "--wait", "--follow"], "--wait and --follow"),
    "timeout alone": (["--model-main", "{tmp}/outside.py", "--timeout", "5"], "--timeout needs"),
    "num-worker 0": (["--model-main", "{tmp}/outside.py", "--num-worker", "0"], "--num-worker"),
    "bad cs meta": (["--model-main", "{tmp}/outside.py", "--cs-datastore-meta", "nokv"], "--cs-datastore-meta"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_exits_2_without_a_request(env_server, run, model, tmp_path, case):
    (tmp_path / "outside.py").write_text("")
    env_server.route("POST", "/execs", body=CREATED)
    argv, message = BAD[case]
    argv = [a.format(tmp=tmp_path, model=model) for a in argv]
    result = run("exec", "start", "--framework", "PyTorch", *argv)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert env_server.requests == []


def test_missing_framework_is_a_usage_error(env_server, run, tmp_path):
    result = run("exec", "start", "--model-main", str(tmp_path))
    assert result.exit_code == 2 and "--framework" in result.stderr
    assert env_server.requests == []


def test_symlink_leaving_the_dir_is_skipped_with_a_warning(env_server, run, model, tmp_path):
    (tmp_path / "secret.txt").write_text("do not upload")
    os.symlink(tmp_path / "secret.txt", model / "leak.txt")
    env_server.route("POST", "/execs", body=CREATED)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    assert result.exit_code == 0, result.stderr
    assert "warning: skipping symlink leak.txt" in result.stderr
    _, _, parts = submitted(env_server)
    assert b"do not upload" not in parts["file"].data
    with tarfile.open(fileobj=io.BytesIO(parts["file"].data)) as sent:
        assert "mnist/leak.txt" not in sent.getnames()


def test_server_error_is_reported(env_server, run, model):
    env_server.route("POST", "/execs", status=500, body={"message": "framework not found"})
    result = run("exec", "start", "--framework", "Nope", "--model-dir", str(model), "--model-main", "main.py")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: could not start the task: framework not found (HTTP 500)")


@pytest.mark.parametrize("final, code", [("FINISHED", 0), ("FAILED", 10), ("KILLED", 11)])
def test_wait_exits_with_the_task_outcome(env_server, run, model, monkeypatch, final, code):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")
    env_server.route("POST", "/execs", body=CREATED)
    env_server.route("GET", "/execs/exec-42", body={"id": "exec-42", "state": final})
    env_server.route("GET", "/execs/exec-42", body={"id": "exec-42", "state": "RUNNING"}, times=1)
    result = run(
        "exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py", "--wait"
    )
    assert result.exit_code == code, result.stderr
    assert result.stdout == "exec-42\n"
    polls = [r for r in env_server.requests if r.method == "GET" and not r.path.endswith("/log")]
    assert len(polls) >= 2 and all(r.path.endswith("/execs/exec-42") for r in polls)


def test_follow_prints_the_log_and_exits_0(env_server, run, model, monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")
    env_server.route("POST", "/execs", body=CREATED)
    env_server.route("GET", "/execs/exec-42", body={"id": "exec-42", "state": "FINISHED"})
    env_server.route("GET", "/execs/exec-42/log", body=b"epoch 1\nepoch 2\n", headers={"Content-Type": "text/plain"})
    result = run(
        "exec",
        "start",
        "--framework",
        "PyTorch",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--follow",
        "--timeout",
        "30",
    )
    assert result.exit_code == 0, result.stderr
    assert "epoch 2" in result.stdout and "exec-42" not in result.stdout
    assert "started task exec-42" in result.stderr


FORMATS = {
    "json": (["--json"], json.loads, CREATED),
    "yaml": (["-o", "yaml"], yaml.safe_load, CREATED),
    "query": (["--query", "id"], str, "exec-42\n"),
}


@pytest.mark.parametrize("final, code", [("FINISHED", 0), ("FAILED", 10)])
@pytest.mark.parametrize("case", list(FORMATS), ids=list(FORMATS))
def test_follow_with_a_format_keeps_stdout_for_the_task_and_the_log_on_stderr(
    env_server, run, model, monkeypatch, case, final, code
):
    """As `exec start --wait --json` and `hpo start --follow --json`: stdout holds the created task
    in the asked format (it parses), the followed log goes to stderr, the exit code is the outcome."""
    flags, parse, expected = FORMATS[case]
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")
    env_server.route("POST", "/execs", body=CREATED)
    env_server.route("GET", "/execs/exec-42", body={"id": "exec-42", "state": final})
    env_server.route("GET", "/execs/exec-42/log", body=b"epoch 1\nepoch 2\n", headers={"Content-Type": "text/plain"})
    argv = ["--model-dir", str(model), "--model-main", "main.py", "--follow", *flags]
    result = run("exec", "start", "--framework", "PyTorch", *argv)
    assert result.exit_code == code, result.stderr
    assert parse(result.stdout) == expected
    assert "epoch" not in result.stdout and "epoch 2" in result.stderr
    assert f"exec-42: {final}" in result.stderr


@pytest.mark.slow
def test_progress_bar_on_a_terminal_stderr_keeps_stdout_clean(env_server, model):
    import pty
    import subprocess
    import sys

    (model / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    env_server.route("POST", "/execs", body=CREATED)
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dlicli",
                "exec",
                "start",
                "--framework",
                "PyTorch",
                "--model-dir",
                str(model),
                "--model-main",
                "main.py",
            ],
            stdout=subprocess.PIPE,
            stderr=follower,
            stdin=subprocess.DEVNULL,
            timeout=60,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        )
        os.close(follower)
        follower = -1
        tty_err = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            tty_err += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert proc.returncode == 0, tty_err
    assert proc.stdout == b"exec-42\n"
    assert b"uploading mnist.modelDir.tar" in tty_err
    _, _, parts = submitted(env_server)
    with tarfile.open(fileobj=io.BytesIO(parts["file"].data)) as tf:
        assert tf.extractfile("mnist/big.bin").read() == (model / "big.bin").read_bytes()


def test_model_args_too_long_for_a_url_say_so_without_a_url_hint(env_server, run, model):
    env_server.route("POST", "/execs", body=CREATED)
    args = ["--framework", "python", "--model-dir", str(model), "--model-main", "main.py", "--", "A" * 70_000]
    result = run("exec", "start", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "too long to send" in errors[0] and "model arguments" in errors[0]
    assert "--url" not in result.stderr and "scheme://host" not in result.stderr
    assert env_server.requests == []
