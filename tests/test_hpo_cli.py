"""`dlicli hpo …` against the recording server: the requests that arrive, what is printed, exit codes."""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import time
from datetime import datetime

import pytest
import yaml

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import BASE

SPEC = {
    "hpoName": "search-1",
    "modelSpec": {"args": "--exec-start python --model-main main.py --model-dir mnist"},
    "algoDef": {
        "algorithm": "Tpe",
        "maxJobNum": 6,
        "maxParalleJob": 2,
        "objectiveMetric": "acc",
        "objective": "maximize",
        "algoParams": [{"name": "RandomSeed", "value": 3}],
    },
    "hyperParams": [
        {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": "1e-3", "maxDbVal": 0.5},
        {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["adam", "sgd"]},
    ],
}
SENT = json.loads(json.dumps(SPEC))
SENT["algoDef"]["algoParams"][0]["value"] = "3"
SENT["hyperParams"][0]["minDbVal"] = 0.001
SENT["hyperParams"][1] = {"name": "opt", "type": "Discrete", "dataType": "str", "discreateStrVal": ["adam", "sgd"]}


def hp(name, dtype, value):
    return {"name": name, "dataType": dtype, "fixedVal": value, "type": "fix", "userDefined": True}


def exp(ident, state, metric, lr, opt):
    return {
        "id": ident,
        "state": state,
        "metricVal": metric,
        "appId": f"app-{ident}",
        "hyperParams": [hp("lr", "double", lr), hp("opt", "str", opt)],
    }


EXPS = [
    exp(1, "FINISHED", 0.81, "0.01", "adam"),
    exp(2, "FAILED", None, "0.3", "sgd"),
    exp(3, "FINISHED", 0.93, "0.05", "sgd"),
    exp(4, "RUNNING", None, "0.2", "adam"),
]
TASK = {
    "hpoName": "search-1",
    "state": "RUNNING",
    "running": 1,
    "complete": 2,
    "failed": 1,
    "progress": "4/6",
    "duration": "3m",
    "creator": "alice",
    "createtime": "2024-01-01",
    "best": EXPS[2],
    "experiments": EXPS,
}


def calls(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


@pytest.fixture
def model(tmp_path):
    root = tmp_path / "mnist"
    (root / "lib").mkdir(parents=True)
    (root / "main.py").write_text("print('train')\n")
    (root / "lib" / "net.py").write_text("net = 1\n")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_text("")
    return root


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    return path


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")


def sent(server):
    req = server.last
    assert (req.method, req.path) == ("POST", BASE + "/hypersearch")
    parts = req.multipart()
    return req, json.loads(parts["data"].data), parts["file"]


def tar_names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return tf.getnames()


# -- start ---------------------------------------------------------------------------------------


def test_start_sends_the_validated_spec_and_the_model_tar(env_server, run, spec_file, model):
    env_server.route("POST", "/hypersearch", body={"uid": "search-1", "href": "/hypersearch/search-1"})
    result = run("hpo", "start", str(spec_file), "--model-dir", str(model))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "search-1\n"
    assert "follow it with: dlicli hpo wait search-1 --follow" in result.stderr
    req, data, part = sent(env_server)
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert int(req.headers["content-length"]) == len(req.body)
    assert list(req.multipart()) == ["data", "file"]
    assert data == SENT
    assert part.filename == "mnist.modelDir.tar"
    assert tar_names(part.data) == ["mnist", "mnist/lib", "mnist/lib/net.py", "mnist/main.py"]


def test_start_json_spec_model_found_from_args_next_to_the_spec(env_server, run, tmp_path, model):
    env_server.route("POST", "/hypersearch", body="search-1")
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    result = run("hpo", "start", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == '"search-1"\n'
    _, data, part = sent(env_server)
    assert data == SENT and part.filename == "mnist.modelDir.tar"


def test_start_renames_model_dir_in_args_to_what_is_uploaded(env_server, run, spec_file, tmp_path):
    env_server.route("POST", "/hypersearch", body={"uid": "search-1"})
    other = tmp_path / "my model"
    (other / "src").mkdir(parents=True)
    (other / "src" / "train.py").write_text("")
    result = run(
        "hpo", "start", str(spec_file), "--model-dir", str(other), "--model-main", "src/train.py", "--name", "renamed"
    )
    assert result.exit_code == 0, result.stderr
    _, data, part = sent(env_server)
    assert data["hpoName"] == "renamed"
    assert data["modelSpec"]["args"] == "--exec-start python --model-main src/train.py --model-dir 'my model'"
    assert "warning: modelSpec.args: --model-dir mnist → my model (what is uploaded)" in result.stderr
    assert part.filename == "my model.modelDir.tar"


def test_start_builds_args_from_framework_and_uploads_a_single_file(env_server, run, tmp_path, model):
    env_server.route("POST", "/hypersearch", body={"uid": "x-1"})
    body = {k: v for k, v in SPEC.items() if k != "modelSpec"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(body))
    result = run("hpo", "start", str(path), "--framework", "PyTorch", "--model-file", str(model / "main.py"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "x-1\n"
    _, data, part = sent(env_server)
    assert data["modelSpec"] == {"args": "--exec-start PyTorch --model-main main.py"}
    assert (part.filename, part.data) == ("main.py", b"print('train')\n")


@pytest.mark.parametrize(
    "extra,message",
    [
        ([], "error: no model to upload"),
        (["--model-dir", "D", "--model-file", "F"], "error: give --model-dir or --model-file, not both"),
        (["--model-file", "nope.py"], "error: --model-file nope.py: no such file"),
        (["--wait", "--follow"], "error: --wait and --follow cannot be used together"),
        (["--timeout", "3"], "error: --timeout needs --wait or --follow"),
    ],
)
def test_start_model_and_option_errors_send_nothing(env_server, run, tmp_path, extra, message):
    body = dict(SPEC, modelSpec={"args": "--exec-start python"})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(body))
    result = run("hpo", "start", str(path), *extra)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message
    assert env_server.requests == []


def test_start_main_missing_in_dir_sends_nothing(env_server, run, spec_file, model):
    result = run("hpo", "start", str(spec_file), "--model-dir", str(model), "--model-main", "nope.py")
    assert result.exit_code == 2
    assert "--model-main nope.py not found in the model directory" in result.stderr
    assert env_server.requests == []


def _script(server, *states):
    """GET /hypersearch/search-1 answers each state once, in order, then the last forever."""
    server.route("GET", "/hypersearch/search-1", body=dict(TASK, state=states[-1]))
    for state in reversed(states[:-1]):
        server.route("GET", "/hypersearch/search-1", body=dict(TASK, state=state), times=1)


@pytest.mark.parametrize("final,code", [("FINISHED", 0), ("FAILED", 10), ("STOPPED", 11)])
def test_start_wait_exit_code_is_the_outcome(env_server, run, spec_file, model, final, code):
    env_server.route("POST", "/hypersearch", body={"uid": "search-1"})
    _script(env_server, "SUBMITTED", "RUNNING", final)
    result = run("hpo", "start", str(spec_file), "--model-dir", str(model), "--wait")
    assert result.exit_code == code, result.stderr
    assert result.stdout == "search-1\n"
    assert [c[:2] for c in calls(env_server)] == [("POST", "/hypersearch")] + [("GET", "/hypersearch/search-1")] * 3
    assert "search-1: RUNNING (4/6)" in result.stderr
    if code:
        assert f"error: hpo task search-1 ended {final}" in result.stderr
    else:
        assert "hint: the best parameters: dlicli hpo best search-1" in result.stderr


def test_start_wait_timeout_exits_8(env_server, run, spec_file, model):
    env_server.route("POST", "/hypersearch", body={"uid": "search-1"})
    _script(env_server, "RUNNING")
    result = run("hpo", "start", str(spec_file), "--model-dir", str(model), "--wait", "--timeout", "0")
    assert result.exit_code == 8
    assert "error: hpo task search-1 still RUNNING after 0s" in result.stderr


def test_start_follow_piped_prints_experiment_changes_to_stderr(env_server, run, spec_file, model):
    env_server.route("POST", "/hypersearch", body={"uid": "search-1"})
    _script(env_server, "RUNNING", "FINISHED")
    result = run("hpo", "start", str(spec_file), "--model-dir", str(model), "--follow")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "search-1\n"
    lines = result.stderr.splitlines()
    assert "search-1: experiment 3 FINISHED metric=0.93" in lines
    assert "search-1: experiment 2 FAILED" in lines
    assert lines.count("search-1: experiment 3 FINISHED metric=0.93") == 1  # only changes


# -- list, get, best, wait -----------------------------------------------------------------------


def test_list_piped_and_json(env_server, run):
    env_server.route("GET", "/hypersearch", body=[TASK, {"hpoName": "b", "state": "FINISHED"}])
    result = run("hpo", "list")
    assert result.exit_code == 0, result.stderr
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(datetime(2024, 1, 1).timestamp()))  # server-local
    assert result.stdout.splitlines() == [
        f"search-1\tRUNNING\t4/6\t0.93\t1\t2\t1\t3m00s\talice\t{created}",
        "b\tFINISHED\t\t\t\t\t\t\t\t",
    ]
    result = run("hpo", "list", "--json")
    assert result.stdout == json.dumps([TASK, {"hpoName": "b", "state": "FINISHED"}], indent=2) + "\n"


def test_list_empty_json(env_server, run):
    env_server.route("GET", "/hypersearch", body=[])
    result = run("hpo", "list", "-o", "json")
    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_get_ranks_best_first_marks_it_and_puts_failed_last(env_server, run):
    env_server.route("GET", "/hypersearch/search-1", body=dict(TASK, algoDef={"objective": "Maximize"}))
    result = run("hpo", "get", "search-1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [  # maximize, as the search's algoDef says
        "BEST\tID\tEXEC\tSTATE\tMETRIC\tDURATION\tREASON\tlr\topt",
        "*\t3\tapp-3\tFINISHED\t0.93\t\t\t0.05\tsgd",
        "\t1\tapp-1\tFINISHED\t0.81\t\t\t0.01\tadam",
        "\t4\tapp-4\tRUNNING\t\t\t\t0.2\tadam",
        "\t2\tapp-2\tFAILED\t\t\t\t0.3\tsgd",
    ]
    assert result.stderr.splitlines() == [
        "search-1  RUNNING  progress 4/6  running 1  complete 2  failed 1  duration 3m00s",
        "best: experiment 3  metric=0.93  (maximize)  lr=0.05, opt=sgd",
    ]


def test_get_objective_from_the_task_or_the_option(env_server, run):
    task = dict(TASK, best=None, objective="Minimize", objectiveMetric="loss")
    env_server.route("GET", "/hypersearch/search-1", body=task)
    result = run("hpo", "get", "search-1")
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == ["ID", "1", "3", "4", "2"]
    assert "best: experiment 1  loss=0.81  (minimize)" in result.stderr
    result = run("hpo", "get", "search-1", "--objective", "maximize")
    assert [line.split("\t")[1] for line in result.stdout.splitlines()] == ["ID", "3", "1", "4", "2"]
    result = run("hpo", "get", "search-1", "--objective", "up")
    assert result.exit_code == 2 and len(env_server.requests) == 2


def test_get_json_is_exact_and_quotes_the_name(env_server, run):
    env_server.route("GET", "/hypersearch/a b", body=TASK)
    result = run("hpo", "get", "a b", "--json")
    assert result.stdout == json.dumps(TASK, indent=2) + "\n"
    assert env_server.last.raw_path == BASE + "/hypersearch/a%20b"


@pytest.mark.parametrize(
    "args,expected",
    [
        ([], '{\n  "lr": 0.05,\n  "opt": "sgd"\n}\n'),
        (["-o", "yaml"], "lr: 0.05\nopt: sgd\n"),
    ],
)
def test_best_prints_typed_flat_params(env_server, run, args, expected):
    env_server.route("GET", "/hypersearch/search-1", body=TASK)
    result = run("hpo", "best", "search-1", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_best_without_server_best_ranks_itself(env_server, run):
    task = dict(
        TASK,
        best=None,
        experiments=[
            exp(1, "FINISHED", 2.0, "0.1", "adam"),
            {**exp(2, "FINISHED", 1.0, "0.2", "sgd"), "hyperParams": [hp("units", "int", "64")]},
        ],
    )
    env_server.route("GET", "/hypersearch/search-1", body=task)
    result = run("hpo", "best", "search-1", "--objective", "minimize")
    assert json.loads(result.stdout) == {"units": 64}


def test_best_exit_3_when_nothing_finished(env_server, run):
    env_server.route("GET", "/hypersearch/search-1", body=dict(TASK, best=None, experiments=EXPS[1:2] + EXPS[3:]))
    result = run("hpo", "best", "search-1")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: hpo task search-1 has no finished experiment yet (RUNNING)")


def test_wait_json_prints_the_final_task(env_server, run):
    _script(env_server, "RUNNING", "FINISHED")
    result = run("hpo", "wait", "search-1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == dict(TASK, state="FINISHED")


# -- stop, restart, delete -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,method,path",
    [
        (["stop", "a"], "PUT", "/hypersearch/a"),
        (["stop", "a", "--force"], "PUT", "/hypersearch/a/force"),
        (["restart", "a"], "PUT", "/hypersearch/a/restart"),
        (["delete", "a"], "DELETE", "/hypersearch/a"),
    ],
)
def test_verbs(env_server, run, args, method, path):
    env_server.route(method, path, status=204)
    result = run("hpo", *args)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [(method, path, "")]
    assert (result.stdout, result.stderr) == ("", "a\n")


def test_stop_already_stopped_is_400_and_several_go_on(env_server, run):
    env_server.route("PUT", "/hypersearch/a", status=400, body={"message": "the hpo task is already stopped"})
    env_server.route("PUT", "/hypersearch/b", status=204)
    result = run("hypersearch", "stop", "a", "b")
    assert result.exit_code == 2
    assert [p for _, p, _ in calls(env_server)] == ["/hypersearch/a", "/hypersearch/b"]
    assert result.stderr.splitlines()[-1] == "error: could not stop 1 of 2 hpo tasks: a"


def test_delete_all(env_server, run):
    env_server.route("DELETE", "/hypersearch", status=204)
    result = run("hpo", "delete", "--all")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'error: cannot ask "Delete ALL your hpo tasks on {env_server.url}?": stdin is not a terminal',
        "hint: confirm with --yes: dlicli hpo delete --all --yes",
    ]
    assert env_server.requests == []
    result = run("hpo", "delete", "--all", "--yes")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("DELETE", "/hypersearch", "")]
    assert result.stderr.splitlines()[-1].endswith("deleted all your hpo tasks")


@pytest.mark.parametrize(
    "args,message", [([], "error: no hpo task to delete"), (["a", "--all"], "error: give names or --all, not both")]
)
def test_delete_usage(env_server, run, args, message):
    result = run("hpo", "delete", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message
    assert env_server.requests == []


# -- algorithms ----------------------------------------------------------------------------------

ALGOS = [
    {"name": "Tpe", "type": "BUILD_IN"},
    {"name": "mine", "type": "USER_PLUGIN", "path": "/p", "condaEnv": "e", "creator": "al", "createtime": "t"},
]


def test_algorithm_list(env_server, run):
    env_server.route("GET", "/hypersearch/algorithm", body=ALGOS)
    result = run("hpo", "algorithm", "list", "--type", "user_plugin")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", "/hypersearch/algorithm", "type=USER_PLUGIN")]
    assert result.stdout.splitlines() == ["Tpe\tBUILD_IN\t\t\t\t", "mine\tUSER_PLUGIN\t/p\te\tal\tt"]
    result = run("hpo", "algorithm", "list", "--json")
    assert result.stdout == json.dumps(ALGOS, indent=2) + "\n"
    assert calls(env_server)[-1] == ("GET", "/hypersearch/algorithm", "")
    result = run("hpo", "algorithm", "list", "--type", "other")
    assert result.exit_code == 2 and len(env_server.requests) == 2


def test_algorithm_get_and_delete(env_server, run):
    env_server.route("GET", "/hypersearch/algorithm/mine", body=ALGOS[1])
    env_server.route("DELETE", "/hypersearch/algorithm/mine", status=204)
    result = run("hpo", "algorithm", "get", "mine", "--json")
    assert result.stdout == json.dumps(ALGOS[1], indent=2) + "\n"
    result = run("hpo", "algorithm", "delete", "mine")
    assert result.exit_code == 0
    assert calls(env_server)[-1] == ("DELETE", "/hypersearch/algorithm/mine", "")


@pytest.fixture
def plugin(tmp_path):
    root = tmp_path / "myalgo"
    root.mkdir()
    (root / "optimizer.py").write_text(
        textwrap.dedent("""\
        import random
        from plugins.core.base_plugin_opt import BasePluginOptimizer


        class PluginOptimizer(BasePluginOptimizer):
            def __init__(self, name, hyper_parameters, **kwargs):
                super().__init__(name, hyper_parameters, **kwargs)
                self.rng = random.Random(int(kwargs.get("RandomSeed", "0")))
                self.hps = hyper_parameters
                self.kwargs = kwargs

            def search(self, number_samples, last_exp_results):
                if self.kwargs.get("Mode") == "bad":
                    return [{"lr": 99.0, "opt": "adam", "x": 1}]
                if self.kwargs.get("Mode") == "boom":
                    raise ValueError("boom")
                out = []
                for _ in range(number_samples):
                    s = {}
                    for hp in self.hps:
                        assert hp["type"] in ("Range", "Discrete") and hp["dataType"] in ("DOUBLE", "INT", "STR")
                        if hp["type"] == "Range":
                            s[hp["name"]] = self.rng.uniform(hp["minDbVal"], hp["maxDbVal"])
                        else:
                            s[hp["name"]] = self.rng.choice(hp["discreateStrVal"])
                    out.append(s)
                return out

            def get_state(self):
                return self.rng.getstate()

            def set_state(self, state):
                self.rng.setstate(state)
        """)
    )
    (root / "__pycache__").mkdir()
    return root


def test_algorithm_install_by_upload(env_server, run, plugin):
    env_server.route("POST", "/hypersearch/algorithm/install", body={"uid": "mine", "href": "/x/mine"})
    result = run(
        "hpo",
        "algorithm",
        "install",
        "mine",
        "--dir",
        str(plugin),
        "--conda-env",
        "py3",
        "--remote-exec",
        "--log-level",
        "debug",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "mine\n"
    parts = env_server.last.multipart()
    assert json.loads(parts["data"].data) == {
        "name": "mine",
        "condaEnv": "py3",
        "remoteExec": True,
        "logLevel": "DEBUG",
    }
    assert parts["file"].filename == "myalgo.tar"
    assert tar_names(parts["file"].data) == ["myalgo", "myalgo/optimizer.py"]


def test_algorithm_install_by_server_path(env_server, run):
    env_server.route("POST", "/hypersearch/algorithm/install", body={"uid": "mine"})
    result = run("hpo", "algorithm", "install", "mine", "--path", "/opt/algos/mine", "--json")
    assert result.stdout == json.dumps({"uid": "mine"}, indent=2) + "\n"
    parts = env_server.last.multipart()
    assert json.loads(parts["data"].data) == {"name": "mine", "path": "/opt/algos/mine"}


@pytest.mark.parametrize(
    "args,message",
    [
        (["mine"], "error: give --dir DIR (upload) or --path SERVER_PATH (on the server), one of them"),
        (["mine", "--dir", "/nonexistent-dir"], "error: --dir /nonexistent-dir: no such directory"),
        (["mine", "--path", "/p", "--log-level", "loud"], "error: --log-level must be one of"),
    ],
)
def test_algorithm_install_errors_send_nothing(env_server, run, args, message):
    result = run("hpo", "algorithm", "install", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(message)
    assert env_server.requests == []


def test_algorithm_install_needs_optimizer_py(env_server, run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("hpo", "algorithm", "install", "x", "--dir", str(tmp_path / "empty"))
    assert result.exit_code == 2 and "has no optimizer.py" in result.stderr
    assert env_server.requests == []


def test_algorithm_debug_saves_the_file(env_server, run, spec_file, tmp_path):
    env_server.route(
        "POST",
        "/hypersearch/algorithm/debug",
        body=b'{"format": "x"}',
        headers={"Content-Disposition": 'attachment; filename="task_attr.json"'},
    )
    result = run("hpo", "algorithm", "debug", str(spec_file), "-O", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "task_attr.json").read_bytes() == b'{"format": "x"}'
    assert env_server.last.json() == SENT
    again = run("hpo", "algorithm", "debug", str(spec_file), "-O", str(tmp_path / "task_attr.json"))
    assert error_line(again, 2, "task_attr.json already exists")
    assert len(env_server.requests) == 1  # refused before any request
    result = run("hpo", "algorithm", "debug", str(spec_file), "-O", "-")
    assert result.stdout == '{"format": "x"}'


def test_algorithm_debug_invalid_spec_sends_nothing(env_server, run, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(dict(SPEC, algoDef={"algorithm": "Tpe"})))
    result = run("hpo", "algorithm", "debug", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:3] == [
        "  algoDef.objectiveMetric: required: the metric to optimise, as named in val_dict_list.json",
        "  algoDef.objective: required: minimize or maximize",
    ]
    assert env_server.requests == []


# -- algorithm test: a plugin's search() against simulated results, no server --------------------------


def test_algorithm_test_runs_the_plugin(run, plugin, spec_file):
    result = run("hpo", "algorithm", "test", str(plugin), "--spec", str(spec_file), "--rounds", "2", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["round"], r["id"]) for r in rows] == [(1, 1), (1, 2), (2, 3), (2, 4)]  # maxParalleJob 2
    for row in rows:
        assert 0.001 <= row["hyperparameters"]["lr"] <= 0.5 and row["hyperparameters"]["opt"] in ("adam", "sgd")
    assert "4 experiments; stopped after --rounds 2" in result.stderr
    again = run("hpo", "algorithm", "test", str(plugin), "--spec", str(spec_file), "--rounds", "2", "--json")
    assert again.stdout == result.stdout  # seeded plugin, seeded simulation
    capped = run("hpo", "algorithm", "test", str(plugin), "--spec", str(spec_file), "--rounds", "9", "--json")
    assert len(json.loads(capped.stdout)) == 6  # maxJobNum
    assert "maxJobNum (6) reached" in capped.stderr


@pytest.mark.parametrize(
    "mode,message",
    [
        ("bad", "error: the plugin's suggestions had 2 problems"),
        ("boom", "error: the plugin failed in search: ValueError: boom"),
    ],
)
def test_algorithm_test_fails_on_a_broken_plugin(run, plugin, tmp_path, mode, message):
    body = json.loads(json.dumps(SPEC))
    body["algoDef"]["algoParams"].append({"name": "Mode", "value": mode})
    body["algoDef"]["algorithm"] = "mine"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(body))
    result = run("hpo", "algorithm", "test", str(plugin), "--spec", str(path), "--rounds", "1")
    assert result.exit_code == 1
    assert message in result.stderr
    if mode == "bad":
        assert "round 1, experiment 1: x: not a hyper-parameter of the spec" in result.stderr
        assert "round 1, experiment 1: lr=99.0: outside [0.001, 0.5]" in result.stderr


def test_follow_on_a_terminal_shows_the_live_table(env_server):
    import os
    import pty
    import subprocess
    import sys

    _script(env_server, "RUNNING", "FINISHED")
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli", "hpo", "wait", "search-1", "--follow"],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=dict(os.environ, TERM="xterm", COLUMNS="120"),
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        err = proc.communicate(timeout=60)[1].decode()
    finally:
        os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, err
    assert "BEST" in screen and "STATE" in screen and "opt" in screen
    assert "search-1  FINISHED" in screen
    assert "0.93" in screen
    assert "hint: the best parameters: dlicli hpo best search-1" in err
    assert "experiment 3" not in err  # the table is the view; no change lines


def test_algorithm_test_reads_the_debug_file(run, plugin, tmp_path):
    attrs = {
        "format": "dlicli.task_attr/1",
        "name": "t",
        "algorithm": "mine",
        "objective": "minimize",
        "objectiveMetric": "loss",
        "maxJobNum": 3,
        "maxParalleJobNum": 1,
        "hyper_parameters": [{"name": "opt", "type": "Discrete", "dataType": "STR", "discreateStrVal": ["a", "b"]}],
        "kwargs": {"RandomSeed": "5", "objective": "minimize", "objectiveMetric": "loss", "maxJobNum": "3"},
    }
    path = tmp_path / "task_attr.json"
    path.write_text(json.dumps(attrs))
    result = run("hpo", "algorithm", "test", str(plugin), "--spec", str(path))
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[:2] for r in rows] == [["1", "1"], ["2", "2"], ["3", "3"]]
    assert all(r[3] in ("a", "b") for r in rows)
    assert "3 experiments; maxJobNum (3) reached" in result.stderr


@pytest.mark.slow
def test_the_hpo_tree_and_its_hidden_alias(run):
    result = run("--help")
    assert "hpo" in result.stdout and "hypersearch" not in result.stdout
    for verbs in (
        ["start"],
        ["list"],
        ["get"],
        ["best"],
        ["wait"],
        ["stop"],
        ["restart"],
        ["delete"],
        ["algorithm", "list"],
        ["algorithm", "get"],
        ["algorithm", "delete"],
        ["algorithm", "install"],
        ["algorithm", "debug"],
        ["algorithm", "test"],
    ):
        for group in ("hpo", "hypersearch"):
            help_result = run(group, *verbs, "--help")
            assert help_result.exit_code == 0, (group, verbs)
            first = help_result.stdout.splitlines()[0]
            assert first.startswith("Usage: ") and f" {group} {' '.join(verbs)} " in first
