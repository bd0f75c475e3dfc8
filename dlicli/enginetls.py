"""The CLI's side of the local engine's TLS, typer-free: which certificate to trust for which URL,
and the TLS a `server start --tls` asked for, remembered for the starts after it.

`server start --tls [--cert F --key F]` writes <data_dir>/tls.json, so the engine the CLI starts by
itself later (nothing configured, engine not running) serves HTTPS too; `--no-tls` removes it. The
engine's record (engine.json) names the certificate it serves; the CLI trusts that file for the
engine's own URL only (a loopback name and its port), never for another server. Every client the
CLI builds gets its `verify` from `connection_verify`, so no command can forget that trust.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dlicli.errors import UsageError
from dlicli.paths import DEFAULT_HOST, ENGINE_JSON, data_dir

if TYPE_CHECKING:
    import ssl

TLS_SETTING = "tls.json"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", DEFAULT_HOST})
WILDCARD = frozenset({"0.0.0.0", "::"})  # an engine listening on every address is reached on loopback


def trust(cert: str) -> ssl.SSLContext:
    """A client context trusting exactly the engine's certificate (self-signed, or the user's own
    leaf, hence a partial chain), still checking the host name."""
    import ssl

    context = ssl.create_default_context(cafile=cert)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def is_loopback_https(url: str) -> bool:
    """True for https://127.0.0.1…, https://localhost…, https://[::1]…: where a local engine may be."""
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "") in LOOPBACK


def engine_cert(ddir: Path, url: str) -> str | None:
    """The certificate to trust for `url` when it is this data dir's engine over https: the local
    engine's own URL (any loopback name, same port). None for any other server."""
    if not is_loopback_https(url):
        return None
    parts = urlsplit(url)
    try:
        record = json.loads((ddir / ENGINE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record.get("cert"):
        return None
    mine = urlsplit(str(record.get("url", "")))
    host = mine.hostname or ""
    if mine.scheme != "https" or mine.port != parts.port or (host not in LOOPBACK and host not in WILDCARD):
        return None
    return str(record["cert"])


def connection_verify(url: str, insecure: bool = False, ca_bundle: str | None = None) -> bool | ssl.SSLContext:
    """THE `verify` of every client the CLI builds (commands, login, logout, status, completion): the
    local engine's own certificate for its own URL, so no --insecure is needed there; for any other
    server its CA bundle or the system's CAs; nothing for plain http or --insecure."""
    from dlicli.client.http import tls_verify

    pinned = engine_cert(data_dir(), url) if is_loopback_https(url) else None  # a remote server: no file read
    return tls_verify(insecure, ca_bundle, url, pinned=pinned)


def remember_tls(ddir: Path, tls: bool | None, cert: Path | None = None, key: Path | None = None) -> None:
    """Keep what `server start --tls [--cert --key]` asked for (every later start serves HTTPS);
    `--no-tls` (False) forgets it; None changes nothing."""
    if tls is None:
        if cert or key:
            raise UsageError("--cert and --key go with --tls", hint="dlicli server start --tls --cert FILE --key FILE")
        return
    path = ddir / TLS_SETTING
    if not tls:
        path.unlink(missing_ok=True)
        return
    if bool(cert) != bool(key):
        raise UsageError("--cert and --key go together", hint="give both, or neither for a self-signed certificate")
    for given in (cert, key):
        if given and not os.access(given, os.R_OK):
            raise UsageError(f"cannot read {given}", hint="give a readable PEM file")
    ddir.mkdir(parents=True, exist_ok=True)
    setting = {"cert": str(cert.absolute()) if cert else None, "key": str(key.absolute()) if key else None}
    path.write_text(json.dumps(setting) + "\n", encoding="utf-8")


def remembered_tls(ddir: Path) -> dict[str, Any] | None:
    """The TLS the last `server start --tls` asked for; None: plain http."""
    try:
        setting = json.loads((ddir / TLS_SETTING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return setting if isinstance(setting, dict) else {}
