"""The Execute tag (`engine.execs`): submit, list, get, stop, delete, logs, result, deploy, frameworks.
Typer-free, HTTP-free; raises EngineError(status, message).

A task lives in tasks/<id>/ under the data dir: the unpacked code (_submitted_code/<basename>,
its cwd), result/, log/, launch.json, exit.json; its row is in the store. The scheduler thread
(scheduler.py) launches and watches tasks; this service records them and asks it to stop them.
HPO experiments are tasks too: hpo/driver.py builds their rows with launch_plan() and task_row().
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from dlicli.engine import NOT_FOUND_EXEC, EngineError, User, strictjson
from dlicli.engine.admission import Admission, Seat
from dlicli.engine.conf import Settings
from dlicli.engine.limits import TOO_MANY, option_of
from dlicli.engine.store import Store
from dlicli.engine.tasks import frameworks, logtimes, runner, unpack, valdict, views
from dlicli.engine.tasks.execargs import ExecArgs, parse_args
from dlicli.engine.tasks.logtimes import LogQuery
from dlicli.engine.tasks.query import select
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED, Scheduler

BOTH_LOGS = ("stdout", "stderr")
LOG_TYPES = {"outlog": ("stdout",), "errlog": ("stderr",), "outerrlog": BOTH_LOGS, None: BOTH_LOGS}


NOT_EXPERIMENT = "id NOT IN (SELECT task_id FROM experiments WHERE task_id IS NOT NULL)"  # a task the user started


class ExecService:
    """The exec operations on the tasks table; `lock` is the engine's, shared with the scheduler."""

    def __init__(self, settings: Settings, store: Store, scheduler: Scheduler, lock: threading.RLock):
        self.settings, self.store, self.scheduler, self.lock = settings, store, scheduler, lock
        self.admission = Admission()  # per-user caps, shared with HpoService
        self.tasks_root = settings.tasks_root
        self.data_root = settings.data_root

    def frameworks(self) -> list[dict]:
        return frameworks.frameworks()

    def submit(
        self,
        user: User,
        args: str,
        upload_name: str,
        upload: Path,
        data: str | dict | None,
        extras: list[tuple[str, Path]] | None = None,
    ) -> dict:
        """A new task from its args, model upload, `data` field and further file parts (kept in the task dir)."""
        data = _data_dict(data)
        if not (args or "").strip() and isinstance(data.get("args"), str):
            args = data["args"]
        parsed = parse_args(args)
        plan = self.launch_plan(parsed, data)
        with self._seat(user) as seat:
            task_id = f"{user.name}-{secrets.token_hex(5)}"
            task_dir = self.tasks_root / task_id
            task_dir.mkdir(parents=True)
            try:
                code = self.unpack_model(parsed, upload, upload_name, task_dir / "_submitted_code", plan["notes"])
                _keep_extras(extras or [], task_dir, plan["notes"])
                row = self.task_row(task_id, user.name, args, parsed, plan, task_dir, code)
                seat.fill(lambda: self.store.insert("tasks", **row))
            except BaseException:
                self.discard_files(task_id, task_dir)
                raise
        self.store.event(task_id, "SUBMITTED", f"by {user.name}")
        self.record_notes(task_id, plan["notes"])
        self.scheduler.wake()
        return self.get_task(user, task_id)

    def record_notes(self, task_id: str, notes: list) -> None:
        """A launch plan's notes as the task's NOTE events (`exec get` shows them): a task's, an experiment's."""
        for level, text in notes:
            self.store.event(task_id, "NOTE", text, level)

    def _seat(self, user: User) -> AbstractContextManager[Seat]:
        """A seat under the user's cap of tasks queued or running (HPO experiments count against
        --max-searches-per-user instead); 429 when the cap is reached."""
        states = QUEUED + ACTIVE
        query = (
            f"SELECT COUNT(*) AS n FROM tasks WHERE creator = ? AND state IN ({', '.join('?' * len(states))}) "
            f"AND {NOT_EXPERIMENT}"
        )

        def refuse(n: int) -> EngineError:
            return EngineError(
                TOO_MANY,
                f"{user.name} already has {n} tasks queued or running, this engine's limit per user "
                f"(server start {option_of('max_tasks_per_user')}); wait for one to end or stop one",
            )

        cap = self.settings.limits.max_tasks_per_user
        return self.admission.seat(
            f"tasks:{user.name}", lambda: self.store.count(query, user.name, *states), cap, refuse
        )

    def unpack_model(self, parsed: ExecArgs, upload: Path, upload_name: str, dest: Path, notes: list) -> Path:
        """The uploaded model unpacked under `dest` (a task's or a search's); 400 when the main file
        is not in it (a --user-cmd task names none). Shared by submit() and HPO's create."""
        code = unpack.unpack(upload, upload_name, dest, self.settings.limits, basename=parsed.model_dir, notes=notes)
        if not parsed.user_cmd and (
            views.inside(code, parsed.model_main) is None or not (code / parsed.model_main).is_file()
        ):
            raise EngineError(400, f"the model main file {parsed.model_main} is not in the uploaded model")
        return code

    def launch_plan(self, parsed: ExecArgs, data: dict) -> dict:
        """What a task of these args needs (python, DATA_DIR, slots, GPUs, resource plan) and the notes
        to record; 400 when it cannot run here. Shared by submit() and HPO experiments."""
        workers = parsed.workers
        if workers > self.settings.slots:
            raise EngineError(400, f"the task needs {workers} slots; this engine has {self.settings.slots}")
        resplan = parsed.resplan or data.get("resplan") or None
        if resplan and self.store.resplan(resplan) is None:
            raise EngineError(400, f"resource plan {resplan} does not exist")
        notes: list[tuple[str, str]] = list(parsed.notes)
        data_path = self._data_path(parsed, data, notes)
        gpu = 0 if parsed.cpu_only or self.settings.gpu_capacity <= 0 else workers * parsed.worker_device_num
        if parsed.worker_device_num and not parsed.cpu_only and not gpu:
            notes.append(("Warning", "this engine has no GPU; the task runs on the CPU"))
        return {
            "python": task_python(parsed, notes),
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
        parsed: ExecArgs,
        plan: dict,
        task_dir: Path,
        code: Path,
        env: dict | None = None,
        app_name: str | None = None,
    ) -> dict:
        """The tasks row of a new SUBMITTED task whose code is in place; makes result/ and log/."""
        for sub in ("result", "log"):
            (task_dir / sub).mkdir(exist_ok=True)
        os_user = os.environ.get("USER") or getpass.getuser()
        batch_dir = self.settings.result_fs / os_user / "batchworkdir" / task_id
        batch_dir.parent.mkdir(parents=True, exist_ok=True)
        batch_dir.symlink_to(task_dir / "result", target_is_directory=True)
        env = {
            "RESULT_DIR": str(task_dir / "result"),
            "LOG_DIR": str(task_dir / "log"),
            "JOB_STATE_DIR": str(task_dir),
            "DATA_DIR": plan["data_path"],
            "DLI_EXECID": task_id,
            "USER": os_user,
            **self.settings.file_systems,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        spec = {
            "python": plan["python"],
            "argv": parsed.argv(plan["python"]),
            "model_args": parsed.model_args,
            "env": {**env, **parsed.env},
            "gpus_per_worker": plan["gpu"] and parsed.worker_device_num,
            "hide_gpus": parsed.cpu_only or (self.settings.gpu_capacity > 0 and not plan["gpu"]),
            "memory_limit": parsed.memory_limit,
        }
        workers = plan["workers"]
        return {
            "id": task_id,
            "creator": creator,
            "args": args,
            "framework": parsed.framework,
            "app_name": app_name or parsed.app_name or task_id,
            "model_main": parsed.model_main,
            "state": "SUBMITTED",
            "task_dir": str(task_dir),
            "work_dir": str(code),
            "num_workers": workers,
            "cpu": float(workers),
            "gpu": float(plan["gpu"]),
            "resplan": plan["resplan"],
            "spec": json.dumps(spec),
            "create_time": time.time(),
        }

    def _data_path(self, parsed: ExecArgs, data: dict, notes: list) -> Path:
        """DATA_DIR: --cs-datastore-meta data_path=… or an fs dataSource, kept under data_root."""
        wanted = parsed.datastore_meta.get("data_path")
        sources = data.get("dataSource") or parsed.data_source or []
        if not isinstance(sources, list):
            raise EngineError(400, "dataSource: must be a list of objects")
        for i, source in enumerate(sources):
            if not isinstance(source, dict):
                raise EngineError(400, f"dataSource[{i}]: must be an object")
            location = source.get("location") or {}
            if not isinstance(location, dict):
                raise EngineError(400, f"dataSource[{i}].location: must be an object with paths, not {location!r}")
            paths = location.get("paths")
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

    def _batch(self, task: dict, searches: dict[str, str] | None = None) -> dict:
        found = views.searches(self.store, task["id"]) if searches is None else searches
        return views.batch(task, self.store.events(task["id"]), found.get(task["id"]))

    def task(self, user: User, exec_id: str, missing: int = 400) -> dict:
        """The task `user` may see; another user's answers exactly as a missing id (the spec's 400
        "cannot find", or 404 for an application), so ids of others do not leak. Admins see all."""
        task = self.store.task(exec_id)
        if task is None or not (user.admin or task["creator"] == user.name):
            raise EngineError(missing, NOT_FOUND_EXEC if missing == 400 else f"application {exec_id} not found")
        return task

    def visible(self, user: User) -> list[dict]:
        return self.store.tasks() if user.admin else self.store.tasks("creator = ?", user.name)

    def list_tasks(self, user: User, query: Mapping[str, str] | None = None) -> list[dict]:
        """The caller's tasks as Batch objects, filtered, sorted and paged by GET /execs's query
        args (tasks/query.py)."""
        found = views.searches(self.store)
        return select([self._batch(task, found) for task in self.visible(user)], query or {})

    def get_task(self, user: User, exec_id: str) -> dict:
        """The task's Batch plus `metrics` (an engine extension: its val_dict_list.json, read now;
        only here, not in the list, where it would read every task's file)."""
        task = self.task(user, exec_id)
        entries = valdict.read_values(Path(task["task_dir"]) / "result")
        return {**self._batch(task), "metrics": valdict.metric_rows(entries)}

    def stop_task(self, user: User, exec_id: str) -> None:
        self.scheduler.stop(self.task(user, exec_id))

    def delete_task(self, user: User, exec_id: str) -> None:
        task = self.task(user, exec_id)
        if task["state"] in ACTIVE + QUEUED:
            self.scheduler.stop_and_wait(task)
        with self.lock:
            self.store.delete_task(task["id"])
        self.discard_files(task["id"], task["task_dir"])

    def discard_files(self, task_id: str, task_dir: str | Path) -> None:
        """A task's directory and its $DLI_RESULT_FS/$USER/batchworkdir link."""
        for link in self.settings.result_fs.glob(f"*/batchworkdir/{task_id}"):
            link.unlink(missing_ok=True)
        shutil.rmtree(task_dir, ignore_errors=True)

    def delete_all(self, user: User) -> None:
        """DELETE /execs: every task the user started. A search's experiments are left to their
        search (`hpo delete` removes them): deleted here, the search would keep rows whose logs
        and results are gone."""
        for task in self.store.tasks(f"creator = ? AND {NOT_EXPERIMENT}", user.name):
            self.delete_task(user, task["id"])

    def read_log(self, user: User, exec_id: str, log_type: str | None, query: LogQuery | None = None) -> str:
        """The task's log files of `log_type`, worker 0's first; `query` the Kubernetes-style
        options of logtimes.py (times, since, tail)."""
        task = self.task(user, exec_id)
        if log_type not in LOG_TYPES:
            raise EngineError(400, f"logType must be outlog, errlog or outerrlog, not {log_type!r}")
        query = query or LogQuery()
        files = [
            (f"--- worker {rank} {stream} ---\n" if rank else "", runner.log_file(Path(task["task_dir"]), rank, stream))
            for stream in LOG_TYPES[log_type]
            for rank in range(task["num_workers"])
        ]
        if query.plain:
            return logtimes.read_plain(files)
        return logtimes.render([(head, logtimes.read_lines(log, query.tail_lines)) for head, log in files], query)

    def result_zip(self, user: User, exec_id: str) -> tuple[Path, str]:
        """The task's result/ zipped; a task that wrote no file there answers 404 saying why (never
        an empty zip: a script would take it for a result)."""
        task = self.task(user, exec_id)
        name = f"{task['id']}-result.zip"
        task_dir = Path(task["task_dir"])
        if task_dir.is_dir() and not runner.has_files(task_dir / "result"):
            raise EngineError(404, no_result_message(task))
        try:
            return runner.zip_dir(task_dir / "result", task_dir / name), name
        except FileNotFoundError:  # the spec's one error for this operation is 400
            raise EngineError(400, f"the result of task {task['id']} is gone: its task directory was removed") from None

    def deploy(self, user: User, exec_id: str, desc: dict) -> dict:
        task = self.task(user, exec_id)
        if not isinstance(desc, dict) or not str(desc.get("name") or "").strip():
            raise EngineError(400, "the model description needs a name")
        check_deployment_name(str(desc["name"]).strip())
        if not desc.get("kernel"):
            raise EngineError(400, "the model description needs a kernel path")
        if task["state"] != "FINISHED":
            raise EngineError(
                400, f"task {task['id']} is {task['state']}: only a FINISHED task's model can be deployed"
            )
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
            if db.execute("SELECT 1 FROM deployments WHERE uid = ?", (uid,)).fetchone() is not None:
                raise EngineError(409, f"a deployment named {uid} exists")  # a second deploy never replaces it
            db.execute(
                "INSERT INTO deployments (uid, task_id, owner, body, created) VALUES (?, ?, ?, ?, ?)",
                (uid, task["id"], user.name, json.dumps({**desc, "resolved": resolved}), time.time()),
            )
        self.store.event(task["id"], "DEPLOYED", f"as {uid}")
        return {"uid": uid, "href": f"/execs/{task['id']}/deploy/{uid}"}


DEPLOYMENT_NAME_MAX = 128


def check_deployment_name(name: str) -> None:
    """A deployment's name ends its href (/execs/{id}/deploy/{name}): one path segment, printable,
    not too long to read back."""
    if len(name) > DEPLOYMENT_NAME_MAX:
        raise EngineError(400, f"a deployment name has at most {DEPLOYMENT_NAME_MAX} characters, not {len(name)}")
    if "/" in name or "\\" in name or name in (".", "..") or not name.isprintable():
        raise EngineError(400, f"deployment name {name!r}: no slashes or control characters, and not . or ..")


def no_result_message(task: dict) -> str:
    """Why a task has no result, from its state."""
    state = task["state"]
    if state in ACTIVE + QUEUED:
        return f"task {task['id']} has no result yet: it is {state}"
    if state == "FINISHED":
        return f"task {task['id']} has no result: it FINISHED without writing a file to its result directory"
    return f"task {task['id']} has no result: it ended {state}"


def task_python(parsed: ExecArgs, notes: list[tuple[str, str]]) -> str:
    """The interpreter a task runs: --conda-env-name's env, else --python-version's pythonX.Y, else the engine's."""
    python = sys.executable
    if parsed.conda_env:
        found = frameworks.conda_python(parsed.conda_env, parsed.conda_home)
        if found is not None:
            return str(found)
        notes.append(("Warning", f"conda env {parsed.conda_env} not found; using {python}"))
    elif parsed.python_version:
        found_python = frameworks.python_of_version(parsed.python_version)
        if found_python is not None:
            return found_python
        notes.append(("Warning", f"python{parsed.python_version} not found on this machine; using {python}"))
    return python


def _keep_extras(extras: list[tuple[str, Path]], task_dir: Path, notes: list[tuple[str, str]]) -> None:
    """Further file parts (a conda env yaml, a conda package) go to <task>/uploads/, each under its base name."""
    for filename, path in extras:
        name = filename.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".") or "upload"
        target = task_dir / "uploads" / name
        target.parent.mkdir(exist_ok=True)
        shutil.move(str(path), target)
        notes.append(("Info", f"{name} kept in the task dir as uploads/{name} (the local engine does not apply it)"))


def _data_dict(data: str | bytes | dict | None) -> dict:
    if data is None or data == "":
        return {}
    if isinstance(data, (str, bytes)):
        data = strictjson.loads(data, "the data field")
    if not isinstance(data, dict):
        raise EngineError(400, "the data field must be a JSON object")
    return data
