"""Fish completion asks the server once per TAB, and path options still complete file names.

typer's fish script runs dlicli twice per TAB (`is-args`, then `get-args`); dlicli's own script runs
it once, and an `is-args` run (a script installed from an older dlicli) answers without a request.
Checked through typer's completion protocol against a recording server, and in a real fish where
one is installed (`apt-get install fish`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.test_completion_dynamic import TASKS, complete

ROOT = Path(__file__).resolve().parent.parent
FISH = shutil.which("fish")
needs_fish = pytest.mark.skipif(FISH is None, reason="fish is not installed (apt-get install fish)")


@pytest.fixture
def at(server):
    server.route("GET", "/execs", body=TASKS)
    return {"DLICLI_URL": server.root, "DLICLI_TOKEN": TOKEN}


def fish_action(line: str, action: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return complete(line, {**env, "_TYPER_COMPLETE_FISH_ACTION": action}, shell="fish")


def test_is_args_says_there_are_values_without_asking_the_server(server, at):
    proc = fish_action("dlicli exec get task-", "is-args", at)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")  # 0: values here, not file names
    assert server.requests == []


def test_get_args_asks_once_and_gives_the_values(server, at):
    proc = fish_action("dlicli exec get task-", "get-args", at)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["task-a1\tRUNNING one", "task-b2\tFINISHED two"]
    assert len(server.requests) == 1


@pytest.mark.parametrize("line", ["dlicli exec start --model-dir ", "dlicli exec result t -O ./o"])
def test_a_path_option_has_no_values_so_fish_completes_files(server, at, line):
    proc = fish_action(line, "is-args", at)
    assert (proc.returncode, proc.stderr) == (1, "")  # 1: no values, fish offers file names
    assert server.requests == []


# -- a real fish -------------------------------------------------------------------------------


@pytest.fixture
def fish_env(tmp_path, at):
    """A `dlicli` on PATH that runs this checkout, and fish's own dirs under tmp."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "dlicli"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dlicli "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, **at, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    return env


def fish_complete(line: str, env: dict[str, str], cwd: Path) -> list[str]:
    """What fish offers for `line` (`complete -C`), with the committed completions/dlicli.fish."""
    script = ROOT / "completions" / "dlicli.fish"
    command = f"source {script}; complete -C '{line}'"
    proc = subprocess.run(
        [FISH, "--no-config", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return proc.stdout.splitlines()


@needs_fish
@pytest.mark.slow
def test_fish_asks_the_server_once_per_tab(server, fish_env, tmp_path):
    assert fish_complete("dlicli exec get task-", fish_env, tmp_path) == [
        "task-a1\tRUNNING one",
        "task-b2\tFINISHED two",
    ]
    assert len(server.requests) == 1
    assert fish_complete("dlicli exec stop task-b", fish_env, tmp_path) == ["task-b2\tFINISHED two"]
    assert len(server.requests) == 2


@needs_fish
@pytest.mark.slow
def test_fish_completes_file_names_for_path_options(server, fish_env, tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "mnist.tar").write_text("")
    assert fish_complete("dlicli exec start --model-dir mo", fish_env, tmp_path) == ["model/"]
    assert fish_complete("dlicli exec start --model-file=mn", fish_env, tmp_path) == ["--model-file=mnist.tar"]
    assert fish_complete("dlicli exec result t -O mn", fish_env, tmp_path) == ["mnist.tar"]
    assert fish_complete("dlicli exec list --state RUN", fish_env, tmp_path) == ["RUNNING\tactive"]
    assert fish_complete("dlicli profile use lo", fish_env, tmp_path) == ["local\tthe local engine"]
    assert server.requests == []  # none of these is a server's value
