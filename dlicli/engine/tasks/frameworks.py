"""Framework launch recipes and the dlicmd-style `args` string.

A recipe says how many processes a task runs and what each one gets in its environment:
plain Python, PyTorch and TensorFlow run one process; distPyTorch runs `--numWorker` processes
wired for torch.distributed (MASTER_ADDR/PORT, WORLD_SIZE, RANK, LOCAL_RANK); disttensorflow runs
`--numWorker` processes with a TF_CONFIG each.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from dlicli.engine import EngineError

# name, description, distributed?, python package whose version is reported
_RECIPES = (
    ("PyTorch", "PyTorch, one process", False, "torch"),
    ("tensorflow", "TensorFlow, one process", False, "tensorflow"),
    ("python", "Plain Python, one process", False, None),
    (
        "distPyTorch",
        "PyTorch distributed: --numWorker processes (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, "
        "RANK, LOCAL_RANK) for torch.distributed",
        True,
        "torch",
    ),
    ("disttensorflow", "TensorFlow multi-worker: --numWorker processes with TF_CONFIG", True, "tensorflow"),
)


def frameworks() -> list[dict]:
    """The DLFramework objects of GET /execs/frameworks."""
    out = []
    for name, desc, _distributed, package in _RECIPES:
        entry = {"name": name, "desc": [desc], "frameworkVersion": _version(package), "description": desc, "numPs": 0}
        if name == "disttensorflow":
            entry["distributeStrategy"] = "MultiWorkerMirroredStrategy"
        out.append(entry)
    return out


@cache
def _version(package: str | None) -> str:
    if package is None:
        return ".".join(map(str, sys.version_info[:3]))
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def recipe(name: str) -> tuple:
    for entry in _RECIPES:
        if entry[0].lower() == name.lower():
            return entry
    known = ", ".join(entry[0] for entry in _RECIPES)
    raise EngineError(400, f"unknown framework {name!r}; this engine runs: {known}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_envs(framework: str, workers: int) -> list[dict[str, str]]:
    """The extra environment of each worker process, chosen at launch (ports must be free then)."""
    name = recipe(framework)[0]
    if name == "distPyTorch":
        port = str(free_port())
        return [
            {
                "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": port,
                "WORLD_SIZE": str(workers),
                "RANK": str(rank),
                "LOCAL_RANK": str(rank),
                "LOCAL_WORLD_SIZE": str(workers),
            }
            for rank in range(workers)
        ]
    if name == "disttensorflow":
        cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
        return [
            {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})}
            for rank in range(workers)
        ]
    return [{}]


def python_of_version(version: str) -> str | None:
    """`pythonX.Y` on PATH when it runs and is that version (a pyenv shim may exist and fail)."""
    if not version.replace(".", "").isdigit():
        return None
    found = shutil.which(f"python{version}")
    if found is None:
        return None
    try:
        done = subprocess.run(
            [found, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    ok = done.returncode == 0 and (done.stdout.strip() + ".").startswith(version + ".")
    return found if ok else None


def conda_python(env_name: str, conda_home: str | None = None) -> Path | None:
    """The python of a conda env named `env_name` (under `conda_home`/envs first), when one exists here."""
    if not env_name or "/" in env_name or env_name.startswith("."):
        return None
    roots = [Path(conda_home) / "envs"] if conda_home else []
    roots += [Path(p) for p in os.environ.get("CONDA_ENVS_PATH", "").split(os.pathsep) if p]
    for var in ("CONDA_PREFIX", "CONDA_EXE"):
        value = os.environ.get(var)
        if value:
            base = Path(value).parent.parent if var == "CONDA_EXE" else Path(value)
            if base.parent.name == "envs":
                base = base.parent.parent
            roots.append(base / "envs")
    home = Path.home()
    roots += [home / d / "envs" for d in ("miniconda3", "anaconda3", "miniforge3", "mambaforge", ".conda")]
    for root in roots:
        python = root / env_name / "bin" / "python"
        if python.is_file() and os.access(python, os.X_OK):
            return python
    return None
