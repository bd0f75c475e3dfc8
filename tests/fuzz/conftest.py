"""One real engine process on 127.0.0.1 for the fuzz tests (its own data dir, 4 slots, a 1 MiB
upload cap), from tests/engine_http's EngineProc: stopped with SIGTERM at the end, and the task
process groups it left behind killed."""

from __future__ import annotations

import pytest

from tests.engine_http.conftest import UPLOAD_CAP, EngineProc, kill_left_tasks
from tests.fuzz.examples import EXAMPLES
from tests.fuzz.tally import TALLY


@pytest.fixture(scope="session")
def fuzz_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fuzz-engine") / "data"
    engine = EngineProc(
        data_dir,
        ("--port", "0", "--slots", "4", "--grace-seconds", "2", "--max-upload-bytes", str(UPLOAD_CAP)),
    )
    yield engine
    engine.stop()
    kill_left_tasks(data_dir)


def pytest_terminal_summary(terminalreporter):
    """The figures of what ran: the schema fuzz's requests and answers, the properties' examples."""
    if TALLY.statuses:
        terminalreporter.write_line(TALLY.summary())
    for name, n in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"hypothesis examples: {name}: {n}")
