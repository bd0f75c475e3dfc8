"""`dlicli hpo report`: its numbers (best so far, per parameter, best, importances) checked against
values worked out by hand on fixed searches, in the engine's and WMLA's shapes, piped and as JSON;
and each bad input's one error line and exit code. Against the recording server (GET only)."""

from __future__ import annotations

import json
import os

import pytest

from tests.hpo_report_data import FIXED, engine_task, exp, one_dominant
from tests.outcome import error_line
from tests.test_hpo_wmla_shapes_cli import NAME as WMLA_NAME
from tests.test_hpo_wmla_shapes_cli import WMLA_TASK

PATH = "/hypersearch/{}"


def serve(server, name, task):
    server.route("GET", PATH.format(name), body=task)


def report_json(run, *args):
    result = run("hpo", "report", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_numbers_of_a_fixed_search_are_the_ones_worked_out_by_hand(env_server, run):
    serve(env_server, "s1", engine_task("s1", FIXED))
    got = report_json(run, "s1")
    (search,) = got["searches"]
    assert [(p["id"], p["value"], p["best"]) for p in search["bestSoFar"]] == [
        (0, 0.5, 0.5),
        (1, 0.7, 0.7),
        (3, 0.6, 0.7),
        (4, 0.9, 0.9),
    ]
    assert search["params"]["hidden"] == [
        {"value": 16, "objective": 0.5},
        {"value": 32, "objective": 0.7},
        {"value": 64, "objective": 0.6},
        {"value": 64, "objective": 0.9},
    ]
    assert [p["value"] for p in search["params"]["opt"]] == ["adam", "sgd", "sgd", "adam"]
    assert search["best"] == {"id": 4, "value": 0.9, "hyperParams": {"lr": 0.05, "hidden": 64, "opt": "adam"}}
    assert (search["experiments"], search["finished"], search["failed"]) == (6, 4, 1)  # 9999.99 is no value
    assert sorted(got["importances"]) == ["hidden", "lr", "opt"]
    assert sum(got["importances"].values()) == pytest.approx(1.0)
    assert [r.method for r in env_server.api_requests()] == ["GET"]


def test_minimize_ranks_the_other_way(env_server, run):
    serve(env_server, "s1", engine_task("s1", FIXED, objective="minimize"))
    search = report_json(run, "s1")["searches"][0]
    assert [p["best"] for p in search["bestSoFar"]] == [0.5, 0.5, 0.5, 0.5]
    assert search["best"]["id"] == 0


def test_the_parameter_the_metric_depends_on_comes_first_with_most_of_the_weight(env_server, run):
    serve(env_server, "dom", engine_task("dom", one_dominant()))
    shares = report_json(run, "dom")["importances"]
    assert next(iter(shares)) == "hidden"
    assert shares["hidden"] > 0.8, shares


def test_piped_the_report_is_plain_tables(env_server, run):
    serve(env_server, "s1", engine_task("s1", FIXED))
    result = run("hpo", "report", "s1")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "\x1b" not in text and "⠀" not in text and "│" not in text  # no canvas, no colours
    assert text.startswith(
        "# accuracy (maximize) per experiment\nSEARCH\tID\tVALUE\tBEST_SO_FAR\n"
        "s1\t0\t0.5\t0.5\ns1\t1\t0.7\t0.7\ns1\t3\t0.6\t0.7\ns1\t4\t0.9\t0.9\n\n# importances\nPARAM\tIMPORTANCE\n"
    )
    assert text.endswith(
        "# best experiment of s1\nSEARCH\tID\tPARAM\tVALUE\n"
        "s1\t4\taccuracy\t0.9\ns1\t4\tlr\t0.05\ns1\t4\thidden\t64\ns1\t4\topt\tadam\n"
    )


def test_a_wmla_answer_without_a_space_is_reported_from_its_values(env_server, run):
    serve(env_server, WMLA_NAME, WMLA_TASK)
    search = report_json(run, WMLA_NAME)["searches"][0]
    assert search["objective"] == "minimize" and search["objectiveMetric"] == "loss"
    assert search["best"] == {"id": 0, "value": 0.0652, "hyperParams": {"learning_rate": 0.07682903454845375}}
    assert [(p["id"], p["best"]) for p in search["bestSoFar"]] == [(0, 0.0652), (1, 0.0652)]


def test_one_parameter_skips_contour_and_importances_with_a_note(env_server, run):
    serve(env_server, WMLA_NAME, WMLA_TASK)
    got = report_json(run, WMLA_NAME)
    assert got["importances"] == {}
    assert got["notes"] == ["1 searched parameter: no contour and no importances (they need two)"]
    piped = run("hpo", "report", WMLA_NAME)
    assert piped.exit_code == 0 and "# note: 1 searched parameter" in piped.stdout


def test_two_searches_of_one_space_overlay(env_server, run):
    serve(env_server, "a", engine_task("a", FIXED))
    serve(env_server, "b", engine_task("b", one_dominant(8)))
    got = report_json(run, "a", "b")
    assert [s["hpoName"] for s in got["searches"]] == ["a", "b"]
    piped = run("hpo", "report", "a", "b").stdout
    assert "\nb\t0\t" in piped and "# best experiment of b" in piped


def test_searches_of_different_spaces_are_refused(env_server, run):
    serve(env_server, "a", engine_task("a", FIXED))
    other = [exp(0, "FINISHED", 0.5, lr=0.01, depth=3), exp(1, "FINISHED", 0.6, lr=0.02, depth=4)]
    serve(env_server, "c", engine_task("c", other, space=[]))
    error_line(run("hpo", "report", "a", "c"), 2, "a", "c", "different spaces")


def test_a_running_search_with_nothing_finished_says_wait_as_hpo_best_does(env_server, run):
    serve(env_server, "new", engine_task("new", [FIXED[2], FIXED[5]]))
    result = run("hpo", "report", "new")
    error_line(result, 3, "hpo task new has no finished experiment yet (RUNNING)")
    assert "hint: wait for it: dlicli hpo wait new" in result.stderr
    assert result.stderr == run("hpo", "best", "new").stderr


@pytest.mark.parametrize("state", ["FAILED", "STOPPED", "FINISHED"])
def test_an_ended_search_with_nothing_finished_says_it_ended_as_hpo_best_does(env_server, run, state):
    """It will never have a finished experiment: no `wait for one` hint, the words of `hpo best`."""
    serve(env_server, "old", {**engine_task("old", [FIXED[2]]), "state": state})
    result = run("hpo", "report", "old")
    error_line(result, 3, f"hpo task old ended {state} with no finished experiment (1 tried, none finished")
    assert result.stderr.splitlines()[1] == "hint: see its experiments: dlicli hpo get old"
    assert "wait" not in result.stderr
    assert result.stderr == run("hpo", "best", "old").stderr
    serve(env_server, "empty", {**engine_task("empty", []), "state": state})
    error_line(run("hpo", "report", "empty"), 3, f"hpo task empty ended {state} with no finished experiment")


HTML_BAD = {
    "missing folder": ("nodir/r.html", "no such directory", "hint: create it first, or choose another --html FILE"),
    "a directory": (".", "--html . is a directory", "hint: name a file: --html report.html"),
    "a folder that takes no file": ("/proc/r.html", "cannot write in /proc", "hint: choose another --html FILE"),
}


@pytest.mark.parametrize("case", list(HTML_BAD), ids=list(HTML_BAD))
def test_an_html_file_that_cannot_be_written_exits_2_before_any_request(env_server, run, tmp_path, monkeypatch, case):
    target, words, hint = HTML_BAD[case]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    serve(env_server, "s1", engine_task("s1", FIXED))
    result = run("hpo", "report", "s1", "--html", target)
    error_line(result, 2, words)
    assert hint in result.stderr.splitlines()
    assert env_server.api_requests() == []
    assert list(work.iterdir()) == [] and not os.path.exists("/proc/r.html")


def test_a_missing_search_is_exit_3(env_server, run):
    env_server.route("GET", PATH.format("nope"), status=404, body={"message": "cannot find hpo task nope"})
    error_line(run("hpo", "report", "nope"), 3, "nope")


def test_an_unknown_direction_asks_for_objective(env_server, run):
    task = {k: v for k, v in WMLA_TASK.items() if k != "algoDef"}
    serve(env_server, WMLA_NAME, task)
    result = run("hpo", "report", WMLA_NAME)
    error_line(result, 2, "minimized or maximized")
    assert "--objective minimize|maximize" in result.stderr
    given = report_json(run, WMLA_NAME, "--objective", "maximize")["searches"][0]
    assert given["best"]["id"] == 1


def test_a_bad_objective_sends_nothing(env_server, run):
    error_line(run("hpo", "report", "x", "--objective", "up"), 2, "--objective")
    assert env_server.api_requests() == []


def test_output_yaml_and_json_print_the_same_data_as_json(env_server, run):
    import yaml

    serve(env_server, "s1", engine_task("s1", FIXED))
    as_json = report_json(run, "s1")
    for args, parse in ((("-o", "yaml"), yaml.safe_load), (("--output", "json"), json.loads)):
        result = run("hpo", "report", "s1", *args)
        assert result.exit_code == 0, result.stderr
        assert parse(result.stdout) == as_json


def test_an_unknown_output_format_is_refused_before_any_request(env_server, run):
    serve(env_server, "s1", engine_task("s1", FIXED))
    error_line(run("hpo", "report", "s1", "-o", "csv"), 2, "csv")
    assert env_server.api_requests() == []
