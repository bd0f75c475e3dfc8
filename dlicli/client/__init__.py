"""The dlpd client library: `DlpdClient` (one method per operation) over an `HttpSession`.

Usable without the CLI: `DlpdClient(HttpSession(url, authorization_header(token=…)))`.
Names are loaded lazily so importing a submodule (`dlicli.client.multipart`) never pulls in httpx.
The package imports nothing of the CLI: no typer, rich, config or output.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "DlpdClient": "dlicli.client.operations",
    "HttpSession": "dlicli.client.http",
    "authorization_header": "dlicli.client.http",
    "normalize_base_url": "dlicli.client.http",
    "tls_verify": "dlicli.client.http",
}

__all__ = ["DlpdClient", "HttpSession", "authorization_header", "normalize_base_url", "tls_verify"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
