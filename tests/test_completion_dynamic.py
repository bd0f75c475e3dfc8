"""Dynamic completion of task ids, HPO names, plans, algorithms and profiles, in a subprocess the way
a shell runs it (`_DLICLI_COMPLETE=complete_bash`): from a recording server, from a real local
engine, and silent (exit 0, nothing on stderr) and quick when the server is slow, down or absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import sys\nfrom dlicli.cli.app import main\nsys.argv = ['dlicli']\nmain()\n"
TASKS = [
    {"id": "task-a1", "state": "RUNNING", "appName": "one"},
    {"id": "task-b2", "state": "FINISHED", "appName": "two"},
]


def complete(line: str, env: dict[str, str] | None = None, shell: str = "bash") -> subprocess.CompletedProcess:
    """Complete `line` (the words so far; a trailing space starts a new word) as the shell would."""
    full = {**os.environ, **(env or {}), "_DLICLI_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        full.update(COMP_WORDS=line, COMP_CWORD=str(len(line.split()) - (0 if line.endswith(" ") else 1)))
    else:
        full["_TYPER_COMPLETE_ARGS"] = line
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def offered(proc: subprocess.CompletedProcess) -> list[str]:
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return proc.stdout.split()


@pytest.fixture
def at(server):
    """Environment pointing the completing subprocess at the recording server."""
    return {"DLICLI_URL": server.root, "DLICLI_TOKEN": TOKEN}


@pytest.mark.slow
def test_task_ids_come_from_the_server_and_are_filtered_by_prefix(server, at):
    server.route("GET", "/execs", body=TASKS)
    assert offered(complete("dlicli exec get ", at)) == ["task-a1", "task-b2"]
    assert offered(complete("dlicli exec stop task-b", at)) == ["task-b2"]
    assert offered(complete("dlicli exec logs zzz", at)) == []
    assert len(server.requests) == 3  # one request per TAB: no retry
    last = server.last
    assert (last.method, last.path) == ("GET", "/platform/rest/deeplearning/v1/execs")
    assert last.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "verb",
    ["get", *(pytest.param(v, marks=pytest.mark.slow) for v in ("stop", "delete", "logs", "wait", "result", "deploy"))],
)
def test_every_task_verb_completes_ids(server, at, verb):
    server.route("GET", "/execs", body=TASKS)
    assert offered(complete(f"dlicli exec {verb} task-a", at)) == ["task-a1"]


def test_the_root_url_option_chooses_the_server(server):
    server.route("GET", "/execs", body=TASKS)
    env = {"DLICLI_TOKEN": TOKEN}
    assert offered(complete(f"dlicli --url {server.root} exec get task-a", env)) == ["task-a1"]
    assert server.last.path.endswith("/execs")


@pytest.mark.slow
def test_the_url_or_profile_after_the_verb_chooses_the_server_too(tmp_path, server):
    # as for the command itself, a connection option may come after the verb
    server.route("GET", "/execs", body=TASKS)
    env = {"DLICLI_TOKEN": TOKEN}
    assert offered(complete(f"dlicli exec get --url {server.root} task-a", env)) == ["task-a1"]
    assert server.last.path.endswith("/execs")
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.yaml").write_text(json.dumps({"profiles": {"dev": {"url": server.root}}}))
    before = len(server.requests)
    assert offered(complete("dlicli exec stop -P dev task-b")) == ["task-b2"]
    assert len(server.requests) == before + 1


def test_zsh_shows_the_state_beside_the_id(server, at):
    server.route("GET", "/execs", body=TASKS)
    proc = complete("dlicli exec get task-a", at, shell="zsh")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert '"task-a1":"RUNNING one"' in proc.stdout
    assert "task-b2" not in proc.stdout


@pytest.mark.parametrize(
    "line, path, body, expected",
    [
        ("dlicli hpo get ", "/hypersearch", [{"hpoName": "tune-1"}, {"hpoName": "tune-2"}], ["tune-1", "tune-2"]),
        ("dlicli hpo best tune-2", "/hypersearch", [{"hpoName": "tune-1"}, {"hpoName": "tune-2"}], ["tune-2"]),
        ("dlicli hpo restart tu", "/hypersearch", [{"hpoName": "tune-1"}, {"hpo": "x"}], ["tune-1"]),
        ("dlicli hypersearch delete ", "/hypersearch", [{"hpoName": "h"}], ["h"]),
        (
            "dlicli hpo algorithm get ",
            "/hypersearch/algorithm",
            [{"name": "Random"}, {"name": "TPE"}],
            ["Random", "TPE"],
        ),
        ("dlicli hpo algorithm delete T", "/hypersearch/algorithm", [{"name": "Random"}, {"name": "TPE"}], ["TPE"]),
        (
            "dlicli resplan get ",
            "/resplans/resplantree",
            {"name": "root", "path": "/", "childTreeDto": [{"name": "team-a", "path": "/team-a"}]},
            ["root", "team-a"],
        ),
        (
            "dlicli resplan update x --parent te",
            "/resplans/resplantree",
            [{"name": "team-a"}, {"name": "team-b"}, {"name": "other"}],
            ["team-a", "team-b"],
        ),
        ("dlicli notebook update alice --resource-plan ", "/resplans/resplantree", {"name": "p1"}, ["p1"]),
    ],
)
@pytest.mark.slow
def test_hpo_names_algorithms_and_plans(server, at, line, path, body, expected):
    server.route("GET", path, body=body)
    assert offered(complete(line, at)) == expected
    assert [r.path for r in server.requests] == ["/platform/rest/deeplearning/v1" + path]


@pytest.mark.slow
def test_a_slow_server_gives_nothing_within_the_timeout(server, at):
    server.route("GET", "/execs", body=TASKS, delay=5)
    started = time.monotonic()
    proc = complete("dlicli exec get ", at)
    elapsed = time.monotonic() - started
    assert offered(proc) == []
    assert elapsed < 2.5 + 1.0, elapsed  # 2 s budget, plus the interpreter's start-up
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "status, body",
    [
        (401, {"message": "no"}),
        pytest.param(500, b"boom", marks=pytest.mark.slow),
        pytest.param(200, b"not json", marks=pytest.mark.slow),
    ],
)
def test_errors_and_odd_answers_give_nothing(server, at, status, body):
    server.route("GET", "/execs", status=status, body=body)
    assert offered(complete("dlicli exec get ", at)) == []
    assert len(server.requests) == 1  # a 5xx is not retried either


@pytest.mark.slow
def test_connection_refused_gives_nothing():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    assert offered(complete("dlicli exec get ", {"DLICLI_URL": f"http://127.0.0.1:{port}"})) == []


@pytest.mark.slow
def test_a_broken_config_gives_nothing(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.yaml").write_text("profiles: [unclosed\n")
    assert offered(complete("dlicli exec get ")) == []
    assert offered(complete("dlicli profile use ")) == ["local"]  # the built-in one needs no config


def test_command_names_still_complete():
    assert offered(complete("dlicli ex")) == ["exec"]
    assert offered(complete("dlicli exec ge")) == ["get"]


@pytest.mark.slow
def test_profile_names_come_from_config_yaml(tmp_path, server):
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.yaml").write_text(
        json.dumps(
            {
                "current_profile": "prod",
                "profiles": {
                    "prod": {"url": "https://prod:9243"},
                    "prep": {"url": "https://prep:9243"},
                    "dev": {"url": server.root},
                },
            }
        )
    )
    assert offered(complete("dlicli profile use ")) == ["local", "dev", "prep", "prod"]
    assert offered(complete("dlicli profile show pr")) == ["prep", "prod"]
    assert offered(complete("dlicli profile delete ")) == ["dev", "prep", "prod"]  # `local` cannot be deleted
    assert offered(complete("dlicli --profile p")) == ["prep", "prod"]
    assert offered(complete("dlicli -P d")) == ["dev"]
    assert server.requests == []  # profiles are local: no request


def test_the_builtin_local_profile_is_offered_where_a_profile_is_named():
    """`local` (the local engine) is in no config.yaml, yet `profile use local` and `-P local` work."""
    assert offered(complete("dlicli profile use ")) == ["local"]
    assert offered(complete("dlicli profile show l")) == ["local"]
    assert offered(complete("dlicli -P l")) == ["local"]
    assert offered(complete("dlicli exec list --profile lo")) == ["local"]
    assert offered(complete("dlicli profile delete ")) == []  # built in: it cannot be deleted


def test_the_profile_on_the_command_line_chooses_the_server(tmp_path, server):
    server.route("GET", "/execs", body=TASKS)
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.yaml").write_text(json.dumps({"profiles": {"dev": {"url": server.root}}}))
    assert offered(complete("dlicli --profile dev exec get task-b")) == ["task-b2"]
    assert "authorization" not in server.last.headers  # the null keyring holds no secret


@pytest.mark.slow
def test_no_engine_running_starts_none(tmp_path):
    data = Path(os.environ["DLICLI_DATA_DIR"])
    started = time.monotonic()
    assert offered(complete("dlicli exec get ")) == []
    assert offered(complete("dlicli hpo get ")) == []
    assert time.monotonic() - started < 10
    assert not (data / "engine.json").exists()
    assert not (data / "engine.log").exists()


@pytest.fixture
def engine():
    """A real engine process on a free port, serving DLICLI_DATA_DIR; stopped at the end."""
    from tests.engine_http.conftest import EngineProc, kill_left_tasks

    data = Path(os.environ["DLICLI_DATA_DIR"])
    proc = EngineProc(data, ("--port", "0"))
    try:
        yield proc
    finally:
        proc.stop()
        kill_left_tasks(data)


@pytest.mark.slow
def test_task_ids_from_a_running_local_engine(engine, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "main.py").write_text("print('hello')\n")
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlicli",
            "exec",
            "start",
            "--framework",
            "python",
            "--model-main",
            str(model / "main.py"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert cli.returncode == 0, cli.stderr
    exec_id = cli.stdout.split()[0]
    assert offered(complete("dlicli exec get ")) == [exec_id]
    assert offered(complete(f"dlicli exec result {exec_id[:-1]}")) == [exec_id]
    assert offered(complete("dlicli exec get no-such-prefix")) == []
