"""An HPO experiment as an engine task: a task dir holding a private copy of the hpo task's code
plus config.json (the chosen values), and the tasks row (ExecService.task_row) to insert for it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

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
