"""The engine's TLS certificate: the user's own (`--cert/--key`), or a self-signed one made once.

The self-signed certificate names 127.0.0.1, ::1 and localhost (the only places the engine is
reached by default), lives in <data dir>/tls/ (the key 0600, the dir 0700) and is reused at every
start while it loads and has more than a month to live. It is made with the `cryptography` package
when it is installed, else with the `openssl` binary; dlicli's own client trusts exactly this file
(engine.json names it), so no `--insecure` is needed.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from dlicli.engine import EngineError

TLS_DIR = "tls"
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
SUBJECT = "dlicli local engine"
HOSTS = ("127.0.0.1", "::1", "localhost")
VALID_DAYS = 825  # the longest validity browsers and OpenSSL clients still accept for a leaf
RENEW_BEFORE = datetime.timedelta(days=30)


def certificate(data_dir: Path, cert: Path | None = None, key: Path | None = None) -> tuple[Path, Path]:
    """(certificate, key) to serve with: the user's pair, checked, or the data dir's own."""
    if cert or key:
        if not (cert and key):
            raise EngineError(400, "--cert and --key go together: give both, or neither for a self-signed one")
        pair = (cert.expanduser().absolute(), key.expanduser().absolute())
        check_pair(*pair)
        return pair
    return self_signed(data_dir)


def check_pair(cert: Path, key: Path) -> None:
    """Fail with a clear message when the pair cannot serve TLS (unreadable, not PEM, not matching)."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise EngineError(400, f"cannot use certificate {cert} with key {key}: {exc}") from exc


def self_signed(data_dir: Path, backend: str | None = None) -> tuple[Path, Path]:
    """The data dir's certificate and key, made now when missing, unusable or about to expire."""
    folder = data_dir / TLS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if not _usable(cert, key):
        make_self_signed(cert, key, backend or ("cryptography" if _has_cryptography() else "openssl"))
    return cert, key


def _usable(cert: Path, key: Path) -> bool:
    try:
        check_pair(cert, key)
        expires = ssl.cert_time_to_seconds(_not_after(cert))
    except (EngineError, ValueError, OSError):
        return False
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return expires - now > RENEW_BEFORE.total_seconds()


def _not_after(cert: Path) -> str:
    """The certificate's notAfter as OpenSSL prints it (the standard library decodes it)."""
    decode = getattr(ssl, "_ssl")._test_decode_cert  # noqa: B009 - the stdlib's only PEM decoder
    return str(decode(str(cert))["notAfter"])


def _has_cryptography() -> bool:
    try:
        import cryptography.x509  # noqa: F401
    except ImportError:
        return False
    return True


def make_self_signed(cert: Path, key: Path, backend: str) -> None:
    """Write a new self-signed pair: the key first, created 0600, then the certificate."""
    if backend == "cryptography":
        cert_pem, key_pem = _with_cryptography()
    elif backend == "openssl":
        cert_pem, key_pem = _with_openssl()
    else:
        raise ValueError(f"unknown certificate backend {backend!r}")
    _write(key, key_pem, 0o600)
    _write(cert, cert_pem, 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` atomically with a file created with `mode` (never wider, even for a moment)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _with_cryptography() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    alt_names += [x509.IPAddress(ipaddress.ip_address(h)) for h in HOSTS if h != "localhost"]
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_server_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(private.public_key()), critical=False)
        .sign(private, hashes.SHA256())
    )
    key_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return built.public_bytes(serialization.Encoding.PEM), key_pem


def _server_key_usage():
    """A server's key signs handshakes, nothing more."""
    from cryptography import x509

    flags = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"),
        False,
    )
    return x509.KeyUsage(digital_signature=True, encipher_only=False, decipher_only=False, **flags)


def _with_openssl() -> tuple[bytes, bytes]:
    """The same certificate made by the `openssl` binary (OpenSSL 1.1.1 or later, for -addext)."""
    binary = shutil.which("openssl")
    if binary is None:
        raise EngineError(
            500, "cannot make a TLS certificate: install `cryptography` or `openssl`, or give --cert/--key"
        )
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o700)
        cert, key = Path(tmp) / CERT_FILE, Path(tmp) / KEY_FILE
        command = [
            binary, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", str(VALID_DAYS), "-subj", f"/CN={SUBJECT}",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
            "-addext", "extendedKeyUsage=serverAuth",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        if done.returncode != 0:
            raise EngineError(500, f"openssl could not make a certificate: {done.stderr.strip()[-300:]}")
        return cert.read_bytes(), key.read_bytes()
