"""A task's `$RESULT_DIR/val_dict_list.json` read safely: the one reader HPO (experiments' metrics)
and `GET /execs/{id}`'s `metrics` field share.

The task controls the file, and writes it while we read it, so the reader is bounded and lenient:
at most MAX_BYTES are read and MAX_ENTRIES entries kept (the first ones: the file is a list written
in order); a half-written list gives the entries written in full before the cut (a truncated file
being rewritten gives []); entries that are not JSON objects are skipped; nesting too deep for the
parser gives None, as a missing file does. A lone object counts as a list of one.

`metric_rows()` makes entries safe to answer as JSON: a value is kept when it is a finite number,
a string (cut to MAX_TEXT), a boolean or null; NaN and ±Infinity become null; anything else (lists,
objects) is dropped. Keys are cut to MAX_TEXT.

`why_no_rows()` and `why_no_value()` say why a file gave nothing: the words `exec metrics` and an
HPO experiment's reason share.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

VAL_FILE = "val_dict_list.json"
MAX_BYTES = 1 << 20  # 1 MiB: some 20 000 epochs of five metrics
MAX_ENTRIES = 10_000
MAX_TEXT = 200
MAX_KEYS = 100  # per entry
MAX_INT = 2**63  # a larger integer is answered as null (no client reads it as a number)
MISSING = f"no {VAL_FILE} in its result"
SINGLE_QUOTES = "its strings are in single quotes, JSON's are in double quotes: write it with json.dump"
MAX_NAMES = 10  # metric names listed in why_no_value()


def read_values(result_dir: Path) -> list[dict] | None:
    """The script's evaluations in the order written, or None when the file is absent or unreadable."""
    raw = read_raw(result_dir)
    return None if raw is None else parse_values(raw)


def read_raw(result_dir: Path) -> bytes | None:
    """The file's first MAX_BYTES + 1 bytes, or None when it is absent or unreadable."""
    try:
        with open(Path(result_dir) / VAL_FILE, "rb") as file:
            return file.read(MAX_BYTES + 1)
    except OSError:
        return None


def parse_values(raw: bytes) -> list[dict] | None:
    """Entries of a val_dict_list.json text (see the module's docstring), or None without any list."""
    text = raw[:MAX_BYTES].decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except RecursionError:
        return None
    except ValueError:
        data = _complete_entries(text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return None
    return [entry for entry in data if isinstance(entry, dict)][:MAX_ENTRIES]


def _complete_entries(text: str) -> list[Any] | None:
    """The items of a JSON list cut short (a write in progress, or the size cap): those complete."""
    start = text.lstrip()
    if not start.startswith("["):
        return None
    decoder = json.JSONDecoder()
    items: list[Any] = []
    index = 1
    while len(items) < MAX_ENTRIES:
        while index < len(start) and start[index] in " \t\r\n,":
            index += 1
        try:
            item, index = decoder.raw_decode(start, index)
        except (ValueError, RecursionError):
            break
        items.append(item)
    return items


def _safe_value(value: Any) -> tuple[bool, Any]:
    """(keep, value) for one metric value: finite numbers, short strings, booleans, null."""
    if value is None or isinstance(value, bool):
        return True, value
    if isinstance(value, int):
        return True, value if abs(value) <= MAX_INT else None
    if isinstance(value, float):
        return True, value if math.isfinite(value) else None
    if isinstance(value, str):
        return True, value[:MAX_TEXT]
    return False, None


def metric_rows(entries: list[dict] | None) -> list[dict]:
    """Entries as JSON-safe rows (see the module's docstring), in order."""
    rows = []
    for entry in entries or []:
        row = {}
        for key, raw in list(entry.items())[:MAX_KEYS]:
            keep, value = _safe_value(raw)
            if keep:
                row[str(key)[:MAX_TEXT]] = value
        rows.append(row)
    return rows


def why_no_rows(raw: bytes | None) -> str:
    """Why a val_dict_list.json (None: no file) gave no rows: `exec metrics`'s words, and HPO's."""
    if raw is None:
        return MISSING
    text = raw[:MAX_BYTES].decode("utf-8", errors="replace")
    if not text.strip():
        return f"its {VAL_FILE} is empty"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return f"its {VAL_FILE} is not valid JSON" + (f" ({SINGLE_QUOTES})" if _single_quoted(text) else "")
    if data == []:
        return f"its {VAL_FILE} is an empty list"
    return f"its {VAL_FILE} is not a list of objects"


def _single_quoted(text: str) -> bool:
    """Whether the text is JSON but for its quotes: a Python repr, as IBM's samples print the file."""
    try:
        json.loads(text.replace("'", '"'))
    except (ValueError, RecursionError):
        return False
    return True


def why_no_value(result_dir: Path, metric: str, not_metrics: tuple[str, ...] = ()) -> str:
    """Why a task's val_dict_list.json holds no number for `metric` (an HPO experiment's objective):
    the file's own trouble, else the metrics it does report (`not_metrics`, the step keys, aside)."""
    raw = read_raw(result_dir)
    entries = None if raw is None else parse_values(raw)
    if not entries:
        return f"it reported no {metric}: {why_no_rows(raw)}"
    names = list(dict.fromkeys(str(key)[:MAX_TEXT] for entry in entries for key in entry if key not in not_metrics))
    if metric in names:
        return f"it reported no number for {metric} in {VAL_FILE}"
    if not names:
        return f"it reported no {metric} in {VAL_FILE} (it has no metric)"
    shown = ", ".join(names[:MAX_NAMES]) + (f", … ({len(names)} in all)" if len(names) > MAX_NAMES else "")
    return f"it reported no {metric} in {VAL_FILE} (it has: {shown})"
