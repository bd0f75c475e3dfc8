"""The engine's state in SQLite (WAL): users, tokens, tasks, workers, deployments, resource plans, events.

One connection shared by all threads behind a lock: the engine's writes are tiny and few, and a
single connection keeps WAL checkpoints and transactions simple. Rows come back as plain dicts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError

SCHEMA_VERSION = 5  # = 1 + len(_MIGRATIONS)

_SCHEMA = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    admin INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,            -- sha256 hex of the token, never the token itself
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    kind TEXT NOT NULL,               -- 'user' (long-lived) or 'session' (from logon)
    created REAL NOT NULL
);
CREATE INDEX tokens_user ON tokens(user);
CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- FIFO order
    id TEXT NOT NULL UNIQUE,
    creator TEXT NOT NULL,
    args TEXT NOT NULL,
    app_name TEXT NOT NULL,
    framework TEXT NOT NULL,
    model_main TEXT NOT NULL,
    state TEXT NOT NULL,
    task_dir TEXT NOT NULL,
    work_dir TEXT NOT NULL,
    num_workers INTEGER NOT NULL DEFAULT 1,
    cpu REAL NOT NULL DEFAULT 1,
    gpu REAL NOT NULL DEFAULT 0,
    resplan TEXT,
    spec TEXT NOT NULL,                      -- JSON: what the launcher needs (model args, env, python)
    create_time REAL NOT NULL,
    start_time REAL,
    end_time REAL,
    exit_code INTEGER,
    reason TEXT,
    pid INTEGER,                             -- the wrapper's pid = the task's process group id
    pid_start INTEGER,                       -- its /proc start time, to tell a reused pid apart
    stop_requested REAL,
    kill_sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_state ON tasks(state);
CREATE INDEX tasks_creator ON tasks(creator);
CREATE TABLE workers (
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    pid INTEGER,
    exit_code INTEGER,
    PRIMARY KEY (task_id, idx)
);
CREATE TABLE deployments (
    uid TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE resplans (
    name TEXT PRIMARY KEY,
    parent TEXT,
    labels TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    time REAL NOT NULL,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_task ON events(task_id);
"""

# Each later schema version is one script here (version 2 = _MIGRATIONS[0], …): append, never edit.
_MIGRATIONS = [
    """
CREATE TABLE notebooks (
    user TEXT PRIMARY KEY,            -- one notebook service (a Jupyter server) per user
    status TEXT NOT NULL,             -- Pending, Running, Stopped
    port INTEGER,
    pid INTEGER,                      -- the server's pid = its process group id
    pid_start INTEGER,                -- its /proc start time, to tell a reused pid apart
    resplan TEXT,
    create_time REAL NOT NULL,
    start_time REAL,
    message TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
""",
    """
CREATE TABLE hpo_tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- listing order
    name TEXT NOT NULL UNIQUE,               -- hpoName
    creator TEXT NOT NULL,
    state TEXT NOT NULL,                     -- SUBMITTED RUNNING FINISHED FAILED STOPPED RECOVERPEND
    algorithm TEXT NOT NULL,
    input TEXT NOT NULL,                     -- JSON: the data field as received
    hpo_dir TEXT NOT NULL,                   -- code/ (the unpacked model), search.log
    code_dir TEXT NOT NULL,
    launch TEXT NOT NULL,                    -- JSON: Engine.launch_plan() of modelSpec.args
    create_time REAL NOT NULL,
    start_time REAL,
    end_time REAL,
    deadline REAL,                           -- maxRunTime as an absolute time, NULL = none
    opt_state BLOB,                          -- pickle of the optimizer's get_state() after each search()
    search_done INTEGER NOT NULL DEFAULT 0,  -- the optimizer said it is done: no more search() calls
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE experiments (
    hpo_name TEXT NOT NULL REFERENCES hpo_tasks(name) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    task_id TEXT,                            -- the engine task that runs it (tasks.id)
    state TEXT NOT NULL,                     -- NOTRUN SUBMITTED RUNNING FINISHED FAILED STOPPED KILLED ERROR
    config TEXT NOT NULL,                    -- JSON: config.json, flat name -> value
    metric_val REAL,
    metrics TEXT NOT NULL DEFAULT '[]',      -- JSON: [{name, min, max, latest}]
    maxiteration INTEGER,
    reported INTEGER NOT NULL DEFAULT 0,     -- fed to the optimizer as a result
    start_time REAL,
    end_time REAL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (hpo_name, id)
);
CREATE INDEX experiments_task ON experiments(task_id);
CREATE TABLE algorithms (
    name TEXT PRIMARY KEY,                   -- user plugins only (built-ins are not stored)
    creator TEXT NOT NULL,
    path TEXT NOT NULL,                      -- the installed copy (holds optimizer.py)
    source TEXT NOT NULL DEFAULT '',         -- 'upload' or the server path it was copied from
    conda_home TEXT NOT NULL DEFAULT '',
    conda_env TEXT NOT NULL DEFAULT '',
    remote_exec INTEGER NOT NULL DEFAULT 0,
    log_level TEXT NOT NULL DEFAULT 'INFO',
    create_time REAL NOT NULL
);
""",
    # a user's password as users.py hashes it (scrypt$n$r$p$salt$hash); NULL: tokens only
    "ALTER TABLE users ADD COLUMN password TEXT",
    # a session token's end (logon's tokens; NULL: a user token, which does not expire); a removed
    # user's tombstone (their tokens are gone; their tasks and searches are kept for the admin)
    """
ALTER TABLE tokens ADD COLUMN expires REAL;
ALTER TABLE users ADD COLUMN removed REAL
""",
]


class Store:
    """Thread-safe access to engine.db; every method is one short transaction."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self.tx():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";"):  # no ';' inside the schema's comments
                    if statement.strip():
                        self._db.execute(statement)
                version = 1
            if version < SCHEMA_VERSION:
                for script in _MIGRATIONS[version - 1 :]:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise EngineError(500, f"engine.db has schema {version}; this dlicli knows {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def all(self, sql: str, *params: Any) -> list[dict]:
        with self._lock:
            return [dict(row) for row in self._db.execute(sql, params).fetchall()]

    def one(self, sql: str, *params: Any) -> dict | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def count(self, sql: str, *params: Any) -> int:
        """The first column of a SELECT COUNT(*)'s row."""
        with self._lock:
            return int(self._db.execute(sql, params).fetchone()[0])

    def run(self, sql: str, *params: Any) -> int:
        """Execute one statement; returns the number of rows changed."""
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def insert(self, table: str, **cols: Any) -> None:
        names = ", ".join(cols)
        marks = ", ".join("?" for _ in cols)
        self.run(f"INSERT INTO {table} ({names}) VALUES ({marks})", *cols.values())

    # tasks --------------------------------------------------------------------------------
    def task(self, task_id: str) -> dict | None:
        return self.one("SELECT * FROM tasks WHERE id = ?", task_id)

    def tasks(self, where: str = "1", *params: Any) -> list[dict]:
        return self.all(f"SELECT * FROM tasks WHERE {where} ORDER BY seq", *params)

    def update_task(self, task_id: str, **cols: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in cols)
        self.run(f"UPDATE tasks SET {sets} WHERE id = ?", *cols.values(), task_id)

    def event(self, task_id: str, name: str, details: str = "", level: str = "Info") -> None:
        self.insert("events", task_id=task_id, time=time.time(), level=level, name=name, details=details)

    def events(self, task_id: str) -> list[dict]:
        return self.all("SELECT * FROM events WHERE task_id = ? ORDER BY id", task_id)

    def delete_task(self, task_id: str) -> None:
        with self.tx() as db:
            for table in ("events", "workers", "deployments"):
                db.execute(f"DELETE FROM {table} WHERE task_id = ?", (task_id,))
            db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))

    # resource plans ---------------------------------------------------------------------
    def resplan(self, name: str) -> dict | None:
        row = self.one("SELECT * FROM resplans WHERE name = ?", name)
        if row is not None:
            row["labels"] = json.loads(row["labels"])
        return row

    def resplans(self) -> list[dict]:
        rows = self.all("SELECT * FROM resplans ORDER BY name")
        for row in rows:
            row["labels"] = json.loads(row["labels"])
        return rows
