"""Connection resolution (flag → env → profile), config.yaml and credentials.yaml on disk, and the
secret stores (working, failing, hanging and absent keyrings) — proven by what reaches the server."""

from __future__ import annotations

import json
import stat
import sys
import time

import certifi
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.null import Keyring as NullKeyring

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import RecordingServer
from tests.test_auth import dict_keyring, login_with_token  # noqa: F401 - fixture


@pytest.fixture
def other():
    srv = RecordingServer().start()
    srv.route("GET", "/conf", body={"server": "other"})
    yield srv
    srv.stop()


@pytest.fixture
def profiled(server, run):
    """`server` behind a profile `p` (current), signed in with TOKEN, file store."""
    server.route("GET", "/conf", body={"server": "profile"})
    result = run(
        "login", "--url", server.root, "--profile-name", "p", "--token-stdin", "--store", "file", input=TOKEN + "\n"
    )
    assert result.exit_code == 0, result.stderr
    server.requests.clear()
    return server


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- precedence ----------------------------------------------------------------------------


def test_url_and_token_precedence_flag_then_env_then_profile(profiled, other, run, monkeypatch):
    assert run("conf", "get").exit_code == 0
    assert profiled.last.headers["authorization"] == f"Bearer {TOKEN}"

    monkeypatch.setenv("DLICLI_URL", other.root)
    monkeypatch.setenv("DLICLI_TOKEN", "env-token-1")
    assert run("conf", "get").exit_code == 0
    assert other.last.headers["authorization"] == "Bearer env-token-1"
    assert len(profiled.requests) == 1

    third = RecordingServer().start()
    try:
        third.route("GET", "/conf", body={})
        assert run("--url", third.url, "conf", "get").exit_code == 0
        assert third.last.headers["authorization"] == "Bearer env-token-1"
        assert len(other.requests) == 1
    finally:
        third.stop()


def test_env_token_beats_env_basic_beats_profile_secret(profiled, run, monkeypatch):
    monkeypatch.setenv("DLICLI_USERNAME", "eve")
    monkeypatch.setenv("DLICLI_PASSWORD", "env-pass-1")
    result = run("status", "--json")
    assert json.loads(result.stdout)["secretSource"] == "env:DLICLI_PASSWORD"
    assert profiled.last.headers["authorization"].startswith("Basic ")
    monkeypatch.setenv("DLICLI_TOKEN", "env-token-2")
    result = run("status", "--json")
    assert json.loads(result.stdout)["secretSource"] == "env:DLICLI_TOKEN"
    assert profiled.last.headers["authorization"] == "Bearer env-token-2"


def test_profile_secret_is_not_sent_to_another_url_unless_the_profile_is_named(profiled, other, run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", other.root)
    result = run("conf", "get")
    assert error_line(result, 4) == f"error: no credentials for {other.url}"
    assert other.requests == []
    assert run("--profile", "p", "conf", "get").exit_code == 0
    assert other.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_profile_flag_beats_env_profile_beats_current(profiled, other, run, monkeypatch):
    other.route("GET", "/conf", body={})
    assert login_with_token(run, other.root, "tok-q-0001", "--profile-name", "q").exit_code == 0
    assert run("profile", "use", "p").exit_code == 0
    monkeypatch.setenv("DLICLI_PROFILE", "q")
    assert run("conf", "get").exit_code == 0
    assert other.last.headers["authorization"] == "Bearer tok-q-0001"
    profiled.requests.clear()
    assert run("-P", "p", "conf", "get").exit_code == 0
    assert profiled.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_insecure_and_ca_bundle_resolution(server, run, monkeypatch):
    server.route("GET", "/conf", body={})
    result = run("login", "--url", server.root, "--token-stdin", "--store", "file", "-k", input=TOKEN + "\n")
    assert result.exit_code == 0 and "warning: TLS certificate verification is off" in result.stderr
    shown = json.loads(run("status", "--json").stdout)
    assert shown["insecure"] is True and shown["caBundle"] is None and shown["profile"] == "default"

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert json.loads(run("status", "--json").stdout)["caBundle"] == certifi.where()
    monkeypatch.setenv("DLICLI_CA_BUNDLE", "/nonexistent/ca.pem")
    result = run("--ca-bundle", certifi.where(), "status", "--json")
    assert json.loads(result.stdout)["caBundle"] == certifi.where()
    assert json.loads(run("status", "--json").stdout)["caBundle"] == "/nonexistent/ca.pem"


def test_env_insecure_is_used_but_not_saved(server, run, monkeypatch):
    server.route("GET", "/conf", body={})
    monkeypatch.setenv("DLICLI_URL", server.root)
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    monkeypatch.setenv("DLICLI_INSECURE", "yes")
    assert json.loads(run("status", "--json").stdout)["insecure"] is True
    monkeypatch.delenv("DLICLI_TOKEN")
    assert login_with_token(run, server.root).exit_code == 0
    monkeypatch.delenv("DLICLI_INSECURE")
    assert json.loads(run("profile", "show", "--json").stdout)["insecure"] is False


def test_no_url_anywhere_uses_the_local_engine_which_needs_its_extra(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if `dlicli[engine]` were not installed
    result = run("conf", "get")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the local engine needs starlette")
    assert "pip install 'dlicli[engine]'" in result.stderr


def test_resolving_with_nothing_configured_only_says_local_engine(tmp_path, capfd):
    from dlicli.config import LOCAL_PROFILE, resolve_connection

    conn = resolve_connection()
    assert (conn.local, conn.url, conn.profile, conn.authorization) == (True, "", LOCAL_PROFILE, None)
    assert not (tmp_path / "data").exists()  # no engine was started, no data dir made
    assert capfd.readouterr() == ("", "")  # and nothing was printed


def test_a_local_connection_takes_the_engines_url_and_token_unless_the_env_gives_credentials(monkeypatch):
    from dlicli.config import resolve_connection

    on_engine = resolve_connection().on_local_engine("http://127.0.0.1:9999", "engine-token")
    assert on_engine.url == "http://127.0.0.1:9999/platform/rest/deeplearning/v1"
    assert on_engine.authorization == "Bearer engine-token"
    assert (on_engine.username, on_engine.secret_source) == ("admin", "engine:admin.token")
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    with_env = resolve_connection().on_local_engine("http://127.0.0.1:9999", "engine-token", "not running")
    assert with_env.authorization == f"Bearer {TOKEN}" and with_env.secret_source == "env:DLICLI_TOKEN"
    assert with_env.secret_problem == "not running"


def test_unknown_profile_exits_3(run, monkeypatch):
    monkeypatch.setenv("DLICLI_PROFILE", "ghost")
    result = run("conf", "get")
    assert result.exit_code == 3
    assert "no profile named 'ghost'" in result.stderr


# -- files on disk -------------------------------------------------------------------------


def test_files_are_private_atomic_and_config_holds_no_secret(profiled, run, tmp_path):
    cfg_dir = tmp_path / "config"
    assert mode(cfg_dir) == 0o700
    assert mode(cfg_dir / "config.yaml") == 0o600
    assert mode(cfg_dir / "credentials.yaml") == 0o600
    assert TOKEN not in (cfg_dir / "config.yaml").read_text()
    assert TOKEN in (cfg_dir / "credentials.yaml").read_text()
    assert sorted(p.name for p in cfg_dir.iterdir()) == ["config.yaml", "credentials.yaml"]


@pytest.mark.parametrize("text", ["profiles: [unclosed", "- a list", "profiles:\n  p: {auth: token}\n"])
def test_corrupt_config_is_a_config_error_naming_the_file(run, tmp_path, text, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(text)
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    result = run("conf", "get")
    assert result.exit_code == 2
    assert str(tmp_path / "config" / "config.yaml") in result.stderr
    assert "Traceback" not in result.stderr


# -- secret stores -------------------------------------------------------------------------


class BrokenKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise RuntimeError("dbus says no")

    set_password = delete_password = get_password


class HangingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        time.sleep(5)

    set_password = delete_password = get_password


@pytest.fixture(params=[NullKeyring, BrokenKeyring, HangingKeyring])
def bad_keyring(request, monkeypatch):
    monkeypatch.setenv("DLICLI_KEYRING_TIMEOUT", "0.3")
    keyring.set_keyring(request.param())
    yield request.param
    keyring.set_keyring(NullKeyring())


def test_no_keyring_and_no_opt_in_exits_2_naming_the_way_out(server, run, bad_keyring, tmp_path):
    server.route("GET", "/conf", body={})
    started = time.monotonic()
    result = login_with_token(run, server.root, TOKEN, "--store", "auto")
    assert time.monotonic() - started < 3
    assert result.exit_code == 2  # the credentials were good: only where to keep them is missing
    assert "DLICLI_TOKEN" in result.stderr and "--store file" in result.stderr
    assert not (tmp_path / "config" / "config.yaml").exists()
    assert not (tmp_path / "config" / "credentials.yaml").exists()


def test_env_opt_in_uses_the_file_store(server, run, bad_keyring, monkeypatch, tmp_path):
    server.route("GET", "/conf", body={})
    monkeypatch.setenv("DLICLI_CREDENTIALS_STORE", "file")
    result = run("login", "--url", server.root, "--token-stdin", input=TOKEN + "\n")
    assert result.exit_code == 0, result.stderr
    assert "secret in file" in result.stderr
    monkeypatch.delenv("DLICLI_CREDENTIALS_STORE")
    assert json.loads(run("status", "--json").stdout)["secretSource"] == "file"


def test_working_keyring_is_used_and_no_file_is_written(server, run, dict_keyring, tmp_path):  # noqa: F811
    server.route("GET", "/conf", body={})
    result = login_with_token(run, server.root, TOKEN, "--store", "auto")
    assert result.exit_code == 0, result.stderr
    assert dict_keyring.secrets == {("dlicli", "default"): TOKEN}
    assert not (tmp_path / "config" / "credentials.yaml").exists()
    assert json.loads(run("status", "--json").stdout)["secretSource"] == "keyring"


def test_keyring_that_breaks_after_login_is_a_clear_error(server, run, dict_keyring, monkeypatch):  # noqa: F811
    server.route("GET", "/conf", body={})
    assert login_with_token(run, server.root, TOKEN, "--store", "keyring").exit_code == 0
    monkeypatch.setenv("DLICLI_KEYRING_TIMEOUT", "0.3")
    keyring.set_keyring(HangingKeyring())
    count = len(server.requests)
    result = run("conf", "get")
    assert result.exit_code == 4
    assert "did not answer within 0.3s" in result.stderr and "DLICLI_TOKEN" in result.stderr
    assert len(server.requests) == count
    result = run("status", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["secretSource"] == "none"
    assert "warning: cannot read the secret of profile 'default'" in result.stderr
