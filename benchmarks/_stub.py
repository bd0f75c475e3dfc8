"""A tiny dlpd stub for benchmarks: GET /execs answers a fixed list, GET /execs/{id} one task; any body is discarded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TASKS = [
    {
        "id": f"exec-{i}",
        "state": "FINISHED",
        "args": "--exec-start PyTorch --model-main main.py",
        "creator": "admin",
        "appId": f"app-{i}",
    }
    for i in range(20)
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                self.rfile.read(size)
                self.rfile.readline()
        body = json.dumps(self._payload()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _payload(self):
        if self.command != "GET":
            return {"id": "exec-new"}
        last = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        return next((t for t in TASKS if t["id"] == last), TASKS)  # GET /execs/{id}, else the list

    do_GET = do_POST = _answer


def start_stub() -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, port = httpd.server_address[:2]
    return httpd, f"http://{host}:{port}"
