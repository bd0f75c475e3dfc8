"""The HPO search loop: one thread that drives every active hpo task.

Each pass, per task: update its experiments from their engine tasks (metrics from
val_dict_list.json), end it at its maxRunTime deadline, and when there is room (maxParalleJobNum −
active, bounded by maxJobNum) call the optimizer's search() with the experiments that finished since
the last call. The new experiments, the optimizer's pickled get_state(), the `reported` marks and
`search_done` are written in ONE transaction, so an engine restart resumes exactly: running
experiments are re-adopted by the task machinery, the optimizer is rebuilt and set_state()'d, and
results not yet marked reported are fed again. The search ends when the optimizer is done (`[]`
with is_done(), or `[]` with nothing left running) and no experiment is active: FINISHED, or
FAILED when no experiment finished; or FAILED early after a run of failed experiments (failures.py).
Experiments are numbered from 0, as WMLA numbers them; a plugin's values are snapped (snapped()). The scheduler wakes the loop the moment a task ends (its
listeners), and a submit wakes the scheduler: no tick lies between one experiment's end and the next start.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlicli.engine import User
from dlicli.engine.hpo import failures
from dlicli.engine.hpo import input as hpoinput
from dlicli.engine.hpo.experiments import CURRENT, experiment_task, keep_past_run
from dlicli.engine.hpo.metrics import STEP_KEYS, exp_result, failure_reason, read_values, summarize
from dlicli.engine.hpo.plugins import Algorithms
from dlicli.engine.tasks.scheduler import ACTIVE, QUEUED
from dlicli.engine.tasks.service import ExecService
from dlicli.engine.tasks.valdict import why_no_value
from dlicli.wmla import EXPERIMENT_ACTIVE_STATES, HPO_ACTIVE_STATES

log = logging.getLogger("dlicli.engine")

RESULT_STATES = ("FINISHED", "FAILED", "ERROR")  # fed to the optimizer (as FINISHED or FAILED)
RERUN_STATES = ("STOPPED", "KILLED")  # re-run when a stopped task is restarted


class Driver:
    def __init__(self, execs: ExecService, algorithms: Algorithms, max_failures: int = failures.DEFAULT_MAX_FAILURES):
        self.execs, self.store, self.scheduler, self.algorithms = execs, execs.store, execs.scheduler, algorithms
        self.max_failures = max_failures  # the engine's setting; see failures.py
        self.lock = threading.RLock()  # one task step or one API change at a time
        self.tick = max(0.05, self.scheduler.tick_seconds)
        self.optimizers: dict[str, Any] = {}
        self.inputs: dict[str, hpoinput.HpoInput] = {}
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        states = ", ".join(f"'{s}'" for s in HPO_ACTIVE_STATES)
        self.store.run(f"UPDATE hpo_tasks SET state = 'RECOVERPEND' WHERE state IN ({states})")
        if self._on_task_end not in self.scheduler.listeners:
            self.scheduler.listeners.append(self._on_task_end)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="dlicli-engine-hpo", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self.lock:
            for name in list(self.optimizers):
                self.drop(name)

    def wake(self) -> None:
        self._wake.set()

    def _on_task_end(self, task_id: str, state: str) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a task end during it starts the next pass at once
            try:
                self.step_all()
            except Exception:  # the loop must survive one bad pass
                log.exception("hpo driver pass failed")
            self._wake.wait(self.tick)

    def step_all(self) -> None:
        states = ", ".join(f"'{s}'" for s in HPO_ACTIVE_STATES)
        busy = ", ".join(f"'{s}'" for s in EXPERIMENT_ACTIVE_STATES)
        rows = self.store.all(
            f"SELECT name FROM hpo_tasks WHERE state IN ({states}) OR name IN "
            f"(SELECT hpo_name FROM experiments WHERE state IN ({busy})) ORDER BY seq"
        )
        for row in rows:
            if self._stop.is_set():
                return
            with self.lock:
                task = self.store.one("SELECT * FROM hpo_tasks WHERE name = ?", row["name"])
                if task is not None:
                    self.step(task)

    # helpers ------------------------------------------------------------------------------------
    def input(self, row: dict) -> hpoinput.HpoInput:
        hpo = self.inputs.get(row["name"])
        if hpo is None:
            hpo = hpoinput.parse(json.loads(row["input"]), row["creator"], self.algorithms.plugins(), debug=True)
            self.inputs[row["name"]] = hpo
        return hpo

    def optimizer(self, row: dict, hpo: hpoinput.HpoInput) -> Any:
        """The task's optimizer: cached, or rebuilt and restored from its last saved state."""
        opt = self.optimizers.get(row["name"])
        if opt is None:
            opt = self.algorithms.build(hpo, Path(row["hpo_dir"]) / "search.log")
            if row["opt_state"] is not None:
                try:
                    opt.set_state(pickle.loads(row["opt_state"]))
                except BaseException:
                    _close(opt)
                    raise
            self.optimizers[row["name"]] = opt
        return opt

    def drop(self, name: str) -> None:
        """Forget a task's optimizer (a plugin's process ends); the saved state stays in the DB."""
        _close(self.optimizers.pop(name, None))
        self.inputs.pop(name, None)

    def log(self, row: dict, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        try:
            with open(Path(row["hpo_dir"]) / "search.log", "a", encoding="utf-8") as handle:
                handle.write(f"{stamp}Z {message}\n")
        except OSError:
            log.warning("hpo %s: %s", row["name"], message)

    def experiments(self, name: str) -> list[dict]:
        return self.store.all(f"SELECT * FROM experiments WHERE hpo_name = ? AND {CURRENT} ORDER BY id", name)

    def update(self, name: str, **cols: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.store.run(f"UPDATE hpo_tasks SET {sets} WHERE name = ?", *cols.values(), name)

    # experiments --------------------------------------------------------------------------------
    def sync(self, row: dict, hpo: hpoinput.HpoInput) -> list[dict]:
        """Bring active experiments up to date with their engine tasks; returns all experiments."""
        exps = self.experiments(row["name"])
        for exp in exps:
            if exp["state"] not in EXPERIMENT_ACTIVE_STATES or not exp["task_id"]:
                continue
            changes = self._observe(exp, self.store.task(exp["task_id"]), hpo)
            if changes:
                sets = ", ".join(f"{k} = ?" for k in changes)
                self.store.run(
                    f"UPDATE experiments SET {sets} WHERE hpo_name = ? AND id = ?",
                    *changes.values(),
                    row["name"],
                    exp["id"],
                )
                exp.update(changes)
                if changes.get("state") not in (None, "RUNNING", "SUBMITTED"):
                    value = changes.get("metric_val")
                    self.log(
                        row,
                        f"experiment {exp['id']} {changes['state']}"
                        + (f": {changes['reason']}" if changes.get("reason") else "")
                        + (f" (metricVal {value:g})" if value is not None else ""),
                    )
        return exps

    def _observe(self, exp: dict, task: dict | None, hpo: hpoinput.HpoInput) -> dict:
        if task is None:
            return {"state": "ERROR", "reason": "its engine task was deleted", "end_time": time.time()}
        if task["state"] in QUEUED:
            return {} if exp["state"] == "SUBMITTED" else {"state": "SUBMITTED"}
        if task["state"] in ACTIVE:
            if exp["state"] == "RUNNING":
                return {}
            return {"state": "RUNNING", "start_time": task["start_time"] or time.time()}
        result = Path(task["task_dir"]) / "result"
        entries = read_values(result)
        metric_val, metrics, iterations = summarize(entries, hpo.objective_metric, hpo.maximize, hpo.additional_metrics)
        state, reason = task["state"], failure_reason(task)
        if state == "FINISHED" and metric_val is None:  # the file's trouble, or the metrics it has instead
            state, reason = "FAILED", why_no_value(result, hpo.objective_metric, STEP_KEYS)
        elif state == "KILLED":
            state = "STOPPED" if task["start_time"] is None else "KILLED"
        return {
            "state": state,
            "reason": reason,
            "metric_val": metric_val if state == "FINISHED" else None,
            "metrics": json.dumps(metrics),
            "maxiteration": iterations,
            "start_time": task["start_time"],
            "end_time": task["end_time"] or time.time(),
        }

    def submit(
        self,
        row: dict,
        hpo: hpoinput.HpoInput,
        items: list[tuple[int, dict]],
        *,
        new: bool,
        extra: dict | None = None,
        fresh: Sequence[int] = (),
    ) -> None:
        """Create the tasks of experiments (new rows, or re-runs of existing ones) and commit them in
        one transaction with `extra` hpo_tasks columns (the optimizer's state) and the reported marks."""
        tasks = []
        try:
            for exp_id, config in items:
                tasks.append(experiment_task(self.execs, row, hpo, exp_id, config))
            with self.store.tx() as db:
                for (exp_id, config), task in zip(items, tasks):
                    db.execute(
                        f"INSERT INTO tasks ({', '.join(task)}) VALUES ({', '.join('?' for _ in task)})",
                        tuple(task.values()),
                    )
                    if new:
                        db.execute(
                            "INSERT INTO experiments (hpo_name, id, task_id, state, config) VALUES "
                            "(?, ?, ?, 'SUBMITTED', ?)",
                            (row["name"], exp_id, task["id"], json.dumps(config)),
                        )
                    else:
                        keep_past_run(db, row["name"], exp_id)  # its old task stays the search's
                        db.execute(
                            "UPDATE experiments SET task_id = ?, state = 'SUBMITTED', metric_val = NULL, "
                            "metrics = '[]', maxiteration = NULL, start_time = NULL, end_time = NULL, "
                            "reason = '' WHERE hpo_name = ? AND id = ?",
                            (task["id"], row["name"], exp_id),
                        )
                db.executemany(
                    "UPDATE experiments SET reported = 1 WHERE hpo_name = ? AND id = ?",
                    [(row["name"], exp_id) for exp_id in fresh],
                )
                if extra:
                    db.execute(
                        f"UPDATE hpo_tasks SET {', '.join(f'{k} = ?' for k in extra)} WHERE name = ?",
                        (*extra.values(), row["name"]),
                    )
        except BaseException:
            for task in tasks:
                self.execs.discard_files(task["id"], task["task_dir"])
            raise
        for (exp_id, config), task in zip(items, tasks):
            what = f"experiment {exp_id} of hpo task {row['name']}"
            self.store.event(task["id"], "SUBMITTED", f"{what}: {json.dumps(config)}")
            self.execs.record_notes(task["id"], json.loads(row["launch"]).get("notes", []))  # as a plain task
            self.log(row, f"experiment {exp_id} submitted as {task['id']}: {json.dumps(config)}")
        if items:
            self.scheduler.wake()

    def stop_experiments(self, row: dict, exps: list[dict], *, running: bool) -> None:
        """Cancel queued experiments (→ STOPPED now); with running=True also SIGTERM the running ones."""
        for exp in exps:
            if exp["state"] not in EXPERIMENT_ACTIVE_STATES or not exp["task_id"]:
                continue
            task = self.store.task(exp["task_id"])
            if task is not None and task["state"] in QUEUED:
                self.scheduler.stop(task)
                self.store.run(
                    "UPDATE experiments SET state = 'STOPPED', end_time = ?, reason = ? WHERE hpo_name = ? AND id = ?",
                    time.time(),
                    "stopped before it started",
                    row["name"],
                    exp["id"],
                )
            elif task is not None and running and task["state"] in ACTIVE:
                self.scheduler.stop(task)
                self.log(row, f"experiment {exp['id']}: stopping its task {task['id']}")

    # the search ---------------------------------------------------------------------------------
    def step(self, row: dict) -> None:
        name = row["name"]
        try:
            hpo = self.input(row)
        except Exception as exc:  # noqa: BLE001 - e.g. an input this engine can no longer read
            self.end(row, [], "FAILED", f"cannot read the task's input: {exc}")
            return
        exps = self.sync(row, hpo)
        if row["state"] not in HPO_ACTIVE_STATES:
            return
        try:
            opt = self.optimizer(row, hpo)
        except Exception as exc:  # noqa: BLE001 - a plugin that cannot start fails its task
            self.fail(row, exps, "the algorithm could not start", exc)
            return
        if row["state"] != "RUNNING":
            self.log(row, "search resumed from the saved state" if row["state"] == "RECOVERPEND" else "search started")
            self.update(name, state="RUNNING", start_time=row["start_time"] or time.time())
        if row["deadline"] is not None and time.time() >= row["deadline"]:
            self.stop_experiments(row, exps, running=True)
            self.end(row, exps, None, f"maxRunTime of {hpo.max_run_time} minute(s) reached")
            return
        streak, last = failures.failure_streak(exps)
        if streak >= failures.failure_limit(self.max_failures, hpo.max_parallel):
            self.stop_experiments(row, exps, running=True)
            self.end(row, exps, "FAILED", failures.give_up_reason(streak, last))
            return
        self.search_more(row, hpo, opt, exps)

    def search_more(self, row: dict, hpo: hpoinput.HpoInput, opt: Any, exps: list[dict]) -> None:
        """Ask the optimizer for as many experiments as there is room for and submit them; end the
        task when the search is done and nothing runs."""
        name = row["name"]
        active = [e for e in exps if e["state"] in EXPERIMENT_ACTIVE_STATES]
        done = bool(row["search_done"])
        limit = hpo.job_limit()
        if not done and limit > 0 and len(exps) >= limit:
            done = True
            self.update(name, search_done=1)
        room = hpo.max_parallel - len(active)
        if limit > 0:
            room = min(room, limit - len(exps))
        if not done and room > 0:
            fresh = [e for e in exps if e["state"] in RESULT_STATES and not e["reported"]]
            results = [exp_result(e, hpo.objective_metric, hpo.searched) for e in fresh]
            try:
                suggestions = self.snapped(row, hpo, list(opt.search(room, results) or [])[:room])
                state = pickle.dumps(opt.get_state())
            except Exception as exc:  # noqa: BLE001 - the algorithm's failure is the task's
                self.fail(row, exps, "the algorithm failed", exc)
                return
            finished = getattr(opt, "is_done", None)
            done = not suggestions and (not active or finished is None or bool(finished()))
            self.log(
                row,
                f"search({room}, {len(results)} result(s)) -> {len(suggestions)} suggestion(s)"
                + (", search done" if done else ""),
            )
            first = max([e["id"] for e in exps], default=-1) + 1  # WMLA counts experiments from 0
            ids = list(range(first, first + len(suggestions)))
            self.submit(
                row,
                hpo,
                list(zip(ids, suggestions)),
                new=True,
                fresh=[e["id"] for e in fresh],
                extra={"opt_state": state, "search_done": int(done)},
            )
            active += [{"id": i} for i in ids]
        if done and not active:
            self.end(row, self.experiments(name), None, "")

    def snapped(self, row: dict, hpo: hpoinput.HpoInput, suggestions: list) -> list[dict]:
        """A plugin's suggestions moved onto the step/power grid the built-ins draw from, clipped
        into each range (noted in search.log); a value of the wrong type fails the task (SpaceError)."""
        if hpo.builtin:
            return suggestions
        from dlicli.engine.hpo.algorithms.space import Space

        space = Space(hpo.hyper_parameters)
        out = []
        for i, suggestion in enumerate(suggestions):
            if not isinstance(suggestion, dict):
                raise TypeError(f"suggestion {i} is not an object of name: value but {suggestion!r}")
            values, notes = space.snap_values(suggestion)
            if notes:
                self.log(row, f"suggestion {i}: {'; '.join(notes)}")
            out.append(values)
        return out

    def end(self, row: dict, exps: list[dict], state: str | None, reason: str) -> None:
        """Final state: FINISHED when some experiment finished, else FAILED (unless `state` given)."""
        finished = sum(e["state"] == "FINISHED" for e in exps)
        if state is None:
            state = "FINISHED" if finished else "FAILED"
            total = len(exps)
            note = f"{finished} of {total} experiment(s) finished" if total else "no experiment ran"
            reason = f"{reason}; {note}" if reason else note
        self.update(row["name"], state=state, reason=reason, end_time=time.time())
        self.log(row, f"hpo task {state}: {reason}")
        self.drop(row["name"])

    def fail(self, row: dict, exps: list[dict], what: str, exc: BaseException) -> None:
        detail = getattr(exc, "traceback", "") or traceback.format_exc()
        self.log(row, f"{what}: {exc}\n{detail.rstrip()}")
        self.stop_experiments(row, exps, running=True)
        log_path = Path(row["hpo_dir"]) / "search.log"
        self.end(row, exps, "FAILED", f"{what}: {exc} (see {log_path})")


def _close(opt: Any) -> None:
    close = getattr(opt, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.exception("closing an hpo optimizer failed")


def owner(row: dict) -> User:
    """The user an hpo task's engine tasks are managed as."""
    return User(row["creator"], True)
