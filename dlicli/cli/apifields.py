"""What `dlicli api METHOD PATH` sends: a request built from gh-api-style fields, typer-free.

CLI-side (argv fields, stdin): the client library only sends METHOD PATH with a body and params.

Rules (the same as `gh api`, kept small):
- PATH is under the API base (`/execs`, `execs/x` — the leading slash is optional; a copied
  `/platform/rest/deeplearning/v1/...` or a full URL on the configured server works too);
  `//auth/v1/logon` (two slashes) goes to the server's root instead. A `?query` in PATH is kept.
- `-f K=V` adds a string; `-F K=V` a typed value: integers, decimals, `true`, `false`, `null`,
  `@FILE` (the file's text; `@-` reads stdin). For GET, DELETE, HEAD and OPTIONS, and whenever
  `--input` gives the body, fields become query parameters (a repeated key repeats); otherwise
  they form a JSON object body, where `K[]=V` appends V to the array K.
- `--form` sends the fields as multipart/form-data instead (what POST /execs and POST
  /hypersearch take): `-F K=@FILE` attaches FILE as a file part named K, and, as in curl,
  `-F 'K=<FILE'` sends FILE's text as a plain form field (e.g. the `data` JSON).
- `--input FILE` (or `-`) is the body as is: Content-Type JSON when it parses as JSON, else
  application/octet-stream. `-H 'K: V'` adds a header; Authorization is refused (no secret in
  argv: the profile's credentials or DLICLI_TOKEN are sent).
"""

from __future__ import annotations

import json as jsonlib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dlicli.errors import UsageError
from dlicli.paths import API_BASE_PATH

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
QUERY_METHODS = frozenset({"GET", "DELETE", "HEAD", "OPTIONS"})
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@dataclass
class RawRequest:
    """Keyword arguments for `HttpSession.send`, plus how to name the call in errors."""

    method: str
    path: str
    root: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    files: list[tuple[str, tuple[Any, ...]]] | None = None

    @property
    def operation(self) -> str:
        return f"{self.method} {'/' if self.root else ''}{self.path}"

    def send_kwargs(self) -> dict[str, Any]:
        return {
            "params": self.params or None,
            "headers": self.headers or None,
            "json": self.json,
            "content": self.content,
            "files": self.files,
            "root": self.root,
        }


def _stdin_bytes() -> bytes:
    return sys.stdin.buffer.read()


def split_path(path: str, base_url: str) -> tuple[str, bool, dict[str, Any]]:
    """PATH → (path, root?, query params found in it)."""
    text = path.strip()
    if not text:
        raise UsageError("PATH is empty", hint="give a path under the API base, e.g. /execs")
    if text.startswith(("http://", "https://")):
        origin = urlsplit(base_url)
        parts = urlsplit(text)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            raise UsageError(
                f"{text} is not on the configured server {origin.scheme}://{origin.netloc}",
                hint="give a path (/execs); dlicli sends its credentials only to the configured server",
            )
        text = "//" + parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
    text, _, query = text.partition("?")
    root = text.startswith("//")
    text = "/" + text.lstrip("/")
    if text == API_BASE_PATH or text.startswith(API_BASE_PATH + "/"):
        root, text = False, text[len(API_BASE_PATH) :] or "/"
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        _add_param(params, key, value)
    return text, root, params


def _add_param(params: dict[str, Any], key: str, value: Any) -> None:
    if key in params:
        old = params[key]
        params[key] = [*old, value] if isinstance(old, list) else [old, value]
    else:
        params[key] = value


def _split_field(text: str, flag: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"{flag} {text!r} is not KEY=VALUE", hint=f"write {flag} name=value")
    return key, value


def _read_file(path: str, stdin: Callable[[], bytes]) -> bytes:
    if path == "-":
        return stdin()
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}", hint="give a readable file") from exc


def typed_value(value: str, stdin: Callable[[], bytes] = _stdin_bytes) -> Any:
    """`-F`'s value: a number, true/false/null, the text of @FILE, else the string."""
    if value.startswith("@"):
        return _read_file(value[1:], stdin).decode("utf-8", errors="replace")
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if _NUMBER.fullmatch(value):
        return float(value) if any(c in value for c in ".eE") else int(value)
    return value


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _headers(given: Iterable[str]) -> dict[str, str]:
    """-H 'K: V' values as a dict; Authorization is refused (a secret in argv)."""
    headers: dict[str, str] = {}
    for text in given:
        key, sep, value = text.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"-H {text!r} is not 'KEY: VALUE'", hint="write -H 'Accept: text/plain'")
        if key.strip().lower() == "authorization":
            raise UsageError(
                "-H Authorization is not accepted: a secret on the command line leaks through ps and history",
                hint="dlicli sends the profile's credentials; set DLICLI_TOKEN to use another token",
            )
        headers[key.strip()] = value.strip()
    return headers


def _fields(
    raw_fields: Iterable[str], typed_fields: Iterable[str], form: bool, stdin: Callable[[], bytes]
) -> list[tuple[str, Any, bool]]:
    """-f and -F as (key, value, is a file part), in that order."""
    fields: list[tuple[str, Any, bool]] = []
    for text in raw_fields:
        key, value = _split_field(text, "-f")
        fields.append((key, value, False))
    for text in typed_fields:
        key, value = _split_field(text, "-F")
        if form and value.startswith("@") and value != "@-":
            fields.append((key, value[1:], True))
        elif form and value.startswith("<"):
            fields.append((key, _read_file(value[1:], stdin).decode("utf-8", errors="replace"), False))
        else:
            fields.append((key, typed_value(value, stdin), False))
    return fields


def build_request(
    method: str,
    path: str,
    base_url: str,
    *,
    raw_fields: Iterable[str] = (),
    typed_fields: Iterable[str] = (),
    headers: Iterable[str] = (),
    input_file: str | None = None,
    form: bool = False,
    stdin: Callable[[], bytes] = _stdin_bytes,
) -> RawRequest:
    """Check everything and build the request; raises UsageError before anything is sent."""
    verb = method.strip().upper()
    if verb not in METHODS:
        raise UsageError(f"unknown HTTP method {method!r}", hint="use one of " + ", ".join(METHODS))
    rel, root, params = split_path(path, base_url)
    req = RawRequest(verb, rel, root, params, headers=_headers(headers))
    if form and input_file is not None:
        raise UsageError("--form and --input cannot be used together", hint="choose one way to give the body")
    fields = _fields(raw_fields, typed_fields, form, stdin)
    if form:  # every field a multipart part; (None, text) is a plain form field
        req.files = [
            (key, (Path(value).name, _read_file(value, stdin), "application/octet-stream"))
            if is_file
            else (key, (None, _query_text(value).encode()))
            for key, value, is_file in fields
        ]
        if not req.files:
            raise UsageError("--form needs at least one -f or -F field", hint="add -F file=@model.py")
        return req
    if input_file is not None or verb in QUERY_METHODS:
        for key, value, _ in fields:
            _add_param(req.params, key, _query_text(value))
        if input_file is not None:
            req.content = _read_file(input_file, stdin)
            if not any(k.lower() == "content-type" for k in req.headers):
                req.headers["Content-Type"] = _content_type(req.content)
        return req
    if fields:
        body: dict[str, Any] = {}
        for key, value, _ in fields:
            if key.endswith("[]"):
                body.setdefault(key[:-2], []).append(value)
            else:
                body[key] = value
        req.json = body
    return req


def _content_type(content: bytes) -> str:
    try:
        jsonlib.loads(content)
    except ValueError:
        return "application/octet-stream"
    return "application/json"
