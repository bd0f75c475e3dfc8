"""Task rows rendered as the spec's models (Batch, ApplicationDetail, ApplicationStatistic,
V1Resplan, TreeDto), and the scheduler endpoints' filtering, sorting and paging."""

from __future__ import annotations

import time
from pathlib import Path

from dlicli.engine import EngineError
from dlicli.engine.tasks import runner
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED, chain, plan_usage, quota


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


def batch(task: dict, events: list[dict]) -> dict:
    """The spec's Batch plus engine extras (framework, times in ISO-8601 UTC, exitCode, reason)."""
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
    }


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


def resplan(name: str, plans: dict[str, dict], tasks: list[dict]) -> dict:
    """V1Resplan (strings, as the spec has them) plus the plan's name, parent, labels and quotas."""
    running = plan_usage([t for t in tasks if t["state"] in ACTIVE], plans).get(name, {})
    wanted = plan_usage([t for t in tasks if t["state"] in ACTIVE + QUEUED], plans).get(name, {})
    plan = plans[name]
    cpu, gpu = quota(plan["labels"], "cpu"), quota(plan["labels"], "gpu")
    return {
        "usedcpu": f"{running.get('cpu', 0):g}",
        "usedgpu": f"{running.get('gpu', 0):g}",
        "requestcpu": f"{wanted.get('cpu', 0):g}",
        "requestgpu": f"{wanted.get('gpu', 0):g}",
        "path": "/" + "/".join(reversed(chain(name, plans))),
        "name": name,
        "parent": plan["parent"] or "",
        "labels": plan["labels"],
        "cpuQuota": "" if cpu is None else f"{cpu:g}",
        "gpuQuota": "" if gpu is None else f"{gpu:g}",
    }


def tree(plans: dict[str, dict], tasks: list[dict]) -> list[dict]:
    """TreeDto for every top-level plan, children nested in childTreeDto."""

    def node(name: str) -> dict:
        children = sorted(n for n, p in plans.items() if p["parent"] == name)
        view = resplan(name, plans, tasks)
        return {
            "id": name,
            "name": name,
            "pid": plans[name]["parent"] or "",
            "path": view["path"],
            "isParent": "true" if children else "false",
            "V1Resplan": view,
            "childTreeDto": [node(child) for child in children],
        }

    return [node(name) for name in sorted(n for n, p in plans.items() if not p["parent"])]


def inside(root: Path, relative: str) -> Path | None:
    """`root/relative` when it stays inside root (no absolute path, no escape), else None."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    base = root.resolve()
    path = (base / relative).resolve()
    return path if path == base or base in path.parents else None
