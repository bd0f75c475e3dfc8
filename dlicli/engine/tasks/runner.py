"""Starting, watching and stopping one task's process group, and reading what it left behind.

A task runs under the wrapper of launch.py, started with start_new_session=True: its pid is the
task's process-group id. Where the engine isolates users the wrapper runs inside bubblewrap
(engine/sandbox.py): the group leader is then the sandbox, and the pids in exit.json are the
sandbox's own. Whether it still lives is read from /proc (a zombie counts as gone) and
checked against the start time recorded at launch, so a reused pid is never mistaken for it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

from dlicli.engine import sandbox
from dlicli.engine.tasks import launch

LOG_FILES = {"stdout": "stdout.log", "stderr": "stderr.log", "launcherlog": "launcher.log"}


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 = state), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), or None when it is gone or a zombie."""
    fields = proc_stat(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(pid: int | None, started: int | None) -> bool:
    """True while the process lives and is the one recorded (same start time)."""
    now = start_time(pid) if pid else None
    return now is not None and (started is None or now == started)


def group_members(pgid: int, not_before: int | None = None) -> list[int]:
    """Live processes of process group `pgid` (started no earlier than `not_before`)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = proc_stat(int(entry))
        if fields is None or fields[0] in ("Z", "X") or int(fields[2]) != pgid:
            continue
        if not_before is None or int(fields[19]) >= not_before:
            members.append(int(entry))
    return members


def kill_working_in(root: Path) -> list[int]:
    """SIGKILL every process working in `root`: what an engine killed mid-start left behind,
    which no recorded pid reaches. → the pids killed."""
    killed = []
    for pid in working_in(root):
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except (ProcessLookupError, PermissionError):
            pass
    return killed


def working_in(root: Path) -> list[int]:
    """Live processes whose working directory is `root` or inside it (a sandboxed process's cwd
    reads as the host path it was bound from)."""
    base, found = str(root.resolve()), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if (cwd == base or cwd.startswith(base + os.sep)) and start_time(int(entry)) is not None:
            found.append(int(entry))
    return found


def signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def kill_remnants(pgid: int | None, not_before: int | None) -> None:
    """SIGKILL what is left of a finished task's group (workers orphaned by a dead wrapper)."""
    if not pgid or not _group_exists(pgid):  # the usual end: nothing left, no /proc scan
        return
    for pid in group_members(pgid, not_before):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal (a sandbox's): it exists
        return True
    return True


def write_spec(task_dir: Path, workers: list[dict], grace: float) -> None:
    launch.write_json_atomic(str(task_dir / launch.SPEC_FILE), {"workers": workers, "grace": grace}, durable=False)


def spawn(
    task_dir: Path, env: Mapping[str, str] | None = None, interpreters: list[str] | None = None
) -> tuple[subprocess.Popen, int | None]:
    """Start the wrapper in its own session (sandboxed when the engine isolates users), from the
    allow-listed environment with HOME in the task dir; its output is the task's launcher log.
    `env` is the workers' task environment (what it names is what the sandbox shows)."""
    log_dir = task_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "home").mkdir(exist_ok=True)
    (task_dir / launch.EXIT_FILE).unlink(missing_ok=True)
    # the launcher is standard library only: run as a file, isolated (-I), it needs no dlicli on the path
    argv = [sys.executable, "-I", str(Path(launch.__file__).resolve()), str(task_dir)]
    argv = sandbox.wrap(argv, task_jail(task_dir, env or {}, interpreters or []))
    with open(log_dir / LOG_FILES["launcherlog"], "ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=str(task_dir),
            env=sandbox.environment(task_dir / "home"),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return proc, start_time(proc.pid)


def task_jail(task_dir: Path, env: Mapping[str, str], interpreters: list[str]) -> sandbox.Jail:
    """What a task sees: its dir (read-write), its data (read-only), nothing else of the data dir;
    $DLI_RESULT_FS/$USER/batchworkdir/$DLI_EXECID still leads to its result dir."""
    data_dir = Path(env.get("DLI_SHARED_FS") or task_dir.parent.parent)
    readable = [Path(env[k]) for k in ("DLI_DATA_FS", "DATA_DIR") if env.get(k)]
    links = []
    if env.get("DLI_RESULT_FS") and env.get("USER") and env.get("DLI_EXECID"):
        link = Path(env["DLI_RESULT_FS"], env["USER"], "batchworkdir", env["DLI_EXECID"])
        links.append((str(task_dir / "result"), str(link)))
    return sandbox.Jail(
        own=[task_dir],
        readable=readable,
        hidden=[data_dir],
        interpreters=[p for p in interpreters if p],
        links=links,
        cwd=task_dir,
    )


def read_exit(task_dir: Path) -> dict | None:
    try:
        data = json.loads((task_dir / launch.EXIT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("exitCode"), int) else None


def log_file(task_dir: Path, worker: int, log_type: str) -> Path:
    """stdout.log / stderr.log for worker 0, worker-k.stdout.log … for others; launcher.log."""
    name = LOG_FILES[log_type]
    if worker and log_type != "launcherlog":
        name = f"worker-{worker}.{name}"
    return task_dir / "log" / name


def read_text(path: Path, lastlines: int | None = None) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if lastlines is not None and lastlines >= 0:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-lastlines:]) if lastlines else ""
    return text


def has_files(source: Path) -> bool:
    """True when `source` holds a regular file somewhere below it (what zip_dir would archive)."""
    for root, _dirs, files in os.walk(source):
        if any((Path(root) / name).is_file() and not (Path(root) / name).is_symlink() for name in files):
            return True
    return False


def zip_dir(source: Path, target: Path) -> Path:
    """Zip every regular file under `source` (symlinks are not followed) into `target`, atomically."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(source)}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if source.is_dir():
            for root, dirs, files in os.walk(source):
                dirs.sort()
                for name in sorted(files):
                    path = Path(root) / name
                    if path.is_file() and not path.is_symlink():
                        archive.write(path, path.relative_to(source).as_posix())
    os.replace(tmp, target)
    return target


def group_rss_mb(pgid: int) -> float:
    total = 0
    for pid in group_members(pgid):
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return round(total * os.sysconf("SC_PAGE_SIZE") / (1 << 20), 1)
