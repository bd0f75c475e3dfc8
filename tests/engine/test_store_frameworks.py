"""The SQLite store (WAL, versioned schema, state that survives a reopen) and the args parser."""

from __future__ import annotations

import sqlite3

import pytest

from dlicli.engine import EngineError
from dlicli.engine.store import SCHEMA_VERSION, Store
from dlicli.engine.tasks.frameworks import worker_envs


def test_store_is_wal_versioned_and_persistent(tmp_path):
    store = Store(tmp_path / "engine.db")
    assert store.one("PRAGMA journal_mode")["journal_mode"] == "wal"
    assert store.one("PRAGMA user_version")["user_version"] == SCHEMA_VERSION
    tables = {r["name"] for r in store.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "tokens", "tasks", "workers", "deployments", "resplans", "events"} <= tables
    store.insert("resplans", name="p", parent=None, labels='[{"key": "cpu", "value": "2"}]', created=1.0)
    store.close()
    again = Store(tmp_path / "engine.db")
    assert again.resplan("p")["labels"] == [{"key": "cpu", "value": "2"}]


def test_store_refuses_a_newer_schema(tmp_path):
    with sqlite3.connect(tmp_path / "engine.db") as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(EngineError) as info:
        Store(tmp_path / "engine.db")
    assert info.value.status == 500


def test_a_failed_transaction_is_rolled_back(tmp_path):
    store = Store(tmp_path / "engine.db")
    with pytest.raises(RuntimeError), store.tx() as db:
        db.execute("INSERT INTO users (name, admin, created) VALUES ('x', 0, 1)")
        raise RuntimeError
    assert store.all("SELECT * FROM users") == []


def test_worker_envs():
    assert worker_envs("python", 1) == [{}]
    torch = worker_envs("distPyTorch", 3)
    assert [e["RANK"] for e in torch] == ["0", "1", "2"] and len({e["MASTER_PORT"] for e in torch}) == 1
