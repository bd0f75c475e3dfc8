"""The one way tests wait: poll a condition until it holds, never sleep a fixed time and hope.

`wait_until` returns the awaited value, or fails the test saying what was awaited and the last
value seen (a state, a view, a log tail): what one needs to debug a wait that timed out under load.
Named waits in the conftest files (wait_state, wait_hpo…) are thin wrappers around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "condition",
    *,
    until: Callable[[T], Any] | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `predicate` every `interval` s until its value is truthy (or `until(value)` is); return it.

    `until` lets the predicate fetch something (a task, a view) that the failure message then shows.
    Exceptions of the `ignoring` types count as not yet (a file not written, a port not listening).
    After `timeout` s, raise AssertionError naming `what` and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            last: Any = predicate()
        except ignoring as error:
            last = error
        else:
            if until(last) if until is not None else last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}; last seen: {last!r}")
        time.sleep(interval)


def holds_for(predicate: Callable[[], T], duration: float, interval: float = 0.1, what: str = "condition") -> T:
    """Check that `predicate` stays truthy for `duration` s (that something does NOT happen); return its last value.

    For the few tests that must show an absence (a queued task stays queued, a stopped search
    starts nothing): polling throughout catches a change a single look after a sleep would miss.
    """
    deadline = time.monotonic() + duration
    while True:
        last = predicate()
        if not last:
            raise AssertionError(f"{what} stopped holding; last seen: {last!r}")
        if time.monotonic() >= deadline:
            return last
        time.sleep(interval)
