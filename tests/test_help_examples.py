"""Every leaf command's --help ends with Examples (dlicli/cli/examples.py), each example parses against
the command it names, and no help text wraps a word, an option or a path in the middle."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from dlicli.cli.examples import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
STOPS = {"|", ">", ">>", "&&", ";", ")"}


def _tree() -> list[list[str]]:
    """Every visible command's words, from the real tree (scripts/gen_docs.py's walk)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from gen_docs import flatten, walk

    return [node.words for node in flatten(walk()) if not node.group and node.words]


LEAVES = _tree()


def dlicli_argv(line: str) -> list[str]:
    """The arguments of the dlicli call in an example line (inside $(…), before a pipe or a redirect)."""
    inner = re.search(r"\$\((dlicli[^)]*)\)", line)
    lex = shlex.shlex(inner.group(1) if inner else line, posix=True, punctuation_chars="|>;&)")
    lex.whitespace_split = True
    tokens = list(lex)
    rest = tokens[tokens.index("dlicli") + 1 :]
    cut = next((i for i, tok in enumerate(rest) if tok in STOPS), len(rest))
    return rest[:cut]


def parse(argv: list[str]) -> list[str]:
    """Parse argv as the root would, without running anything → the command path it reached."""
    from dlicli.cli.app import app
    from dlicli.cli.typerx import click_command

    cmd = click_command(app)
    ctx = cmd.make_context("dlicli", list(argv))
    path = []
    while hasattr(cmd, "commands"):
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, cmd, rest = cmd.resolve_command(ctx, args)
        path.append(name)
        ctx = cmd.make_context(name, rest, parent=ctx)
    return path


def test_there_are_59_leaves_and_a_help_command():
    assert len(LEAVES) >= 60
    assert ["help"] in LEAVES


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_every_leaf_help_ends_with_examples(run, words):
    result = run(*words, "--help")
    assert result.exit_code == 0, result.stderr
    head, sep, tail = result.stdout.partition("\n  Examples:\n")
    assert sep, f"no Examples in `dlicli {' '.join(words)} --help`"
    examples = EXAMPLES[" ".join(words)]
    for text, cmd in examples:
        assert f"    # {text}\n" in tail
        assert cmd.split()[0] in tail
    assert "Examples:" not in head  # no second, hand-written Examples section


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_every_example_names_its_command_and_parses(path):
    for _text, line in EXAMPLES[path]:
        argv = dlicli_argv(line)
        assert parse(argv) == path.split(), line


def test_examples_only_for_commands_that_exist():
    assert set(EXAMPLES) == {" ".join(words) for words in LEAVES}


def test_an_example_with_an_unknown_option_fails_to_parse():
    from typer._click.exceptions import NoSuchOption

    with pytest.raises(NoSuchOption):
        parse(dlicli_argv("dlicli exec list --no-such-flag"))
    assert dlicli_argv('curl -H "x: $(dlicli token)" "$URL"') == ["token"]
    assert dlicli_argv("dlicli exec logs ID --stderr | tail -n 50") == ["exec", "logs", "ID", "--stderr"]


def test_the_alias_group_shows_the_same_examples(run):
    result = run("hypersearch", "list", "--help")
    assert "  Examples:\n" in result.stdout and "dlicli hpo list" in result.stdout


@pytest.mark.parametrize("width", [80, 60])
def test_no_help_wraps_an_option_a_path_or_a_word_mid_way(width):
    """A token of the help at 1000 columns (an option, a path, a word) is never cut at `width`."""
    from typer.testing import CliRunner

    from dlicli.cli.app import app

    runner = CliRunner()
    broken = []
    for words in [[], *LEAVES]:
        wide = runner.invoke(app, [*words, "--help"], terminal_width=1000).stdout
        narrow = runner.invoke(app, [*words, "--help"], terminal_width=width).stdout
        tokens = set(wide.split())
        for tok in narrow.split():
            if tok in tokens or tok.endswith("..."):  # summaries cut at a word end in "..."
                continue
            broken.append(f"dlicli {' '.join(words)}: {tok!r}")
    assert broken == []


def test_epilog_lines_fit_80_columns(run):
    for words in LEAVES:
        tail = run(*words, "--help").stdout.partition("\n  Examples:\n")[2]
        long = [line for line in tail.splitlines() if len(line) > 80]
        assert long == [], f"dlicli {' '.join(words)}: {long}"
