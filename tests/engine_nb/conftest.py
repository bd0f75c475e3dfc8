"""Engines with notebook services: real `dlicli.engine.serve` subprocesses and real Jupyter servers.

Kernels come from a tiny kernelspec put on the engine's JUPYTER_PATH (a process that lives while
its parent, the Jupyter server, does), so the tests need jupyter_server but not ipykernel.
At the end every engine is stopped and what runs in its data dir (Jupyter servers) is killed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.engine_http import conftest as engine_http

start_engine = engine_http.start_engine  # the fixture nb_start wraps

FAKE_KERNEL = """\
import os, time
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(0.2)
"""


def kernelspec_path(root: Path) -> Path:
    """A JUPYTER_PATH dir whose kernels/fake spec starts FAKE_KERNEL with the connection file."""
    spec = root / "kernels" / "fake"
    spec.mkdir(parents=True, exist_ok=True)
    (root / "fakekernel.py").write_text(FAKE_KERNEL)
    argv = [sys.executable, str(root / "fakekernel.py"), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Fake", "language": "python"}))
    return root


def without_jupyter(root: Path) -> dict[str, str]:
    """An engine environment whose `import jupyter_server` fails: a shim package first on PYTHONPATH."""
    shim = root / "shim" / "jupyter_server"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("No module named jupyter_server (test shim)")\n')
    return {"PYTHONPATH": str(shim.parent)}


@pytest.fixture(scope="session")
def nb_start(start_engine, tmp_path_factory):
    """start(data_dir, env=None, *args) → a running EngineProc whose environment adds `env`."""
    jupyter_path = kernelspec_path(tmp_path_factory.mktemp("jupyter-path"))

    def start(data_dir: Path, env: dict[str, str] | None = None, *args: str):
        extra = {"JUPYTER_PATH": str(jupyter_path), **(env or {})}
        saved = {key: os.environ.get(key) for key in extra}
        os.environ.update(extra)
        try:
            return start_engine(data_dir, "--port", "0", "--grace-seconds", "5", *args)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    yield start  # start_engine's teardown kills the Jupyter servers left in each data dir


@pytest.fixture(scope="session")
def nb_engine(nb_start, tmp_path_factory):
    engine = nb_start(tmp_path_factory.mktemp("nb-engine") / "data")
    engine.tokens = {name: engine.add_user(name) for name in ("alice", "bob", "carol")}
    return engine
