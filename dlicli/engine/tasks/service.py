"""`Engine`: the facade the HTTP layer calls. Typer-free, HTTP-free; raises EngineError(status, message).

State lives under `data_dir`: engine.db (SQLite, WAL), tasks/<id>/ (the unpacked code, result/,
log/, launch.json, exit.json). The scheduler thread launches and watches tasks; every task runs
in its own process group, so the engine may stop and restart without losing one.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import sys
import threading
import time
from pathlib import Path

from dlicli import __version__
from dlicli.engine import NOT_FOUND_EXEC, EngineError, User, users
from dlicli.engine.tasks import frameworks, runner, unpack, views
from dlicli.engine.hpo.service import HpoService
from dlicli.engine.notebooks.service import NotebookManager
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED, Scheduler, chain
from dlicli.engine.store import Store

__all__ = ["Engine", "EngineError", "User"]

LOG_TYPES = {
    "outlog": ("stdout",),
    "errlog": ("stderr",),
    "outerrlog": ("stdout", "stderr"),
    None: ("stdout", "stderr"),
}


class Engine:
    def __init__(
        self,
        data_dir: Path,
        *,
        slots: int | None = None,
        data_root: Path | None = None,
        grace_seconds: float = 10.0,
        max_upload_bytes: int = 8 << 30,
        cpu_capacity: float | None = None,
        gpu_capacity: float = 0,
        tick: float = 0.2,
    ):
        self.data_dir = Path(data_dir)
        self.tasks_root = self.data_dir / "tasks"
        self.tasks_root.mkdir(parents=True, exist_ok=True)
        self.data_root = Path(data_root) if data_root is not None else self.data_dir / "datasets"
        self.slots = max(1, slots or os.cpu_count() or 1)
        self.cpu_capacity = float(cpu_capacity) if cpu_capacity is not None else float(self.slots)
        self.gpu_capacity = float(gpu_capacity)
        self.grace_seconds = grace_seconds
        self.max_upload_bytes = max_upload_bytes
        self.store = Store(self.data_dir / "engine.db")
        self.lock = threading.RLock()
        self.scheduler = Scheduler(
            self.store,
            slots=self.slots,
            cpu_capacity=self.cpu_capacity,
            gpu_capacity=self.gpu_capacity,
            grace=grace_seconds,
            tick=tick,
            lock=self.lock,
        )
        self.notebooks = NotebookManager(self.store, self.data_dir / "notebooks", grace=grace_seconds)
        self.hpo = HpoService(self)  # the HyperSearch operations: engine.hpo.create(…) etc.
        self._lockfile = None

    def start(self) -> None:
        """Take the data dir's lock, recover what ran before, then start the scheduler thread."""
        handle = open(self.data_dir / "engine.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise EngineError(500, f"another engine is using {self.data_dir}") from None
        self._lockfile = handle
        self.scheduler.start()
        self.hpo.start()

    def shutdown(self) -> None:
        """Stop the scheduler thread; running tasks keep running and are re-adopted by the next start."""
        self.hpo.shutdown()
        self.scheduler.shutdown()
        if self._lockfile is not None:
            self._lockfile.close()
            self._lockfile = None

    # users and tokens ---------------------------------------------------------------------
    def ensure_admin(self) -> str | None:
        if self.store.one("SELECT 1 FROM users WHERE name = 'admin'"):
            return None
        try:
            return users.add_user(self.store, "admin", True)
        except EngineError as exc:
            if exc.status == 409:
                return None
            raise

    def add_user(self, name: str, admin: bool = False) -> str:
        return users.add_user(self.store, name, admin)

    def authenticate(self, authorization: str | None) -> User | None:
        found = users.authenticate(self.store, authorization)
        return found[0] if found else None

    def logon(self, authorization: str | None) -> str:
        found = users.authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, "invalid user name or token")
        return users.new_token(self.store, found[0].name, "session")

    def logoff(self, authorization: str | None) -> None:
        found = users.authenticate(self.store, authorization)
        if found is None:
            raise EngineError(401, "not signed in")
        if found[1]["kind"] == "session":
            self.store.run("DELETE FROM tokens WHERE hash = ?", found[1]["hash"])

    # configuration ------------------------------------------------------------------------
    def conf(self) -> dict[str, str]:
        return {
            "DLI_ENGINE": "local",
            "DLI_VERSION": __version__,
            "DLI_SHARED_FS": str(self.data_dir),
            "DLI_RESULT_FS": str(self.tasks_root),
            "DLI_DATA_FS": str(self.data_root),
            "DLI_SLOTS": str(self.slots),
            "DLI_CPU_CAPACITY": f"{self.cpu_capacity:g}",
            "DLI_GPU_CAPACITY": f"{self.gpu_capacity:g}",
            "DLI_MAX_UPLOAD_BYTES": str(self.max_upload_bytes),
            "DLI_PYTHON": sys.executable,
        }

    def frameworks(self) -> list[dict]:
        return frameworks.frameworks()

    # Execute ------------------------------------------------------------------------------
    def submit(self, user: User, args: str, upload_name: str, upload: Path, data: dict | None) -> dict:
        data = _data_dict(data)
        if not (args or "").strip() and isinstance(data.get("args"), str):
            args = data["args"]
        parsed = frameworks.parse_args(args)
        plan = self.launch_plan(parsed, data)
        task_id = f"{user.name}-{secrets.token_hex(5)}"
        task_dir = self.tasks_root / task_id
        task_dir.mkdir(parents=True)
        try:
            code = unpack.unpack(
                upload, upload_name, task_dir / "_submitted_code", self.max_upload_bytes, basename=parsed.model_dir
            )
            if views.inside(code, parsed.model_main) is None or not (code / parsed.model_main).is_file():
                raise EngineError(400, f"the model main file {parsed.model_main} is not in the uploaded model")
            self.store.insert("tasks", **self.task_row(task_id, user.name, args, parsed, plan, task_dir, code))
        except BaseException:
            shutil.rmtree(task_dir, ignore_errors=True)
            raise
        self.store.event(task_id, "SUBMITTED", f"by {user.name}")
        for level, text in plan["notes"]:
            self.store.event(task_id, "NOTE", text, level)
        self.scheduler.wake()
        return self._batch(self.store.task(task_id))

    def launch_plan(self, parsed: frameworks.ExecArgs, data: dict) -> dict:
        """What a task of these args needs (python, DATA_DIR, slots, GPUs, resource plan) and the notes
        to record; 400 when it cannot run here. Shared by submit() and HPO experiments."""
        workers = parsed.workers
        if workers > self.slots:
            raise EngineError(400, f"the task needs {workers} slots; this engine has {self.slots}")
        resplan = parsed.resplan or data.get("resplan") or None
        if resplan and self.store.resplan(resplan) is None:
            raise EngineError(400, f"resource plan {resplan} does not exist")
        notes: list[tuple[str, str]] = []
        data_path = self._data_path(parsed, data, notes)
        python = sys.executable
        if parsed.conda_env:
            found = frameworks.conda_python(parsed.conda_env)
            if found is None:
                notes.append(("Warning", f"conda env {parsed.conda_env} not found; using {python}"))
            else:
                python = str(found)
        gpu = workers * parsed.worker_device_num if self.gpu_capacity > 0 else 0
        if parsed.worker_device_num and not gpu:
            notes.append(("Warning", "this engine has no GPU; the task runs on the CPU"))
        return {
            "python": python,
            "data_path": str(data_path),
            "workers": workers,
            "gpu": gpu,
            "resplan": resplan,
            "notes": notes,
        }

    def task_row(
        self,
        task_id: str,
        creator: str,
        args: str,
        parsed: frameworks.ExecArgs,
        plan: dict,
        task_dir: Path,
        code: Path,
        env: dict | None = None,
        app_name: str | None = None,
    ) -> dict:
        """The tasks row of a new SUBMITTED task whose code is in place; makes result/ and log/."""
        for sub in ("result", "log"):
            (task_dir / sub).mkdir(exist_ok=True)
        env = {
            "RESULT_DIR": str(task_dir / "result"),
            "LOG_DIR": str(task_dir / "log"),
            "DATA_DIR": plan["data_path"],
            "DLI_EXECID": task_id,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        spec = {"python": plan["python"], "model_args": parsed.model_args, "env": env}
        workers = plan["workers"]
        return dict(
            id=task_id,
            creator=creator,
            args=args,
            framework=parsed.framework,
            app_name=app_name or parsed.app_name or task_id,
            model_main=parsed.model_main,
            state="SUBMITTED",
            task_dir=str(task_dir),
            work_dir=str(code),
            num_workers=workers,
            cpu=float(workers),
            gpu=float(plan["gpu"]),
            resplan=plan["resplan"],
            spec=json.dumps(spec),
            create_time=time.time(),
        )

    def _data_path(self, parsed: frameworks.ExecArgs, data: dict, notes: list) -> Path:
        """DATA_DIR: --cs-datastore-meta data_path=… or an fs dataSource, kept under data_root."""
        wanted = parsed.datastore_meta.get("data_path")
        for source in data.get("dataSource") or []:
            if not isinstance(source, dict):
                raise EngineError(400, "dataSource must be a list of objects")
            paths = (source.get("location") or {}).get("paths")
            if str(source.get("type", "fs")).lower() == "fs" and paths:
                wanted = str(paths).split(",")[0].strip()
            else:
                notes.append(("Warning", f"data source of type {source.get('type')!r} ignored by the local engine"))
        if not wanted:
            return self.data_root
        root = self.data_root.resolve()
        path = Path(wanted) if Path(wanted).is_absolute() else root / wanted
        path = path.resolve()
        if path != root and root not in path.parents:
            raise EngineError(400, f"data path {wanted} is outside the engine's data root {self.data_root}")
        if not path.exists():
            notes.append(("Warning", f"data path {path} does not exist"))
        return path

    def _batch(self, task: dict) -> dict:
        return views.batch(task, self.store.events(task["id"]))

    def _task(self, user: User, exec_id: str, missing: int = 400) -> dict:
        task = self.store.task(exec_id)
        if task is None:
            raise EngineError(missing, NOT_FOUND_EXEC if missing == 400 else f"application {exec_id} not found")
        if not user.admin and task["creator"] != user.name:
            raise EngineError(403, f"task {exec_id} belongs to another user")
        return task

    def _visible(self, user: User) -> list[dict]:
        return self.store.tasks() if user.admin else self.store.tasks("creator = ?", user.name)

    def list_tasks(self, user: User) -> list[dict]:
        return [self._batch(task) for task in self._visible(user)]

    def get_task(self, user: User, exec_id: str) -> dict:
        return self._batch(self._task(user, exec_id))

    def stop_task(self, user: User, exec_id: str) -> None:
        self.scheduler.stop(self._task(user, exec_id))

    def delete_task(self, user: User, exec_id: str) -> None:
        task = self._task(user, exec_id)
        if task["state"] in ACTIVE + QUEUED:
            self.scheduler.stop_and_wait(task)
        with self.lock:
            self.store.delete_task(task["id"])
        shutil.rmtree(task["task_dir"], ignore_errors=True)

    def delete_all(self, user: User) -> None:
        for task in self.store.tasks("creator = ?", user.name):
            self.delete_task(user, task["id"])

    def read_log(self, user: User, exec_id: str, log_type: str | None) -> str:
        task = self._task(user, exec_id)
        if log_type not in LOG_TYPES:
            raise EngineError(400, f"logType must be outlog, errlog or outerrlog, not {log_type!r}")
        parts = []
        for stream in LOG_TYPES[log_type]:
            for rank in range(task["num_workers"]):
                text = runner.read_text(runner.log_file(Path(task["task_dir"]), rank, stream))
                if rank and text:
                    text = f"--- worker {rank} {stream} ---\n{text}"
                parts.append(text)
        return "".join(parts)

    def result_zip(self, user: User, exec_id: str) -> tuple[Path, str]:
        task = self._task(user, exec_id)
        name = f"{task['id']}-result.zip"
        task_dir = Path(task["task_dir"])
        return runner.zip_dir(task_dir / "result", task_dir / name), name

    def deploy(self, user: User, exec_id: str, desc: dict) -> dict:
        task = self._task(user, exec_id)
        if not isinstance(desc, dict) or not str(desc.get("name") or "").strip():
            raise EngineError(400, "the model description needs a name")
        if not desc.get("kernel"):
            raise EngineError(400, "the model description needs a kernel path")
        roots = (Path(task["work_dir"]), Path(task["task_dir"]) / "result")
        resolved = {}
        for key in ("kernel", "weight"):
            if desc.get(key):
                found = [p for p in (views.inside(root, str(desc[key])) for root in roots) if p and p.exists()]
                if not found:
                    raise EngineError(400, f"{key} {desc[key]} is not in the task's code or result")
                resolved[key] = str(found[0])
        uid = str(desc["name"]).strip()
        with self.store.tx() as db:
            owner = db.execute("SELECT owner FROM deployments WHERE uid = ?", (uid,)).fetchone()
            if owner is not None and owner[0] != user.name and not user.admin:
                raise EngineError(409, f"deployment {uid} belongs to another user")
            db.execute(
                "INSERT OR REPLACE INTO deployments (uid, task_id, owner, body, created) VALUES (?, ?, ?, ?, ?)",
                (uid, task["id"], user.name, json.dumps({**desc, "resolved": resolved}), time.time()),
            )
        self.store.event(task["id"], "DEPLOYED", f"as {uid}")
        return {"uid": uid, "href": f"/execs/{task['id']}/deploy/{uid}"}

    # Scheduler ----------------------------------------------------------------------------
    def applications(self, user: User, **filters) -> list[dict]:
        return views.applications(self._visible(user), filters)

    def application_statistic(self, user: User, **filters) -> list[dict]:
        return views.statistics(self._visible(user), filters)

    def log_path(self, user: User, appid: str, executorid: str | None, log_type: str) -> Path:
        task = self._task(user, appid[4:] if appid.startswith("app-") else appid, missing=404)
        if log_type not in runner.LOG_FILES:
            raise EngineError(400, f"log type must be stdout, stderr or launcherlog, not {log_type!r}")
        rank = 0
        if executorid is not None:
            try:
                rank = int(str(executorid).rsplit("-", 1)[-1])
            except ValueError:
                rank = -1
            if not 0 <= rank < task["num_workers"]:
                raise EngineError(404, f"application {appid} has no executor {executorid}")
        return runner.log_file(Path(task["task_dir"]), rank, log_type)

    def driver_log(self, user: User, appid: str, log_type: str, lastlines: int | None) -> str:
        return runner.read_text(self.log_path(user, appid, None, log_type), 10 if lastlines is None else lastlines)

    def executor_log(self, user: User, appid: str, executorid: str, log_type: str, lastlines: int | None) -> str:
        path = self.log_path(user, appid, executorid, log_type)
        return runner.read_text(path, 10 if lastlines is None else lastlines)

    # Resource plans -----------------------------------------------------------------------
    def _plans(self) -> dict[str, dict]:
        return {plan["name"]: plan for plan in self.store.resplans()}

    def create_resplan(self, user: User, body: dict) -> None:
        name, parent, labels = _plan_body(user, body)
        with self.lock:
            plans = self._plans()
            if name in plans:
                raise EngineError(409, f"resource plan {name} already exists")
            if parent and parent not in plans:
                raise EngineError(400, f"parent resource plan {parent} does not exist")
            self.store.insert("resplans", name=name, parent=parent, labels=json.dumps(labels), created=time.time())

    def update_resplan(self, user: User, body: dict) -> None:
        name, parent, labels = _plan_body(user, body)
        with self.lock:
            plans = self._plans()
            if name not in plans:
                raise EngineError(404, f"resource plan {name} not found")
            if parent and parent not in plans:
                raise EngineError(400, f"parent resource plan {parent} does not exist")
            if parent and name in chain(parent, plans):
                raise EngineError(400, f"resource plan {parent} is below {name}; it cannot be its parent")
            new_labels = labels if "labels" in body else plans[name]["labels"]
            new_parent = parent if "parent" in body else plans[name]["parent"]
            self.store.run(
                "UPDATE resplans SET parent = ?, labels = ? WHERE name = ?", new_parent, json.dumps(new_labels), name
            )
        self.scheduler.wake()

    def get_resplan(self, user: User, name: str) -> dict:
        plans = self._plans()
        if name not in plans:
            raise EngineError(404, f"resource plan {name} not found")
        return views.resplan(name, plans, self.store.tasks())

    def delete_resplan(self, user: User, name: str) -> None:
        _require_admin(user)
        with self.lock:
            plans = self._plans()
            if name not in plans:
                raise EngineError(404, f"resource plan {name} not found")
            if any(p["parent"] == name for p in plans.values()):
                raise EngineError(409, f"resource plan {name} has child plans")
            states = ", ".join(f"'{s}'" for s in ACTIVE + QUEUED)
            if self.store.one(f"SELECT 1 FROM tasks WHERE resplan = ? AND state IN ({states})", name):
                raise EngineError(409, f"resource plan {name} is in use by tasks")
            self.store.run("DELETE FROM resplans WHERE name = ?", name)

    def resplan_tree(self, user: User) -> dict | list:
        return views.tree(self._plans(), self.store.tasks())


def _data_dict(data) -> dict:
    if data is None or data == "":
        return {}
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError:
            raise EngineError(400, "the data field is not valid JSON") from None
    if not isinstance(data, dict):
        raise EngineError(400, "the data field must be a JSON object")
    return data


def _require_admin(user: User) -> None:
    if not user.admin:
        raise EngineError(403, "only an administrator manages resource plans")


def _plan_body(user: User, body: dict) -> tuple[str, str | None, list[dict]]:
    _require_admin(user)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
        raise EngineError(400, "a resource plan needs a name")
    name = body["name"].strip()
    if "/" in name or len(name) > 128:
        raise EngineError(400, f"invalid resource plan name {name!r}")
    labels = body.get("labels") or []
    if isinstance(labels, dict):
        labels = [{"key": k, "value": v} for k, v in labels.items()]
    if not isinstance(labels, list) or not all(isinstance(l, dict) and "key" in l for l in labels):
        raise EngineError(400, "labels must be a list of {key, value}")
    labels = [{"key": str(l["key"]), "value": "" if l.get("value") is None else str(l["value"])} for l in labels]
    for label in labels:
        if label["key"].lower() in ("cpu", "gpu"):
            try:
                if float(label["value"]) < 0:
                    raise ValueError
            except ValueError:
                raise EngineError(400, f"quota {label['key']} must be a non-negative number") from None
    return name, (str(body["parent"]).strip() or None) if body.get("parent") else None, labels
