"""The tests' one wait helper: it returns what it waited for, and a timeout names what and the last value."""

from __future__ import annotations

import time

import pytest

from tests.waiting import holds_for, wait_until


def test_wait_until_returns_the_first_truthy_value():
    values = iter([None, 0, [], "ready", "later"])
    assert wait_until(lambda: next(values), timeout=5, interval=0) == "ready"


def test_wait_until_with_until_returns_the_fetched_value():
    states = iter(["PENDING", "RUNNING", "FINISHED"])
    task = wait_until(lambda: {"state": next(states)}, 5, 0, until=lambda t: t["state"] == "RUNNING")
    assert task == {"state": "RUNNING"}


def test_a_timeout_names_what_was_awaited_and_the_last_value_seen():
    started = time.monotonic()
    with pytest.raises(AssertionError) as info:
        wait_until(lambda: {"state": "PENDING"}, 0.2, 0.05, "task t1 to run", until=lambda t: t["state"] == "RUNNING")
    assert time.monotonic() - started >= 0.2
    assert str(info.value) == "waited 0.2s for task t1 to run; last seen: {'state': 'PENDING'}"


def test_ignored_exceptions_count_as_not_yet_and_others_propagate():
    calls = iter([OSError("not written yet"), "written"])

    def read():
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert wait_until(read, 5, 0, ignoring=(OSError,)) == "written"
    with pytest.raises(AssertionError, match=r"last seen: FileNotFoundError\('gone'\)"):
        wait_until(lambda: (_ for _ in ()).throw(FileNotFoundError("gone")), 0.1, 0.02, ignoring=(OSError,))
    with pytest.raises(ValueError):
        wait_until(lambda: int("x"), 5, 0, ignoring=(OSError,))


def test_holds_for_polls_the_whole_window_and_fails_on_a_change():
    assert holds_for(lambda: "still", 0.1, 0.02) == "still"
    values = iter([True, True, False, True])
    with pytest.raises(AssertionError, match="queue stopped holding; last seen: False"):
        holds_for(lambda: next(values), 5, 0, what="queue")
