"""Test isolation: every test gets its own config and data dirs, no keyring, no colour,
and no DLICLI_* variable from the developer's shell."""

from __future__ import annotations

import os

os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

import pytest

from tests.recorder import RecordingServer

TOKEN = "tok-3f9a1c7e5b2d4a68"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("DLICLI_") or key in ("REQUESTS_CA_BUNDLE", "NO_COLOR", "SSL_CERT_FILE"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DLICLI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DLICLI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    yield


@pytest.fixture
def server():
    srv = RecordingServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def env_server(server, monkeypatch):
    """A recording server the CLI points at through DLICLI_URL and DLICLI_TOKEN."""
    monkeypatch.setenv("DLICLI_URL", server.root)
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    return server


@pytest.fixture
def run():
    """Invoke the CLI in-process: run("exec", "list", "--json") → click Result."""
    from typer.testing import CliRunner

    from dlicli.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def procs():
    """Engine processes (tests/engine_http/conftest.py EngineProc) a test module started: stopped, and
    the tasks they left running killed, at the module's end."""
    from tests.engine_http.conftest import kill_left_tasks

    started: list = []
    yield started
    for proc in started:
        proc.stop()
    for proc in started:
        kill_left_tasks(proc.data_dir)
