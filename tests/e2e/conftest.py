"""End-to-end fixtures: the real CLI as a subprocess (`python -m dlicli`) against a real engine process.

Every engine runs on its own data and config dirs under tmp, on a free port, and is stopped by the
fixture's finalizer (then SIGKILLed, with any task it left running, if the stop did not work).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.engine.conftest import pid_gone  # noqa: F401 - re-exported for the e2e tests
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FINAL = {"FINISHED", "FAILED", "KILLED", "ERROR"}


def base_env(data: Path, config: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DLICLI_") and k not in ("REQUESTS_CA_BUNDLE", "NO_COLOR")
    }
    env.update(
        DLICLI_DATA_DIR=str(data),
        DLICLI_CONFIG_DIR=str(config),
        DLICLI_POLL_INTERVAL="0.2",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        _TYPER_FORCE_DISABLE_TERMINAL="1",
    )
    return env


@dataclass
class Cli:
    """Runs `python -m dlicli …` with one data dir and config dir."""

    root: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.root / "data"
        self.config = self.root / "config"
        self.env = base_env(self.data, self.config)

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dlicli", *args],
            env={**self.env, **(env or {})},
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        result = self(*args, **kw)
        assert result.returncode == 0, f"dlicli {' '.join(args)} → {result.returncode}\n{result.stderr}"
        return result

    def json(self, *args: str, **kw):
        return json.loads(self.ok(*args, "--json", **kw).stdout)

    def engine(self) -> dict | None:
        """engine.json, when the engine wrote one."""
        try:
            return json.loads((self.data / "engine.json").read_text())
        except (OSError, ValueError):
            return None

    @property
    def url(self) -> str:
        return self.engine()["url"]

    @property
    def admin_token(self) -> str:
        return (self.data / "admin.token").read_text().strip()

    def wait_state(self, exec_id: str, states=FINAL, timeout: float = 30.0) -> dict:
        states = {states} if isinstance(states, str) else set(states)
        return wait_until(
            lambda: self.json("exec", "get", exec_id),
            timeout,
            0.2,
            f"task {exec_id} to reach {sorted(states)}",
            until=lambda batch: batch["state"] in states,
        )

    def wait_output(self, text: str, *args: str, timeout: float = 20.0) -> str:
        """Run `dlicli ARGS…` until its stdout holds `text`; return that stdout."""
        return wait_until(
            lambda: self.ok(*args).stdout,
            timeout,
            0.2,
            f"{text!r} in `dlicli {' '.join(args)}`",
            until=lambda out: text in out,
        )

    def cleanup(self) -> None:
        """Stop the engine and whatever it left running; never fails the test."""
        record = self.engine()
        try:
            self("server", "stop", timeout=30)
        except subprocess.TimeoutExpired:
            pass
        if record:
            kill_group(record["pid"])
        from tests.engine_http.conftest import kill_left_tasks

        kill_left_tasks(self.data)


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def task_id(result: subprocess.CompletedProcess) -> str:
    """The id `exec start` reported: on stderr with --follow, else stdout's first line."""
    if "started task " in result.stderr:
        return result.stderr.split("started task ", 1)[1].split()[0]
    return result.stdout.split()[0]


def write_model(directory: Path, body: str, name: str = "main.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture
def new_cli(tmp_path):
    """new_cli(name) → a Cli on fresh dirs; every engine they started is stopped at the end."""
    made: list[Cli] = []

    def make(name: str = "e2e") -> Cli:
        cli = Cli(tmp_path / name)
        cli.root.mkdir(parents=True)
        made.append(cli)
        return cli

    yield make
    for cli in made:
        cli.cleanup()


@pytest.fixture(scope="module")
def engine_cli(tmp_path_factory):
    """One engine shared by a module's tests (started with `dlicli server start`)."""
    cli = Cli(tmp_path_factory.mktemp("engine"))
    try:
        # the CLI's secrets must not reach the engine, nor so its tasks
        cli.ok("server", "start", "--port", "0", "--slots", "4", env={"DLICLI_TOKEN": "must-not-leak"})
        yield cli
    finally:
        cli.cleanup()


@pytest.fixture
def cli(engine_cli, tmp_path):
    """The shared engine's Cli, run from this test's tmp dir."""
    engine_cli.root = tmp_path
    return engine_cli


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this directory is `e2e` (a real engine process, real tasks, the CLI as a subprocess)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
