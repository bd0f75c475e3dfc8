"""The engine over HTTPS (`serve --tls`): its certificate, who trusts it, and dlicmd.py's https-first probe.

A real engine process on 127.0.0.1 per test module; clients are plain httpx, as any HTTP client
of the engine would be. The certificate is checked as a TLS client sees it (the handshake) and as
files on disk (modes, reuse across restarts).
"""

from __future__ import annotations

import ssl
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from dlicli.engine import tls
from tests.engine_http.conftest import clean_env

CONF = "/platform/rest/deeplearning/v1/conf"


@pytest.fixture(scope="module")
def tls_engine(start_engine, tmp_path_factory):
    return start_engine(tmp_path_factory.mktemp("tls") / "data", "--port", "0", "--tls")


def served_certificate(url: str) -> x509.Certificate:
    """The certificate the server presents in the handshake (read without trusting it)."""
    parts = httpx.URL(url)
    pem = ssl.get_server_certificate((parts.host, parts.port))
    return x509.load_pem_x509_certificate(pem.encode())


def alt_names(cert: x509.Certificate) -> set[str]:
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n) for n in names.get_values_for_type(x509.IPAddress)} | set(names.get_values_for_type(x509.DNSName))


def test_engine_json_gives_the_https_url_and_the_certificate(tls_engine):
    info, data = tls_engine.info, tls_engine.data_dir
    assert info["url"] == f"https://127.0.0.1:{info['port']}/platform/rest/deeplearning/v1"
    assert info["cert"] == str(data / "tls" / "cert.pem")
    assert stat.S_IMODE((data / "tls" / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "tls").stat().st_mode) == 0o700
    served = served_certificate(info["url"])
    assert served == x509.load_pem_x509_certificate((data / "tls" / "cert.pem").read_bytes())
    assert alt_names(served) == {"127.0.0.1", "::1", "localhost"}


def test_a_client_trusts_it_only_with_the_engine_certificate(tls_engine):
    url, cert = tls_engine.info["url"], tls_engine.info["cert"]
    auth = {"Authorization": f"Bearer {tls_engine.token}"}
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url + "/conf", headers=auth)  # verify=True: the system CAs do not know it
    port = tls_engine.info["port"]
    for host in ("127.0.0.1", "localhost"):  # the names it is made for
        answer = httpx.get(f"https://{host}:{port}{CONF}", headers=auth, verify=ssl.create_default_context(cafile=cert))
        assert answer.status_code == 200 and answer.json()["DLI_ENGINE"] == "local"
    # still token-checked over TLS
    assert httpx.get(url + "/conf", verify=ssl.create_default_context(cafile=cert)).status_code == 401


def test_dlicmd_py_https_first_probe(tls_engine, engine_proc):
    """dlicmd.py GETs https://HOST:PORT/…/conf with verify=False and, only on an SSL error, tries
    http://: the TLS engine answers the first; the plain engine fails TLS at once (no hang) and
    answers the second."""
    headers = {"Accept": "application/json", "Authorization": f"Bearer {tls_engine.token}"}
    first = httpx.get(f"https://127.0.0.1:{tls_engine.info['port']}{CONF}", headers=headers, verify=False)
    assert first.status_code == 200
    headers["Authorization"] = f"Bearer {engine_proc.token}"
    plain = engine_proc.info["port"]
    with pytest.raises(httpx.ConnectError) as failed:
        httpx.get(f"https://127.0.0.1:{plain}{CONF}", headers=headers, verify=False, timeout=10)
    assert isinstance(failed.value.__context__, ssl.SSLError) or "SSL" in str(failed.value)
    assert httpx.get(f"http://127.0.0.1:{plain}{CONF}", headers=headers).status_code == 200


@pytest.mark.slow
def test_the_certificate_is_made_once_and_reused(start_engine, tmp_path):
    data = tmp_path / "data"
    first = start_engine(data, "--port", "0", "--tls")
    made = (data / "tls" / "cert.pem").read_bytes(), (data / "tls" / "key.pem").read_bytes()
    assert first.stop() == 0
    second = start_engine(data, "--port", "0", "--tls")
    assert ((data / "tls" / "cert.pem").read_bytes(), (data / "tls" / "key.pem").read_bytes()) == made
    assert served_certificate(second.info["url"]) == x509.load_pem_x509_certificate(made[0])


@pytest.mark.slow
def test_the_users_own_certificate_and_key(start_engine, tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    tls.make_self_signed(own / "server.crt", own / "server.key", "openssl")  # as a user would bring
    engine = start_engine(
        tmp_path / "data", "--port", "0", "--tls", "--cert", str(own / "server.crt"), "--key", str(own / "server.key")
    )
    assert engine.info["cert"] == str(own / "server.crt")
    assert not (tmp_path / "data" / "tls" / "cert.pem").exists()
    assert served_certificate(engine.info["url"]) == x509.load_pem_x509_certificate((own / "server.crt").read_bytes())


def test_a_certificate_that_cannot_serve_stops_the_start_with_its_reason(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    serve = [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(tmp_path / "d"), "--port", "0"]
    done = subprocess.run(
        [*serve, "--tls", "--cert", str(bad), "--key", str(bad)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 1
    assert f"cannot use certificate {bad}" in done.stderr
    assert not (tmp_path / "d" / "engine.json").exists()


def test_cert_without_tls_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(tmp_path), "--cert", "c.pem", "--key", "k.pem"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 2 and "--cert and --key go with --tls" in done.stderr


@pytest.mark.parametrize("backend", ["cryptography", "openssl"])
def test_both_ways_of_making_the_certificate_give_the_same_kind(backend, tmp_path: Path):
    cert, key = tls.self_signed(tmp_path, backend=backend)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    made = x509.load_pem_x509_certificate(cert.read_bytes())
    assert alt_names(made) == {"127.0.0.1", "::1", "localhost"}
    assert made.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)  # a usable pair
