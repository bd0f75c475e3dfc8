"""FIFO scheduling with slots and resource-plan quotas, task monitoring, stop, and recovery.

One background thread ticks: it finalises tasks whose wrapper is gone (outcome and end time
from exit.json), escalates a stop to SIGKILL after the grace period, then launches queued tasks in
submission order. It ticks when something happens, not on a clock: a submit, a stop or a resource
plan change wakes it (wake()), a wrapper's exit wakes it through exitwatch.py, and a stop's grace
period sets its next wake-up; `tick` is only the slow safety tick for anything missed. The global pool is strict FIFO (the head of the queue blocks those behind it); a task whose
resource plan is full waits without blocking tasks of other plans.

Quotas are resource-plan labels: `cpu=N` (worker processes, one CPU each) and `gpu=N`; a plan's
usage counts its descendants' tasks, and a task must fit in its plan and every ancestor.
"""

from __future__ import annotations

import json
import logging
import math
import signal
import subprocess
import threading
import time
from pathlib import Path

from dlicli.engine.store import Store
from dlicli.engine.tasks import devices, exitwatch, frameworks, logtimes, runner

log = logging.getLogger("dlicli.engine")

# The engine's split of WMLA's active exec states (dlicli.wmla.EXEC_ACTIVE_STATES): waiting, holding slots.
QUEUED = ("SUBMITTED", "PENDING_JOB_SCHEDULER")
ACTIVE = ("LAUNCHING", "RUNNING")
LOST_RUNNING = "the task's launcher exited without recording an exit status"
LOST_RESTART = "engine restarted and the task's process was gone"


def _in(states: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def quota(labels: list | dict, key: str) -> float | None:
    """A plan's quota for `key` ('cpu' or 'gpu') from its labels, None when unlimited."""
    pairs = labels.items() if isinstance(labels, dict) else ((lb.get("key"), lb.get("value")) for lb in labels)
    for name, value in pairs:
        if str(name).lower() == key:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def chain(name: str | None, plans: dict[str, dict]) -> list[str]:
    """The plan and its ancestors, nearest first."""
    out: list[str] = []
    while name and name in plans and name not in out:
        out.append(name)
        name = plans[name].get("parent")
    return out


def plan_usage(tasks: list[dict], plans: dict[str, dict]) -> dict[str, dict[str, float]]:
    """cpu/gpu of `tasks` summed per plan, each task counted in its plan and every ancestor."""
    usage: dict[str, dict[str, float]] = {}
    for task in tasks:
        for name in chain(task.get("resplan"), plans):
            entry = usage.setdefault(name, {"cpu": 0.0, "gpu": 0.0})
            entry["cpu"] += task["cpu"]
            entry["gpu"] += task["gpu"]
    return usage


class Scheduler:
    def __init__(
        self,
        store: Store,
        *,
        slots: int,
        cpu_capacity: float,
        gpu_capacity: float,
        grace: float,
        tick: float,
        lock: threading.RLock,
    ):
        self.store = store
        self.slots, self.cpu_capacity, self.gpu_capacity = slots, cpu_capacity, gpu_capacity
        self.grace, self.tick_seconds, self.lock = grace, tick, lock
        self.children: dict[str, subprocess.Popen] = {}
        self.listeners: list = []  # callables(task_id, state) told when a running task ends (HPO's driver)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._exits: exitwatch.ExitWatch | None = None  # wakes the loop when a wrapper ends
        self.log_times = logtimes.Sampler()  # when log lines were written: sampled each tick

    # lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._exits = exitwatch.ExitWatch(lambda _task_id: self.wake())
        self.recover()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="dlicli-engine-scheduler", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._exits is not None:
            self._exits.close()
            self._exits = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the tick: a wake-up during it makes the next one start at once
            due = None
            try:
                due = self.tick()
            except Exception:  # the thread must survive one bad tick
                log.exception("scheduler tick failed")
            wait = self.tick_seconds if due is None else min(self.tick_seconds, max(0.0, due - time.time()))
            self._wake.wait(wait)

    def tick(self) -> float | None:
        """One pass; → when the next stop's grace period ends (epoch), if one is pending."""
        with self.lock:
            due = self._monitor()
            self._schedule()
        return due

    def _watch(self, task_id: str, pid: int, started: int | None) -> None:
        """Have the wrapper's exit wake the loop; a wrapper already gone (or a reused pid) wakes it now."""
        if self._exits is None or not self._exits.watch(task_id, pid) or not runner.alive(pid, started):
            self.wake()

    # recovery and monitoring --------------------------------------------------------------
    def recover(self) -> None:
        """Re-adopt tasks whose wrapper still lives; finalise the others (exit.json or ERROR)."""
        with self.lock:
            for task in self.store.tasks(_in(ACTIVE)):
                if runner.alive(task["pid"], task["pid_start"]):
                    self.store.event(task["id"], "RECOVERED", f"re-adopted running process {task['pid']}")
                    self._watch(task["id"], task["pid"], task["pid_start"])
                else:
                    self.finalize(task, LOST_RESTART)

    def _monitor(self) -> float | None:
        """Finalise ended tasks, SIGKILL stops past their grace; → the next grace end, if any."""
        now, due = time.time(), None
        for task in self.store.tasks(_in(ACTIVE)):
            proc = self.children.get(task["id"])
            if proc is not None:
                proc.poll()  # reap our own child so it does not linger as a zombie
            if runner.alive(task["pid"], task["pid_start"]):
                self.log_times.sample(_logs(task), now)
                if task["stop_requested"] and not task["kill_sent"] and now - task["stop_requested"] >= self.grace:
                    runner.signal_group(task["pid"], signal.SIGKILL)
                    self.store.update_task(task["id"], kill_sent=1)
                    self.store.event(task["id"], "KILL", f"still running {self.grace:g}s after SIGTERM: SIGKILL")
                elif task["stop_requested"] and not task["kill_sent"]:
                    due = min(due or math.inf, task["stop_requested"] + self.grace)
                continue
            self.finalize(task, LOST_RUNNING)
        return due

    def finalize(self, task: dict, lost_reason: str) -> None:
        """Record the end of a task whose wrapper is gone. Idempotent."""
        current = self.store.task(task["id"])
        if current is None or current["state"] not in ACTIVE:
            return
        task = current
        runner.kill_remnants(task["pid"], task["pid_start"])
        if not task["pid"]:  # an engine killed between spawning the wrapper and recording it
            runner.kill_working_in(Path(task["task_dir"]))
        outcome = runner.read_exit(Path(task["task_dir"]))
        code = outcome["exitCode"] if outcome else None
        if task["stop_requested"] and not (outcome and code == 0 and not outcome.get("terminated")):
            state, reason = "KILLED", "stopped on request"
        elif outcome is None:
            state, reason = "ERROR", lost_reason
        elif code == 0:
            state, reason = "FINISHED", ""
        else:
            state, reason = "FAILED", f"exit code {code}"
        with self.store.tx() as db:
            for worker in (outcome or {}).get("workers", []):
                db.execute(
                    "INSERT OR REPLACE INTO workers (task_id, idx, pid, exit_code) VALUES (?, ?, ?, ?)",
                    (task["id"], worker.get("rank", 0), worker.get("pid"), worker.get("exitCode")),
                )
            db.execute(
                "UPDATE tasks SET state = ?, reason = ?, exit_code = ?, end_time = ? WHERE id = ?",
                (state, reason, code, _end_time(outcome, task), task["id"]),
            )
        self.store.event(task["id"], state, reason, "Info" if state in ("FINISHED", "KILLED") else "Error")
        proc = self.children.pop(task["id"], None)
        if proc is not None:
            proc.poll()
        self.log_times.forget(_logs(task))
        for listener in self.listeners:
            listener(task["id"], state)

    # stop -------------------------------------------------------------------------------
    def stop(self, task: dict) -> None:
        """Queued: KILLED at once. Running: SIGTERM to its group; the monitor escalates and finalises."""
        with self.lock:
            current = self.store.task(task["id"])
            if current is None:
                return
            task = current
            if task["state"] in QUEUED or (task["state"] in ACTIVE and not task["pid"]):
                self.store.update_task(
                    task["id"],
                    state="KILLED",
                    reason="stopped before it started",
                    end_time=time.time(),
                    stop_requested=time.time(),
                )
                self.store.event(task["id"], "KILLED", "stopped before it started")
            elif task["state"] in ACTIVE and not task["stop_requested"]:
                self.store.update_task(task["id"], stop_requested=time.time())
                self.store.event(task["id"], "STOP", "SIGTERM sent to the task's process group")
                if runner.alive(task["pid"], task["pid_start"]):
                    runner.signal_group(task["pid"], signal.SIGTERM)
        self.wake()

    def stop_and_wait(self, task: dict) -> None:
        """Stop a task and return once its processes are gone (SIGKILL after the grace period)."""
        self.stop(task)
        task = self.store.task(task["id"]) or task
        if task["state"] not in ACTIVE:
            return
        deadline = time.monotonic() + self.grace
        while runner.alive(task["pid"], task["pid_start"]) and time.monotonic() < deadline:
            self._reap(task["id"])
            time.sleep(0.05)
        if runner.alive(task["pid"], task["pid_start"]):
            runner.signal_group(task["pid"], signal.SIGKILL)
            deadline = time.monotonic() + 5
            while runner.alive(task["pid"], task["pid_start"]) and time.monotonic() < deadline:
                self._reap(task["id"])
                time.sleep(0.02)
        with self.lock:
            self._reap(task["id"])
            self.finalize(task, LOST_RUNNING)

    def _reap(self, task_id: str) -> None:
        proc = self.children.get(task_id)
        if proc is not None:
            proc.poll()

    # scheduling -------------------------------------------------------------------------
    def _schedule(self) -> None:
        queued = self.store.tasks(_in(QUEUED))
        if not queued:
            return
        active = self.store.tasks(_in(ACTIVE))
        plans = {plan["name"]: plan for plan in self.store.resplans()}
        usage = plan_usage(active, plans)
        used = {
            "slots": sum(t["num_workers"] for t in active),
            "cpu": sum(t["cpu"] for t in active),
            "gpu": sum(t["gpu"] for t in active),
        }
        blocked_pool, blocked_plans = False, set[str]()
        for task in queued:
            why = None
            names = chain(task["resplan"], plans)
            if blocked_pool or not self._fits_pool(task, used):
                blocked_pool, why = True, f"waiting for {task['num_workers']} free slot(s)"
            elif blocked_plans.intersection(names) or not _fits_plans(task, names, plans, usage):
                blocked_plans.update(names)
                why = f"resource plan {task['resplan']} is at its quota"
            if why is None:
                self._launch(task)
                used = {k: used[k] + (task["num_workers"] if k == "slots" else task[k]) for k in used}
                usage = plan_usage(self.store.tasks(_in(ACTIVE)), plans)
            elif task["state"] == "SUBMITTED":
                self.store.update_task(task["id"], state="PENDING_JOB_SCHEDULER", reason=why)
                self.store.event(task["id"], "PENDING_JOB_SCHEDULER", why)

    def _fits_pool(self, task: dict, used: dict) -> bool:
        return (
            used["slots"] + task["num_workers"] <= self.slots
            and used["cpu"] + task["cpu"] <= self.cpu_capacity
            and (task["gpu"] <= 0 or used["gpu"] + task["gpu"] <= self.gpu_capacity)
        )

    def _launch(self, task: dict) -> None:
        self.store.update_task(task["id"], state="LAUNCHING", reason="")
        task_dir = Path(task["task_dir"])
        try:
            spec = json.loads(task["spec"])
            argv = spec.get("argv") or [spec["python"], task["model_main"], *spec["model_args"]]
            envs = frameworks.worker_envs(task["framework"], task["num_workers"])
            gpus = self._devices(task, spec, len(envs))
            workers = [
                {
                    "argv": argv,
                    "env": {**spec["env"], **extra, **gpus[rank]},
                    "cwd": task["work_dir"],
                    "stdout": str(runner.log_file(task_dir, rank, "stdout")),
                    "stderr": str(runner.log_file(task_dir, rank, "stderr")),
                    "memory_limit": spec.get("memory_limit"),
                }
                for rank, extra in enumerate(envs)
            ]
            runner.write_spec(task_dir, workers, self.grace)
            proc, started = runner.spawn(task_dir, workers[0]["env"], [spec.get("python"), argv[0]])
        except Exception as exc:  # noqa: BLE001 - could not start: the task ends ERROR, the engine goes on
            reason = f"could not start the task: {exc}"
            self.store.update_task(task["id"], state="ERROR", reason=reason, end_time=time.time())
            self.store.event(task["id"], "ERROR", reason, "Error")
            return
        self.children[task["id"]] = proc
        self.store.update_task(task["id"], state="RUNNING", pid=proc.pid, pid_start=started, start_time=time.time())
        self.store.event(task["id"], "RUNNING", f"started {len(workers)} worker(s), process group {proc.pid}")
        self._watch(task["id"], proc.pid, started)

    def _devices(self, task: dict, spec: dict, workers: int) -> list[dict[str, str]]:
        """Each worker's CUDA_VISIBLE_DEVICES (devices.py), free of the other running tasks' devices."""
        running = [t["task_dir"] for t in self.store.tasks() if t["state"] in ACTIVE and t["id"] != task["id"]]
        used = devices.in_use(running) if spec.get("gpus_per_worker") else set()
        return devices.assign(
            workers, int(spec.get("gpus_per_worker") or 0), bool(spec.get("hide_gpus")), self.gpu_capacity, used
        )


def _fits_plans(task: dict, names: list[str], plans: dict, usage: dict) -> bool:
    for name in names:
        for key in ("cpu", "gpu"):
            limit = quota(plans[name]["labels"], key)
            if limit is not None and task[key] > 0 and usage.get(name, {}).get(key, 0.0) + task[key] > limit:
                return False
    return True


def _end_time(outcome: dict | None, task: dict) -> float:
    """When the task's processes ended: the wrapper's record (exit.json's endTime), else now (the
    wrapper died without one). Kept between the task's start and now."""
    now = time.time()
    ended = (outcome or {}).get("endTime")
    if not isinstance(ended, (int, float)) or isinstance(ended, bool):
        return now
    return min(now, max(float(ended), task["start_time"] or 0.0))


def _logs(task: dict) -> list[Path]:
    """A task's stdout and stderr files, every worker's: what the log-times sampler watches."""
    return logtimes.log_paths(Path(task["task_dir"]), task["num_workers"], ("stdout", "stderr"))
