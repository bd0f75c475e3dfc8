"""The engine's settings (what `python -m dlicli.engine.serve` was started with) and the
Configuration tag's one operation, GET /conf, which reports them as WMLA-style DLI_* keys."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dlicli import __version__
from dlicli.engine.limits import Limits


@dataclass(frozen=True)
class Settings:
    """Paths and capacities shared by the services; built once by core.Engine."""

    data_dir: Path
    data_root: Path
    slots: int
    cpu_capacity: float
    gpu_capacity: float
    grace_seconds: float
    max_upload_bytes: int
    tick: float  # seconds: the scheduler's safety tick; submits, stops and exits wake it at once
    hpo_max_failures: int = 5  # an hpo task ends FAILED after this many failed experiments in a row (hpo/failures.py)
    limits: Limits = field(
        default_factory=Limits
    )  # what one request or user may ask (limits.py); max_upload_bytes mirrors it

    @property
    def tasks_root(self) -> Path:
        return self.data_dir / "tasks"

    @property
    def result_fs(self) -> Path:
        """DLI_RESULT_FS: IBM's scripts write to $DLI_RESULT_FS/$USER/batchworkdir/$DLI_EXECID, which
        the engine links to each task's result dir."""
        return self.data_dir / "results"

    @property
    def file_systems(self) -> dict[str, str]:
        """WMLA's three file systems, as GET /conf reports them and every task finds them in its
        environment (IBM's scripts read DLI_DATA_FS for data sets, DLI_RESULT_FS for results)."""
        return {
            "DLI_SHARED_FS": str(self.data_dir),
            "DLI_RESULT_FS": str(self.result_fs),
            "DLI_DATA_FS": str(self.data_root),
        }

    @classmethod
    def build(
        cls,
        data_dir: Path,
        *,
        slots: int | None = None,
        data_root: Path | None = None,
        grace_seconds: float = 10.0,
        max_upload_bytes: int = 8 << 30,
        cpu_capacity: float | None = None,
        gpu_capacity: float = 0,
        tick: float = 1.0,
        hpo_max_failures: int = 5,
        limits: Limits | None = None,
    ) -> Settings:
        """The defaults: one slot per CPU, CPU capacity = slots, data sets under data_dir/datasets.
        `limits` (the serve options) wins over `max_upload_bytes`, which in-process callers set alone."""
        data_dir = Path(data_dir)
        limits = limits or Limits(max_upload_bytes=max_upload_bytes)
        slots = max(1, slots or os.cpu_count() or 1)
        return cls(
            data_dir=data_dir,
            data_root=Path(data_root) if data_root is not None else data_dir / "datasets",
            slots=slots,
            cpu_capacity=float(cpu_capacity) if cpu_capacity is not None else float(slots),
            gpu_capacity=float(gpu_capacity),
            grace_seconds=grace_seconds,
            max_upload_bytes=limits.max_upload_bytes,
            tick=tick,
            hpo_max_failures=max(1, hpo_max_failures),
            limits=limits,
        )


class ConfService:
    """GET /conf (`engine.conf.get()`)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def get(self) -> dict[str, str]:
        s = self.settings
        return {
            "DLI_ENGINE": "local",
            "DLI_VERSION": __version__,
            **s.file_systems,
            "DLI_SLOTS": str(s.slots),
            "DLI_CPU_CAPACITY": f"{s.cpu_capacity:g}",
            "DLI_GPU_CAPACITY": f"{s.gpu_capacity:g}",
            "DLI_HPO_MAX_FAILURES": str(s.hpo_max_failures),
            "DLI_PYTHON": sys.executable,
            **s.limits.report(),
        }
