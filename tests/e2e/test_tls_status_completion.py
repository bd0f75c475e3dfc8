"""`dlicli status` and TAB completion on a local engine started with `--tls`: both trust the engine's
own certificate, as every other command does (no --insecure, no CA bundle)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import Cli


@pytest.fixture(scope="module")
def tls_cli(tmp_path_factory):
    cli = Cli(tmp_path_factory.mktemp("tls-status"))
    try:
        cli.ok("server", "start", "--tls", "--port", "0")
        assert cli.url.startswith("https://127.0.0.1:")
        cli.ok("resplan", "create", "team-a")
        yield cli
    finally:
        cli.cleanup()


def complete(cli: Cli, line: str, shell: str = "bash", **env: str) -> list[str]:
    """The candidates for `line` through typer's completion protocol, as the shell asks."""
    full = {**cli.env, **env, "_DLICLI_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        full.update(COMP_WORDS=line, COMP_CWORD=str(len(line.split()) - (0 if line.endswith(" ") else 1)))
    else:
        full["_TYPER_COMPLETE_ARGS"] = line
    proc = subprocess.run(
        [sys.executable, "-m", "dlicli"], env=full, capture_output=True, text=True, timeout=60, cwd=cli.root
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return proc.stdout.splitlines()


def test_status_reaches_the_tls_engine(tls_cli):
    result = tls_cli("status")
    assert result.returncode == 0, result.stderr
    assert "SERVER\tok" in result.stdout.splitlines()
    assert "insecure" not in result.stderr.lower() and "CERTIFICATE_VERIFY_FAILED" not in result.stderr
    server = json.loads(tls_cli.ok("status", "--json").stdout)["server"]
    assert server["reachable"] is True and server["message"] == "ok" and server["status"] == 200


def test_status_by_the_engines_url_trusts_it_too(tls_cli):
    result = tls_cli("--url", tls_cli.url, "status", env={"DLICLI_TOKEN": tls_cli.admin_token})
    assert result.returncode == 0, result.stderr
    assert "SERVER\tok" in result.stdout.splitlines()


def test_completion_finds_the_tls_engines_values(tls_cli):
    assert complete(tls_cli, "dlicli resplan get team") == ["team-a"]
    assert complete(tls_cli, "dlicli resplan get team", shell="fish", _TYPER_COMPLETE_FISH_ACTION="get-args") == [
        "team-a\t/team-a"
    ]
