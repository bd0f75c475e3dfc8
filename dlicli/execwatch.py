"""Watching training tasks: state classification, waiting, log following, result download.

Typer-free so tests and other commands (`exec start --wait/--follow`) share one loop. The
callers pass the client and small callbacks for output; this module only decides.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from dlicli.errors import ConnectError, ExitCode, NotFoundError, TaskOutcome, UsageError, WaitTimeout
from dlicli.timefmt import duration
from dlicli.wmla import EXEC_FINAL_STATES, FAILED_STATES, STOPPED_STATES, state_meaning

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient
    from dlicli.logstreams import LogLine, LogOptions

DEFAULT_INTERVAL = 2.0
MIN_INTERVAL = 0.1  # a smaller --interval or DLICLI_POLL_INTERVAL polls this often
ENV_INTERVAL = "DLICLI_POLL_INTERVAL"


# -- states ------------------------------------------------------------------------------


def state_of(batch: Any) -> str:
    """A Batch's state, upper-cased; "" when the server sent none."""
    if isinstance(batch, dict):
        return str(batch.get("state") or "").strip().upper()
    return ""


def is_final(state: str) -> bool:
    """True for the exec final states of DESIGN.md; any other (unknown) state counts as active."""
    return state.strip().upper() in EXEC_FINAL_STATES


def exit_code_for_states(states: Iterable[str]) -> ExitCode:
    """The worst outcome: any FAILED/ERROR → 10, else any KILLED → 11, else 0."""
    states = [s.upper() for s in states]
    if any(s in FAILED_STATES for s in states):
        return ExitCode.TASK_FAILED
    if any(s in STOPPED_STATES for s in states):
        return ExitCode.TASK_KILLED
    return ExitCode.OK


def raise_for_outcome(batches: dict[str, dict[str, Any]], *, stderr_shown: bool = False) -> None:
    """Return when every task FINISHED; else raise TaskOutcome with the worst exit code (and a hint
    to read the error log, unless it was just shown)."""
    states = {exec_id: state_of(b) for exec_id, b in batches.items()}
    code = exit_code_for_states(states.values())
    if code == ExitCode.OK:
        return
    bad = [f"{exec_id} {state}" for exec_id, state in states.items() if state != "FINISHED"]
    first = next(exec_id for exec_id, state in states.items() if state != "FINISHED")
    noun = "task" if len(bad) == 1 else "tasks"
    raise TaskOutcome(
        f"{noun} ended badly: {', '.join(bad)}",
        code,
        hint=None if stderr_shown else f"see the task's error log: dlicli exec logs {first} --stderr",
    )


EVENT_LINES = 5
"""At most this many of a failed task's last `events` lines are shown (WMLA sends one or two)."""


def why_failed(batch: Any) -> list[str]:
    """Why a task that ended FAILED or ERROR did so, in the server's words: the last lines of its
    `events` (WMLA: "Job <wmla-1293> task <1> failed"); [] for any other task."""
    if state_of(batch) not in FAILED_STATES or not isinstance(batch, dict):
        return []
    events = batch.get("events")
    if isinstance(events, list):
        events = "\n".join(str(e) for e in events)
    lines = [" ".join(line.split()) for line in str(events or "").splitlines()]
    return [line for line in lines if line][-EVENT_LINES:]


def state_text(state: str) -> str:
    """A state as a wait shows it: a state the CLI waits through says what it waits for."""
    meaning = state_meaning(state)
    return f"{state}: {meaning}" if meaning else state


# -- polling -----------------------------------------------------------------------------


def poll_interval(value: float | None = None) -> float:
    """Seconds between polls: the option, else $DLICLI_POLL_INTERVAL, else 2."""
    if value is None:
        text = os.environ.get(ENV_INTERVAL, "").strip()
        if not text:
            return DEFAULT_INTERVAL
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{ENV_INTERVAL} is not a number of seconds: {text!r}") from None
    if value < 0 or value != value:
        raise UsageError(f"the poll interval must be 0 or more seconds, not {value}")
    return max(value, MIN_INTERVAL)  # as watch(1) does: never a tight loop against a shared server


def check_timeout(timeout: float | None) -> None:
    if timeout is not None and (timeout < 0 or timeout != timeout):
        raise UsageError(f"--timeout must be 0 or more seconds, not {timeout}")


class _Clock:
    """A deadline (or none) and the sleep between polls, never past the deadline."""

    def __init__(self, timeout: float | None, interval: float):
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.interval = interval

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def sleep(self) -> None:
        delay = self.interval
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        time.sleep(delay)


def wait_for(
    client: DlpdClient,
    exec_ids: Sequence[str],
    *,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    on_change: Callable[[str, str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Poll GET /execs/{id} until every task is final; return the last Batch of each.

    `on_change(id, state)` is called when a task's state is first seen or changes.
    Raises WaitTimeout (naming the tasks still running) when `timeout` runs out.
    """
    check_timeout(timeout)
    clock = _Clock(timeout, interval)
    ids = list(dict.fromkeys(exec_ids))
    latest: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    while True:
        for exec_id in ids:
            if exec_id in latest and is_final(state_of(latest[exec_id])):
                continue
            batch = client.execs_exec_id_get(exec_id)
            latest[exec_id] = batch if isinstance(batch, dict) else {"id": exec_id}
            state = state_of(latest[exec_id])
            if seen.get(exec_id) != state:
                seen[exec_id] = state
                if on_change is not None:
                    on_change(exec_id, state or "(no state)")
        running = [i for i in ids if not is_final(state_of(latest[i]))]
        if not running:
            return {i: latest[i] for i in ids}
        if clock.expired():
            raise WaitTimeout(
                f"still running after {duration(timeout)}: {', '.join(running)}",
                hint="wait again with: dlicli exec wait " + " ".join(running),
            )
        clock.sleep()


def follow_log(
    client: DlpdClient,
    exec_id: str,
    write: Callable[[list[LogLine]], None],
    *,
    options: LogOptions | None = None,
    timeout: float | None = None,
    interval: float = DEFAULT_INTERVAL,
    notice: Callable[[str], None] | None = None,
    on_batch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Print a task's logs (both streams unless `options` picks one) as they grow until the task is
    final; return its last Batch.

    Each poll fetches the logs and writes only the lines beyond those already written
    (logstreams.LogFollow); after a final state one more fetch catches the last lines.
    """
    from dlicli.logstreams import LogFollow, LogOptions

    check_timeout(timeout)
    clock = _Clock(timeout, interval)
    follow = LogFollow(client, exec_id, options or LogOptions(), notice or (lambda text: None))
    while True:
        write(follow.poll())
        batch = client.execs_exec_id_get(exec_id)
        if on_batch is not None:  # each Batch polled (exec start --follow --metrics)
            on_batch(batch)
        if is_final(state_of(batch)):
            write(follow.poll(final=True))
            return batch
        if clock.expired():
            raise WaitTimeout(
                f"task {exec_id} still running after {duration(timeout)} ({state_of(batch) or 'no state'})",
                hint=f"follow it again with: dlicli exec logs {exec_id} --follow",
            )
        clock.sleep()


# -- result download ---------------------------------------------------------------------


def safe_filename(name: str | None) -> str | None:
    """A server-given file name reduced to a plain base name, or None if nothing safe is left."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if base in ("", ".", "..") or ".." in base:
        return None
    return base


def disposition_filename(header: str | None) -> str | None:
    """The filename of a Content-Disposition header (filename* of RFC 6266 honoured), sanitised."""
    if not header:
        return None
    from email.message import Message

    msg = Message()
    msg["content-disposition"] = header
    try:
        name = msg.get_filename()
    except (ValueError, LookupError):
        return None
    return safe_filename(name)


RESULTS_DIR = "dlicli-results"
"""Where `exec result ID` saves `<ID>.zip` by default: one predictable folder (`.gitignore` covers it)."""
EMPTY_ZIP_SIGNATURE = b"PK\x05\x06"
"""A zip's end-of-central-directory record: at offset 0 the archive has no entries (22 bytes)."""


def read_head(chunks: Iterable[bytes], size: int = 4) -> tuple[bytes, Iterator[bytes]]:
    """The first `size` bytes of a download (fewer if it ends sooner), and the whole download
    again; a download that breaks off here is a ConnectError, as in save_stream."""
    import httpx

    stream = iter(chunks)
    head = b""
    seen: list[bytes] = []
    try:
        for chunk in stream:
            seen.append(chunk)
            head += chunk
            if len(head) >= size:
                break
    except httpx.HTTPError as exc:
        raise ConnectError(f"the download broke off after {len(head)} bytes: {exc or type(exc).__name__}") from exc
    return head[:size], itertools.chain(seen, stream)


def is_empty_archive(head: bytes) -> bool:
    """True for a body that holds no file: nothing at all, or a zip with no entries."""
    return not head or head.startswith(EMPTY_ZIP_SIGNATURE)


def no_result(exec_id: str, state: str) -> NotFoundError:
    """The error for a task without a result, saying why from its state (exit 3)."""
    if state and not is_final(state):
        return NotFoundError(
            f"task {exec_id} has no result yet (it is {state})", hint=f"wait for it: dlicli exec wait {exec_id}"
        )
    why = f"it ended {state}" if state else "the server sent an empty archive"
    if state == "FINISHED":
        why = "it FINISHED without writing any file to its result directory"
    return NotFoundError(
        f"task {exec_id} has no result ({why})", hint=f"see what it printed: dlicli exec logs {exec_id}"
    )


def result_path(exec_id: str, out_file: str | None) -> str:
    """Where `exec result` saves: -O FILE, -O DIR/<ID>.zip, else ./dlicli-results/<ID>.zip."""
    name = default_result_name(exec_id)
    if not out_file:
        return os.path.join(RESULTS_DIR, name)
    if os.path.isdir(out_file):
        return os.path.join(out_file, name)
    return out_file


def default_result_name(exec_id: str) -> str:
    """`<ID>.zip`, with path separators in the id made harmless."""
    cleaned = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in exec_id)
    return cleaned.lstrip(".") + ".zip" if cleaned.strip(".") else "result.zip"


def result_target(exec_id: str, out_file: str | None, disposition: str | None, default: str | None = None) -> str:
    """Where a result goes: -O FILE, -O DIR/<name>, else ./<server name or `default` or ID.zip>."""
    name = disposition_filename(disposition) or default or default_result_name(exec_id)
    if out_file:
        if os.path.isdir(out_file):
            return os.path.join(out_file, name)
        return out_file
    return name


def check_destination(path: str, force: bool, option: str = "-O FILE") -> None:
    """Before any request: the file's folder exists and takes a new file, and the file does not
    exist (unless force). `option` names what to choose instead (-O FILE, --html FILE)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"no such directory: {folder}", hint=f"create it first, or choose another {option}")
    refuse_overwrite(path, force, option)
    check_writable(path, option)


def refuse_overwrite(path: str, force: bool, option: str = "-O FILE") -> None:
    if not force and os.path.lexists(path):
        raise UsageError(f"{path} already exists", hint=f"pass --force to overwrite it, or choose another {option}")


def check_writable(path: str, option: str = "-O FILE") -> None:
    """Before any request: the folder that will hold `path` (or its parent, if still to be made)
    takes a new file, so /proc or a read-only mount is exit 2, not an error after the work."""
    import errno

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".dlicli-", suffix=".probe")
    except OSError as exc:
        why = "it takes no new files" if exc.errno == errno.ENOENT else (exc.strerror or str(exc)).lower()
        raise UsageError(f"cannot write in {folder}: {why}", hint=f"choose another {option}") from None
    os.close(fd)
    os.unlink(probe)


def save_stream(chunks: Iterable[bytes], path: str, *, force: bool = False) -> int:
    """Write chunks to `path` atomically: a temp file beside it, renamed when complete.

    On any failure the temp file is removed and no partial file is left. Returns the size.
    """
    import httpx

    refuse_overwrite(path, force)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".part")
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                size += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        refuse_overwrite(path, force)
        os.replace(tmp, path)
    except httpx.HTTPError as exc:
        _unlink(tmp)
        raise ConnectError(
            f"the download broke off after {size} bytes: {exc or type(exc).__name__}",
            hint="nothing was saved; try again",
        ) from exc
    except BaseException:
        _unlink(tmp)
        raise
    return size


def copy_stream(chunks: Iterable[bytes], sink: IO[bytes]) -> int:
    """Stream chunks to a binary sink (`-O -`); a broken download is a ConnectError."""
    import httpx

    size = 0
    try:
        for chunk in chunks:
            sink.write(chunk)
            size += len(chunk)
    except httpx.HTTPError as exc:
        raise ConnectError(f"the download broke off after {size} bytes: {exc or type(exc).__name__}") from exc
    sink.flush()
    return size


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
