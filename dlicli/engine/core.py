"""`Engine`: builds and owns the per-tag services, the store and the background threads.

The routes (api/) reach the services through it: `engine.execs` (tasks/service.py),
`engine.schedapps` (schedapps.py), `engine.resplans` (resplans.py), `engine.hpo`
(hpo/service.py), `engine.notebooks` (notebooks/service.py), `engine.users` (users.py) and
`engine.conf` (conf.py). Typer-free, HTTP-free; the services raise EngineError(status, message).

State lives under `data_dir`: engine.db (SQLite, WAL), tasks/<id>/, hpo/, notebooks/. start()
takes the data dir's lock, re-adopts what ran before and starts the scheduler and HPO threads;
shutdown() stops the threads and leaves running tasks running for the next start.
"""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path
from typing import IO, Any

from dlicli.engine import EngineError, User
from dlicli.engine.conf import ConfService, Settings
from dlicli.engine.hpo.service import HpoService
from dlicli.engine.notebooks.service import NotebookManager
from dlicli.engine.resplans import ResplanService
from dlicli.engine.schedapps import SchedulerApps
from dlicli.engine.store import Store
from dlicli.engine.tasks.scheduler import Scheduler
from dlicli.engine.tasks.service import ExecService
from dlicli.engine.users import Users

__all__ = ["Engine", "EngineError", "User"]


class Engine:
    """One engine on one data dir; `options` are Settings.build's (slots, grace_seconds, tick …)."""

    def __init__(self, data_dir: Path, **options: Any):
        self.settings = s = Settings.build(data_dir, **options)
        self._build_services(s)
        self._lockfile: IO[str] | None = None

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
        self.users = Users(self.store)
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
        self.scheduler.start()
        self.hpo.start()

    def shutdown(self) -> None:
        """Stop the threads; running tasks keep running and are re-adopted by the next start."""
        self.hpo.shutdown()
        self.scheduler.shutdown()
        if self._lockfile is not None:
            self._lockfile.close()
            self._lockfile = None
