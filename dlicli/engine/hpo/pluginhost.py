"""A WMLA plugin in its own process: `python -m dlicli.engine.hpo.pluginhost` speaks JSON lines.
The child side (loading optimizer.py with the shim on sys.path) and the parent side (PluginHost)
are both here; the module is standard-library only, since the child runs in the plugin's Python.

Requests on the child's stdin, one per line, each answered by one line on its stdout:
  {"op": "init", "plugin_dir", "name", "hyper_parameters", "kwargs"}  → {"ok": true}
  {"op": "search", "number_samples", "last_exp_results"}              → {"ok": true, "result": [...]}
  {"op": "get_state"}                        → {"ok": true, "state": base64 of pickle.dumps(state)}
  {"op": "set_state", "state": base64}       → {"ok": true}
A plugin exception answers {"ok": false, "error": "ValueError: …", "traceback": "…"}. The plugin's
own prints and its `plugins.core.logger` go to stderr (the log), never into the protocol.

PluginHost is the parent side and has the algorithm contract itself, so the engine drives a
plugin like a built-in; its state is the opaque base64 text (never unpickled in the engine).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import IO, Any

from dlicli.engine import sandbox
from dlicli.engine.hpo.algorithms.base import OptimizerError


class PluginError(OptimizerError):
    """A plugin failed; `traceback` holds the plugin's traceback text (or its stderr tail)."""

    def __init__(self, message: str, traceback_text: str = ""):
        super().__init__(message)
        self.traceback = traceback_text


# -- child ----------------------------------------------------------------------------------------
SHIM_DIR = Path(__file__).resolve().parent / "shim"


def find_optimizer(plugin_dir: str | Path) -> Path:
    """optimizer.py in the plugin folder, or in its only subfolder (a tar of the folder itself)."""
    root = Path(plugin_dir)
    if (root / "optimizer.py").is_file():
        return root / "optimizer.py"
    subs = [p for p in root.iterdir() if p.is_dir() and (p / "optimizer.py").is_file()] if root.is_dir() else []
    if len(subs) == 1:
        return subs[0] / "optimizer.py"
    raise OptimizerError(f"no optimizer.py in the plugin folder {root}")


def load_plugin_class(plugin_dir: str | Path) -> type:
    """Import the plugin's optimizer.py as module `optimizer` and return PluginOptimizer."""
    path = find_optimizer(plugin_dir)
    for entry in (str(path.parent), str(SHIM_DIR)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location("optimizer", path)
    if spec is None or spec.loader is None:
        raise OptimizerError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["optimizer"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "PluginOptimizer", None)
    if not isinstance(cls, type):
        raise OptimizerError(f"{path} defines no class PluginOptimizer")
    return cls


def _jsonable(obj: Any) -> Any:
    """numpy scalars and arrays (and other objects with item/tolist) as plain JSON."""
    for attr in ("item", "tolist"):
        if hasattr(obj, attr):
            try:
                return getattr(obj, attr)()
            except (TypeError, ValueError):
                pass
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _handle(optimizer: Any, req: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    op = req.get("op")
    if op == "init":
        cls = load_plugin_class(req["plugin_dir"])
        return cls(req["name"], req["hyper_parameters"], **req.get("kwargs", {})), {}
    if optimizer is None:
        raise OptimizerError(f"{op}: the plugin is not initialised")
    if op == "search":
        result = optimizer.search(req["number_samples"], req["last_exp_results"])
        if result is None:
            result = []
        if not isinstance(result, (list, tuple)) or not all(isinstance(s, dict) for s in result):
            raise OptimizerError(f"search() must return a list of dicts, not {type(result).__name__}")
        return optimizer, {"result": list(result)}
    if op == "get_state":
        return optimizer, {"state": base64.b64encode(pickle.dumps(optimizer.get_state())).decode("ascii")}
    if op == "set_state":
        optimizer.set_state(pickle.loads(base64.b64decode(req["state"])))
        return optimizer, {}
    raise OptimizerError(f"unknown op {op!r}")


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the plugin prints (Python or C level) goes to the log
    sys.stdout = sys.stderr
    optimizer = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            optimizer, reply = _handle(optimizer, json.loads(line))
            reply = {"ok": True, **reply}
            text = json.dumps(reply, default=_jsonable)
        except Exception as e:  # noqa: BLE001 - every plugin failure goes back to the engine
            text = json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
        proto.write(text + "\n")
        proto.flush()
    return 0


# -- parent ---------------------------------------------------------------------------------------
def plugin_python(conda_home: str | None = None, conda_env: str | None = None) -> str:
    """The Python for a plugin: condaHome[/envs/condaEnv]/bin/python (condaEnv may be a path)."""
    if not conda_home and not conda_env:
        return sys.executable
    if conda_env and os.path.isabs(conda_env):
        env = Path(conda_env)
    elif conda_env:
        env = Path(conda_home or "") / "envs" / conda_env
    else:
        env = Path(conda_home or "")
    for cand in (env / "bin" / "python", env / "python.exe"):
        if cand.is_file():
            return str(cand)
    raise OptimizerError(f"no python in the conda environment {env}")


class PluginHost:
    """One plugin process with the algorithm contract: search / is_done / get_state / set_state.

    log_path: where the plugin's stderr goes ("-" = this process's stderr; default a temp file
    whose tail is quoted when the process dies). kwargs are the algoParams etc., sent as strings.
    """

    def __init__(
        self,
        plugin_dir: str | Path,
        name: str,
        hyper_parameters: list[dict[str, Any]],
        *,
        conda_home: str | None = None,
        conda_env: str | None = None,
        log_path: str | Path | None = None,
        log_level: str | None = None,
        timeout: float = 600.0,
        **kwargs: Any,
    ):
        from dlicli.engine.hpo.algorithms.space import SpaceError, canonical_hyper_parameters

        self.name, self.timeout, self.done = name, timeout, False
        try:
            find_optimizer(plugin_dir)
        except OptimizerError as e:
            raise PluginError(f"plugin {name}: {e}") from None
        try:
            hps = canonical_hyper_parameters(hyper_parameters)
        except SpaceError as e:
            raise OptimizerError(str(e)) from None
        python = plugin_python(conda_home, conda_env)
        env = self._environment(python, log_level)
        err = self._open_log(log_path)
        jail = sandbox.Jail(own=[Path(self._root)], readable=[Path(plugin_dir).resolve()], interpreters=[python])
        try:
            self.proc = subprocess.Popen(
                sandbox.wrap([python, "-m", "dlicli.engine.hpo.pluginhost"], jail),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                cwd=str(plugin_dir),
                env=env,
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,  # its own group: close() kills all it started (the sandbox too)
            )
        finally:
            if err is not None:
                err.close()
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        self._stdin, self._stdout = stdin, stdout
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._call(
                {
                    "op": "init",
                    "plugin_dir": str(Path(plugin_dir).resolve()),
                    "name": name,
                    "hyper_parameters": hps,
                    "kwargs": {k: str(v) for k, v in kwargs.items() if v is not None},
                }
            )
        except BaseException:
            self.close()
            raise

    def _environment(self, python: str, log_level: str | None) -> dict[str, str]:
        """The child's allow-listed environment: HOME and the path are a temp dir of its own holding
        only dlicli (whichever Python runs it), never the engine's environment."""
        self._root = tempfile.mkdtemp(prefix="dlicli-plugin-")
        os.symlink(Path(__file__).resolve().parents[2], Path(self._root) / "dlicli")
        env = sandbox.environment(Path(self._root))
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=self._root)
        if log_level:
            env["DLICLI_HPO_PLUGIN_LOG_LEVEL"] = str(log_level)
        return env

    def _open_log(self, log_path: str | Path | None) -> IO[bytes] | None:
        """The child's stderr: None for "-" (ours), else the log file (a temp file when not given)."""
        self._own_log = log_path is None
        if log_path == "-":
            self._log_path = None
            return None
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="dlicli-plugin-", suffix=".log")
            os.close(fd)
        self._log_path = Path(log_path)
        return open(self._log_path, "ab")

    def _read(self) -> None:
        for line in self._stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _log_tail(self, lines: int = 20) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def _call(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req["op"]
        if self.proc.poll() is not None and self._lines.empty():
            raise PluginError(f"plugin {self.name}: its process has exited ({self.proc.returncode})", self._log_tail())
        try:
            self._stdin.write(json.dumps(req) + "\n")
            self._stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the read below reports the exit
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close()
            raise PluginError(f"plugin {self.name}: {op} gave no answer within {self.timeout:g}s") from None
        if line is None:
            code = self.proc.wait()
            raise PluginError(f"plugin {self.name}: its process exited ({code}) during {op}", self._log_tail())
        reply = json.loads(line)
        if not reply.get("ok"):
            raise PluginError(f"plugin {self.name}: {op} failed: {reply.get('error')}", reply.get("traceback", ""))
        return reply

    # -- the contract ------------------------------------------------------------------------------
    def search(self, number_samples: int, last_exp_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result = self._call(
            {"op": "search", "number_samples": int(number_samples), "last_exp_results": list(last_exp_results or [])}
        )["result"]
        if not result and number_samples > 0:
            self.done = True  # as on WMLA: [] ends the search
        return result

    def is_done(self) -> bool:
        return self.done

    def get_state(self) -> str:
        return self._call({"op": "get_state"})["state"]

    def set_state(self, state: str) -> None:
        self._call({"op": "set_state", "state": state})

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self.proc.kill()
                self.proc.wait()
        if self._own_log and self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PluginHost:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(main())
