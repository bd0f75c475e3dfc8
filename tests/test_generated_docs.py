"""The generated reference (man/, docs/commands.md, completions/) matches the command tree, maps all 40
operations of the spec, and renders as man pages. Regenerate with: python scripts/gen_docs.py"""

from __future__ import annotations

import importlib.util
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec" / "dlpd-rest-api-v1.txt"

# Operations whose command is still being written (issue 5). The ONE place this file is lenient: remove an
# entry as soon as its command exists (test_not_yet_list_is_current fails until you do).
NOT_YET_A_COMMAND: set[str] = set()  # e.g. {"startHPO"}: all 40 have a command today


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen = _load("gen_docs")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    gen.build(out)
    return out


@pytest.fixture(scope="module")
def tree():
    return {node.path: node for node in gen.flatten(gen.walk())}


def spec_operations() -> dict[str, tuple[str, str]]:
    """operationId → (METHOD, path), read from the spec text: a `method /path` line, then `summary (id)`."""
    if not SPEC.exists():
        pytest.skip(f"no spec text at {SPEC}")
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    ops = {}
    for prev, line in itertools.pairwise(lines):
        m = re.match(r"^\S.*\((\w+)\)\s*$", line)
        route = re.match(r"^(get|put|post|delete|patch) (/\S*)$", prev)
        if m and route:
            ops[m.group(1)] = (route.group(1).upper(), route.group(2))
    return ops


def command_of(tree, command: str):
    """The tree node a table entry like "exec delete --all" names, and the options it needs."""
    words = [w for w in command.split() if not w.startswith("-")]
    return tree.get(" ".join(["dlicli", *words])), [w for w in command.split() if w.startswith("-")]


def test_committed_files_are_current():
    stale = gen.stale()
    assert stale == [], f"stale generated files {stale}: run `python scripts/gen_docs.py`"


def test_check_mode_finds_changed_and_orphan_files(built, tmp_path):
    shutil.copytree(built, tmp_path / "repo")
    repo = tmp_path / "repo"
    assert gen.stale(repo) == []
    page = repo / "man" / "dlicli-exec-start.1"
    page.write_text(page.read_text().replace("\\-\\-framework", "\\-\\-frame"))
    (repo / "man" / "dlicli-gone.1").write_text(".TH GONE 1\n")
    (repo / "docs" / "commands.md").unlink()
    assert gen.stale(repo) == ["docs/commands.md", "man/dlicli-exec-start.1", "man/dlicli-gone.1"]


@pytest.mark.slow
def test_check_cli_exit_code():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr


def test_the_table_maps_exactly_the_specs_40_operations():
    spec = spec_operations()
    assert len(spec) == 40
    table = {op: (method, path) for op, method, path, _ in gen.OPERATIONS}
    assert len(gen.OPERATIONS) == len(table) == 40
    assert table == spec


def test_every_mapped_command_exists_with_its_options(tree):
    missing = []
    for op, _, _, command in gen.OPERATIONS:
        node, flags = command_of(tree, command)
        if node is None:
            missing.append(op)
            continue
        spellings = {o for p in node.params for o in p.opts + p.secondary}
        assert set(flags) <= spellings, f"{op}: `dlicli {command}` lacks {set(flags) - spellings}"
    assert set(missing) <= NOT_YET_A_COMMAND, f"no command for {sorted(set(missing) - NOT_YET_A_COMMAND)}"


def test_not_yet_list_is_current(tree):
    present = sorted(
        op
        for op, _, _, command in gen.OPERATIONS
        if op in NOT_YET_A_COMMAND and command_of(tree, command)[0] is not None
    )
    assert present == [], f"these now have a command: remove them from NOT_YET_A_COMMAND: {present}"


def test_commands_md_lists_every_operation_and_command(built, tree):
    text = (built / "docs" / "commands.md").read_text()
    table_ops = re.findall(r"^\| `(\w+)` \| `(\w+) (\S+)` \|", text, re.M)
    assert {op for op, _, _ in table_ops} == set(spec_operations())
    for path, _node in tree.items():
        assert re.search(rf"^### {re.escape(path)}$", text, re.M), path
    start = text[text.index("### dlicli exec start") : text.index("### dlicli exec list")]
    for p in tree["dlicli exec start"].params:
        for opt in p.opts:
            assert f"`{opt}" in start or f", {opt}" in start, opt
    assert "| 130 | interrupted" in text and "| `DLICLI_POLL_INTERVAL` |" in text
    assert "[`dlicli exec delete --all`](#dlicli-exec-delete)" in text


def test_one_man_page_per_command(built, tree):
    pages = sorted(p.name for p in (built / "man").glob("*.1"))
    assert pages == sorted(node.page + ".1" for node in tree.values())
    assert {"dlicli.1", "dlicli-exec.1", "dlicli-exec-start.1", "dlicli-server-user-add.1"} <= set(pages)


MACROS = {"TH", "SH", "PP", "TP", "RS", "RE", "nf", "fi", "BR", "br", "ad", "nh"}


@pytest.mark.parametrize("page", ["dlicli", "dlicli-exec", "dlicli-exec-start", "dlicli-api", "dlicli-conf-get"])
def test_man_page_structure(built, tree, page):
    text = (built / "man" / f"{page}.1").read_text()
    lines = text.splitlines()
    assert lines[1].startswith(f'.TH "{page.upper().replace("-", chr(92) + "-")}" "1" ')
    sections = re.findall(r"^\.SH (.+)$", text, re.M)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS"):
        assert name in sections, name
    node = next(n for n in tree.values() if n.page == page)
    assert ("COMMANDS" in sections) == bool(node.children)
    assert ("SEE ALSO" in sections) and (".BR dlicli (1)" in text) == (len(node.words) == 1)
    for line in lines[1:]:
        if line.startswith("."):
            assert line[1:].split(" ")[0] in MACROS, f"stray request: {line!r}"
        else:
            assert not re.search(r"(?<!\\)-", line), f"unescaped hyphen: {line!r}"
    assert text.isascii()
    assert "\\fB\\-\\-json\\fR" in text or not any("--json" in p.opts for p in node.params)


def test_exec_start_page_has_options_environment_exit_codes_and_examples(built, tree):
    text = (built / "man" / "dlicli-exec-start.1").read_text()
    for p in tree["dlicli exec start"].params:
        for opt in p.opts:
            assert "\\fB" + opt.replace("-", "\\-") + "\\fR" in text, opt
    for name, _ in gen.ENVIRONMENT:
        assert f"\\fB{name}\\fR" in text
    for code in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 130):
        assert f".TP\n\\fB{code}\\fR\n" in text
    assert "\\-\\-model\\-main main.py \\-\\-follow" in text
    assert ".BR dlicli\\-exec (1)" in text


def groff(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-P-cbou", str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.slow
def test_every_page_renders_without_warnings(built):
    for page in sorted((built / "man").glob("*.1")):
        proc = groff(page)
        assert (proc.returncode, proc.stderr) == (0, ""), page.name
    out = groff(built / "man" / "dlicli-exec-start.1").stdout
    out = out.replace("\u2010", "-").replace("\u2212", "-")
    for expected in (
        "NAME",
        "dlicli-exec-start - Submit a training task",
        "--model-main FILE",
        "ENVIRONMENT",
        "DLICLI_TOKEN",
        "EXIT STATUS",
        "130",
        "EXAMPLES",
        "--follow -- --epochs 2",
        "dlicli-exec(1)",
    ):
        assert expected in out, expected


def test_every_environment_variable_dlicli_reads_is_documented():
    # the CLI's variables; dlicli/engine/ sets its own for its subprocesses (DLICLI_HPO_PLUGIN_LOG_LEVEL)
    files = [p for p in (ROOT / "dlicli").rglob("*.py") if "engine" not in p.relative_to(ROOT / "dlicli").parts]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    used = set(re.findall(r"[\"'](DLICLI_[A-Z_]+)[\"']", source)) - {"DLICLI_"}
    documented = {name for name, _ in gen.ENVIRONMENT}
    assert used <= documented, f"undocumented: {sorted(used - documented)}"
    for name in documented:
        assert name in source, f"{name} is documented but dlicli never reads it"


def test_exit_codes_come_from_the_enum():
    from dlicli.errors import ExitCode

    assert set(gen.EXIT_MEANINGS) == {code.name for code in ExitCode}
    assert [code for code, _ in gen.exit_codes()] == [int(code) for code in ExitCode]


def test_examples_are_the_help_table():
    # the examples --help shows (tests/test_help_examples.py parses each against its command)
    from dlicli.cli.examples import EXAMPLES

    assert gen.EXAMPLES is EXAMPLES


def test_help_topics_are_generated_and_in_the_help_page(built):
    from dlicli.help import TOPICS

    assert (built / "dlicli" / "help" / "exit-codes.txt").read_text().count("\n  130  interrupted") == 1
    env = (built / "dlicli" / "help" / "environment.txt").read_text()
    assert all(name in env for name, _ in gen.ENVIRONMENT)
    page = (built / "man" / "dlicli-help.1").read_text()
    assert [f".SS {name.replace('-', chr(92) + '-')}" in page for name in TOPICS] == [True] * len(TOPICS)
    text = (built / "docs" / "commands.md").read_text()
    assert all(f"#### dlicli help {name}" in text for name in TOPICS)


def test_hidden_options_and_commands_are_left_out_and_text_is_escaped(tmp_path):
    import typer

    from dlicli.cli.typerx import click_command, click_context

    app = typer.Typer(rich_markup_mode=None)

    @app.command()
    def shown(
        secret: bool = typer.Option(False, "--secret-flag", hidden=True),
        name: str = typer.Option(..., "--name", metavar="N", help=".starts with a dot, has a \\ backslash"),
    ) -> None:
        """'Quoted first line.

        \b
        Examples:
          dlicli shown --name x
        """

    @app.command(hidden=True)
    def ghost() -> None:
        """Never documented."""

    cmd = click_command(app)
    node = gen.walk(cmd, click_context(cmd, "dlicli"), [])
    assert [c.path for c in node.children] == ["dlicli shown"]
    leaf = node.children[0]
    assert [p.opts for p in leaf.params] == [["--name"], ["--help"]]
    ctx = {"version": "9.9", "env": [], "exit_codes": [], "examples": {}, "operations": [], "commands": [leaf]}
    page = gen.render_man(leaf, ctx)
    assert "\\&.starts with a dot, has a \\e backslash" in page
    assert "\n\\&'Quoted first line.\n" in page
    assert ".SH EXAMPLES\n.PP\n.RS 4\n.nf\ndlicli shown \\-\\-name x\n.fi\n.RE\n" in page
    assert "Examples:" not in page and "secret" not in page and "ghost" not in page
