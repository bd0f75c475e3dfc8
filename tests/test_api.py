"""`dlicli api METHOD PATH`: what arrives at the server, and what is printed."""

from __future__ import annotations

import json

import pytest

from dlicli.cli.apifields import build_request, split_path, typed_value
from dlicli.errors import UsageError
from tests.conftest import TOKEN

BASE = "/platform/rest/deeplearning/v1"


def test_get_prints_pretty_json_with_the_profiles_auth(env_server, run):
    env_server.route("GET", "/execs", body=[{"id": "a", "state": "RUNNING"}])
    result = run("api", "GET", "/execs")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '[\n  {\n    "id": "a",\n    "state": "RUNNING"\n  }\n]\n'
    req = env_server.last
    assert (req.method, req.path) == ("GET", BASE + "/execs")
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["user-agent"].startswith("dlicli/")
    assert result.stderr == ""


@pytest.mark.parametrize("path", ["execs", "/execs", BASE + "/execs", "/execs/"])
def test_path_forms_relative_to_the_api_base(env_server, run, path):
    env_server.route("GET", "/execs", body=[])
    result = run("api", "get", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "[]\n"
    assert env_server.last.path.rstrip("/") == BASE + "/execs"


def test_fields_are_query_parameters_for_get(env_server, run):
    env_server.route("GET", "/scheduler/applications", body=[])
    result = run(
        "api",
        "GET",
        "/scheduler/applications?sort=name",
        "-f",
        "state=RUNNING",
        "-f",
        "search=a b&c",
        "-F",
        "length=10",
        "-F",
        "flag=true",
        "-f",
        "state=FINISHED",
    )
    assert result.exit_code == 0, result.stderr
    assert env_server.last.query == {
        "sort": ["name"],
        "state": ["RUNNING", "FINISHED"],
        "search": ["a b&c"],
        "length": ["10"],
        "flag": ["true"],
    }
    assert env_server.last.body == b""


def test_fields_are_a_typed_json_body_for_post(env_server, run, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("from a file")
    env_server.route("POST", "/resplans/resplan", body={"uid": "p"})
    result = run(
        "api",
        "POST",
        "/resplans/resplan",
        "-f",
        "name=p1",
        "-f",
        "count=3",
        "-F",
        "n=3",
        "-F",
        "x=1.5",
        "-F",
        "on=true",
        "-F",
        "off=false",
        "-F",
        "none=null",
        "-F",
        f"text=@{note}",
        "-F",
        "tags[]=a",
        "-F",
        "tags[]=2",
    )
    assert result.exit_code == 0, result.stderr
    req = env_server.last
    assert req.headers["content-type"] == "application/json"
    assert req.json() == {
        "name": "p1",
        "count": "3",
        "n": 3,
        "x": 1.5,
        "on": True,
        "off": False,
        "none": None,
        "text": "from a file",
        "tags": ["a", 2],
    }
    assert req.raw_query == ""
    assert json.loads(result.stdout) == {"uid": "p"}


def test_put_with_one_field(env_server, run):
    env_server.route("PUT", "/notebooks/alice", body=b"")
    result = run("api", "PUT", "/notebooks/alice", "-f", "resourcePlan=sample")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.json() == {"resourcePlan": "sample"}
    assert result.stdout == ""


def test_post_without_fields_has_no_body(env_server, run):
    env_server.route("POST", "/execs/x/stop", body=b"")
    result = run("api", "POST", "/execs/x/stop")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.body == b""


def test_input_file_json_is_sent_as_is_and_fields_go_to_the_query(env_server, run, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_bytes(b'{"name": "p",  "labels": []}')
    env_server.route("POST", "/resplans/resplan", body=b"ok", headers={"Content-Type": "text/plain"})
    result = run("api", "POST", "resplans/resplan", "--input", str(plan), "-f", "dry=1")
    assert result.exit_code == 0, result.stderr
    req = env_server.last
    assert req.body == b'{"name": "p",  "labels": []}'
    assert req.headers["content-type"] == "application/json"
    assert req.query == {"dry": ["1"]}
    assert result.stdout == "ok"


def test_input_from_stdin_that_is_not_json_is_octet_stream(env_server, run):
    env_server.route("POST", "/execs/x/deploy", body=b"")
    result = run("api", "POST", "/execs/x/deploy", "--input", "-", input="raw bytes, not json")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.body == b"raw bytes, not json"
    assert env_server.last.headers["content-type"] == "application/octet-stream"


def test_form_sends_multipart_with_file_and_plain_fields(env_server, run, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text('{"hpoName": "h1"}')
    model = tmp_path / "model.py"
    model.write_bytes(b"print('hi')\n")
    env_server.route("POST", "/hypersearch", body={"uid": "h1", "href": "/hypersearch/h1"})
    result = run("api", "POST", "/hypersearch", "--form", "-F", f"data=<{spec}", "-F", f"file=@{model}", "-f", "note=x")
    assert result.exit_code == 0, result.stderr
    parts = env_server.last.multipart()
    assert parts["data"].filename is None and parts["data"].data == b'{"hpoName": "h1"}'
    assert parts["file"].filename == "model.py" and parts["file"].data == b"print('hi')\n"
    assert parts["note"].data == b"x"
    assert json.loads(result.stdout)["uid"] == "h1"


def test_execs_post_through_api_keeps_the_args_query(env_server, run, tmp_path):
    model = tmp_path / "main.py"
    model.write_text("print(1)\n")
    env_server.route("POST", "/execs", body={"id": "e1"})
    args = "--exec-start PyTorch --model-main main.py"
    result = run(
        "api", "POST", f"/execs?args={args.replace(' ', '%20')}", "--form", "-F", f"file=@{model}", "-H", "X-Trace: 1"
    )
    assert result.exit_code == 0, result.stderr
    req = env_server.last
    assert req.query == {"args": [args]}
    assert req.headers["x-trace"] == "1"
    assert req.multipart()["file"].data == b"print(1)\n"


def test_double_slash_goes_to_the_server_root(env_server, run):
    env_server.route("GET", "//auth/v1/logon", body={"accessToken": "abc"})
    result = run("api", "GET", "//auth/v1/logon")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.path == "/auth/v1/logon"
    assert json.loads(result.stdout) == {"accessToken": "abc"}


def test_a_full_url_on_the_same_server_works(env_server, run):
    env_server.route("GET", "/conf", body={"a": "1"})
    result = run("api", "GET", env_server.url + "/conf?x=1")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.path == BASE + "/conf" and env_server.last.query == {"x": ["1"]}


def test_a_name_with_a_space_is_quoted(env_server, run):
    env_server.route("GET", "/hypersearch/my exp", body={"hpoName": "my exp"})
    result = run("api", "GET", "/hypersearch/my exp")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.raw_path == BASE + "/hypersearch/my%20exp"


def test_include_prints_status_and_headers_to_stderr(env_server, run):
    env_server.route("GET", "/conf", body={"a": "1"}, headers={"X-Request-Id": "r-42"})
    result = run("api", "GET", "/conf", "-i")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("HTTP/1.1 200 OK\n")
    assert "x-request-id: r-42" in result.stderr.lower()
    assert json.loads(result.stdout) == {"a": "1"}


def test_binary_answer_is_written_byte_for_byte(env_server, run):
    payload = b"PK\x03\x04" + bytes(range(256)) * 50
    env_server.route("GET", "/execs/x/result", body=payload, headers={"Content-Type": "application/zip"})
    result = run("api", "GET", "/execs/x/result")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == payload


def test_text_answer_is_printed_as_is(env_server, run):
    env_server.route("GET", "/execs/x/log", body=b"epoch 1\nepoch 2\n", headers={"Content-Type": "text/plain"})
    result = run("api", "GET", "/execs/x/log", "-f", "logType=errlog")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "epoch 1\nepoch 2\n"
    assert env_server.last.query == {"logType": ["errlog"]}


def test_output_yaml_and_table(env_server, run):
    env_server.route("GET", "/execs", body=[{"id": "a", "state": "RUNNING"}])
    result = run("api", "GET", "/execs", "-o", "yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "- id: a\n  state: RUNNING\n"
    result = run("api", "GET", "/execs", "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert "a\tRUNNING" in result.stdout
    result = run("api", "GET", "/execs", "--json")
    assert json.loads(result.stdout) == [{"id": "a", "state": "RUNNING"}]


def test_head_prints_nothing(env_server, run):
    env_server.route("HEAD", "/conf", body=b"")
    result = run("api", "HEAD", "/conf")
    assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("FETCH", "/conf"), "unknown HTTP method"),
        (("GET", "/conf", "-f", "novalue"), "is not KEY=VALUE"),
        (("GET", "/conf", "-F", "=x"), "is not KEY=VALUE"),
        (("GET", "/conf", "-H", "NoColon"), "is not 'KEY: VALUE'"),
        (("GET", "/conf", "-H", "Authorization: Bearer other"), "-H Authorization is not accepted"),
        (("POST", "/execs", "--form", "--input", "x.json"), "cannot be used together"),
        (("POST", "/execs", "--form"), "--form needs at least one"),
        (("POST", "/execs", "-F", "x=@/no/such/file"), "cannot read /no/such/file"),
        (("GET", "https://elsewhere.example.com/conf"), "is not on the configured server"),
        (("GET", "   "), "PATH is empty"),
        (("GET", "/conf", "-o", "xml"), "unknown output format"),
    ],
)
def test_bad_input_is_exit_2_and_sends_nothing(env_server, run, args, message):
    result = run("api", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr
    assert env_server.requests == []


def test_typed_values_directly():
    assert typed_value("12") == 12 and typed_value("-1.5e3") == -1500.0
    assert typed_value("true") is True and typed_value("null") is None
    assert typed_value("012") == "012" and typed_value("1.2.3") == "1.2.3"
    assert typed_value("@-", stdin=lambda: b"from stdin") == "from stdin"


def test_split_path_directly():
    base = "https://h:9243" + BASE
    assert split_path("execs?a=1&a=2", base) == ("/execs", False, {"a": ["1", "2"]})
    assert split_path("//auth/v1/logon", base) == ("/auth/v1/logon", True, {})
    assert split_path("https://h:9243/auth/v1/logoff", base) == ("/auth/v1/logoff", True, {})
    with pytest.raises(UsageError):
        split_path("http://h:9243/conf", base)  # another scheme is another server


def test_build_request_reads_the_body_from_stdin_once():
    req = build_request("post", "/x", "http://h", input_file="-", stdin=lambda: b"[1]")
    assert (req.method, req.content, req.headers["Content-Type"]) == ("POST", b"[1]", "application/json")
    assert req.operation == "POST /x"
