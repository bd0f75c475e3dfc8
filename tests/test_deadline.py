"""A total deadline per call: a server that accepts and goes silent used to cost four read timeouts
and three backoffs (242 s with the defaults) before exit 7; now the whole call, retries and backoff
included, ends at DLICLI_DEADLINE (default 60 s). Uploads are bounded per read instead."""

from __future__ import annotations

import time

import pytest

from tests.outcome import error_line


@pytest.fixture
def short_tries(monkeypatch):
    """Each try may wait 5 s; four of them (a GET is retried) would take 20 s without a deadline."""
    monkeypatch.setenv("DLICLI_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("DLICLI_DEADLINE", "1.5")


def _timed(run, *argv):
    started = time.monotonic()
    result = run(*argv)
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("argv", "method", "path"),
    [(("exec", "list"), "GET", "/execs"), (("exec", "stop", "t-1"), "POST", "/execs/t-1/stop")],
)
def test_a_silent_server_costs_the_deadline(env_server, run, short_tries, argv, method, path):
    env_server.route(method, path, silent=True)
    result, elapsed = _timed(run, *argv)
    error_line(result, 7, "no answer within the 1.5 s deadline", f"{method} {env_server.url}{path}")
    assert "raise DLICLI_DEADLINE" in result.stderr
    assert 1.4 < elapsed < 4, elapsed


def test_retry_after_beyond_the_deadline_ends_the_call_at_once(env_server, run, short_tries):
    env_server.route("GET", "/execs", status=503, body={"message": "maintenance"}, headers={"Retry-After": "30"})
    result, elapsed = _timed(run, "exec", "list")
    error_line(result, 7, "HTTP 503", "maintenance")
    assert len(env_server.requests) == 1  # no retry that cannot fit before the deadline
    assert elapsed < 3, elapsed


def test_retries_that_fit_still_happen(env_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_DEADLINE", "20")
    env_server.route("GET", "/execs", body=[])
    env_server.route("GET", "/execs", status=503, body={"message": "busy"}, times=2)  # answered first
    result = run("exec", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(env_server.requests) == 3


def test_an_upload_is_bounded_per_read_not_by_the_deadline(env_server, run, tmp_path, monkeypatch):
    monkeypatch.setenv("DLICLI_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("DLICLI_DEADLINE", "0.5")
    model = tmp_path / "model"
    model.mkdir()
    (model / "main.py").write_text("print(1)\n")
    env_server.route("POST", "/execs", silent=True)
    argv = ("exec", "start", "--framework", "PyTorch", "--model-dir", str(model), "--model-main", "main.py")
    result, elapsed = _timed(run, *argv)
    error_line(result, 7, "timed out")
    assert elapsed >= 1.9, elapsed  # the per-read timeout, not the 0.5 s deadline, ended it


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_deadline_is_a_config_error_before_any_request(env_server, run, monkeypatch, value):
    monkeypatch.setenv("DLICLI_DEADLINE", value)
    error_line(run("exec", "list"), 2, "DLICLI_DEADLINE")
    assert env_server.requests == []
