"""The client library called directly: every one of the 40 DlpdClient methods against the recorder.

Each call is checked against the spec's own method and path template (parsed from the spec
text when it is there), with path parameters that need quoting, and the exact query, JSON body
or multipart parts that arrived.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from dlicli import __version__
from dlicli.client.http import HttpSession, authorization_header
from dlicli.client.operations import DlpdClient
from tests.conftest import TOKEN

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "dlpd-rest-api-v1.txt"
ODD = "my exp/1#a"  # a name with a space, a slash and a hash: must stay ONE path segment
ODD_Q = quote(ODD, safe="")

# operationId → (method name, spec method, spec path template)
OPERATIONS = {
    "getDeepLearningConf": ("get_deep_learning_conf", "GET", "/conf"),
    "execsGet": ("execs_get", "GET", "/execs"),
    "execsPost": ("execs_post", "POST", "/execs"),
    "execsDelete": ("execs_delete", "DELETE", "/execs"),
    "execsExecIdGet": ("execs_exec_id_get", "GET", "/execs/{execId}"),
    "execsExecIdDelete": ("execs_exec_id_delete", "DELETE", "/execs/{execId}"),
    "execsExecIdStopPost": ("execs_exec_id_stop_post", "POST", "/execs/{execId}/stop"),
    "execsExecIdLogGet": ("execs_exec_id_log_get", "GET", "/execs/{execId}/log"),
    "execsExecIdResultGet": ("execs_exec_id_result_get", "GET", "/execs/{execId}/result"),
    "execsExecIdDeployPost": ("execs_exec_id_deploy_post", "POST", "/execs/{execId}/deploy"),
    "execsFrameworksGet": ("execs_frameworks_get", "GET", "/execs/frameworks"),
    "getAllHPO": ("get_all_hpo", "GET", "/hypersearch"),
    "getOneHPO": ("get_one_hpo", "GET", "/hypersearch/{hpoName}"),
    "startHPO": ("start_hpo", "POST", "/hypersearch"),
    "stopOneHPO": ("stop_one_hpo", "PUT", "/hypersearch/{hpoName}"),
    "stopOneHPOForce": ("stop_one_hpo_force", "PUT", "/hypersearch/{hpoName}/force"),
    "restartOneHPO": ("restart_one_hpo", "PUT", "/hypersearch/{hpoName}/restart"),
    "deleteOneHPO": ("delete_one_hpo", "DELETE", "/hypersearch/{hpoName}"),
    "deleteAllHPO": ("delete_all_hpo", "DELETE", "/hypersearch"),
    "getAllHPOAlgorithm": ("get_all_hpo_algorithm", "GET", "/hypersearch/algorithm"),
    "getOneAlgorithm": ("get_one_algorithm", "GET", "/hypersearch/algorithm/{algoName}"),
    "deleteOneHPOALGORITHM": ("delete_one_hpo_algorithm", "DELETE", "/hypersearch/algorithm/{algoName}"),
    "installHPOAlgorithm": ("install_hpo_algorithm", "POST", "/hypersearch/algorithm/install"),
    "debugAlgorithm": ("debug_algorithm", "POST", "/hypersearch/algorithm/debug"),
    "runningServices": ("running_services", "GET", "/notebooks/runningservices"),
    "runningServiceByUserName": ("running_service_by_user_name", "GET", "/notebooks/{username}/runningservices"),
    "runningKernels": ("running_kernels", "GET", "/notebooks/{username}/runningkernels"),
    "stopService": ("stop_service", "PUT", "/notebooks/{username}/stopservice"),
    "updateService": ("update_service", "PUT", "/notebooks/{username}"),
    "createResplan": ("create_resplan", "POST", "/resplans/resplan"),
    "updateResplanByName": ("update_resplan_by_name", "PUT", "/resplans/resplan"),
    "getResplan": ("get_resplan", "GET", "/resplans/resplan/{resplan_name}"),
    "delResplanByName": ("del_resplan_by_name", "DELETE", "/resplans/resplan/{resplan_name}"),
    "getResplanTree": ("get_resplan_tree", "GET", "/resplans/resplantree"),
    "getApplications": ("get_applications", "GET", "/scheduler/applications"),
    "getApplicationStatistic": ("get_application_statistic", "GET", "/scheduler/applicationStatistic"),
    "getDriverLog": ("get_driver_log", "GET", "/scheduler/applications/{appid}/driver/logs/{type}"),
    "getExecutorLog": (
        "get_executor_log",
        "GET",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}",
    ),
    "downloadDriverLogFile": (
        "download_driver_log_file",
        "GET",
        "/scheduler/applications/{appid}/driver/logs/{type}/download",
    ),
    "downloadExecutorLogFile": (
        "download_executor_log_file",
        "GET",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}/download",
    ),
}

# operationId → (args, kwargs, path parameter values, expected query, answer, expected result)
# A "body" key in kwargs-free cases is checked separately below.
JSON_ANSWER = {"ok": True}
CALLS = {
    "getDeepLearningConf": ((), {}, {}, {}, {"k": "v"}, {"k": "v"}),
    "execsGet": ((), {}, {}, {}, [{"id": "a"}], [{"id": "a"}]),
    "execsDelete": ((), {}, {}, {}, b"", None),
    "execsExecIdGet": ((ODD,), {}, {"execId": ODD}, {}, {"id": ODD}, {"id": ODD}),
    "execsExecIdDelete": ((ODD,), {}, {"execId": ODD}, {}, b"", None),
    "execsExecIdStopPost": ((ODD,), {}, {"execId": ODD}, {}, JSON_ANSWER, JSON_ANSWER),
    "execsExecIdLogGet": ((ODD, "errlog"), {}, {"execId": ODD}, {"logType": ["errlog"]}, b"line1\n", "line1\n"),
    "execsFrameworksGet": ((), {}, {}, {}, [{"name": "PyTorch"}], [{"name": "PyTorch"}]),
    "getAllHPO": ((), {}, {}, {}, [], []),
    "getOneHPO": ((ODD,), {}, {"hpoName": ODD}, {}, {"hpoName": ODD}, {"hpoName": ODD}),
    "stopOneHPO": ((ODD,), {}, {"hpoName": ODD}, {}, b"", None),
    "stopOneHPOForce": ((ODD,), {}, {"hpoName": ODD}, {}, b"", None),
    "restartOneHPO": ((ODD,), {}, {"hpoName": ODD}, {}, b"", None),
    "deleteOneHPO": ((ODD,), {}, {"hpoName": ODD}, {}, b"", None),
    "deleteAllHPO": ((), {}, {}, {}, b"", None),
    "getAllHPOAlgorithm": (("USER_PLUGIN",), {}, {}, {"type": ["USER_PLUGIN"]}, [{"name": "a"}], [{"name": "a"}]),
    "getOneAlgorithm": ((ODD,), {}, {"algoName": ODD}, {}, {"name": ODD}, {"name": ODD}),
    "deleteOneHPOALGORITHM": ((ODD,), {}, {"algoName": ODD}, {}, b"", None),
    "runningServices": ((), {}, {}, {}, [{"userName": "u"}], [{"userName": "u"}]),
    "runningServiceByUserName": ((ODD,), {}, {"username": ODD}, {}, {"userName": ODD}, {"userName": ODD}),
    "runningKernels": ((ODD,), {}, {"username": ODD}, {}, [{"kernelName": "k"}], [{"kernelName": "k"}]),
    "stopService": ((ODD,), {}, {"username": ODD}, {}, {"result": "ok"}, {"result": "ok"}),
    "getResplan": ((ODD,), {}, {"resplan_name": ODD}, {}, {"path": "/p"}, {"path": "/p"}),
    "delResplanByName": ((ODD,), {}, {"resplan_name": ODD}, {}, b"", None),
    "getResplanTree": ((), {}, {}, {}, {"id": "1", "childTreeDto": []}, {"id": "1", "childTreeDto": []}),
    "getApplications": (
        (),
        {
            "applicationid": "a 1",
            "applicationname": "n&m",
            "driverid": "d",
            "search": "x=y",
            "sort": "name",
            "order": "desc",
            "start": 10,
            "length": 5,
            "state": "RUNNING",
        },
        {},
        {
            "applicationid": ["a 1"],
            "applicationname": ["n&m"],
            "driverid": ["d"],
            "search": ["x=y"],
            "sort": ["name"],
            "order": ["desc"],
            "start": ["10"],
            "length": ["5"],
            "state": ["RUNNING"],
        },
        [{"applicationid": "a 1"}],
        [{"applicationid": "a 1"}],
    ),
    "getApplicationStatistic": (
        (),
        {
            "applicationid": "a",
            "applicationname": "n",
            "consumer": "/c/d",
            "start": 0,
            "length": 20,
            "state": "FINISHED",
        },
        {},
        {
            "applicationid": ["a"],
            "applicationname": ["n"],
            "consumer": ["/c/d"],
            "start": ["0"],
            "length": ["20"],
            "state": ["FINISHED"],
        },
        [{"username": "u"}],
        [{"username": "u"}],
    ),
    "getDriverLog": (
        (ODD, "stdout"),
        {"lastlines": 50},
        {"appid": ODD, "type": "stdout"},
        {"lastlines": ["50"]},
        b"log",
        "log",
    ),
    "getExecutorLog": (
        (ODD, "e 1/2", "stderr", 7),
        {},
        {"appid": ODD, "executorid": "e 1/2", "type": "stderr"},
        {"lastlines": ["7"]},
        b"elog",
        "elog",
    ),
}
JSON_BODY_CALLS = {
    # operationId → (args before the body, path parameter values, body)
    "execsExecIdDeployPost": ((ODD,), {"execId": ODD}, {"name": "m", "kernel": "k.py", "attributes": []}),
    "updateService": ((ODD,), {"username": ODD}, {"resourcePlan": "plan"}),
    "createResplan": ((), {}, {"name": "p", "parent": "/", "labels": [{"key": "k", "value": "v"}]}),
    "updateResplanByName": ((), {}, {"name": "p", "labels": []}),
}
STREAM_CALLS = {
    # operationId → (args, path parameter values)
    "execsExecIdResultGet": ((ODD,), {"execId": ODD}),
    "downloadDriverLogFile": ((ODD, "stdout"), {"appid": ODD, "type": "stdout"}),
    "downloadExecutorLogFile": ((ODD, "e/1", "stderr"), {"appid": ODD, "executorid": "e/1", "type": "stderr"}),
}


def spec_operations() -> dict[str, tuple[str, str]]:
    text = SPEC.read_text()
    pairs = re.findall(r"^(get|post|put|delete) (/\S*)\n.*\((\w+)\)$", text, flags=re.M)
    return {op: (method.upper(), path) for method, path, op in pairs}


def expected_path(template: str, values: dict[str, str]) -> str:
    path = template
    for key, value in values.items():
        path = path.replace("{" + key + "}", quote(value, safe=""))
    assert "{" not in path
    return "/platform/rest/deeplearning/v1" + path


def route_for(server, op: str, values: dict[str, str], **kw):
    """Answer the operation's path with these parameter values (matched unquoted, as one path)."""
    _, method, template = OPERATIONS[op]
    path = template
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    server.route(method, path, **kw)


@pytest.fixture
def client(server):
    with DlpdClient(HttpSession(server.url, authorization_header(token=TOKEN), retries=0)) as c:
        yield c


def check_request(server, op: str, values: dict[str, str]):
    _, method, template = OPERATIONS[op]
    assert len(server.requests) == 1
    req = server.last
    assert req.method == method
    assert req.raw_path == expected_path(template, values)
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["user-agent"] == f"dlicli/{__version__}"
    return req


def test_the_table_is_the_spec():
    assert len(OPERATIONS) == 40
    covered = (
        set(CALLS)
        | set(JSON_BODY_CALLS)
        | set(STREAM_CALLS)
        | {"execsPost", "startHPO", "installHPOAlgorithm", "debugAlgorithm"}
    )
    assert covered == set(OPERATIONS)
    if SPEC.exists():
        assert spec_operations() == {op: (m, p) for op, (_, m, p) in OPERATIONS.items()}


def test_every_operation_has_its_method():
    missing = [name for name, _, _ in OPERATIONS.values() if not callable(getattr(DlpdClient, name, None))]
    assert missing == []


@pytest.mark.parametrize("op", sorted(CALLS))
def test_simple_calls(server, client, op):
    args, kwargs, values, query, answer, result = CALLS[op]
    route_for(server, op, values, body=answer)
    got = getattr(client, OPERATIONS[op][0])(*args, **kwargs)
    req = check_request(server, op, values)
    assert req.query == query
    assert req.body == b""
    assert got == result


def test_none_filters_are_not_sent(server, client):
    server.route("GET", "/scheduler/applications", body=[])
    assert client.get_applications(state="RUNNING") == []
    assert server.last.raw_query == "state=RUNNING"
    server.route("GET", "/execs/x/log", body=b"")
    assert client.execs_exec_id_log_get("x") == ""
    assert server.last.raw_query == ""


@pytest.mark.parametrize("op", sorted(JSON_BODY_CALLS))
def test_json_body_calls(server, client, op):
    args, values, body = JSON_BODY_CALLS[op]
    route_for(server, op, values, body={"uid": "x"})
    got = getattr(client, OPERATIONS[op][0])(*args, body)
    req = check_request(server, op, values)
    assert req.headers["content-type"] == "application/json"
    assert req.json() == body
    assert got == {"uid": "x"}


@pytest.mark.parametrize("op", sorted(STREAM_CALLS))
def test_streamed_downloads(server, client, op):
    args, values = STREAM_CALLS[op]
    payload = bytes(range(256)) * 300
    route_for(server, op, values, body=payload, headers={"Content-Type": "application/octet-stream"})
    with getattr(client, OPERATIONS[op][0])(*args) as response:
        got = b"".join(response.iter_bytes())
    check_request(server, op, values)
    assert got == payload


def test_debug_algorithm_posts_json_and_streams_the_file(server, client):
    server.route("POST", "/hypersearch/algorithm/debug", body=b"\x08\x01pb")
    opts = {"hpoName": "h", "algoDef": {"algorithm": "Random"}}
    with client.debug_algorithm(opts) as response:
        assert response.read() == b"\x08\x01pb"
    req = check_request(server, "debugAlgorithm", {})
    assert req.json() == opts


def test_execs_post_sends_args_query_file_part_and_data_field(server, client):
    server.route("POST", "/execs", body={"id": "exec-1"})
    args = "--exec-start PyTorch --model-main main.py --model-dir m --lr 0.1 & x"
    data = {"dataSource": [{"type": "fs", "location": {"paths": "/d"}}]}
    got = client.execs_post(args, "m.modelDir.tar", b"TARBYTES", data=data, content_type="application/x-tar")
    req = check_request(server, "execsPost", {})
    assert req.query == {"args": [args]}
    parts = req.multipart()
    assert parts["file"].filename == "m.modelDir.tar"
    assert parts["file"].content_type == "application/x-tar"
    assert parts["file"].data == b"TARBYTES"
    assert json.loads(parts["data"].data) == data
    assert parts["data"].filename is None
    assert got == {"id": "exec-1"}


def test_execs_post_without_data_has_only_the_file_part(server, client):
    server.route("POST", "/execs", body="exec-2")
    assert client.execs_post("--exec-start X", "main.py", b"print(1)") == "exec-2"
    assert set(server.last.multipart()) == {"file"}


def test_start_hpo_sends_data_json_and_file(server, client):
    server.route("POST", "/hypersearch", body={"uid": "h1", "href": "/hypersearch/h1"})
    spec = {"hpoName": "h1", "algoDef": {"algorithm": "Random", "maxParalleJob": 2}}
    got = client.start_hpo(spec, "model.modelDir.tar", b"T")
    req = check_request(server, "startHPO", {})
    parts = req.multipart()
    assert json.loads(parts["data"].data) == spec
    assert (parts["file"].filename, parts["file"].data) == ("model.modelDir.tar", b"T")
    assert got == {"uid": "h1", "href": "/hypersearch/h1"}
    server.requests.clear()
    client.start_hpo('{"hpoName": "raw"}', "m.py", b"x")  # a JSON string is sent as is
    assert server.last.multipart()["data"].data == b'{"hpoName": "raw"}'


def test_install_hpo_algorithm_with_and_without_a_file(server, client):
    server.route("POST", "/hypersearch/algorithm/install", body=b"")
    data = {"name": "algo", "path": "/srv/algo", "remoteExec": False}
    client.install_hpo_algorithm(data)
    req = check_request(server, "installHPOAlgorithm", {})
    assert req.headers["content-type"].startswith("multipart/form-data")  # even without a file
    parts = req.multipart()
    assert set(parts) == {"data"} and parts["data"].filename is None
    assert json.loads(parts["data"].data) == data
    server.requests.clear()
    client.install_hpo_algorithm(data, "algo.tar", b"TAR")
    parts = server.last.multipart()
    assert json.loads(parts["data"].data) == data
    assert (parts["file"].filename, parts["file"].data) == ("algo.tar", b"TAR")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"token": TOKEN}, f"Bearer {TOKEN}"),
        ({"token": f"Bearer {TOKEN}"}, f"Bearer {TOKEN}"),
        ({"token": "Basic dXNlcjpwdw=="}, "Basic dXNlcjpwdw=="),
        ({"username": "alice", "password": "p:w d"}, "Basic " + base64.b64encode(b"alice:p:w d").decode()),
    ],
)
def test_authorization_header_on_the_wire(server, kwargs, expected):
    server.route("GET", "/conf", body={})
    with DlpdClient(HttpSession(server.url, authorization_header(**kwargs))) as c:
        c.get_deep_learning_conf()
    assert server.last.headers["authorization"] == expected


def test_no_credentials_sends_no_authorization(server):
    assert authorization_header() is None
    server.route("GET", "/conf", body={})
    with DlpdClient(HttpSession(server.root)) as c:  # a bare root gets the API base appended
        c.get_deep_learning_conf()
    assert "authorization" not in server.last.headers
    assert server.last.path == "/platform/rest/deeplearning/v1/conf"


def test_console_logon_goes_to_the_server_root_with_basic(server):
    server.route("GET", "//auth/v1/logon", body={"accessToken": "new"})
    server.route("POST", "//auth/v1/logoff", body=b"")
    basic = authorization_header(username="u", password="p")
    with DlpdClient(HttpSession(server.url, authorization_header(token=TOKEN))) as c:
        assert c.console_logon(basic) == {"accessToken": "new"}
        assert server.last.path == "/auth/v1/logon"
        assert server.last.headers["authorization"] == basic
        c.console_logoff()
        assert server.last.path == "/auth/v1/logoff"
        assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
