"""`hpo algorithm install --path`: a plugin folder copied from the engine's own machine, safely.

A server path reads the engine's files with the engine's rights, so only an administrator may name
one, and only under a folder the engine was started with (`--plugin-root DIR`, repeatable; none
means refused). The folder must hold `optimizer.py` as a regular file at its top, checked before
anything is read. The copy then never follows a symlink out of the folder, never opens a FIFO,
device or socket (refused, named), skips `__pycache__`/`*.pyc`, and stops at the limits: files
(--max-tar-members), bytes (--max-unpacked-bytes) and time (Limits.plugin_copy_seconds).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from dlicli.engine import EngineError, User
from dlicli.engine.limits import TOO_LARGE, Limits, option_of

SKIPPED_DIRS = {"__pycache__"}
CHUNK = 1 << 20


def allowed_source(user: User, path: str, limits: Limits) -> Path:
    """The plugin folder a path names, once the caller, the roots and optimizer.py allow it."""
    if not user.admin:
        raise EngineError(
            403, "only an administrator may install a plugin from a server path; upload a .tar of its folder instead"
        )
    if not limits.plugin_roots:
        raise EngineError(
            403,
            "installing a plugin from a server path is off on this engine; start it with "
            "`dlicli server start --plugin-root DIR` (repeatable) to allow folders under DIR",
        )
    source = Path(path)
    if not source.is_absolute():
        raise EngineError(400, f"path: {path} is not an absolute path")
    resolved = source.resolve()
    if not any(resolved == root or root in resolved.parents for root in limits.plugin_roots):
        roots = ", ".join(str(r) for r in limits.plugin_roots)
        raise EngineError(403, f"path: {path} is not under a plugin root of this engine ({roots}; --plugin-root)")
    if not resolved.is_dir():
        raise EngineError(400, f"path: {path} is not a folder on the server")
    try:
        mode = (resolved / "optimizer.py").lstat().st_mode
    except OSError:
        mode = 0
    if not stat.S_ISREG(mode):
        raise EngineError(400, f"not a plugin: no optimizer.py (a regular file) at the top of {path}")
    return resolved


class _Budget:
    """What the copy may still take: files, bytes, seconds."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.files = self.bytes = 0
        self.deadline = time.monotonic() + limits.plugin_copy_seconds

    def take(self, files: int = 0, size: int = 0) -> None:
        self.files, self.bytes = self.files + files, self.bytes + size
        if self.files > self.limits.max_tar_members:
            raise EngineError(
                TOO_LARGE,
                f"the plugin folder has more than {self.limits.max_tar_members} entries "
                f"(server start {option_of('max_tar_members')})",
            )
        if self.bytes > self.limits.max_unpacked_bytes:
            raise EngineError(
                TOO_LARGE,
                f"the plugin folder holds more than {self.limits.max_unpacked_bytes} bytes "
                f"(server start {option_of('max_unpacked_bytes')})",
            )
        if time.monotonic() > self.deadline:
            raise EngineError(400, f"copying the plugin folder took longer than {self.limits.plugin_copy_seconds:g}s")


def _check_link(entry: os.DirEntry, source: Path, rel: str) -> str:
    """A symlink's target, when it stays inside the plugin folder."""
    target = os.readlink(entry.path)
    resolved = (Path(entry.path).parent / target).resolve()
    if resolved != source and source not in resolved.parents:
        raise EngineError(400, f"the plugin folder's symlink {rel} points outside it ({target})")
    return target


def _copy_file(path: str, target: Path, rel: str, budget: _Budget) -> None:
    """Copy one regular file, opened without following links or blocking on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EngineError(400, f"the plugin folder's {rel} is not a regular file")
        with open(target, "wb") as out:
            while chunk := src.read(CHUNK):
                budget.take(size=len(chunk))
                out.write(chunk)


def copy_plugin(source: Path, dest: Path, limits: Limits) -> None:
    """Copy the folder `source` (from allowed_source) to `dest`, within the limits; special files and
    symlinks leaving it are refused, naming them. The caller removes `dest` on failure."""
    budget = _Budget(limits)
    pending = [(source, dest, "")]
    dest.mkdir(parents=True)
    while pending:
        folder, target, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = f"{prefix}{entry.name}"
                budget.take(files=1)
                if entry.is_symlink():
                    os.symlink(_check_link(entry, source, rel), target / entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        (target / entry.name).mkdir()
                        pending.append((Path(entry.path), target / entry.name, f"{rel}/"))
                elif entry.is_file(follow_symlinks=False):
                    if not entry.name.endswith(".pyc"):
                        _copy_file(entry.path, target / entry.name, rel, budget)
                else:
                    raise EngineError(400, f"the plugin folder's {rel} is a special file (FIFO, device or socket)")
