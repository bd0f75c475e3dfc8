"""Every command of the tree renders --help, and the fast paths stay free of heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _command_paths():
    from dlicli.cli.app import app
    from dlicli.cli.typerx import click_command

    root = click_command(app)
    paths = []

    def walk(cmd, path):
        paths.append(path)
        if hasattr(cmd, "list_commands"):
            ctx = cmd.make_context("dlicli", ["--help"], resilient_parsing=True)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name])

    walk(root, [])
    return paths


PATHS = _command_paths()


def test_the_tree_has_the_contract_names():
    names = {" ".join(p) for p in PATHS}
    for expected in [
        "conf get",
        "exec start",
        "exec list",
        "exec get",
        "exec stop",
        "exec delete",
        "exec logs",
        "exec result",
        "exec deploy",
        "exec frameworks",
        "exec wait",
        "login",
        "logout",
        "status",
        "token",
        "profile list",
        "profile show",
        "profile use",
        "profile delete",
        "api",
        "completion bash",
        "completion zsh",
        "completion fish",
    ]:
        assert expected in names, f"missing command: dlicli {expected}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "dlicli")
def test_help_renders(run, path):
    result = run(*path, "--help")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: ")
    assert "Traceback" not in result.stdout + result.stderr


HEAVY = ("httpx", "yaml", "keyring", "rich.console", "dlicli.client.http")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["exec", "start", "--help"]])
def test_fast_paths_import_nothing_heavy(argv):
    code = (
        "import sys, json\n"
        "from dlicli.cli.app import app\n"
        f"try:\n    app({argv!r}, prog_name='dlicli')\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == [], f"{argv} imported {loaded}"


def test_version(run):
    from dlicli import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"dlicli {__version__}\n"
