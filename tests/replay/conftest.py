"""The WMLA replay suite's server: one recording server per module and WMLA version, answering every
fixture of tests/replay/fixtures/<version>/ (see SOURCES.md there for what each shape is based on).

A fixture file is one endpoint answer: {"method", "path", optional "query" (values the request must
carry, e.g. logType), "status", and "body" (JSON, served as
json.dumps(body, indent=2)) or "text" with "contentType" (served as is) or "base64" with
"contentType" (a binary file, served decoded), and optional "headers" (more response headers)}.
Tests read what was served
with `Replay.served(name)` and the requests that arrived with `Replay.server.requests`."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.recorder import BASE, RecordingServer

FIXTURES = Path(__file__).parent / "fixtures"
VERSIONS = ("wmla-1.2", "cpd-3.5")


def served_bytes(fixture: dict[str, Any]) -> bytes:
    """The bytes the replay server answers for a fixture (JSON as WMLA's servers pretty-print it)."""
    if "text" in fixture:
        return fixture["text"].encode()
    if "base64" in fixture:
        return base64.b64decode(fixture["base64"])
    return json.dumps(fixture["body"], indent=2, ensure_ascii=False).encode()


def load(version: str) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted((FIXTURES / version).glob("*.json"))}


@dataclass
class Replay:
    version: str
    server: RecordingServer
    fixtures: dict[str, dict[str, Any]]

    def body(self, name: str) -> Any:
        return self.fixtures[name]["body"]

    def served(self, name: str) -> bytes:
        return served_bytes(self.fixtures[name])

    def path_id(self, name: str, segment: int = -1) -> str:
        """A segment of a fixture's path (the last by default): the task id, search name or user it
        answers for."""
        return self.fixtures[name]["path"].split("/")[segment]

    def calls(self) -> list[tuple[str, str, dict[str, list[str]]]]:
        """(method, path under the API base, query) of every request that arrived."""
        return [(r.method, r.path.removeprefix(BASE), r.query) for r in self.server.requests]


def serve(server: RecordingServer, fixtures: dict[str, dict[str, Any]]) -> None:
    for fixture in fixtures.values():
        ctype = fixture.get("contentType", "application/json")
        server.route(
            fixture["method"],
            fixture["path"],
            fixture["status"],
            served_bytes(fixture),
            headers={"Content-Type": ctype, **fixture.get("headers", {})},
            query=fixture.get("query"),
        )


@pytest.fixture(scope="module", params=VERSIONS)
def replay_server(request):
    fixtures = load(request.param)
    server = RecordingServer().start()
    serve(server, fixtures)
    yield Replay(request.param, server, fixtures)
    server.stop()


@pytest.fixture
def wmla(replay_server, monkeypatch):
    """The replay server of one WMLA version, the CLI pointed at it, no request recorded yet."""
    monkeypatch.setenv("DLICLI_URL", replay_server.server.root)
    monkeypatch.setenv("DLICLI_TOKEN", TOKEN)
    monkeypatch.setenv("DLICLI_POLL_INTERVAL", "0")
    replay_server.server.requests.clear()
    return replay_server
