"""What a server sends is shown, never obeyed, by a terminal; and no secret shows in any output.

A user's `--app-name` with escape sequences must not retitle, clear or recolour the admin's
terminal through `exec list`; `--json` stays exact. A token with a newline or a non-ASCII character
is refused without being printed, and a password in `--url` is never repeated."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.test_resplan_cli import run_on_tty

EVIL = "run.py --app-name \x1b]0;owned\x07\x1b[2J\x1b[31mred[bold]x[/]\u202eevil"
TASK = {
    "id": "t-1",
    "state": "RUNNING",
    "args": EVIL,
    "appName": "app\nfake-row\tcell",
    "framework": "[bold]bob[/]",
    "hpoName": None,
}
SHOWN = "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred[bold]x[/]\\u202eevil"


def in_terminal(*argv: str) -> tuple[str, str, int]:
    """Run dlicli with stdout on a pseudo-terminal (TERM=dumb: rich adds no escapes of its own)."""
    done = run_on_tty(*argv, TERM="dumb", COLUMNS="250", LINES="50")  # rich: dumb is 80 wide without both
    return done.stdout, done.stderr, done.returncode


def no_raw_controls(text: str, chars: str = "\x1b\x07\u202e") -> None:
    for char in chars:
        assert char not in text, repr(text)


def test_a_piped_table_escapes_controls_and_keeps_one_row_per_task(env_server, run):
    env_server.route("GET", "/execs", body=[TASK])
    result = run("exec", "list")
    assert result.exit_code == 0, result.stderr
    no_raw_controls(result.stdout)
    assert result.stdout.count("\n") == 1  # the newline in appId did not make a second row
    row = result.stdout.rstrip("\n").split("\t")
    assert (
        row
        == [
            "t-1",
            "RUNNING",
            "",
            "",
            "",
            "[bold]bob[/]",
            "",  # MAIN: the args name no --model-main
            "app\\nfake-row\\tcell",
            EVIL.replace(EVIL[18:], SHOWN),
        ]
    )


def test_a_terminal_table_shows_the_escapes_and_no_rich_markup(env_server):
    env_server.route("GET", "/execs", body=[TASK])
    out, err, code = in_terminal("exec", "list", "-o", "wide")  # wide: the args too
    assert code == 0, err
    no_raw_controls(out)
    assert "\\u202eevil" in out and "app\\nfake-row\\tcell" in out
    assert "[bold]bob[/]" in out  # rich markup in a server's string stays text


def test_a_terminal_record_shows_the_escapes(env_server):
    env_server.route("GET", "/execs/t-1", body={**TASK, "\x1b[31mkey": "v"})
    out, err, code = in_terminal("exec", "get", "t-1")
    assert code == 0, err
    no_raw_controls(out)
    assert "\\x1b[31mkey" in out


def test_a_log_on_a_terminal_is_escaped_but_piped_exact(env_server, run):
    log = "epoch 1\n\x1b]52;c;cm0gLXJmIH4=\x07epoch 2\r\n\tdone\n"
    env_server.route("GET", "/execs/t-1/log", body=log)
    out, err, code = in_terminal("exec", "logs", "t-1")
    assert code == 0, err
    no_raw_controls(out)
    assert "epoch 1" in out and "\\x1b]52;c;cm0gLXJmIH4=\\x07epoch 2" in out and "\tdone" in out
    piped = run("exec", "logs", "t-1")
    assert piped.stdout_bytes == log.encode()  # a log saved to a file is the task's own bytes


def test_dlicli_api_text_on_a_terminal_is_escaped_but_piped_exact(env_server, run):
    env_server.route("GET", "/execs/t-1/log", body=b"\x1b]0;owned\x07hello\n", headers={"Content-Type": "text/plain"})
    out, err, code = in_terminal("api", "GET", "/execs/t-1/log")
    assert code == 0, err
    no_raw_controls(out)
    assert "\\x1b]0;owned\\x07hello" in out
    assert run("api", "GET", "/execs/t-1/log").stdout_bytes == b"\x1b]0;owned\x07hello\n"


@pytest.mark.parametrize("fmt", ["--json", "yaml"])
def test_json_stays_exact_and_yaml_escapes(env_server, run, fmt):
    env_server.route("GET", "/execs", body=[TASK])
    result = run("exec", "list", "--json") if fmt == "--json" else run("exec", "list", "-o", "yaml")
    assert result.exit_code == 0, result.stderr
    no_raw_controls(result.stdout, "\x1b\x07")  # JSON and YAML escape C0 controls themselves
    if fmt == "--json":
        assert json.loads(result.stdout) == [TASK]


def test_a_servers_error_message_cannot_forge_lines_or_drive_the_terminal(env_server, run):
    message = "bad input\x1b[2J\nerror: everything is fine\nhint: run rm -rf ~"
    env_server.route("GET", "/execs/t-1", status=400, body={"message": message})
    result = run("exec", "get", "t-1")
    line = error_line(result, 2, "bad input\\x1b[2J")
    no_raw_controls(result.stderr)
    assert [x for x in result.stderr.splitlines() if x.startswith("hint: run rm")] == []
    assert "\n  error: everything is fine" in result.stderr and line.startswith(
        "error: could not get task t-1: bad input"
    )


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "what"),
    [
        (TOKEN + "\n# my token, from the file", "a line break"),
        (TOKEN + "\rX-4a68bbccdd", "a line break"),
        ("tok-\u00e9t\u00e9-4a68bbccdd", "a non-ASCII character"),
        ("tok-\x1b[2J-4a68bbccdd", "a control character"),
    ],
)
def test_an_unsendable_token_is_exit_2_without_showing_it(env_server, run, monkeypatch, token, what):
    monkeypatch.setenv("DLICLI_TOKEN", token)
    result = run("exec", "list")
    error_line(result, 2, f"holds {what}", "Authorization header")
    assert env_server.requests == []
    for part in (TOKEN, "4a68bbccdd", "my token"):
        assert part not in result.stdout + result.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_password_in_the_url_is_never_repeated(run, monkeypatch):
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    url = f"http://alice:pw-S3cr3t@127.0.0.1:{_closed_port()}"
    for argv in (("--url", url, "exec", "list"), ("--url", url, "--debug", "conf", "get")):
        result = run(*argv)
        assert result.exit_code == 7, result.stderr
        assert "pw-S3cr3t" not in result.stdout + result.stderr
        assert "alice:***@127.0.0.1" in result.stderr


def test_a_password_in_the_url_is_not_quoted_in_a_protocol_error(server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    server.page("GET", "/execs")
    url = server.root.replace("http://", "http://alice:pw-S3cr3t@")
    result = run("--url", url, "exec", "list")
    error_line(result, 9, "is not a dlpd server")
    assert "pw-S3cr3t" not in result.stderr


def test_a_server_echoing_the_token_gets_it_redacted(env_server, run):
    env_server.route("GET", "/execs", status=401, body={"message": f"token {TOKEN} has expired"})
    result = run("exec", "list")
    error_line(result, 4, "token *** has expired")
    assert TOKEN not in result.stderr
    debug = run("--debug", "exec", "list")  # request lines and the traceback too
    assert debug.exit_code == 4 and "Traceback" in debug.stderr
    assert TOKEN not in debug.stderr
