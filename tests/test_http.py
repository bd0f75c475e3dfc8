"""The HTTP session: base URLs, retries (idempotent only, bounded, Retry-After), timeouts, TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time

import pytest

from dlicli.client.http import HttpSession, normalize_base_url, tls_verify
from dlicli.errors import (
    APIError,
    CABundleError,
    CannotConnect,
    ConnectError,
    ExitCode,
    InvalidURL,
    RequestTimedOut,
    UsageError,
)
from tests.conftest import TOKEN
from tests.recorder import RecordingServer

BASE = "/platform/rest/deeplearning/v1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000" + BASE),
        ("https://wmla.example.com:9243/", "https://wmla.example.com:9243" + BASE),
        ("  https://wmla.example.com  ", "https://wmla.example.com" + BASE),
        ("https://h:1/platform/rest/deeplearning/v1", "https://h:1" + BASE),
        ("https://h:1/platform/rest/deeplearning/v1/", "https://h:1" + BASE),
        ("https://h/dlim/custom/base", "https://h/dlim/custom/base"),
    ],
)
def test_normalize_base_url(given, expected):
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", ["ftp://h:21", "wmla.example.com:9243", "", "https://", "/just/a/path"])
def test_normalize_base_url_refuses_what_is_not_a_server_url(bad):
    with pytest.raises(InvalidURL) as info:
        normalize_base_url(bad)
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.hint is None  # the library says what failed; the CLI says what to do
    assert str(info.value) == (f"not a server URL: {bad!r}" if bad else "the server URL is empty")


def test_the_cli_hints_how_to_write_a_server_url(run):
    result = run("--url", "ftp://h:21", "conf", "get")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: not a server URL: 'ftp://h:21'",
        "hint: give scheme://host[:port], for example https://wmla.example.com:9243",
    ]


def session(server_or_url, **kw) -> HttpSession:
    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    kw.setdefault("backoff", 0.01)
    return HttpSession(url, f"Bearer {TOKEN}", **kw)


def test_get_is_retried_on_503_then_succeeds(server):
    server.route("GET", "/conf", body={"a": "1"})
    server.route("GET", "/conf", status=503, body={"message": "busy"}, times=2)
    with session(server) as s:
        assert s.call("GET", "/conf", operation="getDeepLearningConf") == {"a": "1"}
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried_for_put_and_delete(server, status):
    server.route("PUT", "/hypersearch/h", body=b"")
    server.route("PUT", "/hypersearch/h", status=status, times=1)
    with session(server) as s:
        s.call("PUT", "/hypersearch/h", operation="stopOneHPO")
    assert [r.method for r in server.requests] == ["PUT", "PUT"]


def test_post_is_never_retried_on_503(server):
    server.route("POST", "/execs", body={"id": "x"})
    server.route("POST", "/execs", status=503, body={"message": "busy"}, times=1)
    with session(server) as s, pytest.raises(APIError) as info:
        s.call("POST", "/execs", operation="execsPost")
    assert info.value.status == 503 and info.value.exit_code == ExitCode.UNAVAILABLE
    assert len(server.requests) == 1


@pytest.mark.slow
def test_429_retry_after_is_honoured(server):
    server.route("GET", "/execs", body=[])
    server.route("GET", "/execs", status=429, headers={"Retry-After": "1"}, times=1)
    with session(server, backoff=0.0) as s:
        started = time.monotonic()
        assert s.call("GET", "/execs", operation="execsGet") == []
        elapsed = time.monotonic() - started
    assert len(server.requests) == 2
    assert 0.9 <= elapsed < 5


def test_retries_are_bounded(server):
    server.route("GET", "/conf", status=503, body={"message": "down for maintenance"})
    with session(server) as s, pytest.raises(APIError) as info:
        s.call("GET", "/conf", operation="getDeepLearningConf")
    assert len(server.requests) == 4
    assert info.value.status == 503 and info.value.server_message == "down for maintenance"
    assert info.value.exit_code == ExitCode.UNAVAILABLE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_retried_then_connect_error():
    log: list[str] = []
    with session(f"http://127.0.0.1:{free_port()}", debug=log.append) as s, pytest.raises(ConnectError) as info:
        s.call("GET", "/conf", operation="getDeepLearningConf")
    assert sum("connection error" in line for line in log) == 4
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    assert isinstance(info.value, CannotConnect) and "cannot connect" in info.value.message
    assert info.value.hint is None


@pytest.mark.slow
def test_the_cli_hints_what_to_check_when_it_cannot_connect(run, monkeypatch):
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{free_port()}"
    result = run("--url", url, "conf", "get")
    assert result.exit_code == 7
    error, hint = result.stderr.splitlines()[-2:]
    assert error.startswith(f"error: cannot connect to {url}{BASE}")
    assert hint == "hint: check the URL and that the server is running (dlicli status)"


def test_read_timeout_is_a_connect_error(server):
    server.route("GET", "/conf", body={}, delay=1.5)
    with session(server, timeout=0.2, retries=0) as s, pytest.raises(ConnectError) as info:
        s.call("GET", "/conf", operation="getDeepLearningConf")
    assert "timed out" in info.value.message and isinstance(info.value, RequestTimedOut)
    assert info.value.exit_code == ExitCode.UNAVAILABLE


def test_a_timed_out_get_is_retried(server):
    server.route("GET", "/conf", body={"ok": "1"})
    server.route("GET", "/conf", body={}, delay=1.0, times=1)
    with session(server, timeout=0.3) as s:
        assert s.call("GET", "/conf", operation="getDeepLearningConf") == {"ok": "1"}
    assert len(server.requests) == 2


def test_error_message_comes_from_the_server(server):
    server.route("GET", "/execs/x", status=400, body={"message": "Cannot find task with given execId."})
    with session(server) as s, pytest.raises(APIError) as info:
        s.call("GET", "/execs/x", operation="execsExecIdGet")
    err = info.value
    assert err.server_message == "Cannot find task with given execId."
    assert err.exit_code == ExitCode.NOT_FOUND
    assert err.method == "GET" and err.url.endswith(BASE + "/execs/x")
    assert err.message == "task x not found"  # in plain words; the operation id only in the detail (--debug)
    assert "execsExecIdGet" in err.detail and "Cannot find task" in err.detail


def test_tls_verify_choices(tmp_path):
    assert tls_verify(insecure=True) is False
    assert tls_verify() is True
    with pytest.raises(UsageError) as info:
        tls_verify(ca_bundle=str(tmp_path / "missing.pem"))
    assert "missing.pem" in info.value.message and isinstance(info.value, CABundleError)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(UsageError):
        tls_verify(ca_bundle=str(bad))
    assert tls_verify(ca_bundle=str(bad), url="http://h:1") is False  # plain http: not parsed
    with pytest.raises(UsageError):
        tls_verify(ca_bundle=str(tmp_path / "missing.pem"), url="http://h:1")


def test_a_missing_ca_bundle_is_a_usage_error_before_any_request(env_server, run, tmp_path):
    env_server.route("GET", "/conf", body={})
    result = run("--ca-bundle", str(tmp_path / "nope.pem"), "conf", "get")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot use CA bundle")
    assert "hint: give a readable PEM file with --ca-bundle" in result.stderr
    assert env_server.requests == []


# -- a real HTTPS server with a self-signed certificate made by the openssl CLI ------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed (needed to make a self-signed certificate)")
    folder = tmp_path_factory.mktemp("tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return str(crt), str(key)


@pytest.fixture
def https_server(cert, monkeypatch):
    srv = RecordingServer()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    srv.httpd.socket = ctx.wrap_socket(srv.httpd.socket, server_side=True)
    srv.start()
    host, port = srv.httpd.server_address[:2]
    monkeypatch.setenv("DLICLI_URL", f"https://{host}:{port}")
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    srv.route("GET", "/conf", body={"tls": "yes"})
    yield srv
    srv.stop()


def test_https_with_ca_bundle_works(https_server, cert, run):
    result = run("--ca-bundle", cert[0], "conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"tls": "yes"' in result.stdout
    assert https_server.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_https_default_verification_fails_with_exit_7_and_no_retry_storm(https_server, run):
    result = run("conf", "get")
    assert result.exit_code == 7
    assert result.stderr.startswith("error: TLS handshake with https://127.0.0.1:")
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert "hint: trust the server's CA with --ca-bundle" in result.stderr
    assert "Traceback" not in result.stderr
    assert https_server.requests == []


def test_https_insecure_works_and_warns(https_server, run):
    result = run("--insecure", "conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"tls": "yes"' in result.stdout
    assert "warning: TLS certificate verification is off" in result.stderr


def test_dlicli_insecure_env_works_and_warns(https_server, run, monkeypatch):
    monkeypatch.setenv("DLICLI_INSECURE", "1")
    result = run("conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert "warning:" in result.stderr


@pytest.mark.parametrize("var", ["DLICLI_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_ca_bundle_from_the_environment_reaches_the_session(https_server, cert, run, monkeypatch, var):
    monkeypatch.setenv(var, cert[0])
    result = run("conf", "get", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"tls": "yes"' in result.stdout
    assert len(https_server.requests) == 1
