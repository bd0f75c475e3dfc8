"""Notebook services: one real Jupyter server per user, started, watched and stopped by the engine.

Each server runs `python -m jupyter_server` in its own session (its pid = its process group),
bound to 127.0.0.1 on a port the OS picks, with a random token kept in its config file (mode
0600, found through JUPYTER_CONFIG_DIR) so it never shows in `ps`; it starts from the allow-listed
environment (HOME in home/) and, where the engine isolates users, inside bubblewrap seeing only
its own dir (engine/sandbox.py). Everything lives under
<data_dir>/notebooks/<user>/: work/ (the root dir), config/, runtime/ (jpserver-<pid>.json tells
the port; kernel-<id>.json connection files name each kernel process), server.log. The store's
`notebooks` table lets a restarted engine re-adopt a live server (pid + /proc start time) or mark
it Stopped. CPU is the average number of cores used since each process started; memory is RSS in MB.
"""

from __future__ import annotations

import http.client
import importlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError, User, sandbox
from dlicli.engine.store import Store
from dlicli.engine.tasks import runner
from dlicli.engine.tasks.scheduler import chain

PENDING, RUNNING, STOPPED = "Pending", "Running", "Stopped"
INSTALL_HINT = "pip install 'dlicli[notebook]'"
CONFIG_FILE = "jupyter_server_config.json"
TICKS = os.sysconf("SC_CLK_TCK")
log = logging.getLogger("dlicli.engine")


def jupyter_missing() -> str | None:
    """Why jupyter_server cannot run in this interpreter (None when it can)."""
    importlib.invalidate_caches()
    try:
        importlib.import_module("jupyter_server")
    except ImportError as exc:
        return (
            f"notebook services need jupyter_server, which is not installed ({exc}): "
            f"{INSTALL_HINT} on the engine's machine, then try again"
        )
    return None


def _uptime() -> float:
    with open("/proc/uptime", encoding="ascii") as handle:
        return float(handle.read().split()[0])


def _usage(pids: list[int]) -> tuple[float, float]:
    """(average cores used since each process started, resident MB) summed over `pids`."""
    cpu = mem = 0.0
    now = _uptime()
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        fields = runner.proc_stat(pid)
        if fields is None or fields[0] in ("Z", "X"):
            continue
        elapsed = now - int(fields[19]) / TICKS
        if elapsed > 0:
            cpu += (int(fields[11]) + int(fields[12])) / TICKS / elapsed
        mem += int(fields[21]) * page
    return round(cpu, 3), round(mem / (1 << 20), 1)


def _started_at(pid: int | None) -> float | None:
    """When the process started, in epoch seconds (from its /proc start time and the uptime)."""
    ticks = runner.start_time(pid) if pid else None
    return time.time() - (_uptime() - ticks / TICKS) if ticks is not None else None


def _ms(seconds: float | None) -> int:
    return int(seconds * 1000) if seconds else 0


class NotebookManager:
    """Start, stop, inspect and re-plan per-user Jupyter servers. Raises EngineError(status, message)."""

    def __init__(self, store: Store, root: Path, *, grace: float = 10.0, start_timeout: float = 60.0):
        self.store = store
        self.root = Path(root)
        self.grace = grace
        self.start_timeout = start_timeout
        self._lock = threading.RLock()
        self._children: dict[int, subprocess.Popen] = {}  # servers this engine spawned, to reap
        self._kill_strays()

    def _kill_strays(self) -> None:
        """Kill what runs in a notebook dir no live record owns (an engine killed mid-start or
        mid-stop left it unreachable). Runs once, before the engine serves."""
        for base in self.root.iterdir() if self.root.is_dir() else ():
            row = self.store.one("SELECT * FROM notebooks WHERE user = ?", base.name)
            if row is None or row["status"] == STOPPED or not runner.alive(row["pid"], row["pid_start"]):
                for pid in runner.kill_working_in(base):
                    log.warning("killed process %d left in %s by an earlier engine", pid, base)

    # paths -----------------------------------------------------------------------------------
    def _dir(self, name: str) -> Path:
        return self.root / name

    def _token(self, name: str) -> str:
        config = json.loads((self._dir(name) / "config" / CONFIG_FILE).read_text(encoding="utf-8"))
        return config["IdentityProvider"]["token"]

    # access ----------------------------------------------------------------------------------
    @staticmethod
    def _visible(user: User, name: str) -> bool:
        """Only `name` and administrators see `name`'s service; to anyone else it answers as a
        missing one, so it does not tell who has a notebook service."""
        return user.admin or user.name == name

    def _row(self, name: str) -> dict | None:
        row = self.store.one("SELECT * FROM notebooks WHERE user = ?", name)
        return self._refresh(row) if row else None

    def _need(self, name: str, user: User | None = None) -> dict:
        row = self._row(name) if user is None or self._visible(user, name) else None
        if row is None:
            raise EngineError(404, f"no notebook service for user {name}")
        return row

    def _plan(self, name: str | None) -> str | None:
        if name in (None, ""):
            return None
        if not isinstance(name, str) or self.store.resplan(name) is None:
            raise EngineError(400, f"resource plan {name} does not exist")
        return name

    # lifecycle -------------------------------------------------------------------------------
    def start(self, user: User, name: str, resplan: str | None = None) -> tuple[dict, bool]:
        """Start `name`'s Jupyter server (admin only) → (the service, started now?)."""
        if not user.admin:
            raise EngineError(403, "only an administrator starts notebook services")
        if not self.store.one("SELECT 1 FROM users WHERE name = ?", name):
            raise EngineError(404, f"no such user: {name}")
        plan = self._plan(resplan)
        with self._lock:
            row = self._row(name)
            if row is not None and row["status"] != STOPPED:
                return self._view(row), False
            missing = jupyter_missing()
            if missing:
                raise EngineError(400, missing)
            pid, started = self._launch(name)
            try:
                self.store.run("DELETE FROM notebooks WHERE user = ?", name)
                self.store.insert(
                    "notebooks",
                    user=name,
                    status=PENDING,
                    pid=pid,
                    pid_start=started,
                    resplan=plan,
                    create_time=time.time(),
                    message="starting the Jupyter server",
                )
            except BaseException:
                runner.signal_group(pid, signal.SIGKILL)  # no record, no orphan
                raise
        deadline = time.monotonic() + self.start_timeout
        row = self._need(name)
        while row["status"] == PENDING and time.monotonic() < deadline:
            time.sleep(0.1)
            row = self._need(name)
        if row["status"] == STOPPED:
            raise EngineError(500, f"the Jupyter server of {name} did not start: {row['message']}")
        return self._view(row), True

    def _launch(self, name: str) -> tuple[int, int | None]:
        base = self._dir(name)
        for sub in ("", "work", "config", "runtime", "home"):
            (base / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        for old in (base / "runtime").glob("jpserver-*"):
            old.unlink(missing_ok=True)
        config = {
            "ServerApp": {
                "ip": "127.0.0.1",
                "port": 0,
                "port_retries": 0,
                "open_browser": False,
                "root_dir": str(base / "work"),
                "allow_root": True,
                "allow_remote_access": False,
            },
            "IdentityProvider": {"token": secrets.token_urlsafe(32)},
            "KernelManager": {"shutdown_wait_time": 3.0},
        }
        path = base / "config" / CONFIG_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump(config, handle)
        env = sandbox.environment(base / "home", extra=("JUPYTER_PATH",))  # kernelspecs the engine was given
        env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
        env["DLI_NOTEBOOK_USER"] = name
        kernels = [Path(p) for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if os.path.isabs(p)]
        jail = sandbox.Jail(own=[base], readable=kernels, interpreters=[sys.executable], cwd=base / "work")
        with open(base / "server.log", "ab") as output:
            proc = subprocess.Popen(
                sandbox.wrap([sys.executable, "-m", "jupyter_server"], jail),
                cwd=str(base / "work"),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        self._children[proc.pid] = proc
        log.info("started the Jupyter server of %s (pid %d, log %s)", name, proc.pid, base / "server.log")
        return proc.pid, runner.start_time(proc.pid)

    def _reap(self) -> None:
        for pid, proc in list(self._children.items()):
            if proc.poll() is not None:
                self._children.pop(pid, None)

    def _refresh(self, row: dict) -> dict:
        """Bring a record up to date: a dead server → Stopped; a Pending one that answers → Running."""
        if row["status"] == STOPPED:
            return row
        self._reap()
        changes: dict[str, Any] = {}
        if not runner.alive(row["pid"], row["pid_start"]):
            changes = {
                "status": STOPPED,
                "reason": "Exited",
                "message": "the Jupyter server exited: "
                + (self._log_tail(row["user"]) or "no output")
                + f" (see {self._dir(row['user']) / 'server.log'})",
            }
        elif row["status"] == PENDING:
            port = self._port(row)
            if port and self._api(row["user"], port, "/api/status", timeout=1.0) is not None:
                changes = {"status": RUNNING, "port": port, "start_time": time.time(), "message": "", "reason": ""}
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            self.store.run(
                f"UPDATE notebooks SET {sets} WHERE user = ? AND pid = ?", *changes.values(), row["user"], row["pid"]
            )
            row = {**row, **changes}
        return row

    def _port(self, row: dict) -> int | None:
        """The port the server bound, from the runtime file it writes once it listens."""
        runtime = self._dir(row["user"]) / "runtime"  # in a sandbox the server's pid is its own namespace's
        found = [runtime / f"jpserver-{row['pid']}.json", *sorted(runtime.glob("jpserver-*.json"))]
        try:
            port = json.loads(next(p for p in found if p.is_file()).read_text(encoding="utf-8")).get("port")
        except (OSError, ValueError, StopIteration):
            return None
        return port if isinstance(port, int) and port > 0 else None

    def _log_tail(self, name: str) -> str:
        text = runner.read_text(self._dir(name) / "server.log", 5).strip()
        return " | ".join(line.strip() for line in text.splitlines())[-500:]

    def _api(self, name: str, port: int, path: str, timeout: float = 5.0) -> Any:
        """GET the Jupyter server's REST API with its token → the decoded JSON, or None on any failure."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Authorization": f"token {self._token(name)}"})
            response = conn.getresponse()
            body = response.read()
            return json.loads(body) if response.status == 200 else None
        except (OSError, ValueError, KeyError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def stop(self, user: User, name: str) -> dict:
        """NotebookActionResult: SIGTERM the server's group, SIGKILL after the grace, kernels too."""
        with self._lock:
            row = self._row(name) if self._visible(user, name) else None
            if row is None:
                return {"result": "error", "message": f"no notebook service runs for user {name}"}
            self.store.run("DELETE FROM notebooks WHERE user = ?", name)
            if row["status"] == STOPPED:
                return {
                    "result": "error",
                    "message": f"the notebook service of {name} is not running ({row['message']})",
                }
            kernels = [(pid, runner.start_time(pid)) for pid in self._kernel_pids(name).values()]
            runner.signal_group(row["pid"], signal.SIGTERM)
            deadline = time.monotonic() + self.grace
            while runner.alive(row["pid"], row["pid_start"]) and time.monotonic() < deadline:
                time.sleep(0.05)
                self._reap()
            runner.kill_remnants(row["pid"], row["pid_start"])
            for pid, started in kernels:  # kernels lead sessions of their own
                if runner.alive(pid, started):
                    runner.kill_remnants(pid, started)
            self._reap()
        log.info("stopped the Jupyter server of %s (pid %d)", name, row["pid"])
        return {"result": "ok"}

    # views -----------------------------------------------------------------------------------
    def services(self, user: User) -> list[dict]:
        rows = self.store.all("SELECT * FROM notebooks ORDER BY user")
        return [self._view(self._refresh(row)) for row in rows if user.admin or row["user"] == user.name]

    def service(self, user: User, name: str) -> dict:
        return self._view(self._need(name, user))

    def update(self, user: User, name: str, body: Any) -> dict:
        """Re-plan the service (the spec's updateService: only resourcePlan changes)."""
        if not isinstance(body, dict) or "resourcePlan" not in body:
            raise EngineError(400, "the body must be a NotebookService with resourcePlan")
        plan = self._plan(body["resourcePlan"])
        self._need(name, user)
        self.store.run("UPDATE notebooks SET resplan = ? WHERE user = ?", plan, name)
        return self._view(self._need(name))

    def kernels(self, user: User, name: str) -> list[dict]:
        """NotebookKernel objects from the server's GET /api/kernels, with /proc usage of each kernel."""
        row = self._need(name, user)
        if row["status"] != RUNNING:
            return []
        listed = self._api(name, row["port"], "/api/kernels")
        if not isinstance(listed, list):
            raise EngineError(500, f"the Jupyter server of {name} did not list its kernels")
        pids = self._kernel_pids(name)
        out = []
        for kernel in listed:
            pid = pids.get(kernel.get("id"))
            members = runner.group_members(pid) if pid else []
            cpu, mem = _usage(members)
            out.append(
                {
                    "kernelName": kernel.get("name", ""),
                    "userName": name,
                    "jobId": kernel.get("id", ""),
                    "status": kernel.get("execution_state", ""),
                    "cpuUsed": cpu,
                    "gpuUsed": 0.0,
                    "memoryUsed": mem,
                    "createTime": _ms(_started_at(pid)),
                }
            )
        return out

    def _kernel_pids(self, name: str) -> dict[str, int]:
        """{kernel id: pid} of the live processes whose argv names a connection file of this server."""
        marker = (str(self._dir(name) / "runtime") + "/kernel-").encode()
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            for arg in argv:
                if arg.startswith(marker) and arg.endswith(b".json") and runner.start_time(int(entry)):
                    found[arg[len(marker) : -5].decode(errors="replace")] = int(entry)
        return found

    def _view(self, row: dict) -> dict:
        name = row["user"]
        plans = {plan["name"]: plan for plan in self.store.resplans()}
        path = "/" + "/".join(reversed(chain(row["resplan"], plans))) if row["resplan"] else ""
        kernels, cpu, mem = 0, 0.0, 0.0
        if row["status"] != STOPPED:
            kernel_pids = self._kernel_pids(name)
            kernels = len(kernel_pids)
            members = runner.group_members(row["pid"])
            for pid in kernel_pids.values():
                members += runner.group_members(pid)
            cpu, mem = _usage(members)
        view = {
            "userName": name,
            "podName": f"jupyter-{name}",
            "podStatus": row["status"],
            "podMessage": row["message"],
            "podReason": row["reason"],
            "resourcePlan": row["resplan"] or "",
            "resourcePlanPath": path,
            "podCreateTime": _ms(row["create_time"]),
            "podStartTime": _ms(row["start_time"]),
            "kernels": kernels,
            "cpuUsed": cpu,
            "gpuUsed": 0,
            "memoryUsed": mem,
        }
        if row["status"] == RUNNING:  # local-engine extras: where to open it, where its token is
            view["url"] = f"http://127.0.0.1:{row['port']}/"
            view["tokenFile"] = str(self._dir(name) / "config" / CONFIG_FILE)
        return view
