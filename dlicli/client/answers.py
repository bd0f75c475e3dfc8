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

from dlicli.errors import APIError, NotDlpdServer, NotDlpdStatus, ProtocolError
from dlicli.paths import API_BASE_PATH

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


# The Configuration and Execute operations at a fixed path: every dlpd server has them (a WMLA may
# lack HyperSearch, notebooks or resource plans, and answer those 404), so a 404 there means the
# URL's base path leads somewhere else.
FIXED_PATHS = frozenset({"getDeepLearningConf", "execsGet", "execsPost", "execsDelete", "execsFrameworksGet"})
NO_SUCH_ENDPOINT = "no such endpoint"  # the local engine's 404 for a path the API does not have


def expected(operation: str) -> Expect:
    return EXPECTED.get(operation, Expect.ANY)


def checked_answer(
    response: httpx.Response, expect: Expect, operation: str, method: str, url: str, *, base: str | None = None
) -> Any:
    """The decoded body of a 2xx `response`, when it is what `expect` says; else a ProtocolError
    (NotDlpdServer when it is a web page or not JSON at all: another service answers at `base`)."""
    if expect is Expect.ANY:
        return decode_body(response)
    if _is_web_page(response):
        raise not_a_dlpd_answer(response, operation, method, url, base)
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
    if body is _NOT_JSON and _other_text(response):
        raise not_a_dlpd_answer(response, operation, method, url, base)
    if body is _NOT_JSON:
        raise wrong_answer(response, expect, operation, method, url, "not JSON" if response.content else "empty")
    problem = _shape_problem(body, expect)
    if problem:
        raise wrong_answer(response, expect, operation, method, url, problem)
    return body


def check_stream(
    response: httpx.Response, expect: Expect, operation: str, method: str, url: str, *, base: str | None = None
) -> None:
    """A streamed answer is judged by its headers only (its body is not read here)."""
    if expect is not Expect.ANY and _is_web_page(response):
        response.read()
        response.close()
        raise not_a_dlpd_answer(response, operation, method, url, base)


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
    if not text or _is_web_page(response):  # a page's markup is no message: never shown
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
    """The error for a JSON answer that is not `expect`: what came instead, from where, its first bytes.
    The operation id is in `detail` (--debug)."""
    ctype = response.headers.get("content-type") or "no content type"
    content = _read_content(response)
    first = preview(content) if content else ""
    quoted = f": {first}" if first else ""
    error = ProtocolError(
        f"the server's answer is not {expect.value} but {what} "
        f"({method} {url} answered {response.status_code}, {ctype}){quoted}"
    )
    error.detail = f"{operation}: {method} {url} answered {response.status_code}"
    return error


def error_answer(
    response: httpx.Response, operation: str, path: str, base_url: str, *, stream: bool = False
) -> APIError:
    """An error status as an APIError with the server's own words (a streamed body is read first);
    NotDlpdStatus when what answered is not dlpd (see `not_dlpd`)."""
    if stream:
        response.read()
        response.close()
    method, url = response.request.method, str(response.request.url.copy_with(query=None))
    message = server_message(response)
    request = {"method": method, "url": url, "path": path}
    elsewhere = not_dlpd(response, operation, message)
    if elsewhere:
        where = shown_base(base_url)
        return NotDlpdStatus(response.status_code, operation, message, where=where, answered=elsewhere, **request)
    return APIError(response.status_code, operation, message, **request)


def not_dlpd(response: httpx.Response, operation: str, message: str) -> str | None:
    """What a non-dlpd server answered an error status with ("text/html (HTTP 404)"), or None when
    the answer is dlpd's. A page is not dlpd's unless it says who the user is not (401, 403, 407),
    to slow down (429) or that the server failed (5xx); a 404 is not dlpd's where every dlpd server
    has the path, or when the local engine says it has no such endpoint for a path dlicli built (a
    path the user typed in `dlicli api` is the one that is wrong: its 404 is dlpd's own answer)."""
    status = response.status_code
    if status in (401, 403, 407, 429) or status >= 500:
        return None
    if _is_web_page(response):
        return f"{_content_type(response)} (HTTP {status})"
    wrong_base = operation in FIXED_PATHS or (message.startswith(NO_SUCH_ENDPOINT) and not is_raw_call(operation))
    if status == 404 and wrong_base:
        return f"HTTP 404 to {response.request.method} {response.request.url.path}"
    return None


def is_raw_call(operation: str) -> bool:
    """A call `dlicli api` sends: it is named by its method and the user's path ("GET /exec"), not
    by an operationId."""
    method, space, _ = operation.partition(" ")
    return bool(space) and method.isupper()


def not_a_dlpd_answer(
    response: httpx.Response, operation: str, method: str, url: str, base: str | None
) -> NotDlpdServer:
    """A 2xx answer that no dlpd operation gives: a web page (never quoted), or text where JSON belongs
    (its first bytes quoted, escaped and bounded)."""
    content = _read_content(response)
    quoted = f": {preview(content)}" if content and not _is_web_page(response) else ""
    detail = f"{operation}: {method} {url} answered {response.status_code}"
    return NotDlpdServer(shown_base(base or url), _content_type(response) + quoted, detail)


def shown_base(url: str) -> str:
    """Where the user pointed dlicli, as a message names it: `http://host:8765` for the usual API
    base (or any URL under it), else the URL as given."""
    head, found, _ = url.partition(API_BASE_PATH)
    return head if found else url


def _other_text(response: httpx.Response) -> bool:
    """An answer that neither says nor looks like JSON (broken JSON is dlpd's, shown as such)."""
    head = response.content.lstrip()[:1]
    return bool(head) and head not in (b"{", b"[", b'"') and "json" not in _content_type(response)


def _content_type(response: httpx.Response) -> str:
    """The media type an answer says it is ("text/html"), or what it is without one."""
    ctype = (response.headers.get("content-type") or "").split(";")[0].strip()
    return ctype or "a body without a content type"


def preview(data: bytes, limit: int = PREVIEW_BYTES) -> str:
    """The first `limit` bytes, quoted, with every control or undecodable byte escaped."""
    head = data[:limit]
    text = head.decode("utf-8", errors="backslashreplace")
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    more = "…" if len(data) > limit else ""
    return f"'{escaped}{more}'"
