"""What every routes module shares: `Op` (one row of a route table), `SegmentRoute` (how a path is
matched), the API's base path, and the helpers handlers use to read a request (JSON body, integer
query) and answer a file download.

A handler is `handler(engine, request, user[, body])`, sync (run in the threadpool: engine calls
block on SQLite, files and processes) or async; with `auth=False`, `handler(engine, request)`.
It returns a Response, a JSON-able value (200), or None (204). api/__init__.py wraps it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from dlicli.engine import EngineError, strictjson
from dlicli.engine.tasks.upload import FIELD_LIMIT, field_too_large
from dlicli.paths import API_BASE_PATH

BASE = API_BASE_PATH


class Op(NamedTuple):
    """One operation: method, path (under BASE unless the module says otherwise) and handler."""

    method: str
    path: str
    handler: Callable[..., Any]
    body: bool = False  # pass the JSON body as the handler's last argument
    auth: bool = True  # authenticate first and pass the user


SEGMENTS = "dlicli.segments"  # the scope key that keeps a request's segments for the next route


def request_segments(scope: Scope) -> list[str]:
    """The path as the client sent it (`raw_path`, below any root path), split on its literal `/`,
    and only then each segment percent-decoded: `%2F` stays inside its segment, and `..`, `.` or
    `%2E%2E` are values like any other, never a step to a parent."""
    found = scope.get(SEGMENTS)
    if found is None:
        raw = scope.get("raw_path")
        if raw is None:  # a server that does not give it: the decoded path is all there is
            found = scope["path"].split("/")
        else:
            text, root = raw.decode("latin-1"), scope.get("root_path", "")
            if root and text.startswith(root):
                text = text[len(root) :]
            found = [unquote(segment) for segment in text.split("/")]
        scope[SEGMENTS] = found
    return found


class SegmentRoute(Route):
    """A Route matched segment by segment on the path as sent: each `{name}` takes exactly one
    non-empty segment (decoded), every other segment must equal the template's. Starlette's own
    Route matches the decoded path, where an id holding `%2F` (`s2%2Frestart`) became two segments
    and reached another operation (PUT /hypersearch/s2/restart)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], methods: list[str]):
        super().__init__(path, endpoint, methods=methods)
        self.template = [
            (part[1:-1].split(":")[0], True) if part[:1] == "{" else (part, False) for part in path.split("/")
        ]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        segments = request_segments(scope)
        if len(segments) != len(self.template):
            return Match.NONE, {}
        params: dict[str, str] = {}
        for (part, is_param), segment in zip(self.template, segments):
            if is_param and segment:
                params[part] = segment
            elif is_param or segment != part:
                return Match.NONE, {}
        child = {"endpoint": self.endpoint, "path_params": {**scope.get("path_params", {}), **params}}
        return (Match.PARTIAL if self.methods and scope["method"] not in self.methods else Match.FULL), child


async def json_body(request: Request) -> Any:
    """The request's JSON body (413 past FIELD_LIMIT bytes); 400 when it is not JSON or holds what the
    engine cannot store (strictjson: NaN, overflowing numbers, lone surrogates, deep nesting)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > FIELD_LIMIT:
            raise field_too_large("the request body")
    return strictjson.loads(bytes(raw), "the request body")


class JSONAnswer(JSONResponse):
    """Every JSON answer of the engine: strict JSON (no NaN/Infinity, no lone surrogate), so a bad
    value stored by an older engine is answered as null instead of breaking a listing with a 500."""

    def render(self, content: Any) -> bytes:
        return strictjson.dumps(content)


def query_int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise EngineError(400, f"{name} must be a whole number >= 0, not {value!r}")
    return number


def query_filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}


def attachment(path: Path, filename: str, media_type: str) -> Response:
    """The file as a download; a log that does not exist yet is an empty one."""
    if path.is_file():
        return FileResponse(path, media_type=media_type, filename=filename)
    return Response(b"", media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
