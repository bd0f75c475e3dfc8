"""A request whose path goes out byte for byte (http.client): httpx removes dot segments and may
re-encode, which a test of how the engine matches paths must not have."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from dlicli.engine.api.routing import BASE


def raw(engine_proc: Any, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    """`method` on BASE + `path` exactly as written, as the admin → (status, JSON or text)."""
    where = urlsplit(engine_proc.url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    headers = {"Authorization": f"Bearer {engine_proc.token}", "Content-Type": "application/json"}
    try:
        connection.request(method, BASE + path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode()
    finally:
        connection.close()
    try:
        return answer.status, json.loads(text)
    except ValueError:
        return answer.status, text
