"""What to do about an error: the `hint:` line under `error:`, chosen by the error's type.

The client library raises errors that say only what failed (type, status, the server's words);
the CLI knows its own commands, flags and environment, so the advice is added here, in one place.
An error raised by CLI-side code with its own hint keeps that hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlicli.errors import (
    APIError,
    BlankIdentifier,
    CABundleError,
    CannotConnect,
    DeadlineExceeded,
    ExitCode,
    FileChanged,
    InvalidURL,
    NotDlpdServer,
    NotDlpdStatus,
    PlainHTTPServer,
    ProtocolError,
    RequestTimedOut,
    TLSHandshakeFailed,
)

STATUS_HINTS = {
    401: "sign in again with `dlicli login`, or set DLICLI_TOKEN",
    403: "your user may not do this; ask an administrator, or sign in as another user",
    404: "check the name or id",
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

# What a not-found thing is listed with: the first word of APIError.kind that names it.
LISTED_BY = (
    ("executor", "dlicli scheduler apps"),
    ("application", "dlicli scheduler apps"),
    ("notebook", "dlicli notebook list"),
    ("algorithm", "dlicli hpo algorithm list"),
    ("search", "dlicli hpo list"),
    ("resource plan", "dlicli resplan tree"),
    ("task", "dlicli exec list"),
)
# What a request may name besides the thing it acts on: a plan (--resource-plan, --parent), a
# search's algorithm. The server's words decide which kind is missing only for these: WMLA calls a
# search an "hpo task", so "task" in its words does not make a missing search a missing task.
NAMED_IN_REQUESTS = ("resource plan", "algorithm")
NOT_DLPD_HINT = (
    "the dlpd API lives under /platform/rest/deeplearning/v1: give --url https://HOST:PORT (that path is "
    "added) or the full base URL https://HOST:PORT/platform/rest/deeplearning/v1; see the profile with `dlicli status`"
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
    if isinstance(exc, (NotDlpdServer, NotDlpdStatus)):
        return NOT_DLPD_HINT
    if isinstance(exc, APIError):
        return _listed(exc) or STATUS_HINTS.get(exc.status)
    for kind, text in TYPE_HINTS:
        if isinstance(exc, kind):
            return text
    return None


def _listed(exc: APIError) -> str | None:
    """For a thing not found, the command that lists its kind: the kind the operation acts on,
    unless the server says a thing named in the request is missing (`notebook update USER
    --resource-plan nosuch` answers "resource plan nosuch does not exist")."""
    if exc.exit_code != ExitCode.NOT_FOUND:
        return None
    said = exc.server_message.lower()
    kind = next((word for word in NAMED_IN_REQUESTS if word in said and word not in exc.kind), exc.kind)
    for word, command in LISTED_BY:
        if word in kind:
            return f"check the name or id; list them with `{command}`"
    return None


# -- usage errors ----------------------------------------------------------------------------


def usage_hint(exc: Any, argv: Sequence[str]) -> str | None:
    """The fix for an unknown option, shown on the user's own command line: a model's option on
    `exec start` goes after `--`; a global option given to a group goes before the command."""
    option, ctx = getattr(exc, "option_name", None), getattr(exc, "ctx", None)
    if not option or ctx is None or not any(a == option or a.startswith(option + "=") for a in argv):
        return None
    if any(param.name == "model_args" for param in ctx.command.params):
        return f"model arguments go after --: {_after_dashes(list(argv), option)}"
    known = next((p for p in ctx.find_root().command.params if option in (*p.opts, *p.secondary_opts)), None)
    if known is not None:
        return f"global options go before the command: {_to_front(list(argv), option, not known.is_flag)}"
    return None


def _where(argv: list[str], option: str) -> int:
    return next(i for i, arg in enumerate(argv) if arg == option or arg.startswith(option + "="))


def _after_dashes(argv: list[str], option: str) -> str:
    """`argv` with the unknown option and its values moved after `--` (before any already there)."""
    start = end = _where(argv, option)
    end += 1
    while end < len(argv) and not argv[end].startswith("-"):
        end += 1
    moved, rest = argv[start:end], argv[:start] + argv[end:]
    if "--" in rest:
        dashes = rest.index("--")
        rest, model = rest[:dashes], rest[dashes + 1 :]
    else:
        model = []
    return _shown([*rest, "--", *moved, *model])


def _to_front(argv: list[str], option: str, takes_value: bool) -> str:
    """`argv` with the option (and its value) moved before the command."""
    start = _where(argv, option)
    end = start + (2 if takes_value and "=" not in argv[start] else 1)
    return _shown(argv[start:end] + argv[:start] + argv[end:])


def _shown(argv: list[str]) -> str:
    import shlex

    return "dlicli " + shlex.join(argv)
