"""`dlicli resplan tree` and plan-name completion against the one TreeDto the local engine answers
(its root "/" holding the top plans), on the recording server. Older engines' lists and WMLA's
named root plans are covered in tests/test_resplan_cli.py and tests/test_completion_dynamic.py."""

from __future__ import annotations

import json

import pytest

from tests.test_completion_dynamic import at, complete, offered  # noqa: F401 - `at` is a fixture


def plan(name: str, pid: str, path: str, used: str, children: list) -> dict:
    usage = {"usedcpu": used, "requestcpu": "2", "usedgpu": "0", "requestgpu": "0", "path": path}
    return {"id": name, "name": name, "pid": pid, "path": path, "V1Resplan": usage, "childTreeDto": children}


ENGINE_TREE = plan(
    "/",
    "",
    "/",
    "3",
    [plan("team", "/", "/team", "1", [plan("ml", "team", "/team/ml", "1", [])]), plan("x", "/", "/x", "0", [])],
)


def test_tree_piped_shows_the_engines_top_plans_not_its_root(env_server, run):
    env_server.route("GET", "/resplans/resplantree", body=ENGINE_TREE)
    result = run("resplan", "tree")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "/team\t1/2\t0/0\n  /team/ml\t1/2\t0/0\n/x\t0/2\t0/0\n"


def test_tree_json_is_the_one_tree_dto_as_sent(env_server, run):
    env_server.route("GET", "/resplans/resplantree", body=ENGINE_TREE)
    result = run("resplan", "tree", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == ENGINE_TREE


def test_an_engine_root_without_plans_is_no_plans(env_server, run):
    env_server.route("GET", "/resplans/resplantree", body=plan("/", "", "/", "0", []))
    result = run("resplan", "tree")
    assert result.exit_code == 0 and result.stdout == "" and "no resource plans" in result.stderr


@pytest.mark.slow
def test_plan_completion_offers_the_plans_not_the_root(server, at):  # noqa: F811 - the fixture
    server.route("GET", "/resplans/resplantree", body=ENGINE_TREE)
    assert offered(complete("dlicli resplan get ", at)) == ["team", "ml", "x"]
