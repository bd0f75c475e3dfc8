"""An HPO experiment as an engine task: a task dir holding a private copy of the hpo task's code
plus config.json (the chosen values), and the tasks row (ExecService.task_row) to insert for it.

A restart runs a stopped or killed experiment again in a new task. The task it replaces stays the
search's, so its log stays inspectable: its experiments row is kept as a past run with a negative id
(-1, -2, … per search), which `Driver.experiments` never shows, while the experiments table still
links the task to the search (`exec list` hides it, `exec list --hpo` shows it, DELETE /execs
leaves it, `hpo delete` deletes it with the search's other tasks)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from dlicli.engine import EngineError
from dlicli.engine.hpo.input import HpoInput
from dlicli.engine.tasks.service import ExecService

LINK_MIN_BYTES = 1 << 20  # experiment code copies hardlink files this large


def copy_code(source: Path, target: Path) -> None:
    """A private copy of the model code for one experiment (big files hardlinked, small ones copied)."""

    def copy(src: str, dst: str) -> str:
        if os.path.getsize(src) >= LINK_MIN_BYTES:
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=copy)


def experiment_task(execs: ExecService, row: dict, hpo: HpoInput, exp_id: int, config: dict) -> dict:
    """A task dir with a copy of the code and config.json; returns the tasks row to insert."""
    if hpo.parsed is None:  # stored inputs were checked with their args at create
        raise EngineError(400, "modelSpec.args: required (the training command, as for exec start)")
    launch = json.loads(row["launch"])
    task_id = f"{row['creator']}-{secrets.token_hex(5)}"
    task_dir = execs.tasks_root / task_id
    code = Path(row["code_dir"])
    work = task_dir / "_submitted_code" / code.name
    try:
        copy_code(code, work)
        (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
        env = {"DLI_HPO_NAME": row["name"], "DLI_HPO_EXPERIMENT_ID": str(exp_id)}
        return execs.task_row(
            task_id,
            row["creator"],
            hpo.args,
            hpo.parsed,
            launch,
            task_dir,
            work,
            env=env,
            app_name=f"{row['name']}-{exp_id}",
        )
    except BaseException:
        shutil.rmtree(task_dir, ignore_errors=True)
        raise


CURRENT = "id >= 0"  # the search's experiments; past runs (negative ids) are not among them

_KEEP_PAST_RUN = """
INSERT INTO experiments (hpo_name, id, task_id, state, config, metric_val, metrics, maxiteration, reported,
                         start_time, end_time, reason)
SELECT hpo_name, (SELECT min(0, coalesce(min(id), 0)) - 1 FROM experiments WHERE hpo_name = ?), task_id,
       state, config, metric_val, metrics, maxiteration, 1, start_time, end_time, reason
FROM experiments WHERE hpo_name = ? AND id = ? AND task_id IS NOT NULL
"""


def keep_past_run(db: sqlite3.Connection, hpo_name: str, exp_id: int) -> None:
    """Before experiment `exp_id` gets a new task (in the caller's transaction): its current run,
    task and all, as a past run of the search (see the module's docstring)."""
    db.execute(_KEEP_PAST_RUN, (hpo_name, hpo_name, exp_id))


def search_task_ids(store: Any, hpo_name: str) -> list[str]:
    """Every engine task the search ran: its experiments' and their past runs'."""
    rows = store.all("SELECT task_id FROM experiments WHERE hpo_name = ? AND task_id IS NOT NULL", hpo_name)
    return [row["task_id"] for row in rows]
