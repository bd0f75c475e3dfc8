"""A real engine process (`python -m dlicli.engine.serve`) on 127.0.0.1, and helpers to talk to it.

`engine_proc` is one engine shared by the whole directory (small upload cap, 4 slots);
`start_engine(data_dir, *args)` starts more for lifecycle tests. Every engine is stopped with
SIGTERM at the end, and task processes it left running are killed (their own groups only).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until

UPLOAD_CAP = 1 << 20
FINAL = {"FINISHED", "FAILED", "KILLED", "ERROR"}


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}


class EngineProc:
    """One engine subprocess: its data dir, engine.json, admin token and httpx clients."""

    def __init__(self, data_dir: Path, args: tuple[str, ...]):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"{data_dir.name}-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(data_dir), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=clean_env(),
            )
        self.info = self._wait_ready()
        self.url = self.info["url"]
        self.root = self.url.split("/platform/", 1)[0]
        self.token = (data_dir / "admin.token").read_text().strip()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self, timeout: float = 20.0) -> dict:
        def ready() -> dict | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"engine exited with {self.proc.returncode}")
            info = json.loads((self.data_dir / "engine.json").read_text())
            return info if info.get("pid") == self.proc.pid else None

        try:
            return wait_until(ready, timeout, 0.02, "the engine's engine.json", ignoring=(OSError, ValueError))
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log()}") from None

    def client(self, token: str | None = "admin") -> httpx.Client:
        token = self.token if token == "admin" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/", headers=headers, timeout=30)

    def add_user(self, name: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dlicli.engine.serve", "--data-dir", str(self.data_dir), "--add-user", name],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=30,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return done.stdout.strip()

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def kill_left_tasks(data_dir: Path) -> None:
    """Kill what a stopped engine left running: its tasks' process groups (by recorded pid + start
    time), then anything still working in its data dir (notebook servers outlive their engine)."""
    from dlicli.engine.store import Store
    from dlicli.engine.tasks import runner

    if not (data_dir / "engine.db").exists():
        return
    store = Store(data_dir / "engine.db")
    try:
        for task in store.tasks("state IN ('LAUNCHING', 'RUNNING')"):
            runner.kill_remnants(task["pid"], task["pid_start"])
    finally:
        store.close()
    runner.kill_working_in(data_dir)


@pytest.fixture(scope="session")
def start_engine():
    started: list[EngineProc] = []

    def start(data_dir: Path, *args: str) -> EngineProc:
        engine = EngineProc(data_dir, args)
        started.append(engine)
        return engine

    yield start
    for engine in started:
        engine.stop()
    for engine in started:
        kill_left_tasks(engine.data_dir)


@pytest.fixture(scope="session")
def engine_proc(start_engine, tmp_path_factory):
    return start_engine(
        tmp_path_factory.mktemp("engine") / "data",
        "--port",
        "0",
        "--slots",
        "4",
        "--grace-seconds",
        "2",
        "--max-upload-bytes",
        str(UPLOAD_CAP),
    )


@pytest.fixture
def admin(engine_proc):
    with engine_proc.client() as client:
        yield client


def model_tar(name: str, files: dict[str, str]) -> bytes:
    """A gzip tar whose top folder is `name`, as dlicmd.py packs a model dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for rel, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(f"{name}/{rel}")
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def submit(
    client: httpx.Client, script: str, *, args: str = "", name: str = "mymodel", data: str | None = None
) -> httpx.Response:
    """POST /execs/?args=<unescaped> with a model dir tar, like dlicmd.py does."""
    query = f"--exec-start PyTorch --model-dir {name} --model-main main.py {args}".strip()
    form = {"data": data} if data is not None else None
    return client.post(
        f"execs/?args={query}",
        files={"file": (f"{name}.modelDir.tar", model_tar(name, {"main.py": script}), "application/octet-stream")},
        data=form,
    )


def wait_state(client: httpx.Client, exec_id: str, states=FINAL, timeout: float = 20.0) -> dict:
    states = {states} if isinstance(states, str) else set(states)
    return wait_until(
        lambda: client.get(f"execs/{exec_id}").json(),
        timeout,
        what=f"task {exec_id} to reach {sorted(states)}",
        until=lambda batch: batch["state"] in states,
    )
