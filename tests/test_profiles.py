"""`dlicli profile list|show|use|delete` on profiles made by real logins."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TOKEN
from tests.outcome import error_line
from tests.recorder import RecordingServer
from tests.test_auth import config_files, dict_keyring, login_with_token  # noqa: F401 - fixture


@pytest.fixture
def two(server, run):
    """Profiles `a` (server, token TOKEN) and `b` (second server, basic bob); `b` is current."""
    second = RecordingServer().start()
    for srv in (server, second):
        srv.route("GET", "/conf", body={})
    assert login_with_token(run, server.root, TOKEN, "--profile-name", "a").exit_code == 0
    result = run(
        "login",
        "--url",
        second.root,
        "--profile-name",
        "b",
        "-u",
        "bob",
        "--password-stdin",
        "--store",
        "file",
        input="bob-pass-77\n",
    )
    assert result.exit_code == 0, result.stderr
    yield server, second
    second.stop()


def test_list_json_and_table(two, run):
    server, second = two
    result = run("profile", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        LOCAL_ROW,
        {
            "name": "a",
            "url": server.url,
            "user": None,
            "auth": "token",
            "insecure": False,
            "caBundle": None,
            "store": "file",
            "current": False,
        },
        {
            "name": "b",
            "url": second.url,
            "user": "bob",
            "auth": "basic",
            "insecure": False,
            "caBundle": None,
            "store": "file",
            "current": True,
        },
    ]
    result = run("profile", "list")
    assert result.stdout == (
        f"local\t(started on demand)\tadmin\ttoken\t\na\t{server.url}\t\ttoken\t\nb\t{second.url}\tbob\tbasic\t*\n"
    )
    assert TOKEN not in result.stdout and "bob-pass-77" not in result.stdout


LOCAL_ROW = {
    "name": "local",
    "url": None,  # its engine is not running: the CLI starts it on demand
    "user": "admin",
    "auth": "token",
    "insecure": False,
    "caBundle": None,
    "store": "engine",
    "current": False,
}


def test_without_profiles_the_list_is_the_current_local_profile(run):
    result = run("profile", "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{**LOCAL_ROW, "current": True}]
    assert run("profile", "list").stdout == "local\t(started on demand)\tadmin\ttoken\t*\n"


def test_local_is_not_current_when_a_url_names_another_server(run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", "http://127.0.0.1:9")
    assert json.loads(run("profile", "list", "--json").stdout) == [LOCAL_ROW]
    assert json.loads(run("--url", "http://127.0.0.1:9", "profile", "show", "local", "--json").stdout) == LOCAL_ROW


def test_show_local_says_current_when_it_is_active(run):
    result = run("profile", "show", "local", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {**LOCAL_ROW, "current": True}
    assert json.loads(run("profile", "show", "--json").stdout)["name"] == "local"


def test_use_local_makes_it_current_again_and_login_still_works(two, run, tmp_path):
    server, _second = two
    result = run("profile", "use", "local")
    assert result.exit_code == 0, result.stderr
    assert "now using profile local (the local engine, started on demand)" in result.stderr
    rows = json.loads(run("profile", "list", "--json").stdout)
    assert [r["name"] for r in rows if r["current"]] == ["local"]
    assert json.loads(run("status", "--json").stdout)["profile"] == "local"
    assert "current_profile: null" in (tmp_path / "config" / "config.yaml").read_text()
    assert login_with_token(run, server.root, TOKEN, "--profile-name", "c").exit_code == 0


def test_delete_local_is_refused(run, tmp_path):
    result = run("profile", "delete", "local", "--yes")
    assert error_line(result, 2) == "error: the local profile is built in and cannot be deleted"
    assert "dlicli server stop" in result.stderr
    assert json.loads(run("profile", "list", "--json").stdout)[0]["name"] == "local"
    assert not (tmp_path / "config" / "config.yaml").exists()


def test_show_defaults_to_the_active_profile_and_never_the_secret(two, run):
    shown = json.loads(run("profile", "show", "--json").stdout)
    assert shown["name"] == "b" and shown["current"] is True
    result = run("profile", "show", "a", "-o", "yaml")
    assert result.exit_code == 0
    assert "name: a" in result.stdout and TOKEN not in result.stdout
    assert run("-P", "a", "profile", "show", "--json").stdout.count('"name": "a"') == 1


def test_show_unknown_exits_3(run):
    result = run("profile", "show", "nope")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: no profile named 'nope'")


def test_use_switches_the_server_later_commands_talk_to(two, run):
    server, _second = two
    result = run("profile", "use", "a")
    assert result.exit_code == 0, result.stderr
    assert f"now using profile a ({server.url})" in result.stderr
    server.requests.clear()
    assert run("conf", "get").exit_code == 0
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_use_unknown_exits_3_and_changes_nothing(two, run, tmp_path):
    before = (tmp_path / "config" / "config.yaml").read_text()
    result = run("profile", "use", "zzz")
    assert error_line(result, 3) == "error: no profile named 'zzz'"
    assert (tmp_path / "config" / "config.yaml").read_text() == before


def test_delete_removes_the_profile_and_its_secret(two, run, tmp_path):
    result = run("profile", "delete", "b", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "bob-pass-77" not in config_files(tmp_path)
    assert TOKEN in config_files(tmp_path)
    names = [p["name"] for p in json.loads(run("profile", "list", "--json").stdout)]
    assert names == ["local", "a"]
    assert "current_profile: null" in (tmp_path / "config" / "config.yaml").read_text()


def test_delete_removes_a_keyring_secret(server, run, dict_keyring):  # noqa: F811 - the imported fixture
    server.route("GET", "/conf", body={})
    assert login_with_token(run, server.root, TOKEN, "--store", "keyring").exit_code == 0
    assert run("profile", "delete", "default", "-y").exit_code == 0
    assert dict_keyring.secrets == {}


def test_delete_without_yes_refuses_to_ask_without_a_tty(two, run):
    result = run("profile", "delete", "a", input="y\n")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert len(json.loads(run("profile", "list", "--json").stdout)) == 3
