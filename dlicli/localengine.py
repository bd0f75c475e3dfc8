"""Find, start and stop the local engine process (`python -m dlicli.engine.serve`). Typer-free.

The engine is always a separate process in its own session: `start` spawns it with its output in
<data_dir>/engine.log and waits (bounded) for the <data_dir>/engine.json that serve writes once it
answers; `stop` sends SIGTERM to its process group, then SIGKILL after a grace period. Tasks run in
process groups of their own, so stopping the engine never kills them (the next start re-adopts them).
A record is trusted only when its pid is alive, is a serve process, and its URL answers.

TLS: `server start --tls` is remembered in <data_dir>/tls.json, so the engine the CLI starts by itself
later serves HTTPS too (`--no-tls` forgets it); the record names the certificate, which the CLI trusts
for this engine's URL alone (`engine_cert`). `--shared-trust` is remembered in trust.json likewise,
and --host, --port, --slots, --session-hours and the limits in start.json (dlicli.startsettings): every
start, the CLI's own ones too, uses what was remembered.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from dlicli import paths, startsettings
from dlicli.enginetls import remembered_tls, trust
from dlicli.errors import ConfigError, DlicliError, ExitCode
from dlicli.paths import ADMIN_TOKEN, DEFAULT_HOST, ENGINE_JSON, ENGINE_LOG, SECRET_ENV
from dlicli.timefmt import duration

START_LOCK = "engine.start.lock"
PROBE_PATH = "/openapi.json"
"""What the CLI's probe asks for (HEAD): public, so the probe sends no token and earns no 401."""

SERVE_MODULE = "dlicli.engine.serve"
START_TIMEOUT = 15.0
STOP_GRACE = 10.0
EXTRA_HINT = "pip install 'dlicli[engine]'"

Note = Callable[[str], None]


class ConflictError(DlicliError):
    """The engine is in a state that forbids the request (exit 6)."""

    exit_code = ExitCode.CONFLICT


def log_path(ddir: Path) -> Path:
    return ddir / ENGINE_LOG


def read_record(ddir: Path) -> dict[str, Any] | None:
    """engine.json as a dict, or None when it is missing or unreadable."""
    try:
        data = json.loads((ddir / ENGINE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def admin_token(ddir: Path) -> str | None:
    try:
        return (ddir / ADMIN_TOKEN).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def is_serve_process(pid: int) -> bool:
    """True when `pid` lives (not a zombie) and runs dlicli.engine.serve: a reused pid is not it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat[stat.rindex(")") + 2] in "ZX":
        return False
    return SERVE_MODULE.encode() in cmdline


def client_url(url: str) -> str:
    """The record's URL as a client reaches it (a wildcard bind address → loopback)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in ("0.0.0.0", "::", ""):
        netloc = f"{DEFAULT_HOST}:{parts.port}" if parts.port else DEFAULT_HOST
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def answers(url: str, timeout: float = 2.0, cert: str | None = None) -> bool:
    """True when the engine answers at all (any status counts: it is up); over https, only with
    the certificate `cert`. The probe is `HEAD <url>/openapi.json`, the one path that needs no
    token, so every command's probe leaves a 200 in the engine's log, never a 401."""
    import http.client
    import ssl

    parts = urlsplit(client_url(url))
    if not parts.hostname or parts.scheme not in ("http", "https") or (parts.scheme == "https" and not cert):
        return False
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        try:
            context = trust(str(cert))
        except (OSError, ssl.SSLError):
            return False
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("HEAD", parts.path.rstrip("/") + PROBE_PATH)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def running(ddir: Path) -> dict[str, Any] | None:
    """The record of the engine serving `ddir`, when its process lives and its URL answers."""
    record = read_record(ddir)
    if record and is_serve_process(record["pid"]) and _answers(record):
        return record
    return None


def _answers(record: dict[str, Any], timeout: float = 2.0) -> bool:
    return answers(str(record.get("url", "")), timeout, record.get("cert") or None)


def status(ddir: Path) -> dict[str, Any]:
    """What `dlicli server status --json` prints."""
    from dlicli import __version__

    record = running(ddir)
    return {
        "running": record is not None,
        "url": client_url(record["url"]) if record else None,
        "pid": record["pid"] if record else None,
        "version": (record.get("version") if record else None) or __version__,
        "dataDir": str(ddir),
        "host": record.get("host") if record else None,
        "port": record.get("port") if record else None,
        "startedAt": record.get("startedAt") if record else None,
        "cert": record.get("cert") if record else None,
        "tlsNextStart": remembered_tls(ddir) is not None,
        "isolation": record.get("isolation") if record else None,
        "sharedTrustNextStart": (ddir / paths.TRUST_SETTING).is_file(),
        "nextStart": {startsettings.key(name): value for name, value in startsettings.remembered(ddir).items()},
        "log": str(log_path(ddir)),
    }


def check_extra() -> None:
    """The engine needs the `engine` extra; say how to install it when it is missing."""
    missing = []
    for module in ("starlette", "uvicorn"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ConfigError(
            f"the local engine needs {' and '.join(missing)}, which are not installed",
            hint=f"{EXTRA_HINT}, or point dlicli at a server with `dlicli login --url URL`",
        )


def serve_command(ddir: Path, overrides: dict[str, Any] | None = None) -> list[str]:
    """serve's command line: the remembered start options (start.json), `overrides` (by parameter
    name, None: not given) over them for this start alone, and the remembered TLS."""
    given = {name: value for name, value in (overrides or {}).items() if value is not None}
    settings = {**startsettings.remembered(ddir), **given}
    cmd = [sys.executable, "-m", SERVE_MODULE, "--data-dir", str(ddir), *startsettings.serve_args(settings)]
    tls = remembered_tls(ddir)
    if tls is not None:
        cmd.append("--tls")
        for name in ("cert", "key"):
            if tls.get(name):
                cmd += [f"--{name}", str(tls[name])]
    return cmd


def engine_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def _start_lock(ddir: Path) -> Iterator[None]:
    """Serialise starts, so two CLIs at once do not both spawn an engine."""
    ddir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(ddir / START_LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _log_tail(ddir: Path, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in tail_lines(log_path(ddir), lines).strip().splitlines())


def start(
    ddir: Path,
    *,
    host: str | None = None,
    port: int | None = None,
    slots: int | None = None,
    session_hours: float | None = None,
    timeout: float = START_TIMEOUT,
    note: Note | None = None,
) -> tuple[dict[str, Any], bool]:
    """Start the engine detached unless one already serves `ddir`; → (its record, started now?).
    It gets the remembered start options; host, port, slots and session_hours given here replace
    them for this start alone (tests and benchmarks: `port=0`)."""
    with _start_lock(ddir):
        record = read_record(ddir)
        if record and is_serve_process(record["pid"]):
            if _wait_answering(record, min(timeout, 5.0)):
                return record, False
            raise ConflictError(
                f"the local engine (pid {record['pid']}) runs but does not answer",
                hint="stop it with `dlicli server stop`, then start it again",
            )
        check_extra()
        (ddir / ENGINE_JSON).unlink(missing_ok=True)  # stale: its process is gone
        if note:
            note(f"starting the local engine ({log_path(ddir)})")
        with open_log(ddir) as log:
            proc = subprocess.Popen(
                serve_command(ddir, {"host": host, "port": port, "slots": slots, "session_hours": session_hours}),
                cwd=ddir,
                env=engine_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
            )
        try:
            return _wait_started(ddir, proc, timeout), True
        except BaseException:
            _terminate(proc.pid, grace=2.0)
            _reap(proc.pid)
            raise


def open_log(ddir: Path) -> IO[bytes]:
    """engine.log for appending, readable by this user only (it names users and tasks)."""
    fd = os.open(log_path(ddir), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def _wait_answering(record: dict[str, Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if _answers(record, timeout=1.0):
            return True
        if time.monotonic() >= deadline or not is_serve_process(record["pid"]):
            return False
        time.sleep(0.1)


def _wait_started(ddir: Path, proc: subprocess.Popen, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            tail = _log_tail(ddir)
            raise DlicliError(
                f"the local engine exited with code {code} while starting" + (f": {tail}" if tail else ""),
                hint=f"see {log_path(ddir)}" + _remembered_note(ddir),
            )
        record = read_record(ddir)
        if record and record["pid"] == proc.pid and _answers(record, timeout=1.0):
            return record
        time.sleep(0.05)
    raise DlicliError(f"the local engine did not start within {duration(timeout)}", hint=f"see {log_path(ddir)}")


def _remembered_note(ddir: Path) -> str:
    """For a failed start: the remembered options it was given, and how to change or forget them."""
    given = " ".join(startsettings.serve_args(startsettings.remembered(ddir)))
    return f"; it was given the remembered {given}: {startsettings.RESET_HINT}" if given else ""


def ensure_running(ddir: Path, note: Note | None = None) -> tuple[str, str | None]:
    """The embedded default: (client URL, admin token) of the engine, started first if needed."""
    record = running(ddir)
    if record is None:
        record, _ = start(ddir, note=note)
    return client_url(record["url"]), admin_token(ddir)


def peek(ddir: Path) -> tuple[str, str | None, str | None]:
    """(URL, admin token, problem) without starting anything: for `dlicli status`."""
    record = running(ddir)
    if record is None:
        url = client_url(str((read_record(ddir) or {}).get("url") or next_url(ddir)))
        return url, admin_token(ddir), "the local engine is not running"
    return client_url(record["url"]), admin_token(ddir), None


def next_url(ddir: Path) -> str:
    """Where the next start listens, as far as is known before it binds (port 0 or a taken 9281:
    wherever the kernel puts it)."""
    settings = startsettings.remembered(ddir)
    scheme = "https" if remembered_tls(ddir) is not None else "http"
    port = settings.get("port") or paths.DEFAULT_PORT
    host = str(settings.get("host") or DEFAULT_HOST)
    return client_url(f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}{paths.API_BASE_PATH}")


def _signal(pid: int, sig: int) -> None:
    """Signal the engine's process group (it leads one), or the process when it does not lead."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _gone(pid: int) -> bool:
    _reap(pid)  # our own child: collected, not a zombie
    return not is_serve_process(pid)


def _terminate(pid: int, grace: float) -> bool:
    """SIGTERM, wait up to `grace`, then SIGKILL; True when it went on SIGTERM alone."""
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return False


def stop(ddir: Path, grace: float = STOP_GRACE) -> tuple[dict[str, Any] | None, bool]:
    """Stop the engine serving `ddir` → (its record or None when none ran, stopped cleanly?)."""
    record = read_record(ddir)
    if record is None or not is_serve_process(record["pid"]):
        (ddir / ENGINE_JSON).unlink(missing_ok=True)
        return None, True
    clean = _terminate(record["pid"], grace)
    now = read_record(ddir)
    if now and now.get("pid") == record["pid"]:
        (ddir / ENGINE_JSON).unlink(missing_ok=True)
    return record, clean


def tail_lines(path: Path, count: int) -> str:
    """The last `count` lines of a text file ('' when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block, data = 8192, b""
            while size > 0 and data.count(b"\n") <= count:
                step = min(block, size)
                size -= step
                handle.seek(size)
                data = handle.read(step) + data
    except FileNotFoundError:
        return ""
    lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
    return "".join(lines[-count:]) if count > 0 else ""
