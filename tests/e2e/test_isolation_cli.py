"""Who may share an engine (issue 10): without isolation a second user is refused unless the engine
runs with --shared-trust; `server status` says which isolation is in force. The CLI as a subprocess,
the engine as a real process; "no bwrap" is the engine's DLICLI_SANDBOX=off (engine/sandbox.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from dlicli.engine import sandbox

NO_BWRAP = {"DLICLI_SANDBOX": "off"}


def status(cli) -> dict:
    return cli.json("server", "status")


def test_without_isolation_a_second_user_needs_shared_trust(new_cli):
    cli = new_cli()
    cli.ok("server", "start", "--port", "0", env=NO_BWRAP)
    assert status(cli)["isolation"] == "none (single user)" and status(cli)["sharedTrustNextStart"] is False
    refused = cli("server", "user", "add", "bob")
    assert refused.returncode == 6 and refused.stdout == ""
    assert refused.stderr.startswith("error: cannot add user 'bob': refused to add user bob: this engine cannot")
    assert "--shared-trust" in refused.stderr and "Traceback" not in refused.stderr
    table = cli.ok("server", "status").stdout
    assert "ISOLATION" in table and "none (single user)" in table

    cli.ok("server", "stop")
    cli.ok("server", "start", "--port", "0", "--shared-trust", env=NO_BWRAP)
    assert (cli.data / "trust.json").is_file()
    assert status(cli)["isolation"] == "none (shared trust)" and status(cli)["sharedTrustNextStart"] is True
    token = cli.ok("server", "user", "add", "bob").stdout.strip()
    assert len(token) > 20

    cli.ok("server", "stop")
    cli.ok("server", "start", "--port", "0", "--no-shared-trust", env=NO_BWRAP)
    assert not (cli.data / "trust.json").exists() and status(cli)["isolation"] == "none (single user)"
    assert "2 users share this engine without isolation" in (cli.data / "engine.log").read_text()
    assert cli("server", "user", "add", "carol").returncode == 6
    # an existing user may still get a password: that adds no one
    again = subprocess.run(
        [sys.executable, "-m", "dlicli", "server", "user", "add", "bob", "--password-stdin"],
        env=cli.env,
        input="a-password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr


def test_serve_add_user_without_a_running_engine_follows_the_same_rule(tmp_path):
    def add(name: str, *extra: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(tmp_path), "--add-user", name]
        env = {"PATH": "/usr/bin:/bin", **NO_BWRAP}
        return subprocess.run([*command, *extra], env=env, capture_output=True, text=True, timeout=60)

    refused = add("bob")
    assert refused.returncode == 12 and refused.stdout == ""  # a conflict (engine/useradmin.py EXIT_BY_STATUS)
    assert refused.stderr.startswith("error: refused to add user bob: this engine cannot isolate users")
    allowed = add("bob", "--shared-trust")
    assert allowed.returncode == 0 and len(allowed.stdout.strip()) > 20


@pytest.mark.skipif(sandbox.bwrap() is None, reason="bubblewrap (bwrap) is missing or cannot run here")
def test_with_bwrap_users_are_isolated_and_may_be_added(new_cli):
    cli = new_cli()
    cli.ok("server", "start", "--port", "0")
    assert status(cli)["isolation"] == "bwrap"
    assert len(cli.ok("server", "user", "add", "bob").stdout.strip()) > 20
