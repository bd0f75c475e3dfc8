"""`dlicli dlicmd …` (IBM dlicmd.py's syntax): every command sends exactly what its native dlicli
command sends, prints what it prints and exits as it exits; bad input exits 2 with no request."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

import pytest

from dlicli import dlicmdargs
from dlicli.errors import UsageError
from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE

BATCH = {"id": "dl-1", "state": "RUNNING", "appId": "app-1", "args": "--exec-start PyTorch --model-main m.py"}
ROUTES = [
    ("GET", "/execs/frameworks", [{"name": "PyTorch", "frameworkVersion": "2.1"}]),
    ("GET", "/execs", [BATCH]),
    ("DELETE", "/execs", b""),
    ("GET", "/execs/a b", BATCH),
    ("GET", "/execs/dl-1", BATCH),
    ("POST", "/execs/dl-1/stop", b""),
    ("DELETE", "/execs/dl-1", b""),
    ("GET", "/execs/dl-1/log", b"epoch 1\nepoch 2\n"),
    ("GET", "/execs/dl-1/result", b"PK-zip"),
    ("POST", "/execs/dl-1/deploy", {"uid": "m-1", "href": "/models/m-1"}),
    ("GET", "/hypersearch", [{"hpoName": "h1", "state": "RUNNING"}]),
    ("GET", "/hypersearch/h1", {"hpoName": "h1", "state": "RUNNING"}),
    ("PUT", "/hypersearch/h1", b""),
    ("PUT", "/hypersearch/h2", b""),
    ("DELETE", "/hypersearch/h1", b""),
    ("DELETE", "/hypersearch", b""),
    ("PUT", "/hypersearch/h1/restart", b""),
    ("GET", "/hypersearch/algorithm", [{"name": "Random", "type": "BUILD_IN"}]),
    ("GET", "/hypersearch/algorithm/Random", {"name": "Random", "type": "BUILD_IN"}),
    ("DELETE", "/hypersearch/algorithm/mine", b""),
    ("POST", "/hypersearch", "hpo-9"),
    ("GET", "/resplans/resplantree", {"id": "root", "childTreeDto": []}),
    ("GET", "/resplans/resplan/plan a", {"name": "plan a"}),
    ("DELETE", "/resplans/resplan/plan a", b""),
]


@pytest.fixture
def api(env_server):
    for method, path, body in ROUTES:
        env_server.route(method, path, body=body)
    return env_server


def wire(server) -> list[tuple]:
    """What arrived, comparable across runs: multipart bodies by part (boundaries differ)."""
    seen = []
    for r in server.requests:
        body = r.body
        if "multipart/form-data" in r.headers.get("content-type", ""):
            body = sorted((p.name, p.filename, p.content_type, p.data) for p in r.multipart().values())
        seen.append((r.method, r.raw_path, r.raw_query, body, r.headers.get("authorization"), r.headers.get("accept")))
    return seen


def same_as_native(server, run, dlicmd_args, native_args, *, input=None, env=None, before=None):
    """Run the native command, then the dlicmd one; assert identical wire, stdout and exit code."""
    results, wires = [], []
    for i, argv in enumerate((native_args, ["dlicmd", *dlicmd_args])):
        server.requests.clear()
        if before is not None:
            before(i)
        results.append(run(*argv, input=input, env=env))
        wires.append(wire(server))
    native, ours = results
    assert wires[1] == wires[0]
    assert ours.stdout == native.stdout
    assert ours.exit_code == native.exit_code, ours.stderr
    return native, ours, wires[0]


SIMPLE = [
    (["--dl-frameworks"], ["exec", "frameworks", "--json"]),
    (["--exec-get", "dl-1"], ["exec", "get", "dl-1", "--json"]),
    (["--exec-get", "a b"], ["exec", "get", "a b", "--json"]),  # dlicmd did not encode the id
    (["--exec-get", "nope"], ["exec", "get", "nope", "--json"]),  # 404 → exit 3, both
    (["--exec-get-all"], ["exec", "list", "--all", "--json"]),  # dlicmd lists experiments too
    (["--exec-get-all", "-o", "json"], ["exec", "list", "--all", "--json"]),
    (["--exec-get-all", "--output=table"], ["exec", "list", "--all"]),
    (["-o", "yaml", "--exec-get-all"], ["exec", "list", "--all", "-o", "yaml"]),
    (["--exec-stop", "dl-1"], ["exec", "stop", "dl-1"]),
    (["--exec-delete", "dl-1"], ["exec", "delete", "dl-1"]),
    (["--exec-delete-all"], ["exec", "delete", "--all", "--yes"]),
    (["--exec-trainoutlogs", "dl-1"], ["exec", "logs", "dl-1", "--stdout"]),
    (["--exec-trainerrlogs=dl-1"], ["exec", "logs", "dl-1", "--stderr"]),
    (
        ["--exec-trainlogs", "dl-1"],
        ["api", "GET", "/execs/dl-1/log", "-f", "logType=outerrlog", "-H", "Accept: text/plain"],
    ),
    (
        [
            "--exec-deploy",
            "dl-1",
            "--name",
            "mnist",
            "--kernel",
            "k.py",
            "--weight",
            "w.pt",
            "--runtime",
            "py3",
            "--tag",
            "t1",
            "--attributes",
            "a=1, b=x=y",
            "--envs",
            "E=1",
        ],
        [
            "exec",
            "deploy",
            "dl-1",
            "--name",
            "mnist",
            "--kernel",
            "k.py",
            "--runtime",
            "py3",
            "--weight",
            "w.pt",
            "--tag",
            "t1",
            "--attr",
            "a=1",
            "--attr",
            "b=x=y",
            "--env",
            "E=1",
            "--json",
        ],
    ),
    (
        ["--exec-get-all", "--query-args", "limit=10&state=FINISHED&sort_by=id:desc&q=a%2Bb c"],
        [
            "api",
            "GET",
            "/execs",
            "-f",
            "limit=10",
            "-f",
            "state=FINISHED",
            "-f",
            "sort_by=id:desc",
            "-f",
            "q=a+b c",
            "--json",
        ],
    ),
]


@pytest.mark.parametrize("dlicmd_args, native_args", SIMPLE, ids=lambda v: " ".join(v)[:40])
def test_same_request_output_and_exit_as_native(api, run, dlicmd_args, native_args):
    _native, _ours, sent = same_as_native(api, run, dlicmd_args, native_args)
    assert sent, "the command sent no request"
    assert all(auth == f"Bearer {TOKEN}" for *_, auth, _accept in sent)


def test_exec_get_all_lists_hpo_experiments_as_dlicmd_did(env_server, run):
    """dlicmd.py --exec-get-all lists every task; `exec list` hides experiments unless --all."""
    tasks = [{"id": "t-1", "state": "FINISHED", "hpoName": None}, {"id": "e-1", "state": "RUNNING", "hpoName": "s1"}]
    env_server.route("GET", "/execs", body=tasks)
    assert json.loads(run("dlicmd", "--exec-get-all").stdout) == tasks
    table = run("dlicmd", "--exec-get-all", "-o", "table").stdout
    assert table.split() == ["t-1", "FINISHED", "e-1", "RUNNING", "s1"]
    assert json.loads(run("exec", "list", "--json").stdout) == tasks[:1]


def test_wire_details_dlicmd_got_wrong(api, run):
    """Ids and query values are URL-encoded; the default output is the server's JSON, clean."""
    result = run("dlicmd", "--exec-get", "a b")
    assert api.last.raw_path == BASE + "/execs/a%20b"
    assert json.loads(result.stdout) == BATCH
    run("dlicmd", "--exec-get-all", "--query-args", "sort_by=id:desc&q=a%2Bb c")
    assert parse_qs(api.last.raw_query) == {"sort_by": ["id:desc"], "q": ["a+b c"]}
    result = run("dlicmd", "--exec-trainlogs", "dl-1")
    assert api.last.raw_query == "logType=outerrlog" and result.stdout == "epoch 1\nepoch 2\n"
    api.requests.clear()
    missing = run("dlicmd", "--exec-get", "nope")
    assert "no route in test server" in error_line(missing, 3, "task nope")
    assert [(r.method, r.raw_path) for r in api.requests] == [("GET", BASE + "/execs/nope")]


def test_trainresult_saves_like_native(api, run, tmp_path, monkeypatch):
    def fresh_cwd(i):
        (tmp_path / str(i)).mkdir()
        monkeypatch.chdir(tmp_path / str(i))

    same_as_native(api, run, ["--exec-trainresult", "dl-1"], ["exec", "result", "dl-1"], before=fresh_cwd)
    saved = [tmp_path / str(i) / "dlicli-results" / "dl-1.zip" for i in (0, 1)]
    assert saved[0].read_bytes() == saved[1].read_bytes() == b"PK-zip"


def test_a_second_trainresult_hints_at_what_works_on_a_dlicmd_line(api, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("dlicmd", "--exec-trainresult", "dl-1").exit_code == 0
    api.requests.clear()
    again = run("dlicmd", "--exec-trainresult", "dl-1")
    error_line(again, 2, "already exists")
    hint = again.stderr.splitlines()[-1]
    assert hint.startswith("hint: move it away first (dlicmd has no --force)"), hint
    assert "pass --force" not in again.stderr and api.requests == []


@pytest.mark.parametrize(
    "dlicmd_args, native_args",
    [
        (["--rp-get-all"], ["resplan", "tree", "--json"]),
        (["--rp-get", "plan a"], ["resplan", "get", "plan a", "--json"]),
        (["--rp-delete", "plan a"], ["resplan", "delete", "plan a", "--yes"]),
    ],
    ids=lambda v: " ".join(v),
)
def test_resource_plans(api, run, dlicmd_args, native_args):
    same_as_native(api, run, dlicmd_args, native_args)


@pytest.mark.parametrize(
    "dlicmd_args, native_args",
    [
        (["--hpo-get", "h1"], ["hpo", "get", "h1", "--json"]),
        (["--hpo-get-all"], ["hpo", "list", "--json"]),
        (
            ["--hpo-get-all", "--query-args", "state=RUNNING"],
            ["api", "GET", "/hypersearch", "-f", "state=RUNNING", "--json"],
        ),
        (["--hpo-delete", "h1"], ["hpo", "delete", "h1"]),
        (["--hpo-stop", "h1", "h2"], ["hpo", "stop", "h1", "h2"]),
        (["--hpo-stop", "h1", "nope"], ["hpo", "stop", "h1", "nope"]),  # one fails: the same exit code
        (["--hpo-restart", "h1"], ["hpo", "restart", "h1"]),
        (["--hpo-delete-all"], ["hpo", "delete", "--all", "--yes"]),
        (["--hpo-algorithm-get-all"], ["hpo", "algorithm", "list", "--json"]),
        (["--hpo-algorithm-get", "Random"], ["hpo", "algorithm", "get", "Random", "--json"]),
        (["--hpo-algorithm-delete", "mine"], ["hpo", "algorithm", "delete", "mine"]),
    ],
    ids=lambda v: " ".join(v),
)
def test_hpo(api, run, dlicmd_args, native_args):
    same_as_native(api, run, dlicmd_args, native_args)


def test_hpo_start(api, run, tmp_path, model):
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "hpoName": "h1",
                "modelSpec": {"args": "--exec-start PyTorch --model-main main.py --model-dir mnist"},
                "algoDef": {"algorithm": "Random", "maxRunNum": 2, "objectiveMetric": "loss", "objective": "minimize"},
                "hyperParams": [
                    {"name": "lr", "type": "Range", "dataType": "DOUBLE", "minDbVal": 0.001, "maxDbVal": 0.1}
                ],
            }
        )
    )
    _native, _ours, sent = same_as_native(
        api,
        run,
        ["--hpo-start", str(spec), "--model-dir", str(model)],
        ["hpo", "start", str(spec), "--model-dir", str(model), "--json"],
    )
    assert [(m, p) for m, p, *_ in sent] == [("POST", BASE + "/hypersearch")]


# -- exec start --------------------------------------------------------------------------


@pytest.fixture
def model(tmp_path):
    root = tmp_path / "mnist"
    root.mkdir()
    (root / "main.py").write_text("import sys; print(sys.argv)\n")
    return root


def test_exec_start_keeps_every_data_source_and_passes_the_rest_to_the_model(env_server, run, model):
    env_server.route("POST", "/execs", body={"id": "dl-7", "appId": "app-7", "state": "SUBMITTED"})
    ds1, ds2 = '{"type": "fs", "location": {"paths": "a"}}', '[{"type": "fs", "location": {"paths": "b&c"}}]'
    dlicmd_args = [
        "--exec-start",
        "PyTorch",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--data-source",
        ds1,
        "--data-source",
        ds2,
        "--numWorker",
        "2",
        "--workerDeviceNum=1",
        "--appName",
        "my app",
        "--conda-env-name",
        "py3",
        "--cs-datastore-meta",
        "type=fs",
        "--workerMemory",
        "4g",
        "--lr",
        "0.1",
        "--name",
        "n1",
        "--",
        "--epochs",
        "2",
    ]
    native_args = [
        "exec",
        "start",
        "--framework",
        "PyTorch",
        "--model-main",
        "main.py",
        "--model-dir",
        str(model),
        "--data-source",
        ds1,
        "--data-source",
        ds2,
        "--cs-datastore-meta",
        "type=fs",
        "--num-worker",
        "2",
        "--worker-device-num",
        "1",
        "--app-name",
        "my app",
        "--conda-env-name",
        "py3",
        "--wmla-args",
        "--workerMemory 4g",
        "--json",
        "--",
        "--lr",
        "0.1",
        "--name",
        "n1",
        "--epochs",
        "2",
    ]
    _native, ours, _sent = same_as_native(env_server, run, dlicmd_args, native_args)
    assert json.loads(ours.stdout) == {"id": "dl-7", "appId": "app-7", "state": "SUBMITTED"}
    req = env_server.last
    args = parse_qs(req.raw_query)["args"][0]
    assert "+" in req.raw_query or "%20" in req.raw_query  # encoded, unlike dlicmd's glued string
    # WMLA options before `--`; the model's own args (dlicmd.py put --lr before its `--`) after it
    assert args.endswith("--workerMemory 4g -- --lr 0.1 --name n1 --epochs 2") and "--appName 'my app'" in args
    assert json.loads(req.multipart()["data"].data) == {"dataSource": [json.loads(ds1), *json.loads(ds2)]}


def test_exec_start_without_model_main_is_a_usage_error(env_server, run, model):
    result = run("dlicmd", "--exec-start", "PyTorch", "--model-dir", str(model))
    assert result.exit_code == 2 and "--model-main" in result.stderr
    assert env_server.requests == []


# -- application logs (--exec-outlogs …) -----------------------------------------------


def test_exec_outlogs_prints_driver_and_executor_logs(env_server, run):
    env_server.route("GET", "/execs/dl-1", body=BATCH)
    env_server.route(
        "GET",
        "/scheduler/applications",
        body=[{"applicationid": "app-1", "task0": {"id": 0}, "task12n": [{"id": 1}, {"id": 2}]}],
    )
    env_server.route("GET", "/scheduler/applications/app-1/driver/logs/stdout", body=b"driver\n")
    for n in (1, 2):
        env_server.route("GET", f"/scheduler/applications/app-1/executor/{n}/logs/stdout", body=f"exec {n}\n".encode())
    result = run("dlicmd", "--exec-outlogs", "dl-1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "driver\nexec 1\nexec 2\n"
    assert "==> executor 2 stdout <==" in result.stderr
    assert [(r.raw_path.removeprefix(BASE), r.raw_query) for r in env_server.requests] == [
        ("/execs/dl-1", ""),
        ("/scheduler/applications", "applicationid=app-1"),
        ("/scheduler/applications/app-1/driver/logs/stdout", ""),
        ("/scheduler/applications/app-1/executor/1/logs/stdout", ""),
        ("/scheduler/applications/app-1/executor/2/logs/stdout", ""),
    ]
    env_server.requests.clear()
    natives = [run("scheduler", "logs", "app-1", "--type", "stdout").stdout]
    natives += [run("scheduler", "logs", "app-1", "--executor", n, "--type", "stdout").stdout for n in "12"]
    assert "".join(natives) == result.stdout
    assert [r.raw_path for r in env_server.requests] == [
        BASE + path
        for path in (
            "/scheduler/applications/app-1/driver/logs/stdout",
            "/scheduler/applications/app-1/executor/1/logs/stdout",
            "/scheduler/applications/app-1/executor/2/logs/stdout",
        )
    ]


def test_exec_errlogs_of_a_task_without_application_fails(env_server, run):
    env_server.route("GET", "/execs/dl-2", body={"id": "dl-2", "state": "SUBMITTED"})
    result = run("dlicmd", "--exec-errlogs", "dl-2")
    assert result.exit_code == 1 and "no application id" in result.stderr
    assert len(env_server.requests) == 1


# -- connection: --rest-host, --jwt-token, --logon ----------------------------------------


def test_jwt_token_reaches_the_header_and_nothing_else(server, run):
    server.route("GET", "/execs", body=[])
    secret = "jwt-secret-8c1d2e3f4a5b"
    port = str(server.httpd.server_address[1])
    result = run(
        "--debug",
        "dlicmd",
        "--exec-get-all",
        "--rest-host",
        "127.0.0.1",
        "--rest-port",
        port,
        "--http",
        "--jwt-token",
        secret,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "[]\n"
    assert server.last.headers["authorization"] == f"Bearer {secret}"
    assert secret not in result.stdout and secret not in result.stderr
    assert "warning: --jwt-token" in result.stderr and "DLICLI_TOKEN" in result.stderr
    assert f"dlicli --url http://127.0.0.1:{port} --debug exec list --all --json" in result.stderr
    assert "DLICLI_TOKEN" not in os.environ  # handed over in-process, then taken back


def test_logon_is_a_console_login(server, run):
    server.route("GET", "//auth/v1/logon", body={"accessToken": "tok-from-console-123"})
    server.route("GET", "/conf", body={"MSD_ENABLED": "true"})
    port = str(server.httpd.server_address[1])
    env = {"DLICLI_CREDENTIALS_STORE": "file"}
    _native, ours, sent = same_as_native(
        server,
        run,
        [
            "--logon",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            port,
            "--http",
            "--username",
            "alice",
            "--password-stdin",
        ],
        ["--url", f"http://127.0.0.1:{port}", "login", "--console-logon", "--username", "alice", "--password-stdin"],
        input="pw-4d3c2b1a\n",
        env=env,
    )
    assert ours.exit_code == 0, ours.stderr
    assert [(m, p) for m, p, *_ in sent] == [("GET", "/auth/v1/logon"), ("GET", BASE + "/conf")]
    assert sent[1][4] == "Bearer tok-from-console-123"
    assert "pw-4d3c2b1a" not in ours.stdout + ours.stderr


def test_logon_without_a_keyring_hints_what_works_on_a_dlicmd_line(server, run):
    """No keyring to keep the token: the hint is a dlicmd line that works (dlicmd has no --store)."""
    server.route("GET", "//auth/v1/logon", body={"accessToken": "tok-from-console-123"})
    server.route("GET", "/conf", body={})
    port = str(server.httpd.server_address[1])
    logon = ["dlicmd", "--logon", "--rest-host", "127.0.0.1", "--rest-port", port, "--http", "--username", "carol"]
    result = run(*logon, "--password-stdin", input="pw\n")
    error_line(result, 2, "no usable keyring", "nothing was saved")
    hints = [line for line in result.stderr.splitlines() if line.startswith("hint: ")]
    assert len(hints) == 1 and "DLICLI_CREDENTIALS_STORE=file dlicli dlicmd --logon" in hints[0], result.stderr
    assert "`--store file`" not in hints[0]  # the native login's advice: `--store` is no dlicmd option
    assert "unknown dlicmd option --store" in run(*logon, "--password-stdin", "--store", "file").stderr
    followed = run(*logon, "--password-stdin", input="pw\n", env={"DLICLI_CREDENTIALS_STORE": "file"})
    assert followed.exit_code == 0 and "secret in file" in followed.stderr, followed.stderr


def test_logon_with_a_bad_store_in_the_environment_names_the_variable(server, run):
    port = str(server.httpd.server_address[1])
    logon = ["dlicmd", "--logon", "--rest-host", "127.0.0.1", "--rest-port", port, "--http", "--username", "carol"]
    result = run(*logon, "--password-stdin", input="pw\n", env={"DLICLI_CREDENTIALS_STORE": "vault"})
    error_line(result, 2, "unknown credential store 'vault'")
    assert "hint: set DLICLI_CREDENTIALS_STORE to keyring, file or auto\n" in result.stderr
    assert "--store" not in result.stderr and server.requests == []


@pytest.mark.parametrize(
    "args, url",
    [
        (["--rest-host", "wmla.example.com", "--rest-port", "9243"], "https://wmla.example.com:9243"),
        (["--master-host=wmla", "--dli-rest-port=-1"], "https://wmla"),
        (["--rest-host", "wmla", "--rest-port", "-1"], "https://wmla"),  # a negative number is a value
        (["--rest-host", "wmla"], "https://wmla"),
        (["--rest-host", "h", "--rest-port", "80", "--http"], "http://h:80"),
        (["--rest-host", "h", "--rest-protocol", "HTTP"], "http://h"),
        (["--rest-host", "::1", "--rest-port", "9243"], "https://[::1]:9243"),
        ([], None),
    ],
)
def test_rest_host_and_port_give_the_url(args, url):
    assert dlicmdargs.translate(["--exec-get-all", *args]).url == url


# -- bad input: exit 2, one error line, no request ---------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["--exec-get-all", "--frobnicate"], ["unknown dlicmd option --frobnicate"]),
        (
            ["--exec-tranoutlogs", "dl-1"],
            ["unknown dlicmd option --exec-tranoutlogs", "did you mean --exec-trainoutlogs?"],
        ),
        (["--app-get-all"], ["--app-get-all", "dlicli scheduler apps"]),
        (["--logoff"], ["--logoff", "dlicli logout"]),
        (["--logon", "--username", "u", "--password", "pw"], ["--password", "--password-stdin"]),
        (["--exec-get-all", "-o", "custom-columns=id,state"], ["custom-columns"]),
        (["--exec-get", "dl-1", "--exec-stop", "dl-1"], ["two dlicmd commands"]),
        ([], ["no dlicmd command"]),
        (["--rest-host", "h"], ["no dlicmd command"]),
        (["--exec-get"], ["--exec-get needs a value"]),
        (["--exec-get", "dl-1", "extra"], ["unexpected argument 'extra'"]),
        (["--exec-get", "dl-1", "--model-main", "m.py"], ["--model-main does not go with --exec-get"]),
        (["--exec-get-all", "--rest-port", "9243"], ["need --rest-host"]),
        (["--exec-get-all", "--rest-host", "h", "--rest-port", "http"], ["--rest-port must be a port"]),
        (["--exec-get-all", "--query-args", "novalue"], ["--query-args is not k=v"]),
        (["--exec-deploy", "dl-1", "--kernel", "k.py"], ["--exec-deploy needs --name"]),
        (["--exec-deploy", "dl-1", "--name", "n", "--kernel", "k", "--attributes", "a"], ["--attributes wants"]),
        (["--exec-start", "PyTorch", "--model-main", "m.py", "--conda-env-yaml", "e.yml"], ["--conda-env-yaml"]),
        (["--hpo-start", "spec.json"], ["--hpo-start needs --model-dir"]),
        (["--exec-get-all", "--jwt-token", ""], ["--jwt-token is empty"]),
    ],
)
def test_bad_input_exits_2_without_a_request(env_server, run, args, words):
    result = run("dlicmd", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("error: ") == 1
    for word in words:
        assert word in result.stderr
    assert env_server.requests == []


# a flag that needs a value, then an option or nothing → (what dlicmd runs, the one error line)
NO_VALUE = [
    (
        ["--rest-host", "HOST", "--rest-port", "PORT", "--http", "--exec-delete", "--all"],
        "dlicmd --exec-delete needs a value (a task ID), not the option --all; "
        "a value that starts with - goes as --exec-delete=VALUE",
    ),
    (
        ["--exec-get", "--rest-host", "HOST", "--rest-port", "PORT", "--http"],
        "dlicmd --exec-get needs a value (a task ID), not the option --rest-host",
    ),
    (
        ["--rest-host", "HOST", "--rest-port", "PORT", "--exec-get", "--http"],
        "dlicmd --exec-get needs a value (a task ID), not the option --http",
    ),
    (
        ["--rest-host", "HOST", "--rest-port", "PORT", "--http", "--exec-get"],
        "dlicmd --exec-get needs a value (a task ID)",
    ),
    (
        ["--hpo-stop", "--rest-host", "HOST", "--rest-port", "PORT", "--http"],
        "dlicmd --hpo-stop needs a value (one or more search names), not the option --rest-host",
    ),
    (
        ["--exec-get-all", "--rest-host", "HOST", "--rest-port", "PORT", "--jwt-token", "--http"],
        "dlicmd --jwt-token needs a value (a token), not an option",  # what came instead is not echoed
    ),
    (
        ["--exec-get-all", "-o", "--rest-host", "HOST", "--rest-port", "PORT", "--http"],
        "dlicmd -o needs a value (json, table or yaml), not the option --rest-host",
    ),
    (
        ["--rest-host", "HOST", "--rest-port", "PORT", "--http", "--logon", "--username", "--password-stdin"],
        "dlicmd --username needs a value (a user name), not the option --password-stdin",
    ),
    (
        [
            "--exec-start",
            "PyTorch",
            "--model-dir",
            "MODEL",
            "--model-main",
            "main.py",
            "--workerDeviceType",
            "--lr",
            "0.1",
            "--rest-host",
            "HOST",
            "--rest-port",
            "PORT",
            "--http",
        ],
        "dlicmd --workerDeviceType needs a value (cpu or gpu), not the option --lr; "
        "a value that starts with - goes as --workerDeviceType=VALUE",
    ),
]


@pytest.mark.parametrize("args, line", NO_VALUE, ids=[" ".join(args)[:50] for args, _ in NO_VALUE])
def test_a_flag_never_takes_the_next_option_as_its_value(server, run, monkeypatch, model, args, line):
    """dlicmd.py's argparse refused `--exec-delete --all`: it must not become `exec delete --all`."""
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    port = str(server.httpd.server_address[1])
    fill = {"HOST": "127.0.0.1", "PORT": port, "MODEL": str(model)}
    result = run("dlicmd", *[fill.get(arg, arg) for arg in args], input="y\n")
    assert error_line(result, 2, stdout="") == f"error: {line}"
    assert result.stderr == f"error: {line}\n"  # that one line only: no hint, no prompt
    assert server.requests == []


def test_a_bad_wmla_option_value_is_named_as_given_on_the_dlicmd_line(server, run, model):
    args = ["--exec-start", "PyTorch", "--model-dir", str(model), "--model-main", "main.py", "--numPs", "x"]
    result = run("dlicmd", *args, "--rest-host", "127.0.0.1", "--rest-port", str(server.httpd.server_address[1]))
    assert error_line(result, 2) == "error: dlicmd option --numPs must be a whole number, not 'x'"
    assert "--wmla-args" not in result.stderr and server.requests == []


@pytest.mark.parametrize(
    "dlicmd_args, native_args, last",
    [
        (["--exec-delete=--all"], ["exec", "delete", "--", "--all"], ("DELETE", "/execs/--all")),
        (["--exec-get", "-1"], ["exec", "get", "--json", "--", "-1"], ("GET", "/execs/-1")),
        (["--hpo-stop", "h1", "-2"], ["hpo", "stop", "--", "h1", "-2"], ("PUT", "/hypersearch/-2")),
    ],
    ids=["--exec-delete=--all", "--exec-get -1", "--hpo-stop h1 -2"],
)
def test_a_value_that_starts_with_a_dash_stays_a_value(api, run, dlicmd_args, native_args, last):
    """argparse took `--opt=-x` and negative numbers as values: they reach the server as one, never
    as an option of the dlicli command (`--exec-delete=--all` deletes the task so named, or none)."""
    _native, ours, sent = same_as_native(api, run, dlicmd_args, native_args)
    assert (sent[-1][0], sent[-1][1]) == (last[0], BASE + last[1])
    assert ours.exit_code == 3, ours.stderr  # no such task or search on the test server


def test_translation_is_a_pure_function():
    t = dlicmdargs.translate(["--exec-start", "tf", "--model-main", "m.py", "--cs-url-bearer", "b3arer", "--x"])
    assert t.steps == [
        [
            "exec",
            "start",
            "--framework",
            "tf",
            "--model-main",
            "m.py",
            "--wmla-args",
            "--cs-url-bearer b3arer",
            "--json",
            "--",
            "--x",
        ]
    ]
    assert "b3arer" not in t.shown(t.steps[0])
    with pytest.raises(UsageError):
        dlicmdargs.translate(["--exec-get-all", "--nope"])


def test_what_argparse_took_as_a_value_is_one():
    """A negative number, `-`, a word with a space and `--opt=-x` are values; after `--`, nothing is read."""

    def steps(*args: str) -> list[list[str]]:
        return dlicmdargs.translate(list(args)).steps

    assert steps("--exec-get=-x") == [["exec", "get", "--json", "--", "-x"]]
    assert steps("--hpo-delete", "a", "-1", "-") == [["hpo", "delete", "--", "a", "-1", "-"]]
    assert steps("--hpo-start", "-", "--model-dir", "d") == [["hpo", "start", "--model-dir", "d", "--json", "--", "-"]]
    deploy = ["exec", "deploy", "--name", "n", "--kernel", "k", "--json", "--", "-9"]
    assert steps("--exec-deploy", "-9", "--name", "n", "--kernel", "k") == [deploy]
    start = steps("--exec-start", "tf", "--model-main", "m.py", "--edt-options", "-np 4", "--", "--lr", "--epochs")
    wmla = ["--wmla-args", "--edt-options '-np 4'"]
    assert start == [
        ["exec", "start", "--framework", "tf", "--model-main", "m.py", *wmla, "--json", "--", "--lr", "--epochs"]
    ]
    assert dlicmdargs.translate(["--exec-get-all", "--rest-host", "h", "--rest-port", "-1"]).url == "https://h"


# -- end to end: a real engine -------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from tests.engine_http.conftest import EngineProc, kill_left_tasks

    proc = EngineProc(
        tmp_path_factory.mktemp("dlicmd-engine") / "data", ("--port", "0", "--slots", "2", "--grace-seconds", "2")
    )
    yield proc
    proc.stop()
    kill_left_tasks(proc.data_dir)


@pytest.fixture
def on_engine(engine, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", engine.url)
    monkeypatch.setenv("DLICLI_TOKEN", engine.token)
    return engine


@pytest.mark.slow
def test_end_to_end_against_the_engine(on_engine, run, tmp_path, monkeypatch):
    model = tmp_path / "mnist"
    model.mkdir()
    (model / "main.py").write_text(
        "import os, sys\n"
        "print('args', sys.argv[1:])\n"
        "print('oops', file=sys.stderr)\n"
        "open(os.path.join(os.environ['RESULT_DIR'], 'model.txt'), 'w').write('weights')\n"
    )
    common = ["--model-dir", str(model), "--model-main", "main.py", "--numWorker", "1"]
    ours = run("dlicmd", "--exec-start", "python", *common, "--", "--lr", "0.1")
    native = run(
        "exec",
        "start",
        "--framework",
        "python",
        "--model-dir",
        str(model),
        "--model-main",
        "main.py",
        "--num-worker",
        "1",
        "--json",
        "--",
        "--lr",
        "0.1",
    )
    assert ours.exit_code == native.exit_code == 0, ours.stderr + native.stderr
    mine, theirs = json.loads(ours.stdout), json.loads(native.stdout)
    assert set(mine) == set(theirs) and mine["id"] != theirs["id"]
    assert run("exec", "wait", mine["id"], theirs["id"], "--timeout", "60").exit_code == 0

    def same(dlicmd_args, native_args):
        a, b = run("dlicmd", *dlicmd_args), run(*native_args)
        assert (a.exit_code, a.stdout) == (b.exit_code, b.stdout), a.stderr + b.stderr
        return a

    got = same(["--exec-get", mine["id"]], ["exec", "get", mine["id"], "--json"])
    assert json.loads(got.stdout)["state"] == "FINISHED"
    assert json.loads(got.stdout)["args"] == json.loads(run("exec", "get", theirs["id"], "--json").stdout)["args"]
    logs = same(["--exec-trainoutlogs", mine["id"]], ["exec", "logs", mine["id"], "--stdout"])
    assert "args ['--lr', '0.1']" in logs.stdout
    assert logs.stdout == run("exec", "logs", theirs["id"]).stdout
    assert "oops" in same(["--exec-trainerrlogs", mine["id"]], ["exec", "logs", mine["id"], "--stderr"]).stdout
    both = same(
        ["--exec-trainlogs", mine["id"]],
        ["api", "GET", f"/execs/{mine['id']}/log", "-f", "logType=outerrlog", "-H", "Accept: text/plain"],
    )
    assert "args ['--lr', '0.1']" in both.stdout.splitlines() and "oops" in both.stdout.splitlines(), both.stdout
    assert mine["id"] in same(["--exec-get-all"], ["exec", "list", "--all", "--json"]).stdout
    same(["--dl-frameworks"], ["exec", "frameworks", "--json"])
    monkeypatch.chdir(tmp_path)
    assert run("dlicmd", "--exec-trainresult", mine["id"]).exit_code == 0
    assert [p.name for p in (tmp_path / "dlicli-results").iterdir()] == [f"{mine['id']}.zip"]
    assert run("dlicmd", "--exec-delete", theirs["id"]).exit_code == 0
    gone = same(["--exec-get", theirs["id"]], ["exec", "get", theirs["id"], "--json"])
    assert error_line(gone, 3) == f"error: task {theirs['id']} not found"


def test_a_token_after_the_double_dash_is_refused_and_nothing_sent(env_server, run, tmp_path):
    (tmp_path / "m.py").write_text("print(1)\n")
    result = run(
        "dlicmd",
        "--exec-start",
        "PyTorch",
        "--model-main",
        str(tmp_path / "m.py"),
        "--",
        "--lr",
        "0.1",
        "--jwt-token",
        "s3cr3t-value",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --jwt-token after `--` would reach the task's args")
    assert "s3cr3t-value" not in result.stdout + result.stderr
    assert env_server.requests == []
