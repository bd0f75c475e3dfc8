"""`--query EXPR` (JMESPath, as aws takes it) on every data command, applied to the JSON the command
would print: --json and -o yaml print the result as JSON/YAML; otherwise a list of objects is a
table, one object key/value lines, a scalar (or each item of a list of them) a plain line. A bad
expression is exit 2 with one error line, and nothing is sent."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.outcome import error_line
from tests.test_resplan_cli import TREE, run_on_tty

TASKS = [
    {"id": "t-1", "state": "RUNNING", "framework": "PyTorch", "args": "--lr 0.1"},
    {"id": "t-2", "state": "FINISHED", "framework": "tensorflow"},
    {"id": "t-3", "state": "FAILED", "framework": "PyTorch"},
]
HPO = {
    "hpoName": "h-1",
    "state": "RUNNING",
    "experiments": [
        {"id": 1, "state": "FINISHED", "metricVal": 0.31, "hyperParameters": [{"name": "lr", "userDefined": False}]},
        {"id": 2, "state": "FINISHED", "metricVal": 0.12},
        {"id": 3, "state": "RUNNING"},
    ],
}
APPS = [
    {"applicationid": "app-1", "applicationname": "train", "state": "RUNNING", "slots": 2},
    {"applicationid": "app-2", "applicationname": "eval", "state": "FINISHED", "slots": 1},
]


@pytest.fixture
def api(env_server):
    env_server.route("GET", "/execs", body=TASKS)
    env_server.route("GET", "/execs/t-1", body=TASKS[0])
    env_server.route("GET", "/hypersearch/h-1", body=HPO)
    env_server.route("GET", "/resplans/resplantree", body=TREE)
    env_server.route("GET", "/conf", body={"DLI_SHARED_FS": "/dli", "DLI_RESULT_FS": "/results"})
    env_server.route("GET", "/scheduler/applications", body=APPS)
    return env_server


def ok(result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stdout


# -- piped (table output): plain lines and rows --------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "query", "out"),
    [
        (("exec", "list"), "[].id", "t-1\nt-2\nt-3\n"),
        (("exec", "list"), "[?framework=='PyTorch'].[id, state]", "t-1\tRUNNING\nt-3\tFAILED\n"),
        (("exec", "list"), "[].{id: id, state: state}", "t-1\tRUNNING\nt-2\tFINISHED\nt-3\tFAILED\n"),
        (("exec", "list"), "length(@)", "3\n"),
        (("exec", "get", "t-1"), "state", "RUNNING\n"),
        (("exec", "get", "t-1"), "{id: id, args: args}", "id\tt-1\nargs\t--lr 0.1\n"),
        (("hpo", "get", "h-1"), "experiments[?metricVal < `0.2`].id", "2\n"),
        (("hpo", "get", "h-1"), "max_by(experiments[?metricVal], &metricVal).id", "1\n"),
        (("resplan", "tree"), "childTreeDto[].name", "a\nb\n"),
        (("conf", "get"), "DLI_SHARED_FS", "/dli\n"),
        (("scheduler", "apps"), "[?state=='RUNNING'].applicationid", "app-1\n"),
        (("exec", "get", "t-1"), "nothing_here", ""),  # null prints nothing
    ],
)
def test_a_query_piped_prints_plain_lines(api, run, argv, query, out):
    assert ok(run(*argv, "--query", query)) == out


def test_a_query_replaces_the_commands_own_table(api, run):
    """`hpo get` prints its task state on stderr and ranks experiments; with a query only the
    query's result is printed, from the JSON as --json would print it."""
    result = run("hpo", "get", "h-1", "--query", "experiments[].state")
    assert ok(result) == "FINISHED\nFINISHED\nRUNNING\n"


# -- --json and -o yaml: the result itself -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "query", "want"),
    [
        (("exec", "list"), "[].{id: id, state: state}", [{"id": t["id"], "state": t["state"]} for t in TASKS]),
        (("exec", "list"), "[0].id", "t-1"),
        (("exec", "get", "t-1"), "framework", "PyTorch"),
        (("hpo", "get", "h-1"), "experiments[].metricVal", [0.31, 0.12]),
        (("resplan", "tree"), "V1Resplan.requestcpu", "8"),
        (("conf", "get"), "keys(@)", ["DLI_SHARED_FS", "DLI_RESULT_FS"]),
        (("scheduler", "apps"), "sum([].slots)", 3),
        (("exec", "get", "t-1"), "nothing_here", None),
    ],
)
def test_a_query_with_json_or_yaml_prints_the_result(api, run, argv, query, want):
    assert json.loads(ok(run(*argv, "--query", query, "--json"))) == want
    assert yaml.safe_load(ok(run(*argv, "--query", query, "-o", "yaml"))) == want


def test_without_a_query_nothing_changes(api, run):
    assert json.loads(ok(run("exec", "list", "--json"))) == TASKS
    assert ok(run("exec", "get", "t-1", "--query", "@", "--json")) == ok(run("exec", "get", "t-1", "--json"))


@pytest.mark.slow
def test_on_a_terminal_a_list_of_objects_is_a_table_with_headers(api):
    from tests.conftest import TOKEN

    shown = run_on_tty(
        "exec", "list", "--query", "[].{ID: id, FRAMEWORK: framework}", DLICLI_URL=api.root, DLICLI_TOKEN=TOKEN
    )
    assert shown.returncode == 0, shown.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown.stdout)  # NO_COLOR keeps bold headers
    lines = [line.split() for line in plain.splitlines() if line.strip()]
    assert lines == [["ID", "FRAMEWORK"], ["t-1", "PyTorch"], ["t-2", "tensorflow"], ["t-3", "PyTorch"]]


# -- bad queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("[].]", ("--query '[].]'", "column 3")),
        ("foo[", ("--query 'foo['", "Incomplete expression")),
        ("", ("--query ''", "cannot be empty")),
        ('a."b', ("--query 'a.\"b'", "Unclosed")),
    ],
)
@pytest.mark.parametrize("argv", [("exec", "list"), ("exec", "get", "t-1", "--json"), ("hpo", "get", "h-1")])
def test_a_bad_query_is_exit_2_before_any_request(api, run, argv, query, words):
    result = run(*argv, "--query", query)
    error_line(result, 2, *words)
    assert "hint: a JMESPath expression (https://jmespath.org)" in result.stderr
    assert api.requests == []


def test_a_query_that_fails_on_the_data_is_exit_2(api, run):
    error_line(run("exec", "list", "--query", "length(@[0].id, @)"), 2, "Expected 1 argument for function length()")
    error_line(run("exec", "get", "t-1", "--query", "abs(state)"), 2, "In function abs(), invalid type")
    error_line(run("exec", "get", "t-1", "--query", "nope(@)"), 2, "Unknown function: nope()")


def test_every_leaf_with_json_takes_query_and_only_those(run):
    """The option is added centrally: every data command has it, the others do not."""
    from dlicli.cli.app import COMMANDS, app
    from dlicli.cli.typerx import click_command

    root = click_command(app)
    seen = 0
    for name in COMMANDS:
        group = root.get_command(None, name)
        for leaf in _leaves(group):
            options = {opt for p in leaf.params for opt in p.opts}
            if "--json" in options:
                seen += 1
                assert "--query" in options, leaf.name
            else:
                assert "--query" not in options, leaf.name
    assert seen >= 30


def _leaves(command):
    if not hasattr(command, "list_commands"):
        return [command]
    return [leaf for name in command.list_commands(None) for leaf in _leaves(command.get_command(None, name))]
