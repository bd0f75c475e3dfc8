"""A small recording HTTP server on 127.0.0.1 for tests: it answers what a test scripts and
keeps every request that arrived (method, path, raw query, headers, body) to assert on.

Besides answers, it can misbehave as a wrong server does: `page()` answers 200 with an HTML page
(a proxy's login page), and a route with `silent=True` accepts the request and never answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BASE = "/platform/rest/deeplearning/v1"


@dataclass
class Recorded:
    method: str
    target: str  # the raw request target, as sent
    path: str  # unquoted path
    raw_path: str  # path as sent (still quoted)
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def multipart(self) -> dict[str, Part]:
        """The multipart/form-data parts by name."""
        ctype = self.headers.get("content-type", "")
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body)
        parts = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_param("filename", header="content-disposition")
            parts[name] = Part(name, filename, part.get_content_type(), part.get_payload(decode=True) or b"")
        return parts


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Route:
    method: str
    path: str  # full path, or one under BASE when it starts with "~"
    status: int = 200
    body: bytes | Callable[[Recorded], Any] | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # answer this many times, then fall through
    delay: float = 0.0
    silent: bool = False  # read the request, then say nothing until the server stops
    query: dict[str, str] | None = None  # answer only requests whose query holds these values

    def query_matches(self, rec: Recorded) -> bool:
        return all(rec.query.get(key) == [value] for key, value in (self.query or {}).items())


LOGIN_PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) is not an error worth a traceback on stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class RecordingServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.routes: list[Route] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                else:
                    body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                rec = Recorded(
                    method=self.command,
                    target=self.path,
                    path=unquote(split.path),
                    raw_path=split.path,
                    raw_query=split.query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with server._lock:
                    server.requests.append(rec)
                    route = server._match(rec)
                if route is not None and route.silent:
                    server._stopping.wait(600)
                    self.close_connection = True
                    return
                if route is None:
                    status, payload, headers = 404, b'{"message": "no route in test server"}', {}
                else:
                    if route.delay:
                        time.sleep(route.delay)
                    status, headers = route.status, dict(route.headers)
                    payload = route.body(rec) if callable(route.body) else route.body
                if not isinstance(payload, (bytes, bytearray)):
                    payload = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _read_chunked(self) -> bytes:
                out = bytearray()
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(out)
                    out += self.rfile.read(size)
                    self.rfile.readline()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def root(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.root + BASE

    def route(self, method: str, path: str, status: int = 200, body: Any = b"", **kw: Any) -> Route:
        """Answer METHOD PATH (a path under the API base unless it starts with //)."""
        full = path[1:] if path.startswith("//") else BASE + path
        r = Route(method.upper(), full, status, body, **kw)
        with self._lock:
            self.routes.insert(0, r)
        return r

    def page(self, method: str, path: str, body: bytes = LOGIN_PAGE, status: int = 200) -> Route:
        """Answer METHOD PATH with an HTML page, as a proxy or a web server in front of nothing does."""
        return self.route(method, path, status, body, headers={"Content-Type": "text/html; charset=utf-8"})

    def _match(self, rec: Recorded) -> Route | None:
        for r in self.routes:
            if r.method == rec.method and r.path.rstrip("/") == rec.path.rstrip("/") and r.query_matches(rec):
                if r.times is not None:
                    if r.times <= 0:
                        continue
                    r.times -= 1
                return r
        return None

    def api_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(BASE)]

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def start(self) -> RecordingServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
