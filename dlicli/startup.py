"""The cyclic garbage collector while a command starts: about a tenth of `dlicli exec list`.

Start-up allocates some 55 000 container objects (modules, classes, functions: typer, httpx and
ours) that live until the process exits; the collector's default thresholds scan them over and over
while they are being made. `begin()` (the console entry point) raises the first threshold so that
start-up runs a collection at most once; `done()` (once the client is built, every heavy import
behind it) moves what exists into the permanent generation, which no collection scans again, and
puts the default thresholds back for the command's own work. Commands that never build a client
are short, and still collect, just less often.
"""

from __future__ import annotations

import gc

_default = gc.get_threshold()
_started = False


def begin() -> None:
    global _started
    _started = True
    gc.set_threshold(50_000, 50, 1000)


def done() -> None:
    """Only after begin(): a library caller's (or a test runner's) collector is left as it is."""
    global _started
    if _started:
        _started = False
        gc.freeze()
        gc.set_threshold(*_default)
