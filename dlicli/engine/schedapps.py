"""The Scheduler tag (`engine.schedapps`): every task seen as a scheduler application (id
`app-<execId>`, its workers the executors "0" … "N-1"), with the spec's filtering, sorting and
paging, and the driver's and executors' logs (stdout, stderr, launcherlog)."""

from __future__ import annotations

import time
from pathlib import Path

from dlicli.engine import EngineError, User
from dlicli.engine.tasks import runner
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED
from dlicli.engine.tasks.service import ExecService
from dlicli.engine.tasks.views import ms


class SchedulerApps:
    """Read-only views over the tasks the caller may see (ExecService decides which)."""

    def __init__(self, execs: ExecService):
        self.execs = execs

    def applications(self, user: User, **filters) -> list[dict]:
        return applications(self.execs.visible(user), filters)

    def statistics(self, user: User, **filters) -> list[dict]:
        return statistics(self.execs.visible(user), filters)

    def log_path(self, user: User, appid: str, executorid: str | None, log_type: str) -> Path:
        task = self.execs.task(user, appid[4:] if appid.startswith("app-") else appid, missing=404)
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


def application(task: dict) -> dict:
    """One task as an ApplicationDetail; its workers are the executors ("0" … "N-1")."""
    running = task["state"] in ACTIVE
    end = task["end_time"]
    duration = ((end or time.time()) - task["start_time"]) if task["start_time"] else 0.0
    return {
        "applicationid": "app-" + task["id"],
        "applicationname": task["app_name"],
        "type": "BATCH",
        "state": task["state"],
        "slots": task["num_workers"] if running else 0,
        "demandslots": task["num_workers"],
        "hosts": 1,
        "coresused": float(task["cpu"]) if running else 0.0,
        "memused": runner.group_rss_mb(task["pid"]) if running and task["pid"] else 0.0,
        "username": task["creator"],
        "timestamp": ms(end or task["start_time"] or task["create_time"]),
        "submittedtime": ms(task["create_time"]),
        "schedulerUrl": "",
        "endtime": ms(end),
        "apprunduration": round(duration, 3),
        "model": task["model_main"],
        "dataset": "",
        "dltype": task["framework"],
        "tunningname": "",
        "appReason": task["reason"] or "",
        "appFailureDetail": (task["reason"] or "") if task["state"] in ("FAILED", "ERROR") else "",
        "driverid": task["id"],
        "executors": [str(k) for k in range(task["num_workers"])],
    }


def _matches_state(value: str, wanted: str | None) -> bool:
    return not wanted or value.upper() in {s.strip().upper() for s in wanted.split(",") if s.strip()}


def _page(items: list, start, length) -> list:
    try:
        first = int(start) if start not in (None, "") else 0
        count = int(length) if length not in (None, "") else None
    except (TypeError, ValueError):
        raise EngineError(400, "start and length must be whole numbers") from None
    if first < 0 or (count is not None and count < 0):
        raise EngineError(400, "start and length must not be negative")
    return items[first:] if count is None else items[first : first + count]


def applications(tasks: list[dict], filters: dict) -> list[dict]:
    apps = [application(t) for t in tasks]
    exact = {"applicationid": "applicationid", "applicationname": "applicationname", "driverid": "driverid"}
    for key, field in exact.items():
        if filters.get(key):
            apps = [a for a in apps if a[field] == filters[key]]
    apps = [a for a in apps if _matches_state(a["state"], filters.get("state"))]
    if filters.get("search"):
        needle = str(filters["search"]).lower()
        fields = ("applicationid", "applicationname", "username", "state", "dltype", "model")
        apps = [a for a in apps if any(needle in str(a[f]).lower() for f in fields)]
    sort = filters.get("sort")
    if sort:
        descending = sort.startswith("-") or str(filters.get("order") or "").lower() == "desc"
        key = sort.lstrip("-+")
        if apps and key not in apps[0]:
            raise EngineError(400, f"cannot sort by unknown field {key!r}")
        apps.sort(key=lambda a: (a[key] is None, a[key] if a[key] is not None else 0), reverse=descending)
    elif str(filters.get("order") or "").lower() == "desc":
        apps.reverse()
    return _page(apps, filters.get("start"), filters.get("length"))


def statistics(tasks: list[dict], filters: dict) -> list[dict]:
    """ApplicationStatistic per user: requested and used CPU/GPU, pending and running jobs."""
    if filters.get("applicationid"):
        tasks = [t for t in tasks if "app-" + t["id"] == filters["applicationid"]]
    if filters.get("applicationname"):
        tasks = [t for t in tasks if t["app_name"] == filters["applicationname"]]
    if filters.get("consumer"):
        tasks = [t for t in tasks if filters["consumer"] in (t["creator"], t["resplan"])]
    tasks = [t for t in tasks if _matches_state(t["state"], filters.get("state"))]
    stats: dict[str, dict] = {}
    for task in tasks:
        entry = stats.setdefault(
            task["creator"],
            {
                "username": task["creator"],
                "cpuReq": 0.0,
                "cpuUsed": 0.0,
                "gpuReq": 0.0,
                "gpuUsed": 0.0,
                "jobPending": 0,
                "jobRunning": 0,
            },
        )
        if task["state"] in QUEUED:
            entry["jobPending"] += 1
            entry["cpuReq"] += task["cpu"]
            entry["gpuReq"] += task["gpu"]
        elif task["state"] in ACTIVE:
            entry["jobRunning"] += 1
            for key in ("cpu", "gpu"):
                entry[key + "Req"] += task[key]
                entry[key + "Used"] += task[key]
    return _page(sorted(stats.values(), key=lambda s: s["username"]), filters.get("start"), filters.get("length"))
