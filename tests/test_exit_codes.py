"""Exit codes and error lines through the CLI: one `error:` line with the server's words, no
traceback (unless --debug), and --debug request lines that never show the token."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import TOKEN


def error_lines(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), stderr
    return [line for line in lines if line.startswith("error: ")]


CONF = "could not read the configuration"


@pytest.mark.parametrize(
    ("status", "body", "code", "plain"),
    [
        (400, {"message": "Cannot find task with given execId."}, 3, f"{CONF}: Cannot find task with given execId."),
        (
            400,
            {"message": "The request format is invalid: args"},
            2,
            f"{CONF}: The request format is invalid: args (HTTP 400)",
        ),
        (401, {"message": "Authentication error. The request was denied."}, 4, "The request was denied. (HTTP 401)"),
        (
            403,
            {"message": "Forbidden: user bob may not read this"},
            5,
            f"{CONF}: Forbidden: user bob may not read this (HTTP 403)",
        ),
        # every dlpd server has GET /conf: a 404 there is the wrong base path, said so, exit 9 (but
        # `dlicli api GET /conf` names its own path: the 404 is the server's answer to it, exit 3)
        (
            404,
            {"message": "No exec named x here"},
            9,
            "is not a dlpd server: it answered HTTP 404 to GET /platform/rest/deeplearning/v1/conf",
        ),
        (409, {"message": "Conflict. The requested resource already exists."}, 6, "already exists. (HTTP 409)"),
        (413, {"message": "upload exceeds the engine's limit"}, 2, "upload exceeds the engine's limit (HTTP 413)"),
        (
            500,
            {"message": "An unexpected error occurred: NPE"},
            1,
            f"{CONF}: An unexpected error occurred: NPE (HTTP 500)",
        ),
        (500, b"plain text from a proxy", 1, f"{CONF}: plain text from a proxy (HTTP 500)"),
    ],
)
@pytest.mark.parametrize("command", [("conf", "get"), ("api", "GET", "/conf")])
def test_http_error_status_to_exit_code(env_server, run, status, body, code, plain, command):
    env_server.route("GET", "/conf", status=status, body=body)
    result = run(*command)
    if command[0] == "api" and status == 404:
        code = 3
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    errors = error_lines(result.stderr)
    assert len(errors) == 1
    message = body["message"] if isinstance(body, dict) else body.decode()
    if command[0] == "api":  # the raw call names its request and status with the server's words
        assert errors[0] == f"error: GET /conf answered HTTP {status}: {message}"
    else:  # a command says what it could not do, in plain words; no operation id
        assert plain in errors[0] and "getDeepLearningConf" not in errors[0]
    assert "Traceback" not in result.stderr
    assert len(env_server.requests) == 1  # none of these is retried


@pytest.mark.parametrize(
    ("status", "line", "hint"),
    [
        (
            401,
            "could not get task x: the server's own words (HTTP 401)",
            "sign in again with `dlicli login`, or set DLICLI_TOKEN",
        ),
        (
            403,
            "could not get task x: the server's own words (HTTP 403)",
            "your user may not do this; ask an administrator, or sign in as another user",
        ),
        (
            404,
            "could not get task x: the server's own words",
            "check the name or id; list them with `dlicli exec list`",
        ),
        (409, "could not get task x: the server's own words (HTTP 409)", "the resource already exists or is in use"),
    ],
)
def test_the_cli_adds_a_hint_by_status_under_the_servers_words(env_server, run, status, line, hint):
    env_server.route("GET", "/execs/x", status=status, body={"message": "the server's own words"})
    result = run("exec", "get", "x")
    assert result.stderr.splitlines() == [f"error: {line}", f"hint: {hint}"]


def test_a_500_gets_no_hint(env_server, run):
    env_server.route("GET", "/execs/x", status=500, body={"message": "NPE"})
    result = run("exec", "get", "x")
    assert result.stderr.splitlines() == ["error: could not get task x: NPE (HTTP 500)"]


@pytest.mark.parametrize("command", [("conf", "get"), pytest.param(("api", "GET", "conf"), marks=pytest.mark.slow)])
def test_503_always_is_exit_7_after_four_requests(env_server, run, command):
    env_server.route("GET", "/conf", status=503, body={"message": "Service Unavailable: maintenance"})
    result = run(*command)
    assert result.exit_code == 7
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "maintenance" in errors[0]
    assert len(env_server.requests) == 4


@pytest.mark.slow
def test_connection_refused_is_exit_7(run, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DLICLI_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    result = run("conf", "get")
    assert result.exit_code == 7
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0]
    assert "hint:" in result.stderr


@pytest.mark.slow
def test_timeout_is_exit_7(env_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_HTTP_TIMEOUT", "0.3")
    env_server.route("GET", "/conf", body={}, delay=2)
    result = run("conf", "get")
    assert result.exit_code == 7
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and "timed out" in errors[0]


def test_no_credentials_is_exit_4_without_a_request(server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", server.root)
    result = run("conf", "get")
    assert result.exit_code == 4
    assert len(error_lines(result.stderr)) == 1
    assert server.requests == []


def test_debug_shows_request_lines_and_a_traceback_but_never_the_token(env_server, run):
    env_server.route("GET", "/execs/x", status=400, body={"message": "Cannot find task with given execId."})
    result = run("--debug", "api", "GET", "/execs/x", "-f", "a=1")
    assert result.exit_code == 3
    err = result.stderr
    assert "Traceback" in err
    assert TOKEN not in err and TOKEN not in result.stdout
    debug = [line for line in err.splitlines() if line.startswith("debug: ")]
    sent = next(line for line in debug if line.startswith("debug: > "))
    assert f"GET {env_server.url}/execs/x" in sent and "a=1" in sent
    answered = next(line for line in debug if line.startswith("debug: < "))
    assert "400" in answered and "GET" in answered and f"{env_server.url}/execs/x" in answered
    assert answered.rstrip().endswith("ms)")
    assert err.count("error: ") == 1


def test_debug_on_success_shows_timing_and_no_token(env_server, run):
    env_server.route("GET", "/conf", body={"a": "b"})
    result = run("--debug", "conf", "get", "--json")
    assert result.exit_code == 0
    assert "debug: < 200 GET" in result.stderr
    assert TOKEN not in result.stderr
    assert result.stdout == '{\n  "a": "b"\n}\n'
