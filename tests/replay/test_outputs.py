"""The replayed read commands' other output modes on WMLA 1.2.x and CPD 3.5 (tests/replay/fixtures):
`exec wait`, `hpo wait` and `hpo best` as `--json` and `-o yaml`; the `--follow` modes of `hpo get`,
`hpo logs` and `exec metrics`; `status`, `api` and `notebook get` in each mode; `hpo algorithm
debug`'s download and `hpo report --html`."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.replay.modes import json_is_served, ok, rows, yaml_is_served
from tests.replay.test_execs import result_zip
from tests.replay.test_hpo import SPEC, lr


def test_exec_wait_json_and_yaml_print_the_ended_task(wmla, run):
    ident = wmla.path_id("exec-finished")
    as_json = run("exec", "wait", ident, "--json")
    ok(as_json)
    assert json.loads(as_json.stdout) == [wmla.body("exec-finished")]
    assert as_json.stderr == f"{ident}: FINISHED\n"
    as_yaml = run("exec", "wait", ident, "-o", "yaml")
    ok(as_yaml)
    assert yaml.safe_load(as_yaml.stdout) == [wmla.body("exec-finished")]


def test_exec_wait_json_of_an_error_task_prints_it_and_exits_10(wmla, run):
    ident = wmla.path_id("exec-error")
    result = run("exec", "wait", ident, "--json")
    assert result.exit_code == 10, result.stderr
    assert json.loads(result.stdout) == [wmla.body("exec-error")]  # events included, for a script
    assert "error: task ended badly" in result.stderr


@pytest.mark.parametrize("name", ["hpo-minimize", "hpo-maximize"])
def test_hpo_wait_json_and_yaml_are_the_served_answer(wmla, run, name):
    json_is_served(run("hpo", "wait", wmla.path_id(name), "--json"), wmla, name, quiet=False)
    yaml_is_served(run("hpo", "wait", wmla.path_id(name), "-o", "yaml"), wmla, name, quiet=False)


def test_hpo_best_json_and_yaml_are_the_best_parameters(wmla, run):
    name = wmla.path_id("hpo-minimize")
    best = {"learning_rate": lr(wmla.body("hpo-minimize")["best"])}
    as_json = run("hpo", "best", name, "--json")
    ok(as_json)
    assert json.loads(as_json.stdout) == best
    as_yaml = run("hpo", "best", name, "-o", "yaml")
    ok(as_yaml)
    assert yaml.safe_load(as_yaml.stdout) == best
    assert [p for _, p, _ in wmla.calls()] == [f"/hypersearch/{name}"] * 2


def test_hpo_get_follow_prints_each_experiment_then_the_table(wmla, run):
    search = wmla.body("hpo-minimize")
    result = run("hpo", "get", search["hpoName"], "--follow")
    ok(result)
    table = rows(result.stdout)
    assert table[0][:4] == ["BEST", "ID", "EXEC", "STATE"]
    ranked = ["0", "3", "1", "2"] if "algoDef" in search else ["0", "1", "3", "2"]  # 1.2.x: no objective
    assert [r[1] for r in table[1:]] == ranked  # the FAILED one last
    assert [r[1] for r in table[1:] if r[0] == "*"] == ["0"]
    lines = result.stderr.splitlines()
    assert f"{search['hpoName']}: experiment 2 FAILED" in lines
    assert f"{search['hpoName']}: FINISHED (4/4)" in lines


def test_hpo_logs_follow_of_an_ended_experiment_prints_its_log_and_end(wmla, run):
    search = wmla.body("hpo-minimize")
    app = search["experiments"][0]["appId"]
    result = run("hpo", "logs", search["hpoName"], "0", "--follow")
    ok(result)
    assert result.stdout == wmla.fixtures["exec-experiment-log"]["text"]
    assert result.stderr.splitlines()[-1] == f"{app}: FINISHED"
    assert {p for _, p, _ in wmla.calls()} >= {f"/hypersearch/{search['hpoName']}", f"/execs/{app}/log"}


@pytest.fixture
def with_result(wmla):
    """The finished task's result zip served (WMLA answers it from GET /execs/{id}/result)."""
    ident = wmla.path_id("exec-finished")
    route = wmla.server.route(
        "GET", f"/execs/{ident}/result", body=result_zip(), headers={"Content-Type": "application/zip"}
    )
    yield ident
    wmla.server.routes.remove(route)


def test_exec_metrics_yaml_and_follow_read_the_result(wmla, run, with_result):
    as_yaml = run("exec", "metrics", with_result, "-o", "yaml")
    ok(as_yaml)
    assert [r["loss"] for r in yaml.safe_load(as_yaml.stdout)] == [0.31, 0.12]
    followed = run("exec", "metrics", with_result, "--follow")
    ok(followed)
    assert rows(followed.stdout)[-2:] == [["1", "0.31"], ["2", "0.12"]]
    assert f"/execs/{with_result}" in {p for _, p, _ in wmla.calls()}  # its state, to know it ended


def status_of(info: dict, wmla) -> None:
    assert info["server"] == {"reachable": True, "status": 200, "message": "ok"}
    assert info["url"] == wmla.server.url
    assert wmla.calls() == [("GET", "/conf", {})]


def test_status_asks_wmla_for_its_conf_in_each_mode(wmla, run):
    table = run("status")
    ok(table)
    shown = dict(line.split("\t", 1) for line in table.stdout.splitlines())
    assert shown["SERVER"] == "ok" and shown["USER"] == "unknown"  # WMLA does not say whose token it is
    wmla.server.requests.clear()
    as_json = run("status", "--json")
    ok(as_json)
    status_of(json.loads(as_json.stdout), wmla)
    wmla.server.requests.clear()
    as_yaml = run("status", "-o", "yaml")
    ok(as_yaml)
    status_of(yaml.safe_load(as_yaml.stdout), wmla)


def test_api_json_and_yaml_print_the_answer(wmla, run):
    json_is_served(run("api", "GET", "/execs/frameworks", "--json"), wmla, "frameworks")
    yaml_is_served(run("api", "GET", "/execs/frameworks", "-o", "yaml"), wmla, "frameworks")


def test_notebook_get_table_shows_the_service(wmla, run):
    service = wmla.body("notebook")
    result = run("notebook", "get", service["userName"])
    ok(result)
    shown = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert shown["userName"] == service["userName"] and shown["podStatus"] == service["podStatus"]
    assert shown["resourcePlan"] == service["resourcePlan"]


def spec_file(tmp_path) -> str:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC))
    return str(path)


def test_algorithm_debug_saves_the_servers_file(wmla, run, tmp_path, monkeypatch):
    spec = spec_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run("hpo", "algorithm", "debug", spec)
    ok(result)
    assert (tmp_path / "task_attr.pb").read_bytes() == wmla.served("algorithm-debug")  # WMLA names no file
    request = wmla.server.last
    assert (request.method, request.path.rsplit("/", 2)[-2:]) == ("POST", ["algorithm", "debug"])
    assert request.json()["algoDef"]["algorithm"] == "Random"
    to_stdout = run("hpo", "algorithm", "debug", spec, "-O", "-")
    ok(to_stdout)
    assert to_stdout.stdout_bytes == wmla.served("algorithm-debug")


def test_algorithm_test_on_wmlas_binary_task_attr_says_what_to_give_instead(wmla, run, tmp_path):
    saved = tmp_path / "task_attr.pb"
    saved.write_bytes(wmla.served("algorithm-debug"))
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    result = run("hpo", "algorithm", "test", str(plugin), "--spec", str(saved))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {saved} is binary: WMLA's task_attr.pb"), result.stderr
    assert "--spec SPEC.yaml" in result.stderr and "Traceback" not in result.stderr


def test_report_html_writes_a_page_of_the_search(wmla, run, tmp_path):
    name = wmla.path_id("hpo-minimize")
    given = [] if "algoDef" in wmla.body("hpo-minimize") else ["--objective", "minimize"]
    page = tmp_path / "report.html"
    result = run("hpo", "report", name, *given, "--html", str(page))
    ok(result)
    html = page.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and name in html
    assert "9999.99" not in html  # the FAILED experiment is not plotted
    assert wmla.calls() == [("GET", f"/hypersearch/{name}", {})]
