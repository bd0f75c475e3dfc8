"""A task's WMLA `args` (dlicli.wmlaargs) read into what the local engine does with them.

Every WMLA option is accounted for (`wmla.WMLA_ARGS`): it runs the task (framework, main file,
model dir), acts on this machine (workers, GPUs, memory limits, python, conda env, environment
variables, `--user-cmd`), is ignored with a note the task's events show, or is refused with a 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dlicli.engine import EngineError
from dlicli.engine.tasks.frameworks import recipe
from dlicli.wmla import WMLA_ARG_EFFECTS, WMLA_ARG_KINDS
from dlicli.wmlaargs import WmlaArgs, WmlaArgsError, parse

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 2**20, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


@dataclass
class ExecArgs:
    framework: str = ""
    model_main: str = ""
    model_dir: str | None = None
    num_worker: int = 1
    worker_device_num: int = 0
    cpu_only: bool = False
    memory_limit: int | None = None  # bytes, per worker process
    app_name: str | None = None
    conda_env: str | None = None
    conda_home: str | None = None
    python_version: str | None = None
    datastore_meta: dict[str, str] = field(default_factory=dict)
    data_source: list | None = None
    resplan: str | None = None
    env: dict[str, str] = field(default_factory=dict)  # --msd-env NAME=VALUE
    user_cmd: bool = False
    uploads: list[str] = field(default_factory=list)  # --conda-env-yaml / --conda-package file names
    model_args: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (level, text) for the task's events

    @property
    def distributed(self) -> bool:
        return recipe(self.framework)[2]

    @property
    def workers(self) -> int:
        """Processes (and slots) the task needs."""
        return self.num_worker if self.distributed else 1

    def argv(self, python: str) -> list[str]:
        """What each worker runs: the main file with the model's args, or `--user-cmd`'s command."""
        return list(self.model_args) if self.user_cmd else [python, self.model_main, *self.model_args]


def parse_args(args: str | None) -> ExecArgs:
    """Read a task's args; EngineError(400) names what is wrong."""
    try:
        wmla = parse(args)
        return _exec_args(wmla)
    except WmlaArgsError as exc:
        raise EngineError(400, str(exc)) from None


def _exec_args(wmla: WmlaArgs) -> ExecArgs:
    parsed = ExecArgs(model_args=wmla.model_args, notes=[("Warning", n) for n in wmla.notes])
    if wmla.get("--pbmodel-name", "--pbmodel-cmd"):
        raise EngineError(
            400, "prebuilt models (--pbmodel-name) are not available on the local engine; give --model-main"
        )
    parsed.framework = recipe(wmla.get("--exec-start") or _required("--exec-start", "a framework"))[0]
    parsed.user_cmd = "--user-cmd" in wmla.flags
    if parsed.user_cmd and not wmla.model_args:
        raise EngineError(400, "--user-cmd needs the command after a standalone --: -- COMMAND [ARGS…]")
    parsed.model_main = wmla.get("--model-main") or (
        "" if parsed.user_cmd else _required("--model-main", "the model's main file")
    )
    parsed.model_dir = wmla.get("--model-dir")
    parsed.num_worker = _bounded(wmla, "--numWorker", 1)
    edt = _pairs(wmla.get("--edt-options"), "--edt-options")
    if parsed.framework == "edtPyTorch" and "--numWorker" not in wmla.options and "maxWorkers" in edt:
        parsed.num_worker = _edt_workers(edt["maxWorkers"])
    elif edt:
        parsed.notes.append(
            ("Info", f"ignored on the local engine: --edt-options {wmla.get('--edt-options')} (not edtPyTorch)")
        )
    parsed.worker_device_num = _bounded(wmla, "--workerDeviceNum", 0, "--gpuPerWorker")
    parsed.cpu_only = wmla.get("--workerDeviceType") == "cpu"
    memory = wmla.get("--workerMemoryLimit", "--workerMemory")
    parsed.memory_limit = None if memory is None else _memory(memory)
    parsed.app_name = wmla.get("--appName")
    parsed.conda_env, parsed.conda_home = wmla.get("--conda-env-name"), wmla.get("--conda-home")
    parsed.python_version = wmla.get("--python-version")
    parsed.resplan = wmla.get("--resplan", "--resource-plan")
    parsed.datastore_meta = _pairs(wmla.get("--cs-datastore-meta"), "--cs-datastore-meta")
    parsed.env = {
        k: v for item in wmla.lists.get("--msd-env", []) for k, v in _pairs(item, "--msd-env", whole=True).items()
    }
    parsed.data_source = _data_source(wmla.get("--data-source"))
    parsed.uploads = [
        v.replace("\\", "/").rsplit("/", 1)[-1]
        for v in (wmla.get("--conda-env-yaml"), wmla.get("--conda-package"))
        if v
    ]
    ignored = [_shown(wmla, name) for name in wmla.given() if WMLA_ARG_EFFECTS[name].startswith("ignored")]
    if ignored:
        parsed.notes.append(("Info", "ignored on the local engine: " + ", ".join(ignored)))
    return parsed


def _required(option: str, what: str) -> str:
    raise EngineError(400, f"args must name {what} with {option}")


def _bounded(wmla: WmlaArgs, option: str, low: int, alias: str | None = None) -> int:
    names = (option, alias) if alias else (option,)
    number = wmla.number(*names)
    if number is None:
        return low
    if not low <= number <= 256:
        given = next(n for n in names if n in wmla.options)
        raise EngineError(400, f"{given} must be between {low} and 256, not {number}")
    return number


def _edt_workers(value: str) -> int:
    """maxWorkers of --edt-options: on one machine the elastic range is fixed at its top."""
    if not value.isdigit() or not 1 <= int(value) <= 256:
        raise EngineError(400, f"--edt-options maxWorkers must be a whole number from 1 to 256, not {value!r}")
    return int(value)


def _memory(value: str) -> int:
    """Bytes of a WMLA memory size: 4096 (MiB, as Spark reads a bare number), 512m, 8g, 8Gi, 2GB."""
    match = _MEMORY.match(value)
    if not match or float(match.group(1)) <= 0:
        raise EngineError(
            400, f"--workerMemory/--workerMemoryLimit must be a size such as 4096, 512m or 8g, not {value!r}"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _pairs(value: str | None, option: str, whole: bool = False) -> dict[str, str]:
    """NAME=VALUE pairs, comma-separated (`whole`: one pair, whose value may hold commas)."""
    pairs: dict[str, str] = {}
    for pair in filter(None, [value or ""] if whole else (value or "").split(",")):
        key, sep, item = pair.partition("=")
        if not sep or not key.strip():
            raise EngineError(400, f"{option} takes NAME=VALUE[,NAME=VALUE…], not {value!r}")
        pairs[key.strip()] = item.strip()
    return pairs


def _data_source(value: str | None) -> list | None:
    if value is None:
        return None
    try:
        sources = json.loads(value)
    except ValueError:
        raise EngineError(400, f"--data-source must be JSON (a list of data sources), not {value!r}") from None
    return sources if isinstance(sources, list) else [sources]


def _shown(wmla: WmlaArgs, name: str) -> str:
    """`--option value` for an event; a secret's value is never shown."""
    kind = WMLA_ARG_KINDS[name]
    if kind == "flag":
        return name
    if kind == "secret":
        return f"{name} ***"
    values = wmla.lists.get(name) or [wmla.options[name]]
    return " ".join(f"{name} {v}" for v in values)
