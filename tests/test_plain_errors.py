"""Errors in plain words: "task 123 not found", not "execsExecIdGet failed with HTTP 400: Cannot
find task with given execId."; the server's words only when they add something; "could not <do>
<what>: <the server's words> (HTTP <status>)" for the rest; the operation id and status only under
--debug. A URL where no dlpd server answers says so, with a hint about the base path, and never
shows the page it got."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.outcome import error_line

BASE = "/platform/rest/deeplearning/v1"
CANNOT_FIND = {"message": "Cannot find task with given execId."}


def lines(result) -> list[str]:
    return result.stderr.splitlines()


# -- not found --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "method", "path", "status", "body", "said", "listed_by"),
    [
        (("exec", "get", "123"), "GET", "/execs/123", 400, CANNOT_FIND, "task 123 not found", "dlicli exec list"),
        (
            ("exec", "stop", "123"),
            "POST",
            "/execs/123/stop",
            400,
            CANNOT_FIND,
            "task 123 not found",
            "dlicli exec list",
        ),
        (("exec", "logs", "123"), "GET", "/execs/123/log", 400, CANNOT_FIND, "task 123 not found", "dlicli exec list"),
        (
            ("hpo", "get", "h 1"),
            "GET",
            "/hypersearch/h 1",
            404,
            {"message": "hpo task h 1 not found"},
            "search h 1 not found",
            "dlicli hpo list",
        ),
        (
            ("resplan", "get", "gpu"),
            "GET",
            "/resplans/resplan/gpu",
            404,
            {"message": "The requested resource is not found."},
            "resource plan gpu not found",
            "dlicli resplan tree",
        ),
        (
            ("hpo", "algorithm", "get", "tpe2"),
            "GET",
            "/hypersearch/algorithm/tpe2",
            404,
            b"",
            "algorithm tpe2 not found",
            "dlicli hpo algorithm list",
        ),
        (
            ("scheduler", "logs", "app-9"),
            "GET",
            "/scheduler/applications/app-9/driver/logs/stdout",
            404,
            {"message": "The requested instance group or application ID is not found."},
            "application app-9 not found",
            "dlicli scheduler apps",
        ),
    ],
)
def test_not_found_in_plain_words(env_server, run, argv, method, path, status, body, said, listed_by):
    env_server.route(method, path, status=status, body=body)
    result = run(*argv)
    assert lines(result) == [f"error: {said}", f"hint: check the name or id; list them with `{listed_by}`"]
    assert result.exit_code == 3 and result.stdout == ""


def test_the_operation_id_and_status_only_under_debug(env_server, run):
    env_server.route("GET", "/execs/123", status=400, body=CANNOT_FIND)
    plain = run("exec", "get", "123")
    assert "execsExecIdGet" not in plain.stderr and "HTTP" not in plain.stderr and "400" not in plain.stderr
    debug = run("exec", "get", "123", "--debug")
    assert debug.exit_code == 3
    assert "error: task 123 not found" in lines(debug)
    detail = f"debug: execsExecIdGet: GET {env_server.url}/execs/123 answered HTTP 400: {CANNOT_FIND['message']}"
    assert detail in lines(debug)


def test_the_servers_words_stay_when_they_add_something(env_server, run):
    """A 400 "does not exist" about another thing (the plan, not the notebook service) is kept."""
    env_server.route("PUT", "/notebooks/bob", status=400, body={"message": "resource plan gpu does not exist"})
    result = run("notebook", "update", "bob", "--resource-plan", "gpu")
    line = error_line(result, 3)
    assert line == "error: could not update the notebook service of bob: resource plan gpu does not exist"


def test_each_of_several_ids_is_said_plainly(env_server, run):
    env_server.route("DELETE", "/execs/a", status=204)
    env_server.route("DELETE", "/execs/b", status=400, body=CANNOT_FIND)
    result = run("exec", "delete", "a", "b", "--yes")
    assert result.exit_code == 3
    assert "error: task b not found" in lines(result)  # the id once


# -- other statuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "method", "path", "status", "body", "code", "line"),
    [
        (
            ("exec", "delete", "123", "-y"),
            "DELETE",
            "/execs/123",
            500,
            {"message": "NPE in the task store"},
            1,
            "could not delete task 123: NPE in the task store (HTTP 500)",
        ),
        (
            ("exec", "delete", "123", "-y"),
            "DELETE",
            "/execs/123",
            500,
            b"",
            1,
            "could not delete task 123: Internal Server Error (HTTP 500)",
        ),
        (
            ("hpo", "stop", "h-1"),
            "PUT",
            "/hypersearch/h-1",
            409,
            {"message": "the task is not running"},
            6,
            "could not stop search h-1: the task is not running (HTTP 409)",
        ),
        (
            ("exec", "list"),
            "GET",
            "/execs",
            403,
            {"message": "Forbidden"},
            5,
            "could not list tasks: Forbidden (HTTP 403)",
        ),
        (
            ("resplan", "tree"),
            "GET",
            "/resplans/resplantree",
            400,
            {"message": "the request format is invalid"},
            2,
            "could not read the resource plan tree: the request format is invalid (HTTP 400)",
        ),
    ],
)
def test_other_statuses_say_what_could_not_be_done(env_server, run, argv, method, path, status, body, code, line):
    env_server.route(method, path, status=status, body=body)
    result = run(*argv)
    assert error_line(result, code) == f"error: {line}"
    assert "hint: check the name" not in result.stderr


# -- a URL where no dlpd server answers -------------------------------------------------------


def test_an_html_error_page_is_not_a_dlpd_server(env_server, run):
    env_server.page("GET", "/execs/123", status=404)
    result = run("exec", "get", "123")
    line = error_line(result, 9)  # what answered is not dlpd: exit 9, as for a page with a 200
    assert line == f"error: {env_server.root} is not a dlpd server: it answered text/html (HTTP 404)"
    assert "<" not in result.stderr and "Please sign in" not in result.stderr
    assert "list" not in result.stderr  # no `list` command to try: the server itself is wrong
    assert "/platform/rest/deeplearning/v1" in result.stderr.splitlines()[1]


def test_a_404_on_the_base_path_is_not_a_dlpd_server(env_server, run):
    """Every dlpd server has GET /execs: a 404 there is a wrong --url path, whatever the body."""
    result = run("exec", "list", "--url", env_server.root + "/wrong/path")
    line = error_line(result, 9)
    assert line == (
        f"error: {env_server.root}/wrong/path is not a dlpd server: it answered HTTP 404 to GET /wrong/path/execs"
    )
    assert (
        "hint: the dlpd API lives under /platform/rest/deeplearning/v1: give --url https://HOST:PORT" in result.stderr
    )


def test_a_page_for_an_error_that_dlpd_also_gives_keeps_its_meaning(env_server, run):
    """A proxy's 401 or 503 page still means sign in or try later; its markup is never shown."""
    env_server.page("GET", "/execs", status=401)
    result = run("exec", "list")
    assert error_line(result, 4) == "error: could not list tasks: Unauthorized (HTTP 401)"
    assert "<" not in result.stderr


@pytest.fixture
def web_server(tmp_path):
    """A real web server (python's http.server) serving a folder: what a wrong port often is."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><body><h1>Welcome</h1></body></html>\n")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "site"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("argv", [("exec", "list"), ("exec", "get", "123"), ("hpo", "list", "--json")])
def test_a_web_server_is_not_a_dlpd_server(web_server, run, monkeypatch, argv):
    monkeypatch.setenv("DLICLI_TOKEN", "tok-3f9a1c7e5b2d4a68")
    result = run("--url", web_server, *argv)
    line = error_line(result, 9)
    assert line == f"error: {web_server} is not a dlpd server: it answered text/html (HTTP 404)"
    assert "<" not in result.stderr and "Error response" not in result.stderr
    debug = run("--url", web_server, *argv, "--debug")  # the request behind it, under --debug only
    assert any(line.startswith("debug: ") and "answered HTTP 404" in line for line in lines(debug))


# -- the local engine, for real ---------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(procs, tmp_path_factory):
    from tests.engine_http.conftest import EngineProc

    proc = EngineProc(tmp_path_factory.mktemp("plain") / "data", ("--port", "0"))
    procs.append(proc)
    return proc


def cli(engine, *argv: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(
        DLICLI_URL=url or engine.url, DLICLI_TOKEN=engine.token, DLICLI_CONFIG_DIR=str(Path(engine.data_dir) / "cfg")
    )
    return subprocess.run([sys.executable, "-m", "dlicli", *argv], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("exec", "get", "nope"), "task nope not found"),
        (("exec", "delete", "nope", "-y"), "task nope not found"),
        (("hpo", "get", "nope"), "search nope not found"),
        (("resplan", "get", "nope"), "resource plan nope not found"),
        (("hpo", "algorithm", "get", "nope"), "algorithm nope not found"),
    ],
)
def test_the_local_engine_not_found_in_plain_words(engine, argv, said):
    result = cli(engine, *argv)
    assert error_line(result, 3) == f"error: {said}"


@pytest.mark.slow
def test_the_local_engine_under_a_wrong_base_path(engine):
    result = cli(engine, "exec", "list", url=engine.root + "/dlpd")
    line = error_line(result, 9)
    assert line == f"error: {engine.root}/dlpd is not a dlpd server: it answered HTTP 404 to GET /dlpd/execs"


# -- an unknown option on `exec start` is a model argument ----------------------------------------


@pytest.fixture
def model(tmp_path):
    folder = tmp_path / "my model"
    folder.mkdir()
    (folder / "main.py").write_text("print('hi')\n")
    return str(folder)


def suggested(result) -> list[str]:
    import shlex

    hint = next(line for line in lines(result) if line.startswith("hint: "))
    prefix = "hint: model arguments go after --: dlicli "
    assert hint.startswith(prefix), hint
    return shlex.split(hint.removeprefix(prefix))


@pytest.mark.parametrize(
    ("given", "fixed"),
    [
        (["--model-main", "main.py", "--epochs", "2"], ["--model-main", "main.py", "--", "--epochs", "2"]),
        (["--epochs", "2", "--model-main", "main.py"], ["--model-main", "main.py", "--", "--epochs", "2"]),
        (["--epochs=2", "--model-main", "main.py"], ["--model-main", "main.py", "--", "--epochs=2"]),
        (
            ["--epochs", "2", "--model-main", "main.py", "--", "--lr", "0.1"],
            ["--model-main", "main.py", "--", "--epochs", "2", "--lr", "0.1"],
        ),
    ],
)
def test_an_unknown_option_of_exec_start_suggests_the_line_with_dashes(env_server, run, model, given, fixed):
    head = ["exec", "start", "--framework", "PyTorch", "--model-dir", model]
    result = run(*head, *given)
    line = error_line(result, 2, "No such option: --epochs")
    assert line.startswith("error: ")
    assert suggested(result) == [*head, *fixed]
    assert env_server.requests == []
    env_server.route("POST", "/execs", body="admin-1")
    again = run(*suggested(result))  # the suggested line works as it is
    assert again.exit_code == 0, again.stderr
    assert env_server.last.query["args"][0].endswith(" ".join(fixed[fixed.index("--") + 1 :]))


def test_global_flags_before_the_verb_stay_in_the_suggestion(env_server, run, model):
    result = run("--url", env_server.root, "exec", "start", "--framework", "F", "--model-dir", model, "--epochs", "2")
    assert suggested(result)[:2] == ["--url", env_server.root]


def test_hpo_start_takes_no_model_arguments_so_no_dashes_hint(env_server, run, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    result = run("hpo", "start", str(spec), "--epochs", "2")
    error_line(result, 2, "No such option: --epochs")
    assert "--:" not in result.stderr and "hint: see `dlicli hpo start --help`" in result.stderr
