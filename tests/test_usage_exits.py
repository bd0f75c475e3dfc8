"""Bad input the user can fix is the usage/config exit code (2) with a message saying what to fix,
not "unexpected …, report it" (exit 1): an invalid URL, a spec file that is not text, a data dir the
local engine cannot write. (A token that cannot be sent: tests/test_terminal_safety.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.outcome import error_line

BINARY = bytes(range(256)) * 4  # a model archive or an image given where the spec goes


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999", "http://wmla:port/", "https://:9243"])
@pytest.mark.parametrize("argv", [("exec", "list"), ("conf", "get")])
def test_an_invalid_url_is_a_usage_error(run, monkeypatch, url, argv):
    monkeypatch.setenv("DLICLI_TOKEN", "tok-3f9a1c7e5b2d4a68")
    result = run("--url", url, *argv)
    error_line(result, 2, "not a server URL")
    assert "report it" not in result.stderr


def test_login_to_an_invalid_url_is_a_usage_error(run):
    result = run("login", "--url", "http://[::1", "--token-stdin", "--store", "file", input="tok-123456\n")
    error_line(result, 2, "not a server URL")


@pytest.mark.parametrize("argv", [("hpo", "start"), ("hpo", "algorithm", "debug")])
@pytest.mark.parametrize("name", ["spec.yaml", "spec.json"])
def test_a_binary_spec_file_is_a_usage_error_before_any_request(env_server, run, tmp_path, argv, name):
    spec = tmp_path / name
    spec.write_bytes(BINARY[128:])
    result = run(*argv, str(spec))
    error_line(result, 2, f"the spec {spec} is not text", "byte 0x80 at offset 0 is not UTF-8")
    assert env_server.requests == []


@pytest.mark.parametrize("argv", [("exec", "list"), ("server", "start"), ("server", "user", "rotate-token", "admin")])
def test_a_data_dir_that_cannot_be_made_is_a_config_error(run, tmp_path, monkeypatch, argv):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    monkeypatch.setenv("DLICLI_DATA_DIR", str(blocker / "data"))
    result = run(*argv)
    error_line(result, 2, "cannot use the local engine's data dir", str(blocker / "data"), "Not a directory")
    assert "DLICLI_DATA_DIR" in result.stderr


def _read_only_place() -> Path | None:
    """A directory no one may create anything in, even root: a read-only mount such as /sys."""
    for place in (Path("/sys"), Path("/proc/sys")):
        probe = place / "dlicli-probe"
        try:
            os.mkdir(probe)
        except OSError:
            return place
        os.rmdir(probe)
    return None


@pytest.mark.skipif(_read_only_place() is None, reason="no read-only mount to put a data dir on")
@pytest.mark.parametrize("argv", [("exec", "list"), ("server", "start")])
def test_a_read_only_data_dir_is_a_config_error(run, monkeypatch, argv):
    ddir = _read_only_place() / "dlicli-data"  # type: ignore[operator]
    monkeypatch.setenv("DLICLI_DATA_DIR", str(ddir))
    result = run(*argv)
    error_line(result, 2, "cannot use the local engine's data dir", str(ddir))
    assert "report it" not in result.stderr
