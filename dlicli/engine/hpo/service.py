"""The HyperSearch operations of the local engine (`engine.hpo`): the hpo task lifecycle and the
algorithm registry. Typer-free, HTTP-free; raises EngineError(status, message).

An hpo task lives in <data_dir>/hpo/<hpoName>/: code/ (the upload, unpacked once) and search.log
(what the search did, the algorithm's errors and a plugin's own output). Each experiment is an
ordinary engine task (listed by GET /execs, app name `<hpoName>-<id>`) whose cwd is a private copy
of the code plus config.json (the chosen values, flat name → value); the search loop is driver.py.
The notes on its args (a python replaced, no GPU, options ignored) are each experiment's NOTE events,
as a plain task's, and are told once in POST /hypersearch's answer (`notes`, beside uid and href).

Lifecycle choices:
- stop (PUT …/{name}): the task becomes STOPPED at once; experiments not yet started are cancelled
  (STOPPED), running ones run to their end and their results are kept. 400 unless the task is
  SUBMITTED, RUNNING or RECOVERPEND.
- force (PUT …/{name}/force): as stop, and running experiments are killed (KILLED). Also accepted
  on a STOPPED task that still has running experiments.
- restart (PUT …/{name}/restart): only a STOPPED task. The optimizer is rebuilt from its saved
  state, experiments that were cancelled or killed run again (same id, same values), results that
  came in meanwhile are fed to the optimizer, and maxRunTime counts again from the restart. The
  tasks they ran in stay the search's (past runs, experiments.py) and go with it on delete.
- delete (DELETE …/{name}): 409 while the task is SUBMITTED, RUNNING or RECOVERPEND (stop it
  first); otherwise its experiments' exec tasks (stopped if still running), files and records go.
  IBM's WMLA documentation and samples say nothing of the experiments' exec tasks on delete (the
  spec: "Delete a hpo task"); they are the task's own (appId), so they go with it.
  DELETE /hypersearch deletes the caller's tasks, and answers 409 (deleting none) when any of
  them is still active.
"""

from __future__ import annotations

import builtins
import json
import pickle
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError, User
from dlicli.engine.admission import Seat
from dlicli.engine.conf import Settings
from dlicli.engine.hpo import input as hpoinput
from dlicli.engine.hpo.driver import Driver, owner
from dlicli.engine.hpo.experiments import search_task_ids
from dlicli.engine.hpo.metrics import read_values, summarize, task_state
from dlicli.engine.hpo.plugins import Algorithms
from dlicli.engine.limits import TOO_MANY, option_of
from dlicli.engine.tasks.execargs import ExecArgs
from dlicli.engine.tasks.service import ExecService
from dlicli.wmla import HPO_ACTIVE_STATES


class HpoService:
    """The HyperSearch operations; hpo tasks' experiments are ExecService tasks."""

    def __init__(self, settings: Settings, execs: ExecService):
        self.settings, self.execs, self.store = settings, execs, execs.store
        self.root = settings.data_dir / "hpo"
        self.algorithms = Algorithms(self.store, settings.data_dir / "hpo_plugins", settings.limits)
        self.driver = Driver(execs, self.algorithms, settings.hpo_max_failures)
        self._reserved: set[str] = set()  # names being created
        self._names = threading.Lock()

    def start(self) -> None:
        self.driver.start()

    def shutdown(self) -> None:
        self.driver.shutdown()

    # tasks --------------------------------------------------------------------------------------
    def _row(self, user: User, name: str) -> dict:
        """The search `user` may see; another user's answers exactly as a missing one (404)."""
        row = self.store.one("SELECT * FROM hpo_tasks WHERE name = ?", name)
        if row is None or not (user.admin or row["creator"] == user.name):
            raise EngineError(404, f"hpo task {name} not found")
        return row

    def create(self, user: User, data: Any, upload: Path, upload_name: str) -> dict:
        """Validate, unpack the model once, build the optimizer; the driver runs the search."""
        hpo = hpoinput.parse(data, user.name, self.algorithms.plugins())
        hpoinput.check_limits(hpo, self.settings.limits)
        parsed = hpo.parsed
        if parsed is None:  # parse() leaves it out only for the debug endpoint
            raise EngineError(400, "modelSpec.args: required (the training command, as for exec start)")
        plan = self.execs.launch_plan(parsed, _data_sources(hpo.model_spec))
        with self._seat(user) as seat, self._reserved_name(hpo.name):
            opt = self._prepare(user, hpo, parsed, plan, upload, upload_name, seat)
        self._hand_to_driver(user, hpo, opt, plan)
        return {"uid": hpo.name, "href": f"/hypersearch/{hpo.name}", **_notes(plan["notes"])}

    def _prepare(
        self,
        user: User,
        hpo: hpoinput.HpoInput,
        parsed: ExecArgs,
        plan: dict,
        upload: Path,
        upload_name: str,
        seat: Seat,
    ) -> Any:
        """The search's folder with its model unpacked, its optimizer built, its row in; the optimizer."""
        hpo_dir = self.root / hpo.name
        opt = None
        try:
            shutil.rmtree(hpo_dir, ignore_errors=True)  # a leftover of a create that crashed
            hpo_dir.mkdir(parents=True)
            code = self.execs.unpack_model(parsed, upload, upload_name, hpo_dir / "code", plan["notes"])
            from dlicli.engine.hpo.algorithms.base import OptimizerError

            try:
                opt = self.algorithms.build(hpo, hpo_dir / "search.log")
                state = pickle.dumps(opt.get_state())
            except (OptimizerError, ImportError) as exc:
                raise EngineError(400, f"algoDef: {hpo.algorithm}: {exc}") from None
            seat.fill(lambda: self._insert(user, hpo, hpo_dir, code, plan, state))
        except BaseException:
            if opt is not None and hasattr(opt, "close"):
                opt.close()
            shutil.rmtree(hpo_dir, ignore_errors=True)
            raise
        return opt

    @contextmanager
    def _reserved_name(self, name: str) -> Iterator[None]:
        """The name held while its search is created; 409 when it is taken or being created."""
        with self._names:
            if name in self._reserved or self.store.one("SELECT 1 FROM hpo_tasks WHERE name = ?", name):
                raise EngineError(409, f"hpo task {name} already exists")
            self._reserved.add(name)
        try:
            yield
        finally:
            with self._names:
                self._reserved.discard(name)

    def _seat(self, user: User) -> AbstractContextManager[Seat]:
        """A seat under the user's cap of running searches; 429 when the cap is reached."""
        states = ", ".join("?" * len(HPO_ACTIVE_STATES))
        query = f"SELECT COUNT(*) AS n FROM hpo_tasks WHERE creator = ? AND state IN ({states})"

        def refuse(n: int) -> EngineError:
            return EngineError(
                TOO_MANY,
                f"{user.name} already has {n} hpo tasks running, this engine's limit per user "
                f"(server start {option_of('max_searches_per_user')}); stop one or wait for it to end",
            )

        def active() -> int:
            return self.store.count(query, user.name, *HPO_ACTIVE_STATES)

        return self.execs.admission.seat(
            f"searches:{user.name}", active, self.settings.limits.max_searches_per_user, refuse
        )

    def _insert(self, user: User, hpo: hpoinput.HpoInput, hpo_dir: Path, code: Path, plan: dict, state: bytes) -> None:
        """The new task's hpo_tasks row (SUBMITTED, the optimizer's first state saved)."""
        now = time.time()
        self.store.insert(
            "hpo_tasks",
            name=hpo.name,
            creator=user.name,
            state="SUBMITTED",
            algorithm=hpo.algorithm,
            input=json.dumps({**hpo.raw, "hpoName": hpo.name}),
            hpo_dir=str(hpo_dir),
            code_dir=str(code),
            launch=json.dumps(plan),
            create_time=now,
            deadline=now + hpo.max_run_time * 60 if hpo.max_run_time > 0 else None,
            opt_state=state,
        )

    def _hand_to_driver(self, user: User, hpo: hpoinput.HpoInput, opt: Any, plan: dict) -> None:
        """Give the driver the built optimizer, log the creation, and wake the search loop."""
        with self.driver.lock:
            self.driver.optimizers[hpo.name] = opt
            self.driver.inputs[hpo.name] = hpo
        row = self.store.one("SELECT * FROM hpo_tasks WHERE name = ?", hpo.name)
        assert row is not None  # inserted by create(); only a delete after it has been handed over removes it
        self.driver.log(
            row,
            f"created by {user.name}: {hpo.algorithm}, objective {hpo.objective} "
            f"{hpo.objective_metric}, maxJobNum {hpo.max_jobs}, maxParalleJobNum {hpo.max_parallel}, "
            f"maxRunTime {hpo.max_run_time}",
        )
        for level, text in plan["notes"]:
            self.driver.log(row, f"{level}: {text}")
        self.driver.wake()

    def _view(self, row: dict) -> dict:
        try:
            hpo = self.driver.inputs.get(row["name"]) or hpoinput.parse(
                json.loads(row["input"]), row["creator"], self.algorithms.plugins(), debug=True
            )
            spec = hpo.summary()
            additional = hpo.additional_metrics
        except EngineError:
            spec = {"objective": "minimize", "objectiveMetric": "", "maxJobNum": -1, "searched": set()}
            additional = {}
        rows = self.driver.experiments(row["name"])
        for exp in rows:  # live metrics of running experiments
            if exp["state"] == "RUNNING" and exp["task_id"]:
                entries = read_values(self.execs.tasks_root / exp["task_id"] / "result")
                if entries:
                    value, metrics, iterations = summarize(
                        entries, spec["objectiveMetric"], spec["objective"] == "maximize", additional
                    )
                    exp.update(metric_val=value, metrics=json.dumps(metrics), maxiteration=iterations)
        return task_state(row, rows, spec)

    def list(self, user: User) -> list[dict]:
        where, params = ("1", ()) if user.admin else ("creator = ?", (user.name,))
        rows = self.store.all(f"SELECT * FROM hpo_tasks WHERE {where} ORDER BY seq", *params)
        return [self._view(row) for row in rows]

    def get(self, user: User, name: str) -> dict:
        return self._view(self._row(user, name))

    def stop(self, user: User, name: str, force: bool = False) -> None:
        with self.driver.lock:
            row = self._row(user, name)
            exps = self.driver.experiments(name)
            running = any(e["state"] == "RUNNING" for e in exps)
            if row["state"] not in HPO_ACTIVE_STATES and not (force and row["state"] == "STOPPED" and running):
                raise EngineError(400, f"hpo task {name} is already {row['state']}")
            self.driver.stop_experiments(row, exps, running=force)
            if row["state"] in HPO_ACTIVE_STATES:
                how = "force-stopped" if force else "stopped"
                self.driver.update(name, state="STOPPED", end_time=time.time(), reason=f"{how} by {user.name}")
                self.driver.log(row, f"hpo task {how} by {user.name}")
                self.driver.drop(name)
        self.driver.wake()

    def restart(self, user: User, name: str) -> None:
        from dlicli.engine.hpo.algorithms.base import OptimizerError

        with self.driver.lock:
            row = self._row(user, name)
            if row["state"] != "STOPPED":
                raise EngineError(400, f"only a STOPPED hpo task can be restarted; {name} is {row['state']}")
            hpo = self.driver.input(row)
            try:
                self.driver.optimizer(row, hpo)
            except (OptimizerError, ImportError) as exc:
                raise EngineError(400, f"hpo task {name} cannot resume: {exc}") from None
            again = [
                (e["id"], json.loads(e["config"]))
                for e in self.driver.experiments(name)
                if e["state"] in ("STOPPED", "KILLED")
            ]
            deadline = time.time() + hpo.max_run_time * 60 if hpo.max_run_time > 0 else None
            self.driver.submit(
                row,
                hpo,
                again,
                new=False,
                extra={"state": "RUNNING", "end_time": None, "reason": "", "deadline": deadline},
            )
            self.driver.log(row, f"hpo task restarted by {user.name}; {len(again)} experiment(s) run again")
        self.driver.wake()

    def delete(self, user: User, name: str) -> None:
        with self.driver.lock:
            row = self._row(user, name)
            if row["state"] in HPO_ACTIVE_STATES:
                raise EngineError(409, f"hpo task {name} is {row['state']}; stop it first")
            self._purge(row)

    def delete_all(self, user: User) -> None:
        with self.driver.lock:
            rows = self.store.all("SELECT * FROM hpo_tasks WHERE creator = ? ORDER BY seq", user.name)
            busy = [r["name"] for r in rows if r["state"] in HPO_ACTIVE_STATES]
            if busy:
                raise EngineError(409, f"hpo task(s) {', '.join(busy)} still running; stop them first")
            for row in rows:
                self._purge(row)

    def _purge(self, row: dict) -> None:
        self.driver.drop(row["name"])
        for task_id in search_task_ids(self.store, row["name"]):  # past runs' tasks too (experiments.py)
            if self.store.task(task_id) is not None:
                self.execs.delete_task(owner(row), task_id)
        with self.store.tx() as db:
            db.execute("DELETE FROM experiments WHERE hpo_name = ?", (row["name"],))
            db.execute("DELETE FROM hpo_tasks WHERE name = ?", (row["name"],))
        shutil.rmtree(row["hpo_dir"], ignore_errors=True)

    # algorithms ---------------------------------------------------------------------------------
    def algorithm_list(self, user: User, algo_type: str | None = None) -> builtins.list[dict]:
        return self.algorithms.list(algo_type)

    def algorithm_get(self, user: User, name: str) -> dict:
        return self.algorithms.get(name)

    def algorithm_install(self, user: User, data: Any, upload: Path | None, upload_name: str | None) -> dict:
        return self.algorithms.install(user, data, upload, upload_name)

    def algorithm_delete(self, user: User, name: str) -> None:
        states = ", ".join(f"'{s}'" for s in HPO_ACTIVE_STATES)
        in_use = [
            r["name"]
            for r in self.store.all(
                f"SELECT name FROM hpo_tasks WHERE lower(algorithm) = lower(?) AND state IN ({states})", name
            )
        ]
        self.algorithms.delete(user, name, in_use)

    def debug(self, user: User, body: Any) -> tuple[bytes, str]:
        """The task_attr file for `hpo algorithm test` (format: hpo/input.py's docstring)."""
        hpo = hpoinput.parse(body, user.name, self.algorithms.plugins(), debug=True)
        return json.dumps(hpoinput.task_attr(hpo), indent=2).encode() + b"\n", "task_attr.json"


def _data_sources(spec: dict) -> dict:
    """modelSpec as Engine.launch_plan's data: its dataSource (any key case)."""
    source = next((v for k, v in spec.items() if str(k).lower() == "datasource"), None)
    return {"dataSource": source} if source else {}


def _notes(notes: list) -> dict:
    """The launch plan's notes for POST /hypersearch's answer, an extension beside the spec's uid and
    href (only when there are some): what each experiment's events say, told once at the start."""
    return {"notes": [{"level": level, "message": text} for level, text in notes]} if notes else {}
