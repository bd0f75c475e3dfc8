"""Engines over real HTTP for the bounds tests: `plain` runs with the defaults, `tight` with small
limits (and a plugin root), so each limit can be crossed cheaply. One of each per module."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.engine_http.conftest import EngineProc

LIMITS = {
    "--max-upload-bytes": 1 << 20,
    "--max-unpacked-bytes": 4 << 20,
    "--max-unpack-ratio": 50,
    "--max-tar-members": 50,
    "--max-job-num": 100,
    "--max-parallel-jobs": 8,
    "--max-tasks-per-user": 2,
    "--max-searches-per-user": 1,
    "--max-grid": 50,
}


@pytest.fixture(scope="module")
def plain(procs, tmp_path_factory) -> EngineProc:
    proc = EngineProc(tmp_path_factory.mktemp("plain") / "data", ("--port", "0", "--slots", "2"))
    procs.append(proc)
    return proc


@pytest.fixture(scope="module")
def plugin_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("plugin-root")


@pytest.fixture(scope="module")
def tight(procs, tmp_path_factory, plugin_root) -> EngineProc:
    args = [item for key, value in LIMITS.items() for item in (key, str(value))]
    extra = ("--plugin-root", str(plugin_root), "--grace-seconds", "1")
    proc = EngineProc(tmp_path_factory.mktemp("tight") / "data", ("--port", "0", "--slots", "2", *args, *extra))
    procs.append(proc)
    return proc


@pytest.fixture
def admin(plain):
    with plain.client() as client:
        yield client


def responsive(client: httpx.Client, within: float = 2.0) -> None:
    """The engine still answers a cheap GET quickly (nothing is left grinding in it)."""
    began = time.monotonic()
    answer = client.get("execs", timeout=within + 5)
    took = time.monotonic() - began
    assert answer.status_code == 200, answer.text
    assert took < within, f"GET /execs took {took:.1f}s"


def message(answer: httpx.Response) -> str:
    """The error's message (the answer must be JSON {"message"})."""
    assert answer.headers["content-type"].startswith("application/json"), answer.text[:200]
    return answer.json()["message"]
