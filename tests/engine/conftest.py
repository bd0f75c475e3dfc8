"""Engine test helpers: a started Engine in a tmp dir, script submission and state polling."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from dlicli.engine.core import Engine, User
from tests.waiting import wait_until

ADMIN = User("admin", True)
ALICE = User("alice", False)
BOB = User("bob", False)
FINAL = {"FINISHED", "FAILED", "KILLED", "ERROR"}
# a task that ignores SIGTERM and writes its pid: only the grace period's SIGKILL ends it
STUBBORN = """
    import os, signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open(os.path.join(os.environ["RESULT_DIR"], "pid"), "w").write(str(os.getpid()))
    time.sleep(300)
"""
# a task that waits for a "go" file, writes when it ends (epoch seconds), then exits without
# interpreter shutdown: its real end time, to compare with the recorded one
ENDS_AND_SAYS_WHEN = """
    import os, time
    go = os.path.join(os.environ["RESULT_DIR"], "go")
    while not os.path.exists(go):
        time.sleep(0.01)
    with open(os.path.join(os.environ["RESULT_DIR"], "ended"), "w") as out:
        out.write(repr(time.time()))
    os._exit(0)
"""


@pytest.fixture
def make_engine(tmp_path):
    """make_engine(**kw) → a started Engine on tmp_path/'data'; all are shut down at the end."""
    engines: list[Engine] = []

    def make(**kw) -> Engine:
        kw.setdefault("slots", 2)
        kw.setdefault("tick", 0.05)
        kw.setdefault("grace_seconds", 3.0)
        engine = Engine(tmp_path / "data", **kw)
        engine.start()
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.shutdown()
    # kill whatever a test left running (its own process groups only)
    for engine in engines:
        for task in engine.store.tasks("state IN ('LAUNCHING', 'RUNNING')"):
            from dlicli.engine.tasks import runner

            runner.kill_remnants(task["pid"], task["pid_start"])


@pytest.fixture
def engine(make_engine):
    return make_engine()


def write_script(directory: Path, body: str, name: str = "main.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(body))
    return path


def submit(
    engine: Engine,
    tmp_path: Path,
    body: str,
    *,
    user: User = ADMIN,
    extra: str = "",
    framework: str = "python",
    model_args: str = "",
    data: dict | None = None,
) -> dict:
    """Submit a one-file model whose main is `body` (dedented)."""
    src = tmp_path / f"src-{time.monotonic_ns()}"
    script = write_script(src, body)
    args = f"--exec-start {framework} --model-main main.py {extra} {model_args}".strip()
    return engine.execs.submit(user, args, "main.py", script, data)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.02, what: str = "condition"):
    """tests.waiting.wait_until with the engine tests' short poll."""
    return wait_until(predicate, timeout, interval, what)


def wait_state(engine: Engine, exec_id: str, states=FINAL, user: User = ADMIN, timeout: float = 15.0) -> dict:
    states = {states} if isinstance(states, str) else set(states)
    return wait_until(
        lambda: engine.execs.get_task(user, exec_id),
        timeout,
        0.02,
        f"task {exec_id} to reach {sorted(states)}",
        until=lambda task: task["state"] in states,
    )


def pid_gone(pid: int) -> bool:
    """True when the process no longer exists or is a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return text[text.rindex(")") + 2] in "ZX"
