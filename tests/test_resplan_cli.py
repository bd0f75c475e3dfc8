"""`dlicli resplan create|update|get|delete|tree` against the recording server; the tree helpers."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from dlicli import resplantree
from dlicli.errors import UsageError
from tests.outcome import error_line
from tests.recorder import BASE

ODD = "a b/c"
ODD_RAW = "a%20b%2Fc"
PLAN = {"path": "/root/a", "usedcpu": "1", "requestcpu": "4", "usedgpu": "0", "requestgpu": "2"}


def calls(server):
    return [(r.method, r.raw_path.removeprefix(BASE), r.raw_query) for r in server.requests]


def node(name, path, used_cpu, req_cpu, used_gpu, req_gpu, children=None):
    tree = {
        "id": name,
        "name": name,
        "path": path,
        "V1Resplan": {
            "path": path,
            "usedcpu": used_cpu,
            "requestcpu": req_cpu,
            "usedgpu": used_gpu,
            "requestgpu": req_gpu,
        },
    }
    if children is not None:
        tree["childTreeDto"] = children
    return tree


TREE = node(
    "root",
    "/root",
    "3",
    "8",
    "1",
    "4",
    [
        node(
            "a",
            "/root/a",
            "2",
            "4",
            "1",
            "2",
            [
                node("a1", "/root/a/a1", "2", "2", "1", "1", [node("a1x", "/root/a/a1/a1x", "1", "1", "0", "1")]),
            ],
        ),
        {"name": "b", "path": "/root/b", "childTreeDto": []},  # no V1Resplan: numbers unknown
    ],
)
TREE_LINES = (
    "/root\t3/8\t1/4\n"
    "  /root/a\t2/4\t1/2\n"
    "    /root/a/a1\t2/2\t1/1\n"
    "      /root/a/a1/a1x\t1/1\t0/1\n"
    "  /root/b\t-/-\t-/-\n"
)


def run_on_tty(*args: str, answer: bytes = b"", **env: str) -> subprocess.CompletedProcess:
    """Run `python -m dlicli ARGS` with stdin and stdout on a pseudo-terminal (no colour), typing
    `answer`; returns what the terminal showed (the typed answer echoed too) and stderr."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli", *args],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", **env},
        )
        os.close(slave)
        os.write(master, answer)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        os.close(master)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    return subprocess.CompletedProcess(proc.args, proc.returncode, text, err.decode())


# -- create / update ---------------------------------------------------------------------


def test_create_sends_name_parent_and_labels(env_server, run):
    env_server.route("POST", "/resplans/resplan", status=201)
    result = run(
        "resplan",
        "create",
        "gpu-team",
        "--parent",
        "root",
        "--label",
        "team=vision",
        "--label",
        "tier=a=b",
        "--label",
        "empty=",
    )
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("POST", "/resplans/resplan", "")]
    assert env_server.last.headers["content-type"] == "application/json"
    assert env_server.last.json() == {
        "name": "gpu-team",
        "parent": "root",
        "labels": [{"key": "team", "value": "vision"}, {"key": "tier", "value": "a=b"}, {"key": "empty", "value": ""}],
    }
    assert result.stdout == ""
    assert "created resource plan gpu-team" in result.stderr


def test_create_without_options_sends_empty_labels_and_no_parent(env_server, run):
    env_server.route("POST", "/resplans/resplan", status=201)
    result = run("resplan", "create", "solo")
    assert result.exit_code == 0, result.stderr
    assert env_server.last.json() == {"name": "solo", "labels": []}


@pytest.mark.parametrize("label", ["novalue", "=v", " =v"])
def test_label_without_key_or_equals_is_exit_2_and_sends_nothing(env_server, run, label):
    result = run("resplan", "create", "p", "--label", label)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --label wants KEY=VALUE")
    assert env_server.requests == []


def test_create_conflict_exits_6(env_server, run):
    env_server.route("POST", "/resplans/resplan", status=409, body={"message": "resource plan exists"})
    result = run("resplan", "create", "dup")
    assert result.exit_code == 6
    assert "resource plan exists" in result.stderr


def test_update_puts_only_what_is_given(env_server, run):
    env_server.route("PUT", "/resplans/resplan", status=204)
    result = run("resplan", "update", ODD, "--label", "k=v")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("PUT", "/resplans/resplan", "")]
    assert env_server.last.json() == {"name": ODD, "labels": [{"key": "k", "value": "v"}]}
    run("resplan", "update", "p", "--parent", "root")
    assert env_server.last.json() == {"name": "p", "parent": "root"}


def test_update_with_nothing_to_change_is_exit_2(env_server, run):
    result = run("resplan", "update", "p")
    assert result.exit_code == 2
    assert "nothing to update" in result.stderr
    assert env_server.requests == []


def test_update_missing_plan_exits_3(env_server, run):
    env_server.route("PUT", "/resplans/resplan", status=404, body={"message": "no such plan"})
    result = run("resplan", "update", "ghost", "--parent", "root")
    assert error_line(result, 3, "could not update the resource plan: no such plan")
    assert [(r.method, r.path) for r in env_server.requests] == [("PUT", BASE + "/resplans/resplan")]


# -- get ---------------------------------------------------------------------------------


def test_get_quotes_the_name_and_prints_a_record(env_server, run):
    env_server.route("GET", f"/resplans/resplan/{ODD}", body={**PLAN, "extra": "x"})
    result = run("resplan", "get", ODD)
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", f"/resplans/resplan/{ODD_RAW}", "")]
    assert result.stdout == ("path\t/root/a\nusedcpu\t1\nrequestcpu\t4\nusedgpu\t0\nrequestgpu\t2\nextra\tx\n")


def test_get_json_exact(env_server, run):
    body = {"usedgpu": "0", "path": "/p", "weird": [1, 2]}
    env_server.route("GET", "/resplans/resplan/p", body=body)
    result = run("resplan", "get", "p", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == body
    assert list(json.loads(result.stdout)) == list(body)


def test_get_not_found_exits_3(env_server, run):
    env_server.route("GET", "/resplans/resplan/ghost", status=404, body={"message": "not found"})
    result = run("resplan", "get", "ghost")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: resource plan ghost not found\nhint: check the name or id; list them with `dlicli resplan tree`"
    )


# -- delete ------------------------------------------------------------------------------


def test_delete_yes_quotes_the_name(env_server, run):
    env_server.route("DELETE", f"/resplans/resplan/{ODD}")
    result = run("resplan", "delete", ODD, "--yes")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("DELETE", f"/resplans/resplan/{ODD_RAW}", "")]
    assert result.stdout == ""


def test_delete_without_yes_and_no_tty_refuses_and_sends_nothing(env_server, run):
    result = run("resplan", "delete", "p", input="y\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'error: cannot ask "Delete resource plan p on {env_server.url}?": stdin is not a terminal',
        "hint: confirm with --yes: dlicli resplan delete p --yes",
    ]
    assert env_server.requests == []


def test_delete_in_use_exits_6(env_server, run):
    env_server.route("DELETE", "/resplans/resplan/busy", status=409, body={"message": "plan is in use"})
    result = run("resplan", "delete", "busy", "-y")
    assert result.exit_code == 6
    assert "plan is in use" in result.stderr


def test_delete_missing_exits_3(env_server, run):
    env_server.route("DELETE", "/resplans/resplan/ghost", status=404)
    result = run("resplan", "delete", "ghost", "--yes")
    assert error_line(result, 3, "resource plan ghost not found")
    assert [(r.method, r.path) for r in env_server.requests] == [("DELETE", BASE + "/resplans/resplan/ghost")]


@pytest.mark.slow
def test_delete_on_a_terminal_asks_then_deletes_on_yes(env_server):
    env_server.route("DELETE", "/resplans/resplan/p")
    done = run_on_tty("resplan", "delete", "p", answer=b"y\n")
    assert done.returncode == 0, done.stderr
    assert f"Delete resource plan p on {env_server.url}?" in done.stderr
    assert calls(env_server) == [("DELETE", "/resplans/resplan/p", "")]


@pytest.mark.slow
def test_delete_on_a_terminal_answer_no_sends_nothing(env_server):
    done = run_on_tty("resplan", "delete", "p", answer=b"n\n")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("not confirmed: nothing was changed")
    assert "error" not in done.stderr
    assert env_server.requests == []


# -- tree --------------------------------------------------------------------------------


def test_tree_piped_is_indented_lines_three_levels_deep(env_server, run):
    env_server.route("GET", "/resplans/resplantree", body=TREE)
    result = run("resplan", "tree")
    assert result.exit_code == 0, result.stderr
    assert calls(env_server) == [("GET", "/resplans/resplantree", "")]
    assert result.stdout == TREE_LINES


def test_tree_accepts_a_list_of_trees(env_server, run):
    env_server.route(
        "GET", "/resplans/resplantree", body=[node("x", "/x", "1", "2", "0", "0"), node("y", "/y", "0", "1", "1", "1")]
    )
    result = run("resplan", "tree")
    assert result.stdout == "/x\t1/2\t0/0\n/y\t0/1\t1/1\n"


@pytest.mark.parametrize("body", [TREE, [TREE]])
def test_tree_json_is_exactly_what_the_server_sent(env_server, run, body):
    env_server.route("GET", "/resplans/resplantree", body=body)
    result = run("resplan", "tree", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == body


def test_tree_empty(env_server, run):
    env_server.route("GET", "/resplans/resplantree", body=[])
    result = run("resplan", "tree")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no resource plans" in result.stderr
    assert run("resplan", "tree", "--json").stdout == "[]\n"


@pytest.mark.slow
def test_tree_on_a_terminal_is_a_rich_tree(env_server):
    env_server.route("GET", "/resplans/resplantree", body=TREE)
    done = run_on_tty("resplan", "tree")
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 5
    assert lines[0].startswith("root") and "cpu 3/8" in lines[0] and "gpu 1/4" in lines[0]
    assert "a1x" in lines[3] and "cpu 1/1" in lines[3] and "gpu 0/1" in lines[3]
    indents = [len(line) - len(line.lstrip(" │├└─")) for line in lines]
    assert indents[0] < indents[1] < indents[2] < indents[3] and indents[4] == indents[1]
    assert "\t" not in done.stdout


def test_tree_server_error_exits_1(env_server, run):
    env_server.route("GET", "/resplans/resplantree", status=500, body={"message": "boom"})
    result = run("resplan", "tree")
    assert result.exit_code == 1
    assert "boom" in result.stderr


# -- helpers -----------------------------------------------------------------------------


def test_labels_from_options():
    assert resplantree.labels_from_options(["a=1", " b =x=y"]) == [
        {"key": "a", "value": "1"},
        {"key": "b", "value": "x=y"},
    ]
    assert resplantree.labels_from_options(None) == []
    with pytest.raises(UsageError):
        resplantree.labels_from_options(["bad"])


def test_rows_fall_back_to_name_and_resplan_path():
    rows = [
        row
        for _, row in resplantree.walk(
            [{"name": "n", "V1Resplan": {"path": "/p", "usedcpu": 2}}, {"V1Resplan": {"path": "/q"}}]
        )
    ]
    assert [(r.path, r.name, r.cpu) for r in rows] == [("/p", "n", "2/-"), ("/q", "/q", "-/-")]
    assert resplantree.roots(None) == [] and resplantree.roots("text") == []


def test_rich_tree_renders_every_plan():
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    Console(file=buf, width=100, no_color=True).print(resplantree.rich_tree([TREE], color=False))
    text = buf.getvalue()
    for name in ("root", "a1x", "b"):
        assert name in text
    assert "cpu 2/4  gpu 1/2" in text and "cpu -/-  gpu -/-" in text
