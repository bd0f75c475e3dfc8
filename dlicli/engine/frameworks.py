"""Framework launch recipes and the dlicmd-style `args` string.

A recipe says how many processes a task runs and what each one gets in its environment:
plain Python, PyTorch and TensorFlow run one process; distPyTorch runs `--numWorker` processes
wired for torch.distributed (MASTER_ADDR/PORT, WORLD_SIZE, RANK, LOCAL_RANK); disttensorflow runs
`--numWorker` processes with a TF_CONFIG each.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from dlicli.engine import EngineError
from dlicli.wmla import SUBMIT_OPTIONS

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

# dlicmd option → ExecArgs attribute; all take one value (dlicmd's spellings: dlicli.wmla)
_OPTIONS = {
    "--exec-start": "framework",
    "--model-main": "model_main",
    "--model-dir": "model_dir",
    SUBMIT_OPTIONS["--num-worker"]: "num_worker",
    SUBMIT_OPTIONS["--worker-device-num"]: "worker_device_num",
    SUBMIT_OPTIONS["--app-name"]: "app_name",
    SUBMIT_OPTIONS["--conda-env-name"]: "conda_env",
    SUBMIT_OPTIONS["--cs-datastore-meta"]: "datastore_meta",
    "--resplan": "resplan",
    "--resource-plan": "resplan",
}


@dataclass
class ExecArgs:
    framework: str = ""
    model_main: str = ""
    model_dir: str | None = None
    num_worker: int = 1
    worker_device_num: int = 0
    app_name: str | None = None
    conda_env: str | None = None
    datastore_meta: dict[str, str] = field(default_factory=dict)
    resplan: str | None = None
    model_args: list[str] = field(default_factory=list)

    @property
    def distributed(self) -> bool:
        return recipe(self.framework)[2]

    @property
    def workers(self) -> int:
        """Processes (and slots) the task needs."""
        return self.num_worker if self.distributed else 1


def frameworks() -> list[dict]:
    """The DLFramework objects of GET /execs/frameworks."""
    out = []
    for name, desc, distributed, package in _RECIPES:
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


def parse_args(args: str) -> ExecArgs:
    """Parse `--exec-start F --model-main M [options] [MODEL ARGS]`; the first unknown token starts
    the model args (a lone `--` ends the options and is dropped)."""
    try:
        tokens = shlex.split(args or "")
    except ValueError as exc:
        raise EngineError(400, f"cannot parse args: {exc}") from None
    parsed = ExecArgs()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            i += 1
            break
        key, eq, inline = token.partition("=")
        if key not in _OPTIONS:
            break
        if eq:
            value, i = inline, i + 1
        elif i + 1 < len(tokens):
            value, i = tokens[i + 1], i + 2
        else:
            raise EngineError(400, f"option {key} needs a value")
        _set(parsed, _OPTIONS[key], key, value)
    parsed.model_args = tokens[i:]
    if not parsed.framework:
        raise EngineError(400, "args must name a framework with --exec-start")
    if not parsed.model_main:
        raise EngineError(400, "args must name the model's main file with --model-main")
    parsed.framework = recipe(parsed.framework)[0]
    return parsed


def _set(parsed: ExecArgs, attr: str, option: str, value: str) -> None:
    if attr in ("num_worker", "worker_device_num"):
        try:
            number = int(value)
        except ValueError:
            raise EngineError(400, f"{option} must be a whole number, not {value!r}") from None
        low = 1 if attr == "num_worker" else 0
        if not low <= number <= 256:
            raise EngineError(400, f"{option} must be between {low} and 256")
        setattr(parsed, attr, number)
    elif attr == "datastore_meta":
        for pair in value.split(","):
            k, sep, v = pair.partition("=")
            if not sep or not k.strip():
                raise EngineError(400, f"{option} takes KEY=VALUE[,KEY=VALUE…], not {value!r}")
            parsed.datastore_meta[k.strip()] = v.strip()
    else:
        setattr(parsed, attr, value)


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


def conda_python(env_name: str) -> Path | None:
    """The python of a conda env named `env_name`, when one exists on this machine."""
    if not env_name or "/" in env_name or env_name.startswith("."):
        return None
    roots = [Path(p) for p in os.environ.get("CONDA_ENVS_PATH", "").split(os.pathsep) if p]
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
