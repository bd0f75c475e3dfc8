"""What one request or one user may ask of the engine, so that none can exhaust it: the `Limits`
a `python -m dlicli.engine.serve` (and `dlicli server start`) option sets, their defaults, and
the statuses crossing them answers.

- sizes of what is sent (an upload, what a tar unpacks to, its member count, its compression
  ratio, a plugin folder copied from a server path): 413 Payload Too Large;
- a request asking for too much at once (maxJobNum, maxParalleJobNum, a grid's size): 400;
- a user's active work (tasks queued or running, searches running): 429 Too Many Requests, as it
  passes once their work ends.

Each message names the option that raises the limit.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path

TOO_LARGE, TOO_MANY = 413, 429
RATIO_FLOOR = 1 << 20  # the compression ratio is checked only once a tar unpacks to more than this


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 8 << 30  # an upload as sent (all its file parts)
    max_unpacked_bytes: int = 16 << 30  # what a model or plugin tar unpacks to
    max_unpack_ratio: int = 100  # unpacked / packed; text compresses ~10x, a gzip bomb ~1000x
    max_tar_members: int = 20_000  # files, folders and links in one tar (or a plugin folder)
    max_job_num: int = 10_000  # algoDef.maxJobNum (-1, WMLA's "unlimited", stays allowed)
    max_parallel_jobs: int = 100  # algoDef.maxParalleJobNum
    max_grid: int = 10_000  # ExperimentGridSearch's experiments
    max_tasks_per_user: int = 200  # a user's tasks queued or running (HPO experiments aside)
    max_searches_per_user: int = 20  # a user's HPO searches running
    plugin_roots: tuple[Path, ...] = ()  # where `algorithm install --path` may copy from (admin only)
    plugin_copy_seconds: float = 60.0  # the longest a plugin copy from a server path may take

    def report(self) -> dict[str, str]:
        """GET /conf's DLI_MAX_* keys."""
        out = {f"DLI_{f.name.upper()}": str(getattr(self, f.name)) for f in fields(self) if f.name.startswith("max_")}
        out["DLI_PLUGIN_ROOTS"] = ":".join(str(p) for p in self.plugin_roots)
        return out


OPTIONS = {  # serve option → (field, help)
    "--max-upload-bytes": ("max_upload_bytes", "largest upload, as sent"),
    "--max-unpacked-bytes": ("max_unpacked_bytes", "most a model or plugin tar may unpack to"),
    "--max-unpack-ratio": ("max_unpack_ratio", "most a tar may unpack to, per byte uploaded (gzip bombs)"),
    "--max-tar-members": ("max_tar_members", "most members in a tar, or files in a plugin folder"),
    "--max-job-num": ("max_job_num", "largest algoDef.maxJobNum of a search (-1, unlimited, stays allowed)"),
    "--max-parallel-jobs": ("max_parallel_jobs", "largest algoDef.maxParalleJobNum of a search"),
    "--max-grid": ("max_grid", "most experiments of an ExperimentGridSearch"),
    "--max-tasks-per-user": ("max_tasks_per_user", "most tasks a user may have queued or running"),
    "--max-searches-per-user": ("max_searches_per_user", "most HPO searches a user may have running"),
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The limit options of `python -m dlicli.engine.serve`."""
    defaults = Limits()
    for option, (name, text) in OPTIONS.items():
        default = getattr(defaults, name)
        parser.add_argument(option, type=_positive, default=default, help=f"{text} (default {default})")
    parser.add_argument(
        "--plugin-root",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="a folder `hpo algorithm install --path` may install from (admin only; repeatable; default none)",
    )


def from_args(args: argparse.Namespace) -> Limits:
    values = {name: getattr(args, name) for name, _ in OPTIONS.values()}
    roots = tuple(Path(p).expanduser().resolve() for p in args.plugin_root)
    return Limits(**values, plugin_roots=roots)


def option_of(name: str) -> str:
    """The serve option that sets a Limits field (for messages)."""
    return next(option for option, (field, _) in OPTIONS.items() if field == name)
