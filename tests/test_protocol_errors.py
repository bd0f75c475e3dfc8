"""A 2xx answer that is not what the operation returns is exit 9, never a success: a proxy's HTML
login page for `exec list`, text where JSON belongs, an object where a list belongs, a create answer
that names nothing, a logon answer without a token. A page or text says "<URL> is not a dlpd server"
(a page is never quoted, text's first bytes are, escaped and bounded); a JSON of the wrong shape
names the request; nothing reaches stdout or the profile."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import LOGIN_PAGE

PROTOCOL = 9


@pytest.mark.parametrize(
    ("argv", "method", "path"),
    [
        (("exec", "list"), "GET", "/execs"),
        (("exec", "get", "t-1"), "GET", "/execs/t-1"),
        (("exec", "stop", "t-1"), "POST", "/execs/t-1/stop"),
        (("exec", "delete", "t-1"), "DELETE", "/execs/t-1"),
        (("exec", "logs", "t-1"), "GET", "/execs/t-1/log"),
        (("exec", "frameworks"), "GET", "/execs/frameworks"),
        (("hpo", "list"), "GET", "/hypersearch"),
        (("hpo", "get", "h-1"), "GET", "/hypersearch/h-1"),
        (("hpo", "algorithm", "list"), "GET", "/hypersearch/algorithm"),
        (("conf", "get"), "GET", "/conf"),
        (("resplan", "tree"), "GET", "/resplans/resplantree"),
        (("notebook", "list"), "GET", "/notebooks/runningservices"),
        (("scheduler", "apps"), "GET", "/scheduler/applications"),
        (("scheduler", "logs", "app-1"), "GET", "/scheduler/applications/app-1/driver/logs/stdout"),
    ],
)
def test_an_html_page_is_exit_9_naming_the_server_never_the_page(env_server, run, argv, method, path):
    env_server.page(method, path)
    result = run(*argv)
    line = error_line(result, PROTOCOL)
    assert line == f"error: {env_server.root} is not a dlpd server: it answered text/html"
    assert "<" not in result.stderr and "sign in" not in result.stderr
    # the path was the API's: the host or port leads to another server (not "add the path")
    assert "hint: the request went to the dlpd API's path (/platform/rest/deeplearning/v1)" in result.stderr
    assert "`list` command" not in result.stderr
    assert len(env_server.requests) == 1  # a wrong answer is not retried either
    debug = run("--debug", *argv)  # under --debug: the request behind it
    assert f"{method} {env_server.url}{path} answered 200" in debug.stderr


@pytest.mark.parametrize(
    ("argv", "path", "body", "words"),
    [
        (("exec", "list"), "/execs", {"id": "t-1"}, "not a JSON list but a JSON dict"),
        (("exec", "get", "t-1"), "/execs/t-1", [{"id": "t-1"}], "not a JSON object but a JSON list"),
        (("conf", "get"), "/conf", b"ok", "is not a dlpd server: it answered a body without a content type: 'ok'"),
        (("hpo", "list"), "/hypersearch", b"", "not a JSON list but empty"),
        (("exec", "get", "t-1"), "/execs/t-1", b'{"id": "t-1"', "not a JSON object but not JSON"),
    ],
)
def test_the_wrong_shape_is_exit_9(env_server, run, argv, path, body, words):
    env_server.route("GET", path, body=body)
    error_line(run(*argv), PROTOCOL, words)


def test_a_json_or_piped_list_is_never_printed_from_a_page(env_server, run):
    env_server.page("GET", "/execs")
    for argv in (("exec", "list", "--json"), ("exec", "list", "-o", "yaml"), ("exec", "list")):
        error_line(run(*argv), PROTOCOL, "is not a dlpd server", stdout="")


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "main.py").write_text("print('hi')\n")
    return folder


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (LOGIN_PAGE, "is not a dlpd server: it answered text/html"),
        ({"status": "ok"}, "not the id of what was created but no id in it"),
        (b'""', "no id in it"),
        (b"Task accepted, thank you", "no id in it"),
    ],
)
def test_exec_start_takes_no_page_or_idless_answer_for_a_task_id(env_server, run, model, body, words):
    headers = {"Content-Type": "text/html"} if body is LOGIN_PAGE else {}
    env_server.route("POST", "/execs", body=body, headers=headers)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    error_line(result, PROTOCOL, words)


@pytest.mark.parametrize("body", [b'"admin-20260101-0001"', b"admin-20260101-0001", {"uid": "admin-20260101-0001"}])
def test_exec_start_still_takes_every_create_answer_wmla_gives(env_server, run, model, body):
    env_server.route("POST", "/execs", body=body)
    result = run("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "admin-20260101-0001\n"


def test_login_to_a_web_page_does_not_sign_in(server, run, tmp_path):
    server.page("GET", "/conf")
    result = run("login", "--url", server.root, "--token-stdin", "--store", "file", input=TOKEN + "\n")
    error_line(result, PROTOCOL, f"{server.root} is not a dlpd server: it answered text/html")
    assert "signed in" not in result.stderr
    assert not (tmp_path / "config").exists()  # no profile, no secret kept


def test_exec_result_writes_no_file_from_a_page(env_server, run, tmp_path):
    env_server.page("GET", "/execs/t-1/result")
    target = tmp_path / "result.zip"
    error_line(run("exec", "result", "t-1", "-O", str(target)), PROTOCOL, "is not a dlpd server")
    assert not target.exists()


def test_the_first_bytes_are_escaped_and_bounded(env_server, run):
    body = b"\x1b[2J\x1b]0;owned\x07" + b"x" * 500
    env_server.route("GET", "/execs", body=body, headers={"Content-Type": "text/plain"})
    line = error_line(run("exec", "list"), PROTOCOL, "is not a dlpd server: it answered text/plain")
    assert "\x1b" not in line and "\x07" not in line
    assert "'\\x1b[2J\\x1b]0;owned\\x07" in line
    assert line.endswith("x…'")
    assert len(line) < 400


def test_dlicli_api_still_prints_whatever_came(env_server, run):
    env_server.page("GET", "/execs")
    result = run("api", "GET", "/execs")
    assert result.exit_code == 0, result.stderr
    assert "Please sign in" in result.stdout


def test_a_good_list_is_still_exit_0(env_server, run):
    env_server.route("GET", "/execs", body=[{"id": "t-1", "state": "RUNNING"}])
    result = run("exec", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"id": "t-1", "state": "RUNNING"}]


def test_status_says_a_web_page_is_not_the_dlpd_api(env_server, run):
    env_server.page("GET", "/conf")
    result = run("status", "--json")
    assert result.exit_code == PROTOCOL, result.stderr
    server = json.loads(result.stdout)["server"]
    assert server["reachable"] is True and server["status"] == 200
    assert server["message"] == "not a dlpd server: it answered text/html"
