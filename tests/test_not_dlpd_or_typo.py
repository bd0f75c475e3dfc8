"""A wrong server and a wrong path, told apart: a web server where dlpd should be is "not a dlpd
server" (exit 9, as the exit-code table says of a web page) in `login`, `status` and every command,
with a hint that does not ask for the path already added; a path the user typed in `dlicli api`
that dlpd does not have is that path's 404 (exit 3), as `gh api` says it, with no --url hint."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE

PROTOCOL = 9
ADD_THE_PATH = "give --url https://HOST:PORT (that path is added)"
OTHER_SERVER = "hint: the request went to the dlpd API's path (/platform/rest/deeplearning/v1) and another server"


def no_such_endpoint(server, path: str) -> str:
    """Route `path` as the local engine answers a path the API does not have; return its words."""
    words = f"no such endpoint: GET {BASE}{path}"
    server.route("GET", path, status=404, body={"message": words})
    return words


# -- #4: a typo in `dlicli api`'s path ---------------------------------------------------------


def test_api_with_a_path_dlpd_does_not_have_is_that_paths_404(env_server, run):
    words = no_such_endpoint(env_server, "/exec")
    result = run("api", "GET", "/exec")
    assert error_line(result, 3) == f"error: GET /exec answered HTTP 404: {words}"
    assert "--url" not in result.stderr and "not a dlpd server" not in result.stderr
    assert [r.path for r in env_server.requests] == [f"{BASE}/exec"]


def test_api_without_the_leading_slash_names_the_path_as_typed(env_server, run):
    words = no_such_endpoint(env_server, "/nosuch")
    result = run("api", "GET", "nosuch")
    assert error_line(result, 3, "answered HTTP 404", words)
    assert "--url" not in result.stderr


def test_the_same_answer_to_a_command_still_means_a_wrong_base_url(env_server, run):
    """`exec list` builds its path itself: dlpd's "no such endpoint" there means --url is wrong."""
    no_such_endpoint(env_server, "/execs")
    result = run("exec", "list")
    error_line(result, PROTOCOL, f"{env_server.root} is not a dlpd server: it answered HTTP 404 to GET {BASE}/execs")


def test_api_against_a_web_page_is_still_not_a_dlpd_server(env_server, run):
    env_server.page("GET", "/exec", status=404)
    result = run("api", "GET", "/exec")
    error_line(result, PROTOCOL, "is not a dlpd server: it answered text/html (HTTP 404)")


# -- #13: a web server where dlpd should be ----------------------------------------------------


def test_login_to_a_web_page_is_exit_9_and_the_hint_does_not_ask_for_the_path_again(server, run, tmp_path):
    server.page("GET", "/conf", status=404)
    result = run("login", "--profile-name", "web", "--url", server.root, "--token-stdin", input=TOKEN + "\n")
    line = error_line(result, PROTOCOL)
    assert line == f"error: {server.root} is not a dlpd server: it answered text/html (HTTP 404)"
    assert ADD_THE_PATH not in result.stderr
    assert OTHER_SERVER in result.stderr
    assert [r.path for r in server.requests] == [f"{BASE}/conf"]  # the path was added: the server is wrong
    assert not (tmp_path / "config" / "config.yaml").exists()  # nothing saved


def test_status_on_a_web_page_says_not_a_dlpd_server(env_server, run):
    env_server.page("GET", "/conf", status=404)
    result = run("status")
    assert result.exit_code == PROTOCOL, result.stderr
    server_row = next(line for line in result.stdout.splitlines() if line.startswith("SERVER"))
    assert server_row.split(None, 1)[1] == "not a dlpd server: it answered text/html (HTTP 404)"
    assert "HTTP 404: " not in result.stdout  # not the page's own words as if dlpd said them
    assert error_line(result, PROTOCOL, stdout=None).endswith("is not a dlpd server: it answered text/html (HTTP 404)")
    assert OTHER_SERVER in result.stderr
    as_json = json.loads(run("status", "--json").stdout)["server"]
    assert as_json == {
        "reachable": True,
        "status": 404,
        "message": "not a dlpd server: it answered text/html (HTTP 404)",
    }


def test_a_wrong_base_path_keeps_the_hint_to_give_the_right_one(env_server, run):
    result = run("status", "--url", env_server.root + "/wrong")
    assert result.exit_code == PROTOCOL
    assert "not a dlpd server: it answered HTTP 404 to GET /wrong/conf" in result.stdout
    assert "hint: the dlpd API lives under /platform/rest/deeplearning/v1: " + ADD_THE_PATH in result.stderr


@pytest.fixture
def web_server(tmp_path):
    """python -m http.server, as in the QA report: a real web server on a port where dlpd is not."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body>hello</body></html>\n")
    handler = functools.partial(_Quiet, directory=str(site))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_login_and_status_against_python_http_server(web_server, run, monkeypatch):
    result = run("login", "--profile-name", "web", "--url", web_server, "--token-stdin", input=TOKEN + "\n")
    error_line(result, PROTOCOL, f"{web_server} is not a dlpd server: it answered text/html (HTTP 404)")
    assert ADD_THE_PATH not in result.stderr
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    status = run("--url", web_server, "status")
    assert status.exit_code == PROTOCOL
    assert "not a dlpd server: it answered text/html (HTTP 404)" in status.stdout
    assert "File not found" not in status.stdout
