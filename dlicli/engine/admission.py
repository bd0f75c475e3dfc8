"""Per-user caps (limits.py's max_tasks_per_user, max_searches_per_user) checked and taken in one step.

A submit counts the user's active rows, then unpacks the upload, then inserts its row. Counted
alone, submits arriving together all saw room and all got in (8 at once past a cap of 2). So a
submit that passes takes a seat first: later counts add the seats still unpacking, and the row
replaces its seat under the same lock, so no count sees both or neither.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dlicli.engine import EngineError


class Seat:
    """One admitted submit until its row is in (fill) or it fails (the seat is freed on exit)."""

    def __init__(self, admission: Admission, key: str):
        self._admission, self._key, self.open = admission, key, True

    def fill(self, insert: Callable[[], None]) -> None:
        """Insert the row that now counts for this submit, and give up the seat, atomically."""
        with self._admission.lock:
            insert()
            self._free()

    def _free(self) -> None:
        if self.open:
            self._admission.seated[self._key] -= 1
            self.open = False


class Admission:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seated: Counter[str] = Counter()  # key → admitted submits whose row is not in yet

    @contextmanager
    def seat(
        self, key: str, active: Callable[[], int], cap: int, refuse: Callable[[int], EngineError]
    ) -> Iterator[Seat]:
        """A Seat when `active()` (the rows that count) plus the seats taken under `key` are below
        `cap`; otherwise refuse(that total) is raised."""
        with self.lock:
            taken = active() + self.seated[key]
            if taken >= cap:
                raise refuse(taken)
            self.seated[key] += 1
        seat = Seat(self, key)
        try:
            yield seat
        finally:
            with self.lock:
                seat._free()
