"""A task's two logs (its stdout and its stderr) as lines: fetched, cut to --tail and --since,
merged in time order, followed as they grow, and written where a user expects them.

The API's log is plain text. The local engine also answers the Kubernetes log API's
`timestamps=true` (every line begins with its RFC 3339 time and a space, and the answer carries
`X-Dlicli-Log-Timestamps: 1`), so the CLI always asks for it: with times, the two streams merge
in the order they were written and --since can pick lines; without them (a WMLA server), each
stream is shown whole, one after the other, and --since/--timestamps say they cannot work (or,
following, use the time a line arrived here).

Where lines go, as `docker logs` does: the task's stdout to our stdout, its stderr to our stderr,
so `2>/dev/null` and pipes keep them apart; on a terminal stderr lines are red (with NO_COLOR,
prefixed `[stderr] `). One stream picked (--stdout or --stderr) goes to our stdout, unmarked.
Typer-free: the commands (`exec logs`, `exec start --follow`, `hpo logs`) share it.
"""

from __future__ import annotations

import heapq
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from dlicli import timefmt
from dlicli.errors import DlicliError, UsageError

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient
    from dlicli.output import Output

LOG_TYPES = {"stdout": "outlog", "stderr": "errlog"}
BOTH = ("stdout", "stderr")
FAILURE_LINES = 20  # stderr lines shown when a task ends badly and its stderr was not on screen
STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
RED, RESET = "\x1b[31m", "\x1b[0m"
NO_TIMES = "the server does not record when log lines were written"


@dataclass(frozen=True)
class LogOptions:
    """Which streams, and the kubectl-style cuts: last `tail` lines, lines of the last `since` seconds."""

    streams: tuple[str, ...] = BOTH
    tail: int | None = None
    since: float | None = None
    timestamps: bool = False


def log_options(
    stdout: bool = False,
    stderr: bool = False,
    tail: int | None = None,
    since: str | None = None,
    timestamps: bool = False,
) -> LogOptions:
    """The options as typed, checked before any request (a UsageError names the bad one)."""
    if stdout and stderr:
        raise UsageError("--stdout and --stderr each pick one stream", hint="leave both out to see both streams")
    if tail is not None and tail < 0:
        raise UsageError(f"--tail must be 0 or more lines, not {tail}", hint="for example --tail 100")
    seconds = None
    if since is not None:
        seconds = timefmt.parse_duration(since)
        if not seconds:
            raise UsageError(f"--since takes a duration such as 30s, 5m or 2h, not {since!r}")
    streams = ("stdout",) if stdout else ("stderr",) if stderr else BOTH
    return LogOptions(streams, tail, seconds, timestamps)


class LogLine(NamedTuple):  # a tuple, not a dataclass: a big log is 10^5 of these (3× faster to make)
    stream: str  # "stdout" or "stderr"
    text: str  # with its line end, when it has one
    time: float | None = None  # when it was written, if the server said
    starts_line: bool = True  # False: the rest of a line whose start was already written


def split_lines(text: str) -> list[str]:
    """Lines cut at "\\n" only (as Kubernetes cuts them), each keeping its "\\n"."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def parse(text: str, stream: str, timed: bool) -> list[LogLine]:
    """A log answer as lines, with the times the server put in front of them (when `timed`)."""
    if not timed:
        return [LogLine(stream, raw) for raw in split_lines(text)]
    lines = []
    seen: dict[str, float] = {}  # a log's lines share a few times: each is checked and parsed once
    for raw in split_lines(text):
        stamp, space, rest = raw.partition(" ")
        when = seen.get(stamp) if space else None
        if when is None:
            match = STAMP.match(raw)
            parsed = timefmt.parse_time(match.group(1)) if match else None
            if parsed is None:
                lines.append(LogLine(stream, raw))
                continue
            when = seen[stamp] = parsed
        lines.append(LogLine(stream, rest, when))
    return lines


@dataclass
class Fetched:
    lines: list[LogLine]
    timed: bool


def fetch(
    client: DlpdClient,
    exec_id: str,
    stream: str,
    since: float | None = None,
    tail: int | None = None,
    times: bool = True,
) -> Fetched:
    """One stream's log, with times when asked and the server keeps them."""
    text, timed = client.execs_exec_id_log_get_timed(
        exec_id,
        LOG_TYPES[stream],
        since_seconds=math.ceil(since) if since else None,
        tail_lines=tail,
        timestamps=times,
    )
    return Fetched(parse(text, stream, timed), timed)


def merge(groups: list[list[LogLine]], timed: bool) -> list[LogLine]:
    """The streams' lines in the order they were written when known, else one stream after the other.
    Each stream keeps its own order (a multi-worker log is worker after worker, with headings)."""
    if not timed:
        return [line for group in groups for line in group]
    return list(heapq.merge(*groups, key=lambda line: line.time or 0.0))


def cut(lines: list[LogLine], tail: int | None, cutoff: float | None = None) -> list[LogLine]:
    """The lines written since `cutoff` (those without a time stay), then the last `tail` of them."""
    if cutoff is not None:
        lines = [line for line in lines if line.time is None or line.time >= cutoff]
    if tail is not None:
        lines = lines[len(lines) - tail :] if tail else []
    return lines


def snapshot(client: DlpdClient, exec_id: str, options: LogOptions) -> tuple[list[LogLine], bool]:
    """The log now, cut as asked; and whether the server gave times. Without times the cut is per
    stream (the last N lines of each), as their order is unknown. One stream with neither --since
    nor --timestamps needs no times, so none are asked for (a 12 MB log reads 2-3× faster)."""
    times = len(options.streams) > 1 or options.since is not None or options.timestamps
    fetched = [fetch(client, exec_id, s, options.since, options.tail, times) for s in options.streams]
    timed = all(f.timed for f in fetched)
    if timed:
        cutoff = None if options.since is None else time.time() - options.since
        return cut(merge([f.lines for f in fetched], True), options.tail, cutoff), True
    return [line for f in fetched for line in cut(f.lines, options.tail)], False


def untimed_warning(options: LogOptions, following: bool) -> str | None:
    """What a user is told when the server gave no times but --since or --timestamps asked for them."""
    if options.since is None and not options.timestamps:
        return None
    if following:
        since = "--since cannot pick among the lines already written, so all are shown" if options.since else ""
        stamps = "the times shown are when a line arrived here" if options.timestamps else ""
        return f"{NO_TIMES}: " + "; ".join(part for part in (since, stamps) if part)
    asked = " and ".join(
        flag for flag, on in (("--since", options.since is not None), ("--timestamps", options.timestamps)) if on
    )
    return f"{NO_TIMES}: {asked} cannot work; printing the log as it is"


# -- following ------------------------------------------------------------------------------


@dataclass
class _Stream:
    """One stream being followed: the text (without times) already handed out."""

    name: str
    label: str  # the task, for a notice
    printed: str = ""

    def new(self, fetched: Fetched, final: bool, notice: Callable[[str], None]) -> list[LogLine]:
        """The lines past what was printed. A line still being written is held back (up to its last
        \\r, so a progress bar moves) until it ends or the task does; a log that no longer begins with
        what was printed (truncated, restarted) is printed again from its start after a notice."""
        raw = "".join(line.text for line in fetched.lines)
        if not raw.startswith(self.printed):
            notice(f"the {self.name} log of {self.label} was truncated or restarted; printing it from the start")
            self.printed = ""
        start = len(self.printed)
        stop = len(raw) if final else max(raw.rfind("\n"), raw.rfind("\r")) + 1
        out, offset = [], 0
        for line in fetched.lines:
            end = offset + len(line.text)
            lo, hi = max(start, offset), min(stop, end)
            if lo < hi:
                out.append(LogLine(line.stream, line.text[lo - offset : hi - offset], line.time, lo == offset))
            offset = end
        self.printed = raw[: max(start, stop)]
        return out


@dataclass
class LogFollow:
    """A task's streams polled as they grow: each poll returns the lines that are new."""

    client: DlpdClient
    exec_id: str
    options: LogOptions
    notice: Callable[[str], None]
    streams: list[_Stream] = field(default_factory=list)
    first: bool = True

    def __post_init__(self) -> None:
        self.streams = [_Stream(name, self.exec_id) for name in self.options.streams]

    def poll(self, final: bool = False) -> list[LogLine]:
        fetched = [fetch(self.client, self.exec_id, s.name) for s in self.streams]
        timed = all(f.timed for f in fetched)
        fresh = merge([s.new(f, final, self.notice) for s, f in zip(self.streams, fetched)], timed)
        if self.first:
            self.first = False
            warning = None if timed else untimed_warning(self.options, following=True)
            if warning:
                self.notice(warning)
            cutoff = None if self.options.since is None or not timed else time.time() - self.options.since
            fresh = cut(fresh, self.options.tail, cutoff)
        return fresh


def stderr_tail(client: DlpdClient, exec_id: str, lines: int = FAILURE_LINES) -> str:
    """The last lines of a task's stderr ("" when there are none or they cannot be read: the
    task's outcome matters more than its log)."""
    try:
        fetched = fetch(client, exec_id, "stderr", tail=lines)
    except DlicliError:
        return ""
    return "".join(line.text for line in cut(fetched.lines, lines))


# -- writing --------------------------------------------------------------------------------


class LogWriter:
    """Writes lines where they belong (see the module's doc), with their times when asked."""

    def __init__(self, out: Output, options: LogOptions, clock: Callable[[], float] = time.time):
        self.out, self.options, self.clock = out, options, clock
        self.split = len(options.streams) > 1  # both streams: stderr lines go to our stderr

    def write(self, lines: Iterable[LogLine]) -> None:
        """The lines, in order; stdout's run between two stderr lines in one write (a 10^5-line log
        was 10^5 writes and flushes)."""
        arrived = self.clock()
        pending: list[str] = []
        stamps: dict[float, str] = {}
        for line in lines:
            text = line.text
            if self.options.timestamps and line.starts_line:
                when = line.time if line.time is not None else arrived
                if when not in stamps:
                    stamps[when] = timefmt.time_text(when, tty=self.out.stdout_is_tty) + " "
                text = stamps[when] + text
            if self.split and line.stream == "stderr":
                self._flush(pending)
                self._error_line(text, line.starts_line)
            else:
                pending.append(text)
        self._flush(pending)

    def _flush(self, pending: list[str]) -> None:
        if pending:
            self.out.write("".join(pending))
            pending.clear()

    def _error_line(self, text: str, starts_line: bool) -> None:
        from dlicli.output import escape_controls

        out = self.out
        if out.stderr_is_tty:
            text = escape_controls(text.replace("\r\n", "\n"), keep="\n\t")
            if out.color:
                body, end = (text[:-1], "\n") if text.endswith("\n") else (text, "")
                text = f"{RED}{body}{RESET}{end}"
            elif starts_line:
                text = "[stderr] " + text
        out.stderr.write(text)
        out.stderr.flush()

    def failure_tail(self, text: str) -> None:
        """A failed task's last stderr lines, under a heading, indented, on our stderr."""
        if not text.strip():
            return
        body = "\n".join("  " + line for line in text.rstrip("\n").split("\n"))
        self.out.info(f"last lines of stderr:\n{body}")
