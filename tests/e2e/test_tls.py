"""The local engine over HTTPS, end to end: `dlicli server start --tls`, the CLI trusting its own
engine's certificate (and no other), TLS kept across the starts the CLI makes by itself, passwords,
and `dlicli dlicmd` reaching the engine by --rest-host/--rest-port without --http."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Cli


def port_of(cli: Cli) -> str:
    return str(urlsplit(cli.url).port)


def with_stdin(cli: Cli, text: str, *args: str) -> subprocess.CompletedProcess:
    """`dlicli ARGS…` with `text` on stdin (a password, as a script pipes it)."""
    return subprocess.run(
        [sys.executable, "-m", "dlicli", *args],
        input=text,
        env={**cli.env, "DLICLI_CREDENTIALS_STORE": "file"},  # no keyring here: the 0600 file
        cwd=cli.root,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def tls_cli(new_cli) -> Cli:
    cli = new_cli("tls")
    started = cli.ok("server", "start", "--tls", "--port", "0")
    assert "the local engine runs at https://127.0.0.1:" in started.stderr
    return cli


def test_the_cli_trusts_its_own_engine_without_insecure(tls_cli):
    status = tls_cli.json("server", "status")
    assert status["url"].startswith("https://127.0.0.1:") and status["cert"] == str(tls_cli.data / "tls" / "cert.pem")
    assert status["tlsNextStart"] is True
    assert tls_cli.json("exec", "list") == []
    listed = tls_cli.ok("conf", "get", "DLI_ENGINE")
    assert listed.stdout.strip().endswith("local") and "insecure" not in listed.stderr.lower()
    # the same engine named by an explicit URL, any loopback name: still trusted, with its token
    env = {"DLICLI_TOKEN": tls_cli.admin_token}
    for host in ("127.0.0.1", "localhost"):
        assert tls_cli.json("--url", f"https://{host}:{port_of(tls_cli)}", "exec", "list", env=env) == []


def test_another_server_with_an_untrusted_certificate_still_fails(tls_cli, new_cli):
    other = new_cli("other")
    other.ok("server", "start", "--tls", "--port", "0")
    env = {"DLICLI_TOKEN": other.admin_token}
    failed = tls_cli("--url", f"https://127.0.0.1:{port_of(other)}", "exec", "list", env=env)
    assert failed.returncode == 7 and failed.stdout == ""
    error, hint = failed.stderr.strip().splitlines()[-2:]
    assert error.startswith("error: TLS handshake with https://127.0.0.1:") and "CERTIFICATE_VERIFY_FAILED" in error
    assert hint.startswith("hint: trust the server's CA with --ca-bundle FILE")
    trusting = ("--ca-bundle", str(other.data / "tls" / "cert.pem"))
    assert tls_cli.json(*trusting, "--url", f"https://127.0.0.1:{port_of(other)}", "exec", "list", env=env) == []


@pytest.mark.slow
def test_tls_is_kept_for_the_starts_the_cli_makes_until_no_tls(tls_cli):
    tls_cli.ok("server", "stop")
    assert tls_cli.json("exec", "list") == []  # nothing configured: the CLI starts the engine itself
    assert tls_cli.engine()["url"].startswith("https://") and tls_cli.engine()["cert"]
    tls_cli.ok("server", "stop")
    tls_cli.ok("server", "start", "--no-tls", "--port", "0")
    assert tls_cli.engine()["url"].startswith("http://") and tls_cli.engine()["cert"] is None
    tls_cli.ok("server", "stop")
    assert tls_cli.json("exec", "list") == []
    assert tls_cli.engine()["url"].startswith("http://")
    assert tls_cli.json("server", "status")["tlsNextStart"] is False


def test_dlicmd_logon_with_a_password_then_commands_without_http(tls_cli):
    added = with_stdin(tls_cli, "s3cret words\n", "server", "user", "add", "alice", "--password-stdin")
    assert added.returncode == 0, added.stderr
    where = ("--rest-host", "127.0.0.1", "--rest-port", port_of(tls_cli))
    logged = with_stdin(
        tls_cli, "s3cret words\n", "dlicmd", "--logon", *where, "--username", "alice", "--password-stdin"
    )
    assert logged.returncode == 0, logged.stderr
    assert "signed in to https://127.0.0.1:" in logged.stderr and "as alice" in logged.stderr
    listed = tls_cli("dlicmd", "--exec-get-all", *where, env={"DLICLI_CREDENTIALS_STORE": "file"})  # --logon's profile
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    wrong = with_stdin(tls_cli, "not it\n", "dlicmd", "--logon", *where, "--username", "alice", "--password-stdin")
    assert wrong.returncode == 4 and "wrong user name or password" in wrong.stderr


def test_dlicmd_on_a_plain_http_engine(new_cli):
    cli = new_cli("plain")
    cli.ok("server", "start", "--port", "0")
    env = {"DLICLI_TOKEN": cli.admin_token}
    where = ("--rest-host", "127.0.0.1", "--rest-port", port_of(cli))
    assert json.loads(cli.ok("dlicmd", "--exec-get-all", *where, env=env).stdout) == []  # no --http needed
    forced = cli("dlicmd", "--exec-get-all", *where, "--rest-protocol", "https", env=env)
    assert forced.returncode == 7 and forced.stdout == ""
    error, hint = forced.stderr.strip().splitlines()[-2:]
    assert error.startswith("error: https://127.0.0.1:") and "answered in plain HTTP" in error
    assert hint == (
        "hint: the server speaks plain HTTP: add --http (or --rest-protocol http), "
        "or serve HTTPS (the local engine: `dlicli server stop && dlicli server start --tls`)"
    )
    native = cli("--url", f"https://127.0.0.1:{port_of(cli)}", "exec", "list", env=env)
    assert native.returncode == 7 and native.stderr.strip().splitlines()[-1].startswith(
        "hint: the server speaks plain HTTP: use an http:// URL"
    )
