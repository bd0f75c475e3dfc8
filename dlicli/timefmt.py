"""One way to read and show times and durations, whatever form the server sent them in.

Servers send times as epoch milliseconds (the API's Long times), epoch seconds, ISO-8601
("2021-08-06T10:16:37Z", with or without fraction and offset) or WMLA's "2020-01-09 17:31:32"
(no zone: read as the server's local time, taken to be this machine's zone); durations as
seconds ("6.253"), "HH:MM:SS" ("00:07:25", hours past 24), days before a clock ("1 day 02:03:04",
"2 days, 00:00:05") or already written out ("56s", "1m05s"). Everything shown goes through here, so one kind of
value always reads the same: a duration as `1m05s`, a time as local `YYYY-MM-DD HH:MM:SS` on a
terminal and ISO-8601 UTC (`2026-12-02T01:20:05Z`) when piped, an age as `5m`.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_WRITTEN = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_CLOCK = re.compile(r"^(?:(\d+)\s*days?,?\s+)?(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)$")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from any time form a server sends, or None when it is not a time."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return _epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return _epoch(float(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # WMLA's "2020-01-09 17:31:32" is the server's local time
        return parsed.timestamp()
    return parsed.astimezone(timezone.utc).timestamp()


def _epoch(number: float) -> float | None:
    """A positive epoch number: above 1e11 it is milliseconds, else seconds."""
    if number <= 0 or number != number or number in (float("inf"), float("-inf")):
        return None
    return number / 1000 if number > 1e11 else number


def parse_duration(value: Any) -> float | None:
    """Seconds from "6.253", 6.253, "00:07:25", "1 day 02:03:04", "56s", "1m05s" or "2h30m"; None
    when not a duration."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    try:
        number = float(text)
        return number if number >= 0 else None
    except ValueError:
        pass
    clock = _CLOCK.match(text)
    if clock:
        days, hours, minutes, seconds = clock.groups()
        return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    parts = _WRITTEN.findall(text)
    if parts and "".join(n + u for n, u in parts) == text:
        return sum(float(n) * _UNITS[u] for n, u in parts)
    return None


def duration(seconds: float | None) -> str:
    """`0.4s`, `56s`, `1m05s`, `2h03m`, `3d04h`: two units at most, the larger first."""
    if seconds is None or seconds < 0:
        return ""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def age(stamp: float | None, now: float | None = None) -> str:
    """How long ago, in one unit as kubectl shows it: `45s`, `12m`, `5h`, `3d`."""
    if stamp is None:
        return ""
    elapsed = max(0.0, (time.time() if now is None else now) - stamp)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if elapsed >= size:
            return f"{int(elapsed // size)}{unit}"
    return f"{int(elapsed)}s"


def local(stamp: float | None) -> str:
    """Local `YYYY-MM-DD HH:MM:SS` (for people)."""
    if stamp is None:
        return ""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
    except (OverflowError, OSError, ValueError):
        return ""


def iso(stamp: float | None) -> str:
    """ISO-8601 UTC to the second, `2026-12-02T01:20:05Z` (for scripts)."""
    if stamp is None:
        return ""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
    except (OverflowError, OSError, ValueError):
        return ""


def time_text(value: Any, *, tty: bool) -> str:
    """A server's time value as shown: local time on a terminal, ISO-8601 UTC when piped; a value
    that is no time is shown as sent."""
    stamp = parse_time(value)
    if stamp is None:
        return "" if value is None else str(value)
    return local(stamp) if tty else iso(stamp)


def duration_text(value: Any) -> str:
    """A server's duration value as `1m05s`; a value that is no duration is shown as sent."""
    seconds = parse_duration(value)
    if seconds is None:
        return "" if value is None else str(value)
    return duration(seconds)


def elapsed(start: Any, end: Any = None, now: float | None = None) -> float | None:
    """Seconds from `start` to `end` (to now while there is no end), or None without a start."""
    begun = parse_time(start)
    if begun is None:
        return None
    ended = parse_time(end) if end not in (None, "") else (time.time() if now is None else now)
    return None if ended is None else max(0.0, ended - begun)
