"""The replay suite stays complete as commands are added: every read command of the CLI's tree is
replayed, in each output mode it has.

The rule. Every visible leaf of `dlicli`'s command tree is one of:
- *local*: under a group that talks to no WMLA server (`server` administers the local engine,
  `profile` and `completion` read local files), or a leaf in LOCAL (`help`, `token`, `hpo algorithm
  test` runs a plugin here; `dlicmd` runs the native commands below);
- *a write*: its last word is in WRITE_WORDS (start, stop, delete, …): what WMLA answers to those is
  not a read (POST /execs and POST /hypersearch answers are replayed by test_execs/test_hpo anyway);
- *a read*: its last word is in READ_WORDS (list, get, logs, best, tree, show, stats, …) or it is
  `top` or `api`. A leaf that is none of these fails the test: decide which it is.

A read must appear in a replay test (tests/replay/test_*.py) as consecutive string literals (in a
call such as `run("exec", "get", ident)`, or a list such as READS' `["exec", "get", "{id}"]`):
- without `--json`/`-o`, outside READS: its table (or text) mode;
- if it has `--json`: with `--json`, and with `-o yaml` if it has `--output`. A module's READS table
  counts for both when the module has `test_json_is_the_served_answer` and
  `test_yaml_is_the_served_answer` (they run every READS entry in those modes);
- with each of MODE_FLAGS it has (`--watch`, `--follow`, `--executor`, `--download`, `--html`).
Each replay module runs on both WMLA versions (the `wmla` fixture is parametrized over them)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import click

from dlicli.cli.app import app
from dlicli.cli.typerx import click_command

HERE = Path(__file__).parent
LOCAL_GROUPS = {"server", "profile", "completion"}
LOCAL = {"help", "token", "dlicmd", "hpo algorithm test", "login", "logout"}
WRITE_WORDS = {"start", "stop", "delete", "deploy", "restart", "install", "create", "update", "use"}
READ_WORDS = {"list", "get", "logs", "best", "tree", "show", "stats", "apps", "kernels", "frameworks"}
READ_WORDS |= {"metrics", "report", "wait", "result", "status", "debug", "top", "api"}
MODE_FLAGS = ("--watch", "--follow", "--executor", "--download", "--html")


def leaves() -> dict[str, click.Command]:
    """Every visible leaf of the tree, by its words ("hpo algorithm list")."""
    found: dict[str, click.Command] = {}

    def walk(cmd: click.Command, path: list[str]) -> None:
        if not hasattr(cmd, "list_commands"):
            found[" ".join(path)] = cmd
            return
        ctx = cmd.make_context("dlicli", ["--help"], resilient_parsing=True)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                walk(sub, [*path, name])

    walk(click_command(app), [])
    return found


def kind(path: str) -> str:
    words = path.split()
    if words[0] in LOCAL_GROUPS or path in LOCAL:
        return "local"
    if words[-1] in WRITE_WORDS:
        return "write"
    if words[-1] in READ_WORDS:
        return "read"
    return "unknown"


def options(cmd: click.Command) -> set[str]:
    return {o for p in cmd.params for o in p.opts}


def literal_runs() -> list[tuple[list[str], bool]]:
    """Every sequence of string literals in the replay tests (a call's arguments, a list, a
    tuple), and whether it sits in a module whose READS are run with --json and -o yaml."""
    found = []
    for module in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(module.read_text())
        tests = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        both = {"test_json_is_the_served_answer", "test_yaml_is_the_served_answer"} <= tests
        reads = _reads_nodes(tree)
        for node in ast.walk(tree):
            items = node.args if isinstance(node, ast.Call) else getattr(node, "elts", None)
            if isinstance(node, ast.List | ast.Tuple | ast.Call) and items is not None:
                words = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
                found.append((words, both and any(node in ast.walk(r) for r in reads)))
    return found


def _reads_nodes(tree: ast.Module) -> list[ast.AST]:
    """The values assigned (or added) to the module's READS."""
    values = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "READS" for t in targets):
            values.append(node.value)
    return values


def runs_of(path: str, runs: list[tuple[list[str], bool]]) -> list[tuple[list[str], bool]]:
    """The literal sequences that run `path`: its words consecutive, what follows them."""
    words, n = path.split(), len(path.split())
    out = []
    for seq, in_reads in runs:
        for i in range(len(seq) - n + 1):
            if seq[i : i + n] == words:
                out.append((seq[i + n :], in_reads))
    return out


def modes_needed(cmd: click.Command) -> set[str]:
    opts = options(cmd)
    needed = {"table"} | {f for f in MODE_FLAGS if f in opts}
    if "--json" in opts:
        needed.add("--json")
        if "--output" in opts:
            needed.add("-o yaml")
    return needed


def modes_replayed(found: list[tuple[list[str], bool]]) -> set[str]:
    modes = set()
    for rest, in_reads in found:
        pairs = {f"{a} {b}" for a, b in itertools.pairwise(rest)}
        if in_reads:  # run by the module's json and yaml tests only
            modes |= {"--json", "-o yaml"}
            continue
        if "--json" in rest:
            modes.add("--json")
        if "-o yaml" in pairs:
            modes.add("-o yaml")
        if not ({"--json", "-o", "--output"} & set(rest)):
            modes.add("table")
        modes |= {f for f in MODE_FLAGS if f in rest}
    return modes


def test_every_leaf_is_a_read_a_write_or_local():
    unknown = [path for path in leaves() if kind(path) == "unknown"]
    assert not unknown, f"classify these in tests/replay/test_coverage.py (READ_WORDS, WRITE_WORDS, LOCAL): {unknown}"


def test_every_read_command_is_replayed_in_each_of_its_modes():
    runs = literal_runs()
    missing = {}
    for path, cmd in leaves().items():
        if kind(path) == "read":
            lacking = modes_needed(cmd) - modes_replayed(runs_of(path, runs))
            if lacking:
                missing[path] = sorted(lacking)
    assert not missing, f"read commands not replayed in tests/replay in these modes: {missing}"


def test_the_rule_sees_the_reads_it_should():
    """The walk and the rule find the reads the suite was built for, so an empty tree or a rule
    that classifies nothing as a read cannot pass the test above."""
    reads = {path for path in leaves() if kind(path) == "read"}
    assert {"exec list", "hpo get", "scheduler logs", "hpo algorithm debug", "status", "top"} <= reads
    assert "server status" not in reads and "profile list" not in reads
    assert modes_needed(leaves()["scheduler logs"]) == {"table", "--follow", "--executor", "--download"}
