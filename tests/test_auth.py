"""login / logout / status / token against the RecordingServer: what reaches the wire, what is kept
where, and that no secret leaks to stdout, stderr or --debug."""

from __future__ import annotations

import base64
import json

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.null import Keyring as NullKeyring
from keyring.errors import PasswordDeleteError

from tests.conftest import TOKEN
from tests.outcome import error_line


class DictKeyring(KeyringBackend):
    """A working keyring that keeps secrets in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def dict_keyring():
    backend = DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(NullKeyring())


def login_with_token(run, url: str, token: str = TOKEN, *extra: str):
    """`dlicli login --url URL --token-stdin` (file store unless extra says otherwise)."""
    args = ["login", "--url", url, "--token-stdin", *extra]
    if "--store" not in extra:
        args += ["--store", "file"]
    return run(*args, input=token + "\n")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def config_files(tmp_path) -> str:
    """Every file under the config dir, concatenated: to grep for secrets."""
    root = tmp_path / "config"
    return "".join(p.read_text() for p in root.rglob("*") if p.is_file()) if root.exists() else ""


# -- login ---------------------------------------------------------------------------------


def test_login_token_stdin_verifies_then_later_commands_use_it(server, run, dict_keyring):
    server.route("GET", "/conf", body={"k": "v"})
    result = login_with_token(run, server.root, TOKEN, "--store", "keyring")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"signed in to {server.url} with a token (profile default, secret in keyring)\n"
    assert [(r.method, r.path) for r in server.requests] == [("GET", server.url.split(server.root)[1] + "/conf")]
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert dict_keyring.secrets == {("dlicli", "default"): TOKEN}

    result = run("conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"k": "v"}
    assert server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_login_with_a_rejected_token_exits_4_and_saves_nothing(server, run, tmp_path, dict_keyring):
    server.route("GET", "/conf", status=401, body={"message": "bad token"})
    result = login_with_token(run, server.root, "wrong-token-123", "--store", "keyring")
    assert result.exit_code == 4
    assert "rejected the credentials (HTTP 401): bad token" in result.stderr
    assert not (tmp_path / "config").exists()
    assert dict_keyring.secrets == {}


def test_login_basic_password_stdin_is_sent_as_basic_later(server, run):
    server.route("GET", "/conf", body={})
    result = run(
        "login",
        "--url",
        server.root,
        "--username",
        "alice",
        "--password-stdin",
        "--store",
        "file",
        input="s3cret-pass\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "as alice (profile default, secret in file)" in result.stderr
    assert server.last.headers["authorization"] == basic("alice", "s3cret-pass")
    assert run("conf", "get").exit_code == 0
    assert server.last.headers["authorization"] == basic("alice", "s3cret-pass")


def test_console_logon_keeps_the_access_token_not_the_password(server, run, tmp_path):
    server.route("GET", "//auth/v1/logon", body={"accessToken": "acc-77aa88bb99"})
    server.route("GET", "/conf", body={})
    result = run(
        "login",
        "--url",
        server.root,
        "-u",
        "bob",
        "--password-stdin",
        "--console-logon",
        "--store",
        "file",
        input="bobs-password\n",
    )
    assert result.exit_code == 0, result.stderr
    logon, conf = server.requests
    assert (logon.method, logon.path) == ("GET", "/auth/v1/logon")
    assert logon.headers["authorization"] == basic("bob", "bobs-password")
    assert conf.headers["authorization"] == "Bearer acc-77aa88bb99"
    files = config_files(tmp_path)
    assert "acc-77aa88bb99" in files and "bobs-password" not in files
    assert "auth: console" in (tmp_path / "config" / "config.yaml").read_text()

    assert run("conf", "get").exit_code == 0
    assert server.last.headers["authorization"] == "Bearer acc-77aa88bb99"


def test_console_logon_without_access_token_is_a_protocol_error(server, run, tmp_path):
    server.route("GET", "//auth/v1/logon", body={"nope": 1})
    result = run(
        "login",
        "--url",
        server.root,
        "-u",
        "bob",
        "--password-stdin",
        "--console-logon",
        "--store",
        "file",
        input="pw-123456\n",
    )
    assert result.exit_code == 9  # the answer is not what /auth/v1/logon returns
    assert "not a JSON object with an accessToken but no accessToken in it" in result.stderr
    assert not (tmp_path / "config").exists()


def test_login_without_a_tty_and_without_stdin_flag_is_a_usage_error(server, run):
    result = run("login", "--url", server.root, "--store", "file", input="")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: stdin is not a terminal")
    assert "--token-stdin" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["--token-stdin", "--password-stdin"],
        ["--token-stdin", "--console-logon"],
        ["--token-stdin", "--store", "vault"],
        ["--token-stdin", "--profile-name", "local"],
        ["--password-stdin"],
    ],
)
def test_bad_login_options_exit_2_before_any_request(server, run, args):
    result = run("login", "--url", server.root, *args, input="x-secret-1\n")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert server.requests == []


def test_root_url_and_profile_options_name_the_login_target(server, run, tmp_path):
    server.route("GET", "/conf", body={})
    result = run(
        "--url", server.root, "--profile", "work", "login", "--token-stdin", "--store", "file", input=TOKEN + "\n"
    )
    assert result.exit_code == 0, result.stderr
    assert "(profile work, secret in file)" in result.stderr
    assert [p["name"] for p in json.loads(run("profile", "list", "--json").stdout)] == ["local", "work"]


# -- logout --------------------------------------------------------------------------------


def test_logout_forgets_the_secret_but_keeps_the_url(server, run, dict_keyring):
    server.route("GET", "/conf", body={})
    assert login_with_token(run, server.root, TOKEN, "--store", "keyring").exit_code == 0
    result = run("logout")
    assert result.exit_code == 0, result.stderr
    assert dict_keyring.secrets == {}
    assert f"signed out of profile default ({server.url})" in result.stderr
    count = len(server.requests)
    result = run("conf", "get")
    assert result.exit_code == 4
    assert len(server.requests) == count
    assert json.loads(run("profile", "show", "--json").stdout)["url"] == server.url


def test_logout_of_a_console_profile_logs_off_on_the_server(server, run, tmp_path):
    server.route("GET", "//auth/v1/logon", body={"accessToken": "acc-logoff-1234"})
    server.route("POST", "//auth/v1/logoff", body={})
    server.route("GET", "/conf", body={})
    run(
        "login",
        "--url",
        server.root,
        "-u",
        "bob",
        "--password-stdin",
        "--console-logon",
        "--store",
        "file",
        input="pw-abcdef\n",
    )
    result = run("logout", "--all")
    assert result.exit_code == 0, result.stderr
    assert (server.last.method, server.last.path) == ("POST", "/auth/v1/logoff")
    assert server.last.headers["authorization"] == "Bearer acc-logoff-1234"
    assert "acc-logoff-1234" not in config_files(tmp_path)


def test_logout_of_an_unknown_profile_exits_3(run, tmp_path):
    result = run("logout", "--profile-name", "ghost")
    assert error_line(result, 3) == "error: no profile named 'ghost'"
    assert "hint: list them with `dlicli profile list`" in result.stderr
    assert not (tmp_path / "config" / "config.yaml").exists()


# -- status --------------------------------------------------------------------------------


def test_status_json_shape_and_exit_0(env_server, run):
    env_server.route("GET", "/conf", body={})
    result = run("status", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "profile": None,
        "url": env_server.url,
        "user": None,
        "userSource": "unknown",
        "secretSource": "env:DLICLI_TOKEN",
        "insecure": False,
        "caBundle": None,
        "server": {"reachable": True, "status": 200, "message": "ok"},
    }
    assert TOKEN not in result.stdout + result.stderr
    assert env_server.last.headers["authorization"] == f"Bearer {TOKEN}"


def jwt(claims: dict) -> str:
    """An unsigned JWT carrying `claims` (dlicli only reads the payload, for display)."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_status_shows_unknown_for_an_opaque_token_login(server, run):
    server.route("GET", "/conf", body={})
    assert login_with_token(run, server.root, TOKEN).exit_code == 0
    result = run("status")
    assert result.exit_code == 0, result.stderr
    assert "USER\tunknown\n" in result.stdout
    shown = json.loads(run("status", "--json").stdout)
    assert (shown["user"], shown["userSource"]) == (None, "unknown")


def test_status_shows_the_user_a_jwt_names(server, run):
    server.route("GET", "/conf", body={})
    token = jwt({"sub": "uid-1001", "username": "alice", "exp": 4102444800})
    assert login_with_token(run, server.root, token).exit_code == 0
    result = run("status", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["user"], shown["userSource"]) == ("alice", "token")
    assert token not in result.stdout + result.stderr
    assert "USER\talice\n" in run("status").stdout


def test_status_shows_the_user_of_a_password_login(server, run):
    server.route("GET", "/conf", body={})
    result = run("login", "--url", server.root, "-u", "bob", "--password-stdin", "--store", "file", input="pw-55\n")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(run("status", "--json").stdout)
    assert (shown["user"], shown["userSource"]) == ("bob", "credentials")


def test_login_without_a_keyring_verifies_then_says_how_to_keep_the_secret(server, run, tmp_path):
    """The tests' keyring is keyring's null backend: no usable keyring, as on a headless machine."""
    server.route("GET", "/conf", body={})
    result = login_with_token(run, server.root, TOKEN, "--store", "keyring")
    line = error_line(result, 2, server.url, "accepted the credentials", "no usable keyring", "nothing was saved")
    assert line.startswith("error: the server at ")
    assert "hint: log in again with `--store file`" in result.stderr
    assert "DLICLI_TOKEN" in result.stderr and "install a keyring backend" in result.stderr
    assert len(server.requests) == 1 and server.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.stderr + config_files(tmp_path)
    assert not (tmp_path / "config" / "config.yaml").exists()
    again = login_with_token(run, server.root, TOKEN, "--store", "file")
    assert again.exit_code == 0, again.stderr


def test_login_without_a_keyring_and_bad_credentials_is_still_exit_4(server, run):
    server.route("GET", "/conf", status=401, body={"message": "bad token"})
    result = login_with_token(run, server.root, TOKEN, "--store", "keyring")
    assert error_line(result, 4, "rejected the credentials")


def test_status_reports_401_and_exits_4(env_server, run):
    env_server.route("GET", "/conf", status=401, body={"message": "expired"})
    result = run("status", "-o", "json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["server"] == {"reachable": True, "status": 401, "message": "HTTP 401: expired"}
    assert result.stderr.startswith("error: ")


def test_status_unreachable_exits_7(run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    result = run("status", "--json")
    assert result.exit_code == 7
    server = json.loads(result.stdout)["server"]
    assert server["reachable"] is False and server["status"] is None
    assert server["message"].startswith("unreachable: ")


def test_status_without_credentials_exits_4(server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", server.root)
    server.route("GET", "/conf", body={})
    result = run("status")
    assert result.exit_code == 4
    assert "SECRET\tnone" in result.stdout
    assert "no credentials" in result.stderr


# -- token ---------------------------------------------------------------------------------


def test_token_prints_the_raw_token(server, run):
    server.route("GET", "/conf", body={})
    login_with_token(run, server.root, "Bearer raw-tok-555")
    result = run("token")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "raw-tok-555\n"
    assert server.last.path.endswith("/conf")  # `token` itself sends nothing
    assert len(server.requests) == 1


def test_token_refuses_basic_credentials(run, monkeypatch):
    monkeypatch.setenv("DLICLI_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DLICLI_USERNAME", "alice")
    monkeypatch.setenv("DLICLI_PASSWORD", "pw-not-a-token")
    result = run("token")
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "pw-not-a-token" not in result.stderr
    assert "not a token" in result.stderr


# -- no secret leaks -----------------------------------------------------------------------


def test_debug_output_never_shows_a_secret(server, run):
    server.route("GET", "//auth/v1/logon", body={"accessToken": "acc-debug-424242"})
    server.route("GET", "/conf", body={"k": "v"})
    secrets = [TOKEN, "pw-debug-9999", basic("carol", "pw-debug-9999").split()[1], "acc-debug-424242"]
    results = [
        run(
            "--debug",
            "login",
            "--url",
            server.root,
            "--profile-name",
            "t",
            "--token-stdin",
            "--store",
            "file",
            input=TOKEN + "\n",
        ),
        run("--debug", "conf", "get"),
        run("--debug", "status", "--json"),
        run(
            "--debug",
            "login",
            "--url",
            server.root,
            "--profile-name",
            "b",
            "-u",
            "carol",
            "--password-stdin",
            "--store",
            "file",
            input="pw-debug-9999\n",
        ),
        run("--debug", "conf", "get"),
        run(
            "--debug",
            "login",
            "--url",
            server.root,
            "--profile-name",
            "c",
            "-u",
            "carol",
            "--password-stdin",
            "--console-logon",
            "--store",
            "file",
            input="pw-debug-9999\n",
        ),
        run("--debug", "status"),
        run("--debug", "logout", "--all"),
    ]
    for result in results:
        assert result.exit_code == 0, result.stderr
        assert "debug: > GET" in result.stderr or "signed out" in result.stderr
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr


@pytest.fixture(scope="module")
def engine(procs, tmp_path_factory):
    from tests.engine_http.conftest import EngineProc

    proc = EngineProc(tmp_path_factory.mktemp("whoami") / "data", ("--port", "0"))
    procs.append(proc)
    return proc


@pytest.mark.slow
def test_status_asks_the_local_engine_who_an_opaque_token_is(engine, tmp_path):
    """An engine user's token names nobody; the engine says who it is (X-Dlicli-User on every
    authenticated answer), and `status` shows it as coming from the server."""
    import os
    import subprocess
    import sys

    token = engine.add_user("carol")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(DLICLI_URL=engine.url, DLICLI_TOKEN=token, DLICLI_CONFIG_DIR=str(tmp_path / "cfg"))
    done = subprocess.run(
        [sys.executable, "-m", "dlicli", "status", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["user"], shown["userSource"]) == ("carol", "server")
    assert token not in done.stdout + done.stderr
