"""`dlicli help [TOPIC]`: the guides shipped as package data, printed to stdout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlicli.errors import ExitCode
from dlicli.help import TOPICS
from tests.outcome import error_line

ROOT = Path(__file__).resolve().parent.parent


def test_help_alone_lists_every_topic(run):
    result = run("help")
    assert result.exit_code == 0, result.stderr
    for name, summary in TOPICS.items():
        assert re.search(rf"^  {re.escape(name)} +{re.escape(summary)}$", result.stdout, re.M)
    assert result.stderr == ""


@pytest.mark.parametrize("name", list(TOPICS))
def test_each_topic_prints_its_file(run, name):
    result = run("help", name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (ROOT / "dlicli" / "help" / f"{name}.txt").read_text(encoding="utf-8")
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_exit_codes_topic_names_every_code(run):
    text = run("help", "exit-codes").stdout
    for code in ExitCode:
        assert re.search(rf"^  {int(code)} ", text, re.M), code


def test_environment_topic_names_every_variable_the_cli_reads(run):
    text = run("help", "environment").stdout
    files = [p for p in (ROOT / "dlicli").rglob("*.py") if "engine" not in p.relative_to(ROOT / "dlicli").parts]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    used = set(re.findall(r"[\"'](DLICLI_[A-Z_]+)[\"']", source)) - {"DLICLI_"}
    assert used and all(name in text for name in used), sorted(n for n in used if n not in text)
    assert "DLICLI_SANDBOX" in text and "RESULT_DIR" in text


def test_hpo_spec_topic_covers_the_fields_the_checker_reads(run):
    from dlicli.wmla import BUILTIN_ALGORITHMS

    text = run("help", "hpo-spec").stdout
    for field in ("hpoName", "modelSpec", "algoDef", "hyperParams", "experiments", "objectiveMetric", "maxJobNum"):
        assert field in text
    assert all(algo in text for algo in BUILTIN_ALGORITHMS)


def test_hpo_spec_topic_example_is_a_valid_spec(tmp_path):
    """The example in the topic is the repo's examples/hpo/digits-tpe.yaml, cut down: it passes the checker."""
    import yaml

    from dlicli import hpospec

    text = (ROOT / "dlicli" / "help" / "hpo-spec.txt").read_text()
    block = text.split("Example (examples/hpo/digits-tpe.yaml):\n\n", 1)[1].split("\n\n", 1)[0]
    spec = tmp_path / "spec.yaml"
    spec.write_text("\n".join(line[2:] for line in block.splitlines()))
    body, _warnings = hpospec.validate(yaml.safe_load(spec.read_text()))
    assert body["algoDef"]["algorithm"] == "Tpe" and len(body["hyperParams"]) == 2


def test_an_unknown_topic_is_a_usage_error(run):
    result = run("help", "bogus")
    assert error_line(result, 2, "bogus", "exit-codes") == (
        "error: no help topic 'bogus' (topics: exit-codes, environment, hpo-spec, output)"
    )
    assert "dlicli help" in result.stderr


def test_a_command_name_points_at_its_help(run):
    result = run("help", "exec")
    assert result.exit_code == 2
    assert "hint: for the command, run `dlicli exec --help`" in result.stderr


def test_help_is_listed_in_the_root_help(run):
    assert re.search(r"^  help +Guides: exit codes", run("--help").stdout, re.M)
