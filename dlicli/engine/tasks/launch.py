"""The per-task wrapper: `python -m dlicli.engine.tasks.launch <task dir>`.

The engine starts it in a new session (its own process group). It reads `<task>/launch.json`,
starts every worker in the SAME group (so one killpg stops the task and all it spawned), waits for
all of them and writes `<task>/exit.json` atomically (exit code, workers, and `endTime`: when the
last worker ended, epoch seconds) — the engine learns the outcome and the end time from that file,
even when it was restarted meanwhile or noticed the exit late. When one worker fails, the others are terminated
(a distributed job cannot finish without it). Standard library only: it starts fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

SPEC_FILE = "launch.json"
EXIT_FILE = "exit.json"


def _say(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{stamp}Z launcher: {message}", flush=True)


def write_json_atomic(path: str, data: dict, *, durable: bool = True) -> None:
    """Replace `path` whole; `durable` syncs it to disk first (exit.json must survive a crash;
    launch.json is read at once by the wrapper, and a crash loses its task anyway)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    os.replace(tmp, path)


def _code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _start_workers(
    workers: list[dict], base: dict[str, str], terminated: list[int]
) -> tuple[dict[int, int], dict[int, int], int | None]:
    """Start the workers in rank order (stopping at a SIGTERM): pid → rank, rank → exit code of
    one that could not start (127), and that first failure."""
    procs: dict[int, int] = {}  # pid → rank
    codes: dict[int, int] = {}  # rank → exit code
    first_failure: int | None = None
    for rank, worker in enumerate(workers):
        if terminated:
            break
        with open(worker["stdout"], "ab") as out, open(worker["stderr"], "ab") as err:
            try:
                proc = subprocess.Popen(
                    worker["argv"],
                    cwd=worker["cwd"],
                    env={**base, **worker["env"]},
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    close_fds=True,
                    preexec_fn=_limits(worker.get("memory_limit")),
                )
            except OSError as exc:
                err.write(f"cannot start worker {rank}: {exc}\n".encode())
                _say(f"cannot start worker {rank}: {exc}")
                codes[rank] = first_failure = 127
                break
        procs[proc.pid] = rank
        _say(f"worker {rank} started, pid {proc.pid}: {' '.join(worker['argv'])}")
    return procs, codes, first_failure


def _limits(memory: int | None):
    """A child set-up that caps the worker's data segment (heap and anonymous mmaps) at `memory`
    bytes: --workerMemory/--workerMemoryLimit on one machine. The launcher is single-threaded."""
    if not memory:
        return None

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))

    return cap


def run(task_dir: str) -> int:
    with open(os.path.join(task_dir, SPEC_FILE), encoding="utf-8") as handle:
        spec = json.load(handle)
    terminated = []
    signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))
    # the engine started this wrapper from the allow-listed environment (engine/sandbox.py); PWD (set
    # by bwrap) would name the wrapper's dir, not the worker's
    base = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_") and k != "PWD"}
    procs, codes, first_failure = _start_workers(spec["workers"], base, terminated)
    pids = {rank: pid for pid, rank in procs.items()}

    def remaining() -> list[int]:
        return [pid for pid, rank in procs.items() if rank not in codes]

    def kill_remaining(signum, frame) -> None:
        for pid in remaining():
            _signal(pid, signal.SIGKILL)

    signal.signal(signal.SIGALRM, kill_remaining)
    escalating = False
    while remaining():
        if first_failure is not None and not escalating:  # the others cannot finish without it
            escalating = True
            for pid in remaining():
                _signal(pid, signal.SIGTERM)
            signal.setitimer(signal.ITIMER_REAL, max(float(spec.get("grace", 10)), 0.1))
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid not in procs:
            continue
        rank, code = procs[pid], _code(status)
        codes[rank] = code
        _say(f"worker {rank} exited with {code}")
        if code != 0 and first_failure is None:
            first_failure = code
    ended = time.time()  # the last worker is gone: the task's end, whenever the engine notices it
    workers = [
        {"rank": rank, "pid": pids.get(rank), "exitCode": codes.get(rank)} for rank in range(len(spec["workers"]))
    ]
    exit_code = first_failure if first_failure is not None else (143 if terminated and not procs else 0)
    outcome = {"exitCode": exit_code, "workers": workers, "terminated": bool(terminated), "endTime": ended}
    write_json_atomic(os.path.join(task_dir, EXIT_FILE), outcome)
    return exit_code


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m dlicli.engine.tasks.launch TASK_DIR", file=sys.stderr)
        return 2
    return 0 if run(argv[1]) == 0 else 1


def _exit_now(code: int) -> None:
    """Exit without the interpreter's teardown: exit.json is written and nothing else is open, and
    the engine learns of the end when this process is gone — tens of ms sooner on a busy machine."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main(sys.argv))
