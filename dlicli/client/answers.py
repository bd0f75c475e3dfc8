"""What each operation's answer must be, checked in one place before anyone uses it.

A proxy's login page, a web server on the wrong port or a half-broken server can answer 200 with
something that is not what the operation returns: an HTML page for `GET /execs`, text where JSON
belongs, an object where a list belongs, a create answer that names nothing. Taking that for a
success prints a page as a task id or signs a user in to nowhere; here it is a `ProtocolError`
(exit 9) that shows the URL and the first bytes of what came back.
"""

from __future__ import annotations

import email.utils
import enum
import json as jsonlib
import time
from typing import TYPE_CHECKING, Any

from dlicli.errors import ProtocolError

if TYPE_CHECKING:  # imported by client/http.py, which keeps httpx's command line out
    import httpx

PREVIEW_BYTES = 120  # how much of a wrong answer an error message quotes
_PAGE_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")


class Expect(enum.Enum):
    """What an operation answers with a 2xx; the value says it in an error message."""

    ANY = "anything"  # `dlicli api`: the raw answer, whatever it is
    NOTHING = "an empty answer or a JSON one"  # the spec's 204 actions (stop, delete …)
    JSON = "JSON"
    OBJECT = "a JSON object"
    LIST = "a JSON list"
    TEXT = "text"  # logs: a JSON string or plain text
    CREATED = "the id of what was created"
    LOGON = "a JSON object with an accessToken"
    FILE = "a file"  # a streamed download (a zip, a log file): anything but a web page


# operationId → what its 2xx answer is (the spec's return types; an operation not named here, as
# `dlicli api` sends, is taken as it comes). Actions whose spec answer is 204 take an empty or JSON
# answer; objects the CLI only passes on (a notebook service, a resource plan) take any JSON.
EXPECTED: dict[str, Expect] = {
    "getDeepLearningConf": Expect.OBJECT,
    "execsGet": Expect.LIST,
    "execsPost": Expect.CREATED,
    "execsDelete": Expect.NOTHING,
    "execsExecIdGet": Expect.OBJECT,
    "execsExecIdDelete": Expect.NOTHING,
    "execsExecIdStopPost": Expect.NOTHING,
    "execsExecIdLogGet": Expect.TEXT,
    "execsExecIdResultGet": Expect.FILE,
    "execsExecIdDeployPost": Expect.NOTHING,
    "execsFrameworksGet": Expect.LIST,
    "getAllHPO": Expect.LIST,
    "getOneHPO": Expect.OBJECT,
    "startHPO": Expect.CREATED,
    "stopOneHPO": Expect.NOTHING,
    "stopOneHPOForce": Expect.NOTHING,
    "restartOneHPO": Expect.NOTHING,
    "deleteOneHPO": Expect.NOTHING,
    "deleteAllHPO": Expect.NOTHING,
    "getAllHPOAlgorithm": Expect.LIST,
    "getOneAlgorithm": Expect.OBJECT,
    "deleteOneHPOALGORITHM": Expect.NOTHING,
    "installHPOAlgorithm": Expect.NOTHING,
    "debugAlgorithm": Expect.FILE,
    "runningServices": Expect.JSON,
    "runningServiceByUserName": Expect.JSON,
    "runningKernels": Expect.JSON,
    "stopService": Expect.NOTHING,
    "updateService": Expect.NOTHING,
    "createResplan": Expect.NOTHING,
    "updateResplanByName": Expect.NOTHING,
    "getResplan": Expect.JSON,
    "delResplanByName": Expect.NOTHING,
    "getResplanTree": Expect.JSON,
    "getApplications": Expect.LIST,
    "getApplicationStatistic": Expect.LIST,
    "getDriverLog": Expect.TEXT,
    "getExecutorLog": Expect.TEXT,
    "downloadDriverLogFile": Expect.FILE,
    "downloadExecutorLogFile": Expect.FILE,
    "consoleLogon": Expect.LOGON,
    "consoleLogoff": Expect.NOTHING,
}


def expected(operation: str) -> Expect:
    return EXPECTED.get(operation, Expect.ANY)


def checked_answer(response: httpx.Response, expect: Expect, operation: str, method: str, url: str) -> Any:
    """The decoded body of a 2xx `response`, when it is what `expect` says; else a ProtocolError."""
    if expect is Expect.ANY:
        return decode_body(response)
    if _is_web_page(response):
        raise wrong_answer(response, expect, operation, method, url, "a web page")
    if expect is Expect.FILE:
        return None  # a stream: its body is the caller's to read
    if expect in (Expect.TEXT, Expect.NOTHING):
        return decode_body(response)
    if expect is Expect.CREATED:  # WMLA answers a bare id (JSON or text), or {uid, href}
        created = decode_body(response)
        if not _names_something(created):
            raise wrong_answer(response, expect, operation, method, url, "no id in it")
        return created
    if expect is Expect.JSON and not response.content.strip():
        return None  # some servers answer "nothing running" with an empty body
    body = _strict_json(response)
    if body is _NOT_JSON:
        raise wrong_answer(response, expect, operation, method, url, "not JSON" if response.content else "empty")
    problem = _shape_problem(body, expect)
    if problem:
        raise wrong_answer(response, expect, operation, method, url, problem)
    return body


def check_stream(response: httpx.Response, expect: Expect, operation: str, method: str, url: str) -> None:
    """A streamed answer is judged by its headers only (its body is not read here)."""
    if expect is not Expect.ANY and _is_web_page(response):
        response.read()
        response.close()
        raise wrong_answer(response, expect, operation, method, url, "a web page")


def decode_body(response: httpx.Response) -> Any:
    """JSON when the body is JSON, else the text; None for an empty body."""
    content = response.content
    if not content or not content.strip():
        return None
    ctype = response.headers.get("content-type", "")
    if "json" in ctype or content.lstrip()[:1] in (b"{", b"[", b'"'):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def server_message(response: httpx.Response) -> str:
    """The server's own words from an error response (JSON message fields, else the text)."""
    import httpx

    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    text = text.strip()
    if not text:
        return response.reason_phrase or ""
    try:
        body = jsonlib.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(body, dict):
        for key in ("message", "Message", "errorMessage", "error_description", "error", "description", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    if isinstance(body, str):
        return body
    return text[:500]


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_NOT_JSON = object()


def _strict_json(response: httpx.Response) -> Any:
    content = response.content
    if not content or not content.strip():
        return _NOT_JSON
    try:
        return jsonlib.loads(content)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _shape_problem(body: Any, expect: Expect) -> str | None:
    """Why `body` is not what `expect` says, or None when it is."""
    kind = type(body).__name__ if body is not None else "null"
    if expect is Expect.OBJECT and not isinstance(body, dict):
        return f"a JSON {kind}"
    if expect is Expect.LIST and not (isinstance(body, list) or body is None):
        return f"a JSON {kind}"
    if expect is Expect.LOGON:
        token = body.get("accessToken") if isinstance(body, dict) else None
        return None if isinstance(token, str) and token.strip() else "no accessToken in it"
    return None


def _names_something(body: Any) -> bool:
    """A create answer names what it made: a bare one-word id, or an object with an id or href."""
    from dlicli.wmla import created_id

    if isinstance(body, str):
        text = body.strip()
        return bool(text) and len(text.split()) == 1 and not text.startswith("<")
    return isinstance(body, dict) and created_id(body) is not None


def _is_web_page(response: httpx.Response) -> bool:
    """An HTML (or XML) document: a login page, a proxy's error page, a web server's index."""
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype or "xml" in ctype:
        return True
    content = _read_content(response)
    if "json" in ctype or content is None:
        return False
    return content.lstrip()[:16].lower().startswith(_PAGE_STARTS)


def _read_content(response: httpx.Response) -> bytes | None:
    """The body when it was read (None for a stream still unread)."""
    import httpx

    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def wrong_answer(
    response: httpx.Response, expect: Expect, operation: str, method: str, url: str, what: str
) -> ProtocolError:
    """The error for an answer that is not `expect`: what came instead, from where, its first bytes."""
    ctype = response.headers.get("content-type") or "no content type"
    content = _read_content(response)
    first = preview(content) if content else ""
    quoted = f": {first}" if first else ""
    return ProtocolError(
        f"{operation}: the server's answer is not {expect.value} but {what} "
        f"({method} {url} answered {response.status_code}, {ctype}){quoted}"
    )


def preview(data: bytes, limit: int = PREVIEW_BYTES) -> str:
    """The first `limit` bytes, quoted, with every control or undecodable byte escaped."""
    head = data[:limit]
    text = head.decode("utf-8", errors="backslashreplace")
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    more = "…" if len(data) > limit else ""
    return f"'{escaped}{more}'"
