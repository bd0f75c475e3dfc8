"""The ResourcePlans tag (`engine.resplans`): named plans with a parent and labels; `cpu`/`gpu`
labels are quotas the scheduler enforces on the plan and its children. Only an administrator
creates, updates or deletes one; a plan in use by queued or running tasks cannot be deleted."""

from __future__ import annotations

import json
import threading
import time

from dlicli.engine import EngineError, User
from dlicli.engine.store import Store
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED, Scheduler, chain, plan_usage, quota


class ResplanService:
    def __init__(self, store: Store, scheduler: Scheduler, lock: threading.RLock):
        self.store, self.scheduler, self.lock = store, scheduler, lock

    def _plans(self) -> dict[str, dict]:
        return {plan["name"]: plan for plan in self.store.resplans()}

    def create(self, user: User, body: dict) -> None:
        name, parent, labels = _plan_body(user, body)
        with self.lock:
            plans = self._plans()
            if name in plans:
                raise EngineError(409, f"resource plan {name} already exists")
            if parent and parent not in plans:
                raise EngineError(400, f"parent resource plan {parent} does not exist")
            self.store.insert("resplans", name=name, parent=parent, labels=json.dumps(labels), created=time.time())

    def update(self, user: User, body: dict) -> None:
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

    def get(self, user: User, name: str) -> dict:
        plans = self._plans()
        if name not in plans:
            raise EngineError(404, f"resource plan {name} not found")
        return resplan_view(name, plans, self.store.tasks())

    def delete(self, user: User, name: str) -> None:
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

    def tree(self, user: User) -> dict:
        return tree_view(self._plans(), self.store.tasks())


def resplan_view(name: str, plans: dict[str, dict], tasks: list[dict]) -> dict:
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


ROOT = "/"  # the id, name and path of the tree's root: the whole engine, above every plan


def tree_view(plans: dict[str, dict], tasks: list[dict]) -> dict:
    """One TreeDto, as the spec answers: the root "/" (the engine, with the use of every task)
    holding the top-level plans in childTreeDto, their children nested likewise. dlicmd.py's
    --rp-get-all reads the answer as one tree; a plan's `pid` is its parent's id ("/" at the top)."""

    def node(name: str) -> dict:
        children = sorted(n for n, p in plans.items() if p["parent"] == name)
        view = resplan_view(name, plans, tasks)
        return _tree_node(name, plans[name]["parent"] or ROOT, view, [node(child) for child in children])

    tops = [node(name) for name in sorted(n for n, p in plans.items() if not p["parent"])]
    return _tree_node(ROOT, "", root_usage(tasks), tops)


def _tree_node(name: str, pid: str, view: dict, children: list[dict]) -> dict:
    return {
        "id": name,
        "name": name,
        "pid": pid,
        "path": view["path"],
        "isParent": "true" if children else "false",
        "V1Resplan": view,
        "childTreeDto": children,
    }


def root_usage(tasks: list[dict]) -> dict:
    """V1Resplan of the root: CPU and GPU of every running task (used) and every running or
    queued one (requested), in or out of a plan."""

    def total(states: tuple[str, ...], key: str) -> str:
        return f"{sum(float(t[key] or 0) for t in tasks if t['state'] in states):g}"

    return {
        "usedcpu": total(ACTIVE, "cpu"),
        "usedgpu": total(ACTIVE, "gpu"),
        "requestcpu": total(ACTIVE + QUEUED, "cpu"),
        "requestgpu": total(ACTIVE + QUEUED, "gpu"),
        "path": ROOT,
    }


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
    if not isinstance(labels, list) or not all(isinstance(label, dict) and "key" in label for label in labels):
        raise EngineError(400, "labels must be a list of {key, value}")
    labels = [{"key": str(lb["key"]), "value": "" if lb.get("value") is None else str(lb["value"])} for lb in labels]
    for label in labels:
        if label["key"].lower() in ("cpu", "gpu"):
            try:
                if float(label["value"]) < 0:
                    raise ValueError
            except ValueError:
                raise EngineError(400, f"quota {label['key']} must be a non-negative number") from None
    return name, (str(body["parent"]).strip() or None) if body.get("parent") else None, labels
