"""The checker's parts: value coercion, the algoParams checks, and the problem collector (WMLA's
field and value spellings are in `dlicli.wmla`)."""

from __future__ import annotations

import json
import math
from typing import Any

from dlicli.wmla import ASHA, ETA_PARAMS, GRID, MIN_RESOURCE_PARAM

# -- values ---------------------------------------------------------------------------------------


def show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def as_float(value: Any) -> float | None:
    """A finite number (or a numeric string) as float; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def as_int(value: Any) -> int | None:
    """An integral number (or such a string) as int; None if it is not one."""
    number = as_float(value)
    if number is None or number != int(number):
        return None
    return int(number)


def as_number(value: Any, dtype: str) -> int | float | None:
    """`value` as the number `dtype` wants (int stays int for a double), or None."""
    if dtype == "int":
        return as_int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if math.isfinite(value) else None
    return as_float(value)


def nonempty(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def blank(value: Any) -> bool:
    """A field's empty default (None, "", [], {}, 0 or 0.0): what IBM's request template puts in
    the fields that do not apply to a parameter."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    return value is None or value in ("", [], {}) or (isinstance(value, str) and not value.strip())


# -- algoParams value checks: (ok?, what it must be) ---------------------------------------------------


def _int_above(n: int) -> tuple:
    def ok(v: str) -> bool:
        number = as_int(v)
        return number is not None and number > n

    return ok, f"an integer greater than {n}"


_INT0 = (_int_above(-1)[0], "an integer ≥ 0")
_ETA = (lambda v: (as_float(v) or 0) > 1, "a number greater than 1")
_NAME = (nonempty, "a non-empty string")

_BOOL = (lambda v: str(v).strip().lower() in ("true", "false"), "true or false")
_RATIO = (lambda v: 0 < (as_float(v) or 0) <= 1, "a fraction in (0, 1]")
_SHARE = (lambda v: (f := as_float(v)) is not None and 0 <= f <= 1, "a fraction in [0, 1]")
ALGO_PARAMS: dict[str, dict[str, tuple]] = {
    "Random": {"RandomSeed": _INT0},
    "Hyperband": {
        "RandomSeed": _INT0,
        **dict.fromkeys(ETA_PARAMS, _ETA),
        "ResourceName": _NAME,
        "ResourceValue": _int_above(0),
    },
    ASHA: {
        "RandomSeed": _INT0,
        **dict.fromkeys(ETA_PARAMS, _ETA),
        "ResourceName": _NAME,
        "ResourceValue": _int_above(0),
        MIN_RESOURCE_PARAM: _int_above(0),
        "RandomFraction": _SHARE,
    },
    "Tpe": {
        "RandomSeed": _INT0,
        "WarmUp": _int_above(2),
        "EICandidate": _int_above(1),
        "GoodRatio": _RATIO,
        "GoodMax": _int_above(1),
    },
    "Bayesian": {"RandomSeed": _INT0, "InitPoints": _int_above(0), "CubeSize": _int_above(0), "Noiseless": _BOOL},
    GRID: {},
}


class Checker:
    """Collects every problem (errors) and remark (warnings), each as `path: message`."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}")

    def unknown(self, obj: dict, known: tuple, path: str) -> None:
        for key in obj:
            if key not in known:
                self.warn(f"{path}{key}", "not a startHPO field; sent as given")

    def mapping(self, value: Any, path: str) -> bool:
        if isinstance(value, dict):
            return True
        self.error(path, f"must be a mapping, not {show(value)}")
        return False

    def text(self, obj: dict, key: str, path: str, required: str = "required") -> str | None:
        value = obj.get(key)
        if nonempty(value):
            return value
        self.error(path + key, required if value is None else f"must be a non-empty string, not {show(value)}")
        return None

    def count(self, obj: dict, key: str, path: str, least: int, unlimited: bool) -> None:
        """An optional integer field: ≥ least, or -1 when `unlimited` is allowed."""
        if key not in obj:
            return
        n = as_int(obj[key])
        if n is None or isinstance(obj[key], bool) or not (n >= least or (unlimited and n == -1)):
            want = f"-1 (unlimited) or an integer ≥ {least}" if unlimited else f"an integer ≥ {least}"
            self.error(path + key, f"must be {want}, not {show(obj[key])}")
        else:
            obj[key] = n
