"""Scheduler applications: which of the four log operations to call, where a downloaded log
goes, following a log until its application ends, and epoch timestamps for a terminal.

Typer-free so tests call it directly. The lines endpoints only give the *last N lines* of a
log, never an offset, so following has to guess what is new; see `new_lines`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlicli.errors import UsageError
from dlicli.wmla import APP_FINAL_STATES

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

LOG_TYPES = ("stdout", "stderr", "launcherlog")
FOLLOW_WINDOW = 10000  # lastlines asked for on every poll of a follow


def check_log_type(log_type: str) -> str:
    """The log type, lower-cased, or a UsageError naming the three the API knows."""
    value = log_type.strip().lower()
    if value not in LOG_TYPES:
        raise UsageError(f"unknown log type {log_type!r}", hint="use --type stdout, stderr or launcherlog")
    return value


def _clean(part: str) -> str:
    """An id made safe inside a file name: no path separators, no control characters."""
    cleaned = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in part)
    return cleaned.lstrip(".") or "_"


@dataclass(frozen=True)
class LogSource:
    """One log of an application: the driver's (no executor) or an executor's."""

    appid: str
    log_type: str = "stdout"
    executor: str | None = None

    def operation(self, download: bool) -> str:
        """The operationId this source reads with (lines, or the whole file with `download`)."""
        if download:
            return "downloadExecutorLogFile" if self.executor else "downloadDriverLogFile"
        return "getExecutorLog" if self.executor else "getDriverLog"

    def lines(self, client: DlpdClient, lastlines: int | None = None) -> str:
        """The last lines of the log as text ("" for an empty answer)."""
        if self.executor:
            body = client.get_executor_log(self.appid, self.executor, self.log_type, lastlines)
        else:
            body = client.get_driver_log(self.appid, self.log_type, lastlines)
        if body is None:
            return ""
        if isinstance(body, str):
            return body
        import json

        return json.dumps(body)

    def download(self, client: DlpdClient):
        """A context manager yielding the streamed response of the whole log file."""
        if self.executor:
            return client.download_executor_log_file(self.appid, self.executor, self.log_type)
        return client.download_driver_log_file(self.appid, self.log_type)

    def default_name(self) -> str:
        """`<appid>-<type>.log`, or `<appid>-<executor>-<type>.log` for an executor."""
        parts = [self.appid] + ([self.executor] if self.executor else []) + [self.log_type]
        return "-".join(_clean(p) for p in parts) + ".log"


# -- following ------------------------------------------------------------------------------

_SENTINEL = object()


def overlap(previous: list[str], current: list[str]) -> int:
    """The longest k such that the last k lines of `previous` are the first k of `current`.

    Linear time: the prefix function (KMP) of current + [sentinel] + previous.
    """
    seq: list[Any] = [*current, _SENTINEL, *previous]
    pi = [0] * len(seq)
    for i in range(1, len(seq)):
        k = pi[i - 1]
        while k and seq[i] != seq[k]:
            k = pi[k - 1]
        if seq[i] == seq[k]:
            k += 1
        pi[i] = k
    return pi[-1] if previous else 0


def new_lines(previous: list[str], current: list[str]) -> tuple[list[str], bool]:
    """The lines of `current` (this poll's window) not yet printed from `previous` (the last one).

    The heuristic: the two windows overlap where the end of the previous window equals the start
    of the current one; what follows the longest such overlap is new. While the log is shorter
    than the window this is exact (the old window is a prefix of the new). Once the window slides,
    a log whose last lines repeat can make the overlap look longer than it is and hide a few
    repeated lines. No overlap at all (more new lines than the window, or a restarted log) prints
    the whole window and returns False so the caller can warn that lines may be missing.
    """
    k = overlap(previous, current)
    found = k > 0 or not previous or not current
    return current[k:], found


def application_state(client: DlpdClient, appid: str) -> str | None:
    """The application's state, upper-cased, from GET /scheduler/applications?applicationid=…;
    None when the scheduler does not list it."""
    apps = client.get_applications(applicationid=appid)
    if isinstance(apps, dict):
        apps = [apps]
    listed = [a for a in apps or [] if isinstance(a, dict)]
    match = [a for a in listed if str(a.get("applicationid")) == appid] or listed[:1]
    if not match:
        return None
    return str(match[0].get("state") or "").strip().upper()


def is_final(state: str | None) -> bool:
    return state is not None and state.strip().upper() in APP_FINAL_STATES


def follow(
    client: DlpdClient,
    sources: Sequence[LogSource],
    write: Callable[[LogSource, str], None],
    *,
    interval: float,
    last: int | None = None,
    window: int = FOLLOW_WINDOW,
    notice: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Print logs (one application's: its stdout and stderr, say) as they grow until the application
    ends; return the final state (None: the scheduler stopped listing the application).

    Each poll reads the state first, then the last `window` lines of each log, and prints the lines
    past the overlap with the previous poll (`new_lines`). The first poll prints the last `last`
    lines (all of the window without it); a 404 before the application ends counts as an empty log
    (it may not have started writing). A line without its newline yet is held back until it is
    complete or the application has ended, so it is never printed twice.
    """
    window = max(window, last or 0)
    printed: dict[LogSource, list[str] | None] = dict.fromkeys(sources)
    while True:
        state = application_state(client, sources[0].appid)
        done = state is None or is_final(state)
        for source, text in zip(sources, read_all(client, sources, window, done)):
            lines = text.splitlines(keepends=True)
            if lines and not done and not lines[-1].endswith(("\n", "\r")):
                lines.pop()
            fresh = _fresh(source, printed[source], lines, last, window, notice)
            if fresh:
                write(source, "".join(fresh))
            printed[source] = lines
        if done:
            return state
        sleep(interval)


def _fresh(
    source: LogSource,
    previous: list[str] | None,
    lines: list[str],
    last: int | None,
    window: int,
    notice: Callable[[str], None] | None,
) -> list[str]:
    """This poll's lines not printed yet (the first poll: the last `last` of them)."""
    if previous is None:
        return lines[-last:] if last else lines
    fresh, found = new_lines(previous, lines)
    if not found and notice is not None:
        notice(
            f"the {source.log_type} log of {source.appid} moved on by more than {window} lines or restarted; "
            "some lines may be missing"
        )
    return fresh


def pick_types(log_type: str | None, stdout: bool, stderr: bool) -> tuple[str, ...]:
    """The logs to read: --type's, --stdout's or --stderr's, else stdout and stderr both."""
    if log_type is not None and (stdout or stderr):
        raise UsageError("--type and --stdout/--stderr each pick the log to read", hint="use one of them")
    if stdout and stderr:
        raise UsageError("--stdout and --stderr each pick one log", hint="leave both out to see both")
    if log_type is not None:
        return (check_log_type(log_type),)
    return ("stdout",) if stdout else ("stderr",) if stderr else ("stdout", "stderr")


def read_all(client: DlpdClient, sources: Sequence[LogSource], lastlines: int | None, done: bool = True) -> list[str]:
    """Each log's last lines. A 404 while the application still runs is an empty log (it may not
    have started writing); of several logs, one that answers 404 is empty unless all do."""
    from dlicli.errors import APIError

    texts: list[str] = []
    missing: list[APIError] = []
    for source in sources:
        try:
            texts.append(source.lines(client, lastlines))
        except APIError as exc:
            if exc.status != 404:
                raise
            missing.append(exc)
            texts.append("")
    if missing and done and len(missing) == len(sources):
        raise missing[0]
    return texts
