"""A restarted engine re-adopts what still runs, finalises what ended, and loses nothing."""

from __future__ import annotations

import os
import signal

import pytest

from dlicli.engine import EngineError
from tests.engine.conftest import ADMIN, pid_gone, submit, wait_for, wait_state

WAIT_FOR_GO = """
    import os, sys, time
    print("started", flush=True)
    open(os.path.join(os.environ["RESULT_DIR"], "pid"), "w").write(str(os.getpid()))
    go = os.path.join(os.environ["RESULT_DIR"], "go")
    while not os.path.exists(go):
        time.sleep(0.02)
    print("finishing")
    sys.exit(int(open(go).read() or 0))
"""


def start_waiting_task(engine, tmp_path):
    batch = submit(engine, tmp_path, WAIT_FOR_GO)
    result = engine.tasks_root / batch["id"] / "result"
    wait_for(lambda: (result / "pid").exists() and (result / "pid").read_text())
    return batch, result


def test_a_new_engine_re_adopts_a_running_task_and_sees_it_finish(make_engine, tmp_path):
    first = make_engine()
    batch, result = start_waiting_task(first, tmp_path)
    first.shutdown()
    second = make_engine()
    task = second.execs.get_task(ADMIN, batch["id"])
    assert task["state"] == "RUNNING" and "RECOVERED" in task["events"]
    (result / "go").write_text("0")
    done = wait_state(second, batch["id"])
    assert done["state"] == "FINISHED", done
    assert second.execs.read_log(ADMIN, batch["id"], "outlog") == "started\nfinishing\n"


def test_a_re_adopted_task_can_be_stopped(make_engine, tmp_path):
    first = make_engine()
    batch, result = start_waiting_task(first, tmp_path)
    first.shutdown()
    second = make_engine()
    second.execs.stop_task(ADMIN, batch["id"])
    assert wait_state(second, batch["id"])["state"] == "KILLED"
    assert pid_gone(int((result / "pid").read_text()))


def test_a_task_that_ended_while_the_engine_was_down_is_finalised_from_exit_json(make_engine, tmp_path):
    first = make_engine()
    batch, result = start_waiting_task(first, tmp_path)
    wrapper = first.store.task(batch["id"])["pid"]
    first.shutdown()
    (result / "go").write_text("4")
    wait_for(lambda: pid_gone(wrapper))
    assert (first.tasks_root / batch["id"] / "exit.json").exists()
    second = make_engine()
    done = second.execs.get_task(ADMIN, batch["id"])
    assert done["state"] == "FAILED" and done["exitCode"] == 4, done


def test_a_task_whose_wrapper_was_killed_while_the_engine_was_down_ends_error(make_engine, tmp_path):
    first = make_engine()
    batch, result = start_waiting_task(first, tmp_path)
    worker = int((result / "pid").read_text())
    wrapper = first.store.task(batch["id"])["pid"]
    first.shutdown()
    os.kill(wrapper, signal.SIGKILL)
    wait_for(lambda: pid_gone(wrapper))
    second = make_engine()
    done = second.execs.get_task(ADMIN, batch["id"])
    assert done["state"] == "ERROR", done
    assert done["reason"] == "engine restarted and the task's process was gone"
    wait_for(lambda: pid_gone(worker), timeout=5)  # the orphaned worker does not run on
    assert second.execs.read_log(ADMIN, batch["id"], "outlog") == "started\n"  # nothing lost
    assert (result / "pid").exists()


def test_queued_tasks_stay_queued_across_a_restart(make_engine, tmp_path):
    first = make_engine(slots=1)
    running, result = start_waiting_task(first, tmp_path)
    queued = submit(first, tmp_path, "print('queued ran')")
    wait_state(first, queued["id"], "PENDING_JOB_SCHEDULER")
    first.shutdown()
    second = make_engine(slots=1)
    assert second.execs.get_task(ADMIN, queued["id"])["state"] == "PENDING_JOB_SCHEDULER"
    (result / "go").write_text("0")
    assert wait_state(second, running["id"])["state"] == "FINISHED"
    assert wait_state(second, queued["id"])["state"] == "FINISHED"
    assert second.execs.read_log(ADMIN, queued["id"], "outlog") == "queued ran\n"
    assert [t["id"] for t in second.execs.list_tasks(ADMIN)] == [running["id"], queued["id"]]


def test_two_engines_cannot_share_a_data_dir(make_engine):
    make_engine()
    with pytest.raises(EngineError) as info:
        make_engine()
    assert info.value.status == 500


def test_a_wrapper_started_but_never_recorded_is_killed_at_the_restart(make_engine, tmp_path):
    """The engine was killed between spawning a task's wrapper and recording its pid: the next
    engine cannot reach that process group by pid, so it kills what runs in the task's dir."""
    first = make_engine()
    batch, result = start_waiting_task(first, tmp_path)
    worker = int((result / "pid").read_text())
    wrapper = first.store.task(batch["id"])["pid"]
    first.store.update_task(batch["id"], state="LAUNCHING", pid=None, pid_start=None)
    first.shutdown()
    second = make_engine()
    done = second.execs.get_task(ADMIN, batch["id"])
    assert done["state"] == "ERROR", done
    wait_for(lambda: pid_gone(worker) and pid_gone(wrapper), timeout=5)
