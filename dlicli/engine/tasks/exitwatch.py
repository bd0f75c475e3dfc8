"""Wakes the scheduler the moment a task's wrapper exits, without polling.

One thread blocks in a selector (epoll) on a pidfd per watched wrapper (`os.pidfd_open`, Linux ≥
5.3). A pidfd turns readable when its process ends, whether the process is our child or a wrapper
a restarted engine adopted (which `waitpid` cannot wait for). A self-pipe wakes the thread when a
wrapper is added or the watch is closed. The watcher only says *that* something ended; the
scheduler's tick finds out what (it reads /proc and exit.json as before), and its slow safety tick
still covers a system without pidfds.
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
from collections.abc import Callable

log = logging.getLogger("dlicli.engine")


class ExitWatch:
    """watch(key, pid) → on_exit(key) is called from the watch's thread once that process ends."""

    def __init__(self, on_exit: Callable[[str], None]):
        self._on_exit = on_exit
        self._selector = selectors.DefaultSelector()
        self._nudge_read, self._nudge_write = os.pipe()
        os.set_blocking(self._nudge_read, False)
        os.set_blocking(self._nudge_write, False)
        self._selector.register(self._nudge_read, selectors.EVENT_READ, None)
        self._watched: dict[str, int] = {}  # key → pidfd
        self._lock = threading.Lock()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="dlicli-engine-exits", daemon=True)
        self._thread.start()

    def watch(self, key: str, pid: int) -> bool:
        """Watch process `pid` under `key`; False when it cannot be (already gone, no pidfds):
        the caller then treats it as ended, or leaves it to the safety tick."""
        with self._lock:
            if self._closing:
                return False
            if key in self._watched:
                return True
            try:
                fd = os.pidfd_open(pid)
            except (AttributeError, OSError):
                return False
            self._watched[key] = fd
            self._selector.register(fd, selectors.EVENT_READ, key)
        self._nudge()
        return True

    def close(self) -> None:
        with self._lock:
            self._closing = True
        self._nudge()
        self._thread.join(timeout=10)
        with self._lock:
            for fd in self._watched.values():
                os.close(fd)
            self._watched.clear()
            self._selector.close()
            os.close(self._nudge_read)
            os.close(self._nudge_write)

    def _nudge(self) -> None:
        try:
            os.write(self._nudge_write, b"x")
        except (BlockingIOError, OSError):  # the pipe is full: the thread is awake anyway
            pass

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closing:
                    return
            ended = []
            for key, _events in self._selector.select():
                if key.data is None:
                    _drain(self._nudge_read)
                else:
                    ended.append(key.data)
            for name in ended:
                self._forget(name)
                try:
                    self._on_exit(name)
                except Exception:  # the watch must survive one bad callback
                    log.exception("exit callback failed")

    def _forget(self, key: str) -> None:
        with self._lock:
            fd = self._watched.pop(key, None)
            if fd is not None:
                self._selector.unregister(fd)
                os.close(fd)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except (BlockingIOError, OSError):
        pass
