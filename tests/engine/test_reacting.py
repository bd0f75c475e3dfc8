"""The scheduler reacts instead of polling: exits, submits, stops and a stop's grace period wake it.

Every engine here has a 5 s safety tick, so a test that passes in well under 5 s shows the event,
not the tick, did the work. The latency bounds (1–3 s) are generous on purpose: CI machines are
loaded; the exact figure is the recorded end time, checked against the task's own clock.
"""

from __future__ import annotations

import time

from tests.engine.conftest import ADMIN, ENDS_AND_SAYS_WHEN, STUBBORN, pid_gone, submit, wait_for, wait_state

SLOW_TICK = 5.0
PROMPT = 1.0  # seconds: "at once" on a loaded machine, still far below the safety tick


def ended_at(engine, batch) -> float:
    path = engine.tasks_root / batch["id"] / "result" / "ended"
    return wait_for(lambda: path.exists() and path.read_text() and float(path.read_text()))


def release(engine, batch) -> None:
    (engine.tasks_root / batch["id"] / "result" / "go").write_text("")


def first_seen(engine, exec_id: str, state: str, timeout: float = 3 * SLOW_TICK) -> float:
    """The moment (epoch) the engine's record of the task first showed `state`."""
    wait_for(lambda: engine.store.task(exec_id)["state"] == state, timeout=timeout, interval=0.005)
    return time.time()


def test_an_exit_is_noticed_at_once_and_its_end_time_is_the_processs(make_engine, tmp_path):
    engine = make_engine(tick=SLOW_TICK)
    batch = submit(engine, tmp_path, ENDS_AND_SAYS_WHEN)
    wait_state(engine, batch["id"], "RUNNING")
    time.sleep(0.2)  # the scheduler is asleep in its (long) tick now
    release(engine, batch)
    seen = first_seen(engine, batch["id"], "FINISHED")
    ended = ended_at(engine, batch)
    assert seen - ended < PROMPT, f"exit noticed {seen - ended:.3f}s after it happened"
    recorded = engine.store.task(batch["id"])["end_time"]
    assert 0 <= recorded - ended < 0.02, f"end time recorded {recorded - ended:.4f}s after the real end"


def test_a_queued_task_starts_as_soon_as_the_running_one_exits(make_engine, tmp_path):
    engine = make_engine(tick=SLOW_TICK, slots=1)
    first = submit(engine, tmp_path, ENDS_AND_SAYS_WHEN)
    wait_state(engine, first["id"], "RUNNING")
    second = submit(engine, tmp_path, "print('second')")
    wait_state(engine, second["id"], "PENDING_JOB_SCHEDULER")
    time.sleep(0.2)
    release(engine, first)
    assert wait_state(engine, second["id"])["state"] == "FINISHED"
    gap = engine.store.task(second["id"])["start_time"] - ended_at(engine, first)
    assert 0 <= gap < PROMPT, f"the queued task started {gap:.3f}s after the slot was freed"


def test_a_submit_launches_at_once(make_engine, tmp_path):
    engine = make_engine(tick=SLOW_TICK)
    time.sleep(0.2)
    sent = time.time()
    batch = submit(engine, tmp_path, "import time; time.sleep(30)")
    started = first_seen(engine, batch["id"], "RUNNING")
    assert started - sent < PROMPT
    engine.execs.stop_task(ADMIN, batch["id"])
    assert wait_state(engine, batch["id"])["state"] == "KILLED"


def test_a_stop_escalates_to_sigkill_when_its_grace_ends_not_at_the_next_tick(make_engine, tmp_path):
    engine = make_engine(tick=SLOW_TICK, grace_seconds=0.5)
    batch = submit(engine, tmp_path, STUBBORN)
    pid_file = engine.tasks_root / batch["id"] / "result" / "pid"
    wait_for(lambda: pid_file.exists() and pid_file.read_text())
    time.sleep(0.2)
    asked = time.time()
    engine.execs.stop_task(ADMIN, batch["id"])
    killed = first_seen(engine, batch["id"], "KILLED")
    assert killed - asked < 0.5 + 2 * PROMPT, f"KILLED {killed - asked:.2f}s after the stop (grace 0.5s)"
    assert pid_gone(int(pid_file.read_text()))
    assert "SIGKILL" in engine.execs.get_task(ADMIN, batch["id"])["events"]


def test_the_exit_of_a_re_adopted_task_wakes_the_new_engine(make_engine, tmp_path):
    first = make_engine(tick=SLOW_TICK)
    batch = submit(first, tmp_path, ENDS_AND_SAYS_WHEN)
    wait_state(first, batch["id"], "RUNNING")
    first.shutdown()
    second = make_engine(tick=SLOW_TICK)  # the wrapper is not its child: only a pidfd can watch it
    assert "RECOVERED" in second.execs.get_task(ADMIN, batch["id"])["events"]
    time.sleep(0.2)
    release(second, batch)
    seen = first_seen(second, batch["id"], "FINISHED")
    ended = ended_at(second, batch)
    assert seen - ended < PROMPT, f"exit noticed {seen - ended:.3f}s after it happened"
    assert 0 <= second.store.task(batch["id"])["end_time"] - ended < 0.02
