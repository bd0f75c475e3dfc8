"""Framework launch recipes: what `--exec-start NAME` runs, and GET /execs/frameworks.

A recipe says how many processes a task runs and what each one gets in its environment, under the
name WMLA gives the framework (`--exec-start NAME`, any case; GET /execs/frameworks lists them):
plain Python, PyTorch, TensorFlow and XGboost run one process; distPyTorch runs `--numWorker`
processes wired for torch.distributed (MASTER_ADDR/PORT, WORLD_SIZE, RANK, LOCAL_RANK); edtPyTorch
runs them with the environment torchrun gives elastic workers; disttensorflow runs `--numWorker`
processes with a TF_CONFIG each. WMLA frameworks no recipe can honestly run here are refused by name.

Sources: IBM's dlicmd.py reference (https://www.ibm.com/docs/SSFHA8_4.0/cm/dlicmd.html), IBM's
wmla-assets samples (`--exec-start edtPyTorch --edt-options maxWorkers=2` in
HPO-demonstration/HPO-EDT; the XGboost plugin of the XGBoost tuning tutorial, which runs
`python MODEL ARGS` in a conda env), WMLA's elastic distributed training page
(https://ibm.com/docs/en/SSFHA8_4.0/wmla_workloads_elastic_distributed_training.html) and
torchrun's environment (https://docs.pytorch.org/docs/stable/elastic/run.html).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from dlicli.engine import EngineError


class Recipe(NamedTuple):
    name: str
    """WMLA's spelling: what `--exec-start` names (any case) and a task's `framework` reports."""
    description: str
    distributed: bool
    """True: the task runs `--numWorker` processes; else one."""
    package: str | None
    """The package whose installed version GET /execs/frameworks reports (None: Python's)."""
    strategy: str | None = None
    """DLFramework.distributeStrategy, when the recipe has one."""


_EDT_NOTE = (
    "On one machine the elastic range is the fixed --numWorker count (no workers join or leave). "
    "IBM's EDT API (`from fabric_model import FabricModel`, from $FABRIC_HOME/libs/fabric.zip) is "
    "not provided: a script that imports it runs only where IBM's fabric is installed and "
    "FABRIC_HOME is set in the engine's environment."
)

_RECIPES = (
    Recipe("PyTorch", "PyTorch, one process", False, "torch"),
    Recipe("tensorflow", "TensorFlow, one process", False, "tensorflow"),
    Recipe("python", "Plain Python, one process", False, None),
    Recipe(
        "distPyTorch",
        "PyTorch distributed: --numWorker processes (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, "
        "RANK, LOCAL_RANK) for torch.distributed",
        True,
        "torch",
    ),
    Recipe(
        "disttensorflow",
        "TensorFlow multi-worker: --numWorker processes with TF_CONFIG",
        True,
        "tensorflow",
        "MultiWorkerMirroredStrategy",
    ),
    Recipe(
        "edtPyTorch",
        "PyTorch elastic distributed training: --numWorker processes with the environment torchrun "
        "gives its workers (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, ROLE_RANK, "
        "MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RUN_ID, ...). " + _EDT_NOTE,
        True,
        "torch",
    ),
    Recipe("XGboost", "XGBoost, one process: the model's main file run by Python with xgboost", False, "xgboost"),
)

_NOT_RUN = {
    "caffe": "Caffe (IBM Spectrum Conductor Deep Learning Impact's Caffe and IBM Caffe) has no runtime here",
}
"""WMLA frameworks this engine refuses, by lower-case name, with why."""


def frameworks() -> list[dict]:
    """The DLFramework objects of GET /execs/frameworks: `desc` holds the description and an example
    line, as a WMLA framework plugin's conf writes it."""
    return [_framework(entry) for entry in _RECIPES]


def _framework(entry: Recipe) -> dict:
    example = f"python dlicmd.py --exec-start {entry.name} <connection-options> --model-main main.py"
    if entry.distributed:
        example += " --numWorker 2"
    out = {
        "name": entry.name,
        "desc": [entry.description, f"Example: {example}"],
        "frameworkVersion": _version(entry.package),
        "description": entry.description,
        "numPs": 0,
    }
    if entry.strategy:
        out["distributeStrategy"] = entry.strategy
    return out


@cache
def _version(package: str | None) -> str:
    """The installed version of `package` for the engine's Python; empty when it is not installed."""
    if package is None:
        return ".".join(map(str, sys.version_info[:3]))
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def recipe(name: str) -> Recipe:
    """The recipe called `name` in any case (XGBoost, xgboost, XGboost); a 400 naming what this
    engine runs when there is none."""
    for entry in _RECIPES:
        if entry.name.lower() == name.lower():
            return entry
    known = ", ".join(entry.name for entry in _RECIPES)
    why = _NOT_RUN.get(name.lower())
    if why:
        raise EngineError(400, f"framework {name!r} is not run by this engine: {why}; this engine runs: {known}")
    raise EngineError(400, f"unknown framework {name!r}; this engine runs: {known}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_envs(framework: str, workers: int) -> list[dict[str, str]]:
    """The extra environment of each worker process, chosen at launch (ports must be free then)."""
    name = recipe(framework).name
    if name == "distPyTorch":
        return _torch_envs(workers)
    if name == "edtPyTorch":
        return _elastic_envs(workers)
    if name == "disttensorflow":
        cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
        return [
            {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})}
            for rank in range(workers)
        ]
    return [{}]


def _torch_envs(workers: int) -> list[dict[str, str]]:
    """torch.distributed's env:// rendezvous on this machine: rank 0 listens on MASTER_PORT."""
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


def _elastic_envs(workers: int) -> list[dict[str, str]]:
    """What `torchrun --standalone --nproc-per-node N` gives its workers: one node (group) of N,
    a fresh run id, no restarts. TORCHELASTIC_USE_AGENT_STORE stays unset: there is no agent,
    so rank 0 hosts the store as with plain env:// ."""
    run_id = str(uuid.uuid4())
    elastic = {
        "GROUP_RANK": "0",
        "GROUP_WORLD_SIZE": "1",
        "ROLE_NAME": "default",
        "ROLE_WORLD_SIZE": str(workers),
        "TORCHELASTIC_RUN_ID": run_id,
        "TORCHELASTIC_RESTART_COUNT": "0",
        "TORCHELASTIC_MAX_RESTARTS": "0",
    }
    return [{**env, **elastic, "ROLE_RANK": env["RANK"]} for env in _torch_envs(workers)]


@cache
def python_of_version(version: str) -> str | None:
    """`pythonX.Y` on PATH when it runs and is that version (a pyenv shim may exist and fail); probed
    once per engine, not once per task or HPO experiment."""
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
