"""`Engine`: builds and owns the per-tag services, the store and the background threads.

The routes (api/) reach the services through it: `engine.execs` (tasks/service.py),
`engine.schedapps` (schedapps.py), `engine.resplans` (resplans.py), `engine.hpo`
(hpo/service.py), `engine.notebooks` (notebooks/service.py), `engine.users` (users.py) and
`engine.conf` (conf.py). Typer-free, HTTP-free; the services raise EngineError(status, message).

State lives under `data_dir`: engine.db (SQLite, WAL), tasks/<id>/, hpo/, notebooks/. start()
takes the data dir's lock, re-adopts what ran before and starts the scheduler and HPO threads;
shutdown() stops the threads and leaves running tasks running for the next start.

Files: the data dir and everything the engine makes in it are its OS user's alone (serve.py sets
umask 077, so tasks too write 0600/0700); start() tightens what an older release left open
(private.tighten). A thread stops the work of users `server user remove` removed (another process
may remove them while this engine runs), keeping it for the admin to see and delete.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO, Any

from dlicli.engine import EngineError, User, private
from dlicli.engine.conf import ConfService, Settings
from dlicli.engine.hpo.service import HpoService
from dlicli.engine.notebooks.service import NotebookManager
from dlicli.engine.resplans import ResplanService
from dlicli.engine.schedapps import SchedulerApps
from dlicli.engine.store import Store
from dlicli.engine.tasks.scheduler import Scheduler
from dlicli.engine.tasks.service import ExecService
from dlicli.engine.users import DEFAULT_SESSION_HOURS, Users, removed_users_work

__all__ = ["Engine", "EngineError", "User"]
log = logging.getLogger("dlicli.engine")
ENGINE_ADMIN = User("admin", admin=True)
REMOVED_USER_CHECK = 0.5  # seconds between looks for work of removed users


class Engine:
    """One engine on one data dir; `options` are Settings.build's (slots, grace_seconds, tick …)."""

    def __init__(self, data_dir: Path, session_hours: float = DEFAULT_SESSION_HOURS, **options: Any):
        self.settings = s = Settings.build(data_dir, **options)
        self._build_services(s)
        self.users = Users(self.store, session_hours)
        self._lockfile: IO[str] | None = None
        self._sweeping = threading.Event()
        self._sweeper: threading.Thread | None = None

    def _build_services(self, s: Settings) -> None:
        self.data_dir, self.tasks_root, self.data_root = s.data_dir, s.tasks_root, s.data_root
        for path in (self.tasks_root, s.result_fs, self.data_root):  # WMLA's file systems exist, as there
            path.mkdir(parents=True, exist_ok=True)
        self.store = Store(s.data_dir / "engine.db")
        self.lock = threading.RLock()  # the scheduler's and the services' changes to tasks
        self.scheduler = Scheduler(
            self.store,
            slots=s.slots,
            cpu_capacity=s.cpu_capacity,
            gpu_capacity=s.gpu_capacity,
            grace=s.grace_seconds,
            tick=s.tick,
            lock=self.lock,
        )
        self.conf = ConfService(s)
        self.execs = ExecService(s, self.store, self.scheduler, self.lock)
        self.schedapps = SchedulerApps(self.execs)
        self.resplans = ResplanService(self.store, self.scheduler, self.lock)
        self.notebooks = NotebookManager(self.store, s.data_dir / "notebooks", grace=s.grace_seconds)
        self.hpo = HpoService(s, self.execs)

    def start(self) -> None:
        """Take the data dir's lock, recover what ran before, then start the scheduler and HPO threads."""
        handle = open(self.data_dir / "engine.lock", "a+")  # noqa: SIM115 - held until shutdown()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise EngineError(500, f"another engine is using {self.data_dir}") from None
        self._lockfile = handle
        tightened = private.tighten(self.data_dir)
        if tightened:
            shown = ", ".join(tightened[:10]) + (f" and {len(tightened) - 10} more" if len(tightened) > 10 else "")
            log.warning("tightened %d path(s) under %s to owner-only access: %s", len(tightened), self.data_dir, shown)
        self.scheduler.start()
        self.hpo.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="removed-users", daemon=True)
        self._sweeper.start()

    def shutdown(self) -> None:
        """Stop the threads; running tasks keep running and are re-adopted by the next start."""
        self._sweeping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
        self.hpo.shutdown()
        self.scheduler.shutdown()
        if self._lockfile is not None:
            self._lockfile.close()
            self._lockfile = None

    def _sweep_loop(self) -> None:
        while not self._sweeping.wait(REMOVED_USER_CHECK):
            try:
                self.stop_removed_users_work()
            except Exception:  # the thread must survive one bad look
                log.exception("stopping the work of removed users failed")

    def stop_removed_users_work(self) -> None:
        """Stop the searches, tasks and notebook servers of removed users (kept for the admin)."""
        searches, _, notebooks = removed_users_work(self.store)
        for name in searches:
            self._quietly(self.hpo.stop, ENGINE_ADMIN, name)
        tasks = removed_users_work(self.store)[1]  # after the searches, which stop their own experiments
        for task_id in tasks:
            self.store.event(task_id, "STOP", "its user was removed")
            self._quietly(self.execs.stop_task, ENGINE_ADMIN, task_id)
        for name in notebooks:
            self._quietly(self.notebooks.stop, ENGINE_ADMIN, name)
        for what in (searches, tasks, notebooks):
            if what:
                log.info("stopped the work of removed users: %s", ", ".join(what))

    @staticmethod
    def _quietly(action: Any, *args: Any) -> None:
        try:
            action(*args)
        except EngineError as exc:  # already ended meanwhile: nothing left to stop
            log.info("%s", exc.message)
