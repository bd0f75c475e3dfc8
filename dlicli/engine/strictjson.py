"""JSON in and out of the engine, strictly, so no body can reach a 500 and no stored value can
break an answer.

In: `loads()` refuses what Python's json accepts but nothing downstream can hold: NaN and
±Infinity, numbers that overflow a double (`1e400`), strings with a lone surrogate (`"\\ud800"`,
valid JSON text but not Unicode: SQLite and UTF-8 refuse it), and nesting deeper than MAX_DEPTH.
Each is an EngineError(400) naming the field (`algoDef.maxJobNum: 1e400 is not a finite number`).

Out: `dumps()` never writes NaN/Infinity (not JSON) nor a lone surrogate; a value an older engine
stored is answered as null (numbers) or with the surrogate escaped (strings), and logged.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from dlicli.engine import EngineError

MAX_DEPTH = 100  # a WMLA body nests 5 deep; 100 leaves room and stays far from recursion limits
log = logging.getLogger("dlicli.engine")


class _NotFinite:
    """A number JSON gave that is no finite double: its text, reported with the field's path."""

    def __init__(self, text: str):
        self.text = text


def _float(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def loads(raw: str | bytes | bytearray, what: str = "the request body") -> Any:
    """Parse JSON text; EngineError(400) naming the field for anything the engine cannot hold."""
    try:
        value = json.loads(raw, parse_float=_float, parse_constant=_NotFinite)
    except RecursionError:
        raise EngineError(400, f"{what}: JSON nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise EngineError(400, f"{what} is not valid JSON: {exc}") from None
    check(value, what)
    return value


def _where(path: str, what: str) -> str:
    return path or what


def _check_str(text: str, path: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:80]
        raise EngineError(400, f"{_where(path, what)}: the string {shown!r} holds a lone surrogate") from None


def check(value: Any, what: str = "the request body") -> None:
    """Walk a parsed value (iteratively: a deep one cannot exhaust the stack) for what loads() refuses."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise EngineError(400, f"{what}: JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, _NotFinite):
            raise EngineError(400, f"{_where(path, what)}: {item.text} is not a finite number")
        if isinstance(item, float) and not math.isfinite(item):
            raise EngineError(400, f"{_where(path, what)}: {item} is not a finite number")
        if isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 1023:
            raise EngineError(400, f"{_where(path, what)}: the number is too large")
        if isinstance(item, str):
            _check_str(item, path, what)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_str(str(key), path, what)
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _clean(value: Any, depth: int = 0) -> Any:
    """A copy JSON can carry: non-finite numbers → None, lone surrogates escaped."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {_clean(str(k)): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, depth + 1) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """UTF-8 JSON of an answer; never NaN/Infinity, never a lone surrogate (cleaned and logged)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError) as exc:
        log.warning("an answer held a value JSON cannot carry (%s); sent as null/escaped", exc)
    text = json.dumps(_clean(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")
