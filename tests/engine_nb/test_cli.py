"""`dlicli server notebook start|list|stop`: the request they send, and a real run against the engine."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TOKEN
from tests.engine_nb.conftest import without_jupyter

SERVICE = {
    "userName": "alice",
    "podName": "jupyter-alice",
    "podStatus": "Running",
    "resourcePlan": "p",
    "url": "http://127.0.0.1:1234/",
    "tokenFile": "/x/jupyter_server_config.json",
}


@pytest.mark.parametrize(
    "status, said",
    [
        (201, "started the notebook service of alice at http://127.0.0.1:1234/"),
        (200, "the notebook service of alice already runs"),
    ],
)
def test_start_posts_startservice_with_the_plan(env_server, run, status, said):
    env_server.route("POST", "/notebooks/alice/startservice", status=status, body=SERVICE)
    result = run("server", "notebook", "start", "alice", "--resource-plan", "p", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == SERVICE
    assert said in result.stderr and "/x/jupyter_server_config.json" in result.stderr
    req = env_server.last
    assert (req.method, req.path) == ("POST", "/platform/rest/deeplearning/v1/notebooks/alice/startservice")
    assert req.json() == {"resourcePlan": "p"}
    assert req.headers["authorization"] == f"Bearer {TOKEN}"


def test_start_without_plan_sends_an_empty_object_and_shows_a_record(env_server, run):
    env_server.route("POST", "/notebooks/bob/startservice", status=201, body={**SERVICE, "userName": "bob"})
    result = run("server", "notebook", "start", "bob")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.json() == {}
    assert "jupyter-alice" in result.stdout and "bob" in result.stdout


@pytest.mark.parametrize("args", [("../etc",), ("alice", "--resource-plan", " ")])
def test_start_refuses_bad_input_before_any_request(env_server, run, args):
    result = run("server", "notebook", "start", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and env_server.requests == []


@pytest.mark.slow
def test_start_list_stop_against_the_engine(nb_engine, run):
    env = {"DLICLI_URL": nb_engine.root, "DLICLI_TOKEN": nb_engine.token}
    started = run("server", "notebook", "start", "bob", "--json", env=env)
    assert started.exit_code == 0, started.stderr
    service = json.loads(started.stdout)
    assert (service["userName"], service["podStatus"]) == ("bob", "Running")
    assert "started the notebook service of bob" in started.stderr
    assert nb_engine.token not in started.stdout + started.stderr

    listed = run("server", "notebook", "list", "--json", env=env)
    assert listed.exit_code == 0, listed.stderr
    assert "bob" in [s["userName"] for s in json.loads(listed.stdout)]

    stopped = run("server", "notebook", "stop", "bob", env=env)
    assert stopped.exit_code == 0, stopped.stderr
    assert "stopped the notebook service of bob" in stopped.stderr
    again = run("server", "notebook", "stop", "bob", env=env)
    assert again.exit_code == 3 and "no notebook service runs for user bob" in again.stderr
    after = json.loads(run("server", "notebook", "list", "--json", env=env).stdout)
    assert "bob" not in [s["userName"] for s in after]


@pytest.mark.slow
def test_start_names_the_extra_when_jupyter_server_is_missing(nb_start, tmp_path, run):
    engine = nb_start(tmp_path / "data", without_jupyter(tmp_path))
    result = run("server", "notebook", "start", "admin", env={"DLICLI_URL": engine.root, "DLICLI_TOKEN": engine.token})
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.startswith("error: ") and "pip install 'dlicli[notebook]'" in result.stderr
    assert result.stdout == ""
