"""Issue 14's decisions on the replayed WMLA answers (both versions): the objective from the request
or --objective, never from the values; why a task ended badly; what a waiting state means."""

from __future__ import annotations

import json


def test_best_of_a_maximize_search_without_best_needs_or_follows_the_objective(wmla, run):
    name = wmla.path_id("hpo-maximize-nobest")
    body = wmla.body("hpo-maximize-nobest")
    result = run("hpo", "best", name)
    if "algoDef" in body:  # CPD 3.5 says maximize
        assert result.exit_code == 0, result.stderr
    else:  # WMLA 1.2.x says nothing: no guess from the values (9999.99 is the largest)
        assert result.exit_code == 2
        assert "objective unknown: pass --objective minimize|maximize" in result.stderr
        result = run("hpo", "best", name, "--objective", "maximize")
    top = max((e for e in body["experiments"] if e["state"] == "FINISHED"), key=lambda e: e["metricVal"])
    params = {hp["name"]: float(hp["fixedVal"]) for hp in top["hyperParams"]}
    assert json.loads(result.stdout) == params


def test_best_of_a_failed_search_without_experiments_says_it_ended(wmla, run):
    name = wmla.path_id("hpo-failed-empty")
    result = run("hpo", "best", name)
    assert result.exit_code == 3
    assert f"hpo task {name} ended FAILED with no finished experiment" in result.stderr
    assert "wait for it" not in result.stderr


def test_get_of_a_recoverpend_search_says_what_it_waits_for(wmla, run):
    result = run("hpo", "get", wmla.path_id("hpo-recoverpend"))
    assert result.exit_code == 0, result.stderr
    assert "RECOVERPEND: the search waits to recover after a restart of the HPO service" in result.stderr


def test_wait_on_the_error_task_prints_its_events(wmla, run):
    ident = wmla.path_id("exec-error")
    result = run("exec", "wait", ident)
    assert result.exit_code == 10
    lines = result.stderr.splitlines()
    why = f"{ident} events: {wmla.body('exec-error')['events'].strip()}"
    assert why in lines
    assert lines.index(why) < lines.index(f"error: task ended badly: {ident} ERROR")


def test_get_of_the_pending_task_says_what_it_waits_for(wmla, run):
    ident = wmla.path_id("exec-pending")
    result = run("exec", "get", ident)
    assert result.exit_code == 0, result.stderr
    assert f"{ident}: PENDING_CRD_SCHEDULER: waiting for the Kubernetes scheduler to place it" in result.stderr
