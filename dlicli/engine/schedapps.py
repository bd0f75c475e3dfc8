"""The Scheduler tag (`engine.schedapps`): every task seen as a scheduler application (id
`app-<execId>`), with the spec's filtering, sorting and paging, and the driver's and executors'
logs (stdout, stderr, launcherlog).

Executors are numbered as WMLA numbers them, "1" … "N": IBM's dlicmd.py lists an application's
`task12n` and reads `executor/<i+1>/logs/<type>` for its i-th entry. Executor n is the task's
worker of rank n-1. The local engine runs no driver process beside its workers, so an application
has no `task0` (dlicmd.py then prints only the executors' logs); the driver routes answer with
the first worker's logs, which is what `dlicli scheduler logs APPID` shows.
"""

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
        rank = 0 if executorid is None else executor_rank(appid, executorid, task["num_workers"])
        return runner.log_file(Path(task["task_dir"]), rank, log_type)

    def driver_log(self, user: User, appid: str, log_type: str, lastlines: int | None) -> str:
        return runner.read_text(self.log_path(user, appid, None, log_type), 10 if lastlines is None else lastlines)

    def executor_log(self, user: User, appid: str, executorid: str, log_type: str, lastlines: int | None) -> str:
        path = self.log_path(user, appid, executorid, log_type)
        return runner.read_text(path, 10 if lastlines is None else lastlines)


def executor_rank(appid: str, executorid: str, workers: int) -> int:
    """The worker rank of executor "1" … "N" (also written `<appid>-<n>`); 404 for any other."""
    number = str(executorid).rsplit("-", 1)[-1]
    if number.isascii() and number.isdigit() and 1 <= int(number) <= workers:
        return int(number) - 1
    known = "1" if workers == 1 else f"1 to {workers}"
    raise EngineError(404, f"application {appid} has no executor {executorid}; its executors are {known}")


def executors(task: dict) -> list[dict]:
    """`task12n`: one entry per worker, as dlicmd.py counts them; `id` is the executor id of the
    log routes, `rank` the worker's RANK."""
    return [{"id": str(rank + 1), "rank": rank} for rank in range(task["num_workers"])]


def application(task: dict) -> dict:
    """One task as an ApplicationDetail, plus `task12n` (its workers, the executors)."""
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
        "task12n": executors(task),
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
