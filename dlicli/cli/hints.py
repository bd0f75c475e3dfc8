"""What to do about an error: the `hint:` line under `error:`, chosen by the error's type.

The client library raises errors that say only what failed (type, status, the server's words);
the CLI knows its own commands, flags and environment, so the advice is added here, in one place.
An error raised by CLI-side code with its own hint keeps that hint.
"""

from __future__ import annotations

from dlicli.errors import (
    APIError,
    BlankIdentifier,
    CABundleError,
    CannotConnect,
    DeadlineExceeded,
    FileChanged,
    InvalidURL,
    PlainHTTPServer,
    ProtocolError,
    RequestTimedOut,
    TLSHandshakeFailed,
)

STATUS_HINTS = {
    401: "sign in again with `dlicli login`, or set DLICLI_TOKEN",
    403: "your user may not do this; ask an administrator, or sign in as another user",
    404: "check the name or id (list them with the matching `list` command)",
    409: "the resource already exists or is in use",
    502: "the server's gateway failed; try again later",
    503: "the server is unavailable; try again later",
    504: "the server's gateway timed out; try again later",
}

PLAIN_HTTP_HINT = "the server speaks plain HTTP: use an http:// URL, or serve HTTPS (the local engine: `dlicli server stop && dlicli server start --tls`)"
DLICMD_PLAIN_HTTP_HINT = (
    "the server speaks plain HTTP: add --http (or --rest-protocol http), "
    "or serve HTTPS (the local engine: `dlicli server stop && dlicli server start --tls`)"
)

TYPE_HINTS: tuple[tuple[type[Exception], str], ...] = (
    (
        DeadlineExceeded,
        "the server took longer than DLICLI_DEADLINE seconds (default 60) for the whole call; "
        "check it is up, or raise DLICLI_DEADLINE (0: no deadline)",
    ),
    (RequestTimedOut, "the server did not answer in time; check it is up, or raise DLICLI_HTTP_TIMEOUT"),
    (PlainHTTPServer, PLAIN_HTTP_HINT),
    (
        TLSHandshakeFailed,
        "trust the server's CA with --ca-bundle FILE (or DLICLI_CA_BUNDLE), or skip the check with --insecure",
    ),
    (CannotConnect, "check the URL and that the server is running (dlicli status)"),
    (InvalidURL, "give scheme://host[:port], for example https://wmla.example.com:9243"),
    (CABundleError, "give a readable PEM file with --ca-bundle"),
    (
        ProtocolError,
        "the URL may lead to a web page, a proxy or another service instead of the dlpd API "
        "(it lives under /platform/rest/deeplearning/v1): check --url or the profile (dlicli status)",
    ),
    (BlankIdentifier, "give the id or name itself; list them with the matching `list` command"),
    (FileChanged, "do not change the model while it uploads; run the command again"),
)


def hint_for(exc: BaseException) -> str | None:
    """The error's own hint, else the one for its HTTP status or its type; None when there is none."""
    own = getattr(exc, "hint", None)
    if own:
        return own
    if isinstance(exc, APIError):
        return STATUS_HINTS.get(exc.status)
    for kind, text in TYPE_HINTS:
        if isinstance(exc, kind):
            return text
    return None
