"""HPO algorithms as the engine serves them: the built-ins, the user plugins (installed under
<data_dir>/hpo_plugins/<name>, recorded in the `algorithms` table), and building the optimizer of a task.

A plugin is installed from an uploaded tar of its folder (unpacked safely by unpack.py) or, by an
administrator, copied from a server path under a --plugin-root (plugincopy.py); either way it needs
`optimizer.py` (at the top or in its only subfolder). It runs
in its own process (hpo/pluginhost.py) with the Python of condaHome/condaEnv when given; its output
goes to the task's search.log.
"""

from __future__ import annotations

import builtins
import shutil
import time
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError, User
from dlicli.engine.hpo import plugincopy
from dlicli.engine.hpo.input import HpoInput, check_name, parse_body
from dlicli.engine.hpo.metrics import wmla_time
from dlicli.engine.limits import Limits
from dlicli.engine.store import Store
from dlicli.engine.tasks import unpack

BUILD_IN, USER_PLUGIN = "BUILD_IN", "USER_PLUGIN"


def _builtin_names() -> list[str]:
    from dlicli.engine.hpo.algorithms.base import builtin_names

    return builtin_names()


def describe(row: dict | None, name: str | None = None) -> dict:
    """HpoAlgorithmDesc of a plugin row, or of a built-in (row None)."""
    if row is None:
        return {
            "name": name,
            "type": BUILD_IN,
            "path": "",
            "condaHome": "",
            "condaEnv": "",
            "creator": "",
            "createtime": "",
            "remoteExec": False,
            "logLevel": "",
        }
    return {
        "name": row["name"],
        "type": USER_PLUGIN,
        "path": row["path"],
        "condaHome": row["conda_home"],
        "condaEnv": row["conda_env"],
        "creator": row["creator"],
        "createtime": wmla_time(row["create_time"]),
        "remoteExec": bool(row["remote_exec"]),
        "logLevel": row["log_level"],
        "source": row["source"],
    }


class Algorithms:
    def __init__(self, store: Store, root: Path, limits: Limits):
        self.store, self.root, self.limits = store, root, limits

    def plugins(self) -> dict[str, dict]:
        """Installed plugins by lower-case name."""
        return {row["name"].lower(): row for row in self.store.all("SELECT * FROM algorithms ORDER BY name")}

    def list(self, algo_type: str | None) -> list[dict]:
        kind = (algo_type or "").strip().upper()
        if kind not in ("", BUILD_IN, USER_PLUGIN):
            raise EngineError(400, f"type must be {BUILD_IN} or {USER_PLUGIN}, not {algo_type!r}")
        out = [describe(None, n) for n in _builtin_names()] if kind in ("", BUILD_IN) else []
        if kind in ("", USER_PLUGIN):
            out += [describe(row) for row in self.plugins().values()]
        return out

    def get(self, name: str) -> dict:
        for builtin in _builtin_names():
            if builtin.lower() == name.lower():
                return describe(None, builtin)
        row = self.plugins().get(name.lower())
        if row is None:
            raise EngineError(404, f"hpo algorithm {name} not found")
        return describe(row)

    def install(self, user: User, data: Any, upload: Path | None, upload_name: str | None) -> dict:
        from dlicli.engine.hpo.algorithms.base import OptimizerError
        from dlicli.engine.hpo.pluginhost import find_optimizer, plugin_python

        body = {str(k).lower(): v for k, v in parse_body(data).items()}
        name = check_name(body.get("name"), "name")
        if name.lower() in {n.lower() for n in _builtin_names()}:
            raise EngineError(409, f"{name} is a built-in algorithm")
        if name.lower() in self.plugins():
            raise EngineError(409, f"hpo algorithm {name} is already installed; delete it first")
        path = str(body.get("path") or "").strip()
        if (upload is None) == (not path):
            raise EngineError(400, "install needs either the part file (a .tar of the plugin folder) or a server path")
        source = plugincopy.allowed_source(user, path, self.limits) if path else None
        conda_home, conda_env = str(body.get("condahome") or ""), str(body.get("condaenv") or "")
        try:
            plugin_python(conda_home or None, conda_env or None)
        except OptimizerError as exc:
            raise EngineError(400, f"condaHome/condaEnv: {exc}") from None
        remote = body.get("remoteexec", False)
        remote = remote.strip().lower() in ("true", "1", "yes") if isinstance(remote, str) else bool(remote)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".staging-{name}-{time.monotonic_ns()}"
        target = self.root / name
        try:
            if source is None:
                folder = unpack.unpack(upload or Path(), upload_name or "plugin.tar", staging, self.limits)
            else:
                folder = staging / source.name
                plugincopy.copy_plugin(source, folder, self.limits)
            try:
                found = find_optimizer(folder).parent
            except OptimizerError as exc:
                raise EngineError(400, f"not a plugin: {exc} (it needs optimizer.py)") from None
            shutil.rmtree(target, ignore_errors=True)
            found.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        try:
            self.store.insert(
                "algorithms",
                name=name,
                creator=user.name,
                path=str(target),
                source="upload" if upload is not None else path,
                conda_home=conda_home,
                conda_env=conda_env,
                remote_exec=int(remote),
                log_level=str(body.get("loglevel") or "INFO").upper(),
                create_time=time.time(),
            )
        except Exception:  # noqa: BLE001 - the insert lost a race with another install of the name
            shutil.rmtree(target, ignore_errors=True)
            raise EngineError(409, f"hpo algorithm {name} is already installed") from None
        return {"uid": name, "href": f"/hypersearch/algorithm/{name}"}

    def delete(self, user: User, name: str, in_use: builtins.list[str]) -> None:
        if name.lower() in {n.lower() for n in _builtin_names()}:
            raise EngineError(400, f"{name} is a built-in algorithm; only plugins can be deleted")
        row = self.plugins().get(name.lower())
        if row is None:
            raise EngineError(404, f"hpo algorithm {name} not found")
        if not user.admin and row["creator"] != user.name:
            raise EngineError(403, f"hpo algorithm {name} belongs to {row['creator']}")
        if in_use:
            tasks = ", ".join(in_use)
            raise EngineError(400, f"hpo algorithm {name} is in use by hpo task(s) {tasks}; stop them first")
        self.store.run("DELETE FROM algorithms WHERE name = ?", row["name"])
        shutil.rmtree(row["path"], ignore_errors=True)

    def build(self, hpo: HpoInput, log_path: Path):
        """The optimizer of a task: a built-in, or a PluginHost whose output goes to log_path."""
        if hpo.builtin:
            from dlicli.engine.hpo.algorithms.base import make_optimizer

            kwargs = {**hpo.kwargs(), "maxRunTime": str(hpo.max_run_time)}  # Hyperband/ASHA: will it end?
            return make_optimizer(hpo.algorithm, hpo.name, hpo.hyper_parameters, **kwargs)
        from dlicli.engine.hpo.algorithms.base import OptimizerError
        from dlicli.engine.hpo.pluginhost import PluginHost

        row = self.plugins().get(hpo.algorithm.lower())
        if row is None:
            raise OptimizerError(f"the plugin algorithm {hpo.algorithm} is no longer installed")
        kwargs = {k: v for k, v in hpo.kwargs().items() if k != "experiments"}
        return PluginHost(
            row["path"],
            hpo.name,
            hpo.hyper_parameters,
            conda_home=row["conda_home"] or None,
            conda_env=row["conda_env"] or None,
            log_path=log_path,
            log_level=row["log_level"],
            **kwargs,
        )
