"""Task rows rendered as the spec's Batch, the time formats every view shares, and `inside`
(a relative path kept inside a root). The scheduler's and resource plans' views live beside
their services (schedapps.py, resplans.py).

A Batch carries `hpoName`, the HPO search an experiment task runs for (null for any other task):
the experiments table is what links them (an env var or app name could be set by anyone), and
`exec list` shows it and hides experiments by it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"


def ms(stamp: float | None) -> int | None:
    return None if stamp is None else int(stamp * 1000)


def events_text(events: list[dict]) -> str:
    return "\n".join(
        f"{iso(e['time'])} {e['level']} {e['name']}" + (f": {e['details']}" if e["details"] else "") for e in events
    )


def searches(store: Any, task_id: str | None = None) -> dict[str, str]:
    """Task id → the HPO search it is an experiment of: every task's, or one task's (one query)."""
    sql = "SELECT task_id, hpo_name FROM experiments WHERE task_id IS NOT NULL"
    rows = store.all(sql) if task_id is None else store.all(sql + " AND task_id = ?", task_id)
    return {row["task_id"]: row["hpo_name"] for row in rows}


def batch(task: dict, events: list[dict], hpo_name: str | None = None) -> dict:
    """The spec's Batch plus engine extras (framework, times in ISO-8601 UTC, exitCode, reason,
    hpoName)."""
    return {
        "id": task["id"],
        "creator": task["creator"],
        "args": task["args"],
        "submissionId": task["id"],
        "workDir": task["work_dir"],
        "appName": task["app_name"],
        "events": events_text(events),
        "appId": "app-" + task["id"],
        "schedulerUrl": "",
        "state": task["state"],
        "framework": task["framework"],
        "numWorker": task["num_workers"],
        "resplan": task["resplan"],
        "createTime": iso(task["create_time"]),
        "startTime": iso(task["start_time"]),
        "endTime": iso(task["end_time"]),
        "exitCode": task["exit_code"],
        "reason": task["reason"] or "",
        "hpoName": hpo_name,
    }


def inside(root: Path, relative: str) -> Path | None:
    """`root/relative` when it stays inside root (no absolute path, no escape), else None."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    base = root.resolve()
    path = (base / relative).resolve()
    return path if path == base or base in path.parents else None
