"""Which GPUs a task's workers see: CUDA_VISIBLE_DEVICES, as WMLA gives each worker its
`--workerDeviceNum` devices. Devices in use are read from the running tasks' launch.json, so an
engine restart loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

from dlicli.engine.tasks import launch

VISIBLE = "CUDA_VISIBLE_DEVICES"


def in_use(task_dirs: list[str]) -> set[int]:
    """The devices the workers of these (running) tasks were given."""
    used: set[int] = set()
    for task_dir in task_dirs:
        try:
            spec = json.loads((Path(task_dir) / launch.SPEC_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for worker in spec.get("workers", []):
            used.update(int(d) for d in str(worker.get("env", {}).get(VISIBLE, "")).split(",") if d.isdigit())
    return used


def assign(workers: int, per_worker: int, hide: bool, capacity: float, used: set[int]) -> list[dict[str, str]]:
    """Each worker's CUDA_VISIBLE_DEVICES: `per_worker` free devices each, "" to hide them all, or
    nothing when the task asked for none and the engine manages no GPUs."""
    if per_worker <= 0:
        return [{VISIBLE: ""} if hide else {} for _ in range(workers)]
    free = [d for d in range(int(capacity)) if d not in used]
    return [
        {VISIBLE: ",".join(str(d) for d in free[rank * per_worker : (rank + 1) * per_worker])}
        for rank in range(workers)
    ]
