"""`dlicli completion bash|zsh|fish`, the completion callback itself (fast, no httpx), and the
committed completions/ files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FILES = {"bash": "dlicli.bash", "zsh": "_dlicli", "fish": "dlicli.fish"}

# Runs the real entry point in a fresh interpreter and reports which heavy modules it imported.
PROBE = """
import sys
from dlicli.cli.app import main
sys.argv = ["dlicli"]
try:
    main()
finally:
    heavy = sorted(m for m in ("httpx", "keyring", "yaml", "dlicli.client.http", "dlicli.cli.exec", "dlicli.cli.hpo",
                               "dlicli.cli.auth") if m in sys.modules)
    sys.stderr.write("IMPORTED:" + ",".join(heavy) + "\\n")
"""


def complete(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script(run, shell):
    result = run("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert "_DLICLI_COMPLETE=complete_" + shell in result.stdout
    assert result.stdout.endswith("\n")
    assert result.stderr == ""


def test_script_shapes(run):
    assert "complete -o default -F _dlicli_completion dlicli" in run("completion", "bash").stdout
    assert run("completion", "zsh").stdout.startswith("#compdef dlicli\n")
    assert "\ncomplete --command dlicli --no-files --condition __dlicli_complete " in run("completion", "fish").stdout


def test_completion_without_a_shell_shows_help(run):
    result = run("completion")
    assert result.exit_code == 2
    assert "bash" in result.stdout + result.stderr


def test_bash_completion_callback_completes_without_importing_httpx():
    proc = complete({"_DLICLI_COMPLETE": "complete_bash", "COMP_WORDS": "dlicli ex", "COMP_CWORD": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["exec"]
    assert "IMPORTED:\n" in proc.stderr  # none of httpx, keyring, yaml, the client, the commands


def test_command_names_complete_with_their_summaries_and_hidden_ones_stay_hidden():
    proc = complete({"_DLICLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "dlicli "})
    assert proc.returncode == 0, proc.stderr
    assert '"exec":"Submit, follow and manage training tasks."' in proc.stdout
    assert '"login":"Sign in' in proc.stdout
    assert "hypersearch" not in proc.stdout
    assert "IMPORTED:\n" in proc.stderr
    proc = complete({"_DLICLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "dlicli --u"})
    assert '"--url":"Server base URL' in proc.stdout  # the root's own options still complete


def test_bash_completion_of_subcommands():
    proc = complete({"_DLICLI_COMPLETE": "complete_bash", "COMP_WORDS": "dlicli completion ", "COMP_CWORD": "2"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["bash", "zsh", "fish"]


@pytest.mark.slow
def test_zsh_and_fish_callbacks():
    proc = complete({"_DLICLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "dlicli complet"})
    assert proc.returncode == 0, proc.stderr
    assert '"completion"' in proc.stdout and proc.stdout.startswith("_arguments")
    proc = complete(
        {
            "_DLICLI_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "dlicli completion z",
        }
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\t")[0].strip() == "zsh"


def test_the_installed_console_script_completes():
    exe = BIN / "dlicli"
    if not exe.exists():
        pytest.skip("no dlicli console script next to this interpreter")
    env = {**os.environ, "_DLICLI_COMPLETE": "complete_bash", "COMP_WORDS": "dlicli ex", "COMP_CWORD": "1"}
    proc = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "exec\n")


def test_the_bash_script_really_works_in_bash(tmp_path):
    bash = shutil.which("bash")
    if bash is None or not (BIN / "dlicli").exists():
        pytest.skip("needs bash and the dlicli console script")
    script = (ROOT / "completions" / FILES["bash"]).read_text()
    test = (
        script + '\nCOMP_WORDS=(dlicli ex); COMP_CWORD=1; _dlicli_completion dlicli; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([bash, "--norc", "-c", test], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["exec"]


def test_committed_completion_files_are_current(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_completions.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for shell, name in FILES.items():
        generated = (tmp_path / name).read_text()
        committed = ROOT / "completions" / name
        assert committed.exists(), f"run scripts/gen_completions.py: {name} is missing"
        assert committed.read_text() == generated, f"completions/{name} is stale: run scripts/gen_completions.py"
        from dlicli.cli.completion import script

        assert generated == script(shell)
