"""WMLA's hyperParams (HpoHyperParameter) as report parameters: a Range of int or double (with
`step`, or `power`: the value is power ** x for x in [min, max], a log scale), a Discrete list of
ints, doubles or strings (WMLA spells the last `discreateStrVal`), Fix (left out: it does not vary).
Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlicli.wmla import data_type


@dataclass(frozen=True)
class Param:
    """One searched hyper-parameter: a numeric range (`low`..`high`, `step`, `log` when WMLA's
    `power` spreads it), or `choices` (Discrete, and every str)."""

    name: str
    kind: str  # "int", "double" or "str"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None
    declared: bool = True  # from the search's hyperParams, not guessed from the values


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def declared(hps: list[Any]) -> dict[str, Param]:
    out: dict[str, Param] = {}
    for hp in hps:
        if isinstance(hp, dict) and hp.get("name"):
            param = _declared_one(hp)
            if param is not None:
                out[param.name] = param
    return out


def _declared_one(hp: dict[str, Any]) -> Param | None:
    name, kind = str(hp["name"]), (data_type(hp.get("dataType")) or "STR").lower()  # STRING, integer …
    shape = str(hp.get("type") or "").lower()
    if shape == "range" and kind in ("int", "double"):
        suffix = "Int" if kind == "int" else "Db"
        low, high = _number(hp.get(f"min{suffix}Val")), _number(hp.get(f"max{suffix}Val"))
        if low is None or high is None:
            return None
        power = _number(hp.get("power"))
        if power is not None and power > 0:
            return Param(name, kind, power**low, power**high, log=True)
        return Param(name, kind, low, high, step=_number(hp.get("step")))
    if shape == "discrete":
        for key in ("discreteIntVal", "discreteDbVal", "discreteStrVal", "discreateStrVal"):
            if isinstance(hp.get(key), list) and hp[key]:
                return Param(name, kind, choices=tuple(hp[key]))
    return None


def guessed(name: str, values: list[Any]) -> Param:
    """A parameter the server did not declare: numbers as a range of what was tried, else choices."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        kind = "int" if all(isinstance(v, int) for v in values) else "double"
        return Param(name, kind, float(min(values)), float(max(values)), declared=False)
    return Param(name, "str", choices=tuple(dict.fromkeys(values)), declared=False)
