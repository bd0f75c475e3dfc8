"""`dlicli server start --tls/--cert/--key` and `server user add --password-stdin`: bad input is refused
before anything is started or written (the real engine over TLS: tests/e2e/test_tls.py)."""

from __future__ import annotations

import pytest

from tests.outcome import error_line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--cert", "c.pem", "--key", "k.pem"], ["--cert and --key go with --tls"]),
        (["--tls", "--cert", "c.pem"], ["--cert and --key go together"]),
        (["--tls", "--cert", "missing.pem", "--key", "missing.key"], ["cannot read", "missing.pem"]),
    ],
)
def test_tls_options_that_cannot_work_start_nothing(run, tmp_path, args, words):
    result = run("server", "start", *args)
    error_line(result, 2, *words)
    data = tmp_path / "data"
    assert not (data / "engine.json").exists() and not (data / "tls.json").exists()


def test_no_password_on_stdin_is_refused(run, tmp_path):
    result = run("server", "user", "add", "alice", "--password-stdin", input="")
    error_line(result, 2, "no password on stdin")
    assert not (tmp_path / "data" / "engine.db").exists()
