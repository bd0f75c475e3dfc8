"""A name already taken (409): `exec deploy` and `hpo start` exit 6 with one error line and a hint
saying what to do."""

from __future__ import annotations

from pathlib import Path

from tests.outcome import error_line

REPO = Path(__file__).resolve().parents[1]


def test_deploying_a_taken_name_exits_6_with_a_hint(env_server, run):
    env_server.route("POST", "/execs/t1/deploy", status=409, body={"message": "a deployment named m exists"})
    result = run("exec", "deploy", "t1", "--name", "m", "--kernel", "k.py")
    error_line(result, 6, "a deployment named m exists")
    assert result.stderr.splitlines()[-1] == "hint: pick another --name: a deployment's name is unique on the server"
    assert [r.method for r in env_server.requests] == ["POST"]


def test_another_deploy_error_keeps_its_own_hint(env_server, run):
    env_server.route("POST", "/execs/t1/deploy", status=400, body={"message": "kernel k.py is not in the task's code"})
    result = run("exec", "deploy", "t1", "--name", "m", "--kernel", "k.py")
    error_line(result, 2, "kernel k.py is not in the task's code")
    assert "pick another --name" not in result.stderr


def test_starting_a_search_whose_name_is_taken_says_what_to_do(env_server, run):
    env_server.route("POST", "/hypersearch", status=409, body={"message": "hpo task digits-tpe already exists"})
    result = run(
        "hpo", "start", str(REPO / "examples/hpo/digits-tpe.yaml"), "--model-dir", str(REPO / "examples/digits-mlp")
    )
    error_line(result, 6, "already exists")
    hint = (
        "hint: a search named digits-tpe exists (names are shared by every user of the server): "
        "pick another --name, or `dlicli hpo delete digits-tpe` if it is yours"
    )
    assert result.stderr.splitlines()[-1] == hint
