"""The search space: WMLA's `hyperParams` in any key case or spelling → typed parameters.

Every parameter maps to one dimension of the unit cube so the model-based algorithms (Bayesian)
work in [0, 1]^d: a continuous Range linearly (on the exponent when `power` is set, i.e. a
log scale), anything finite (int Range, stepped Range, Discrete) as the centre of one of its
n equal cells, so uniform sampling of the cube is uniform over the grid and decoding rounds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlicli.wmla import DISCRETE_KEY, HYPER_PARAM_KEYS, RANGE_KEYS, data_type, hp_type, normalise_keys

_EPS = 1e-9


class SpaceError(ValueError):
    """A hyperparameter definition the algorithms cannot use; the message names the field path."""


def to_number(value: Any, kind: type) -> int | float:
    """int() or float() of a number or numeric string; "3.0" is a valid int, "3.5" is not."""
    f = float(value)
    if kind is not int:
        return f
    if f != int(f):
        raise ValueError(f"not an integer: {value!r}")
    return int(f)


def canonical_keys(hp: dict[str, Any]) -> dict[str, Any]:
    """One hyperparameter with WMLA's key spellings (unknown keys kept as written)."""
    return normalise_keys(hp, HYPER_PARAM_KEYS, fold_aliases=True)


def _number(where: str, value: Any, kind: type) -> Any:
    try:
        number = to_number(value, kind)
    except (TypeError, ValueError, OverflowError):
        raise SpaceError(f"{where}: not {'an integer' if kind is int else 'a number'}: {value!r}") from None
    if not math.isfinite(number):
        raise SpaceError(f"{where}: not a finite number: {value!r}")
    return number


def _values(where: str, raw: Any) -> list[Any]:
    if isinstance(raw, str):
        raw = [v.strip() for v in raw.strip().strip("[]").split(",") if v.strip()]
    if not isinstance(raw, (list, tuple)) or not raw:
        raise SpaceError(f"{where}: must be a non-empty list")
    return list(raw)


class Grid:
    """Every value a finite parameter can take, in order, computed on demand: a Range of 10^30
    integers costs what one of 3 does. Either a list (a Discrete's values) or `size` steps from
    `start` by `step` (exponents when the parameter has a power), typed by `typed`.
    `size` is a Python int (len() cannot exceed 2^63)."""

    def __init__(self, param: Param, values: list[Any] | None = None, start: float = 0.0, step: float = 1.0):
        self.param, self.values, self.start, self.step = param, values, start, step
        self.exact = False
        if values is not None:
            self.size = len(values)
        else:
            self.exact = param.dtype == "INT" and param.power is None and float(step).is_integer()
            if self.exact:  # integer arithmetic: no tolerance lets a step past the top in
                self.size = (int(param.high) - int(start)) // int(step) + 1
            else:
                self.size = max(1, math.floor((param.high - start) / step + _EPS) + 1)

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self.size:
            raise IndexError(i)
        if self.values is not None:
            return self.values[i]
        if self.exact:  # integers stay exact however large
            return int(self.start) + i * int(self.step)
        return self.param._typed(self.start + i * self.step)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self.size))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple)):
            return self.size == len(other) and all(self[i] == v for i, v in enumerate(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def index(self, value: Any) -> int:
        """The index of a value (the nearest one for numbers): arithmetic, never a scan of a Range."""
        if self.values is not None:
            if self.param.dtype == "STR":
                return self.values.index(str(value))
            v = float(value)
            return min(range(self.size), key=lambda i: abs(float(self.values[i]) - v))  # type: ignore[index]
        v = float(value)
        x = v
        if self.param.power is not None:
            x = math.log(max(v, 1e-300)) / math.log(self.param.power)
        guess = min(max(round((x - self.start) / self.step), 0), self.size - 1)
        near = [i for i in (guess - 1, guess, guess + 1) if 0 <= i < self.size]
        return min(near, key=lambda i: abs(float(self[i]) - v))


@dataclass
class Param:
    """One typed parameter. `low`/`high` are exponents when `power` is set."""

    name: str
    kind: str  # Range | Discrete
    dtype: str  # DOUBLE | INT | STR
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    power: float | None = None
    values: list[Any] = field(default_factory=list)  # Discrete choices, typed
    grid: Grid | None = None  # every value a finite parameter can take, in order (lazily)

    def __post_init__(self) -> None:
        if self.kind == "Discrete":
            self.grid = Grid(self, values=list(self.values))
        elif self.step is not None or (self.dtype == "INT" and self.power is None):
            self.grid = Grid(self, start=self.low, step=self.step or 1.0)
        elif self.dtype == "INT":  # int with a power and no step: integer exponents
            self.grid = Grid(self, start=math.ceil(self.low - _EPS), step=1.0)

    def _typed(self, x: float) -> Any:
        """An exponent or raw value → the value the user gets."""
        v = self.power**x if self.power is not None else x
        if self.dtype == "INT":
            return round(v)
        if self.power is not None:
            return float(v)
        # 12 significant digits (0.1 + 0.2 → 0.3; 1e-100 stays 1e-100), kept inside the range
        return min(max(float(f"{v:.12g}"), self.low), self.high)

    def decode(self, u: float) -> Any:
        """A unit-interval coordinate → a typed value."""
        u = min(max(float(u), 0.0), 1.0)
        if self.grid is not None:
            return self.grid[min(int(u * self.grid.size), self.grid.size - 1)]
        return self._typed(self.low + u * (self.high - self.low))

    def encode(self, value: Any) -> float:
        """A typed value → its unit-interval coordinate (a grid value → its cell centre)."""
        if self.grid is not None:
            return (self.index(value) + 0.5) / self.grid.size
        x = float(value)
        if self.power is not None:
            x = math.log(max(x, 1e-300)) / math.log(self.power)
        return 0.0 if self.high == self.low else min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)

    def index(self, value: Any) -> int:
        """The grid index of a value (the nearest one for numbers)."""
        assert self.grid is not None
        return self.grid.index(value)

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Coordinates moved to their cell centres (no-op for continuous parameters)."""
        if self.grid is None:
            return np.clip(u, 0.0, 1.0)
        n = float(self.grid.size)
        return (np.minimum(np.floor(np.clip(u, 0.0, 1.0) * n), n - 1) + 0.5) / n

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a Range can take (in values, not exponents)."""
        if self.power is None:
            return self.low, self.high
        ends = (self.power**self.low, self.power**self.high)
        return min(ends), max(ends)

    def snap_value(self, value: Any) -> tuple[Any, bool]:
        """A plugin's value → the value the built-ins would have produced nearest to it (on the
        step/power grid, clipped into the range), and whether it lay outside the range.
        Raises SpaceError for a value that is not of the parameter's type."""
        if self.dtype == "STR":
            if str(value) not in self.values:
                raise SpaceError(f"{self.name}: {value!r} is not one of {self.grid}")
            return str(value), False
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise SpaceError(f"{self.name}: {value!r} is not a number")
        try:
            x = float(value)
        except ValueError:
            raise SpaceError(f"{self.name}: {value!r} is not a number") from None
        if math.isnan(x):
            raise SpaceError(f"{self.name}: {value!r} is not a number")
        low, high = (min(self.values), max(self.values)) if self.kind == "Discrete" else self.bounds()
        outside = x < low - _EPS * max(1.0, abs(low)) or x > high + _EPS * max(1.0, abs(high))
        x = min(max(x, low), high)
        if self.grid is not None:
            return self.grid[self.index(x)], outside
        return (round(x) if self.dtype == "INT" else x), outside


def parse_param(hp: dict[str, Any], where: str = "hyper_parameters[0]") -> Param:
    """One hyperparameter dict (any key case/spelling, values maybe strings) → Param."""
    if not isinstance(hp, dict):
        raise SpaceError(f"{where}: must be an object")
    d = canonical_keys(hp)
    name = d.get("name")
    if not isinstance(name, str) or not name:
        raise SpaceError(f"{where}.name: required")
    kind = hp_type(d.get("type"))
    if kind is None:
        raise SpaceError(f"{where}.type: must be Range or Discrete, not {d.get('type')!r}")
    dtype = data_type(d.get("dataType"))
    if dtype is None:
        raise SpaceError(f"{where}.dataType: must be int, double or str, not {d.get('dataType')!r}")
    cast = {"INT": int, "DOUBLE": float, "STR": str}[dtype]
    if kind == "Fix":
        if "fixedVal" not in d:
            raise SpaceError(f"{where}.fixedVal: required")
        value = d["fixedVal"] if dtype == "STR" else _number(f"{where}.fixedVal", d["fixedVal"], cast)
        return Param(name, "Discrete", dtype, values=[str(value) if dtype == "STR" else value])
    if kind == "Discrete":
        key = DISCRETE_KEY[dtype.lower()]
        raw = _values(f"{where}.{key}", d.get(key))
        if dtype == "STR":
            values = [str(v) for v in raw]
        else:
            values = [_number(f"{where}.{key}[{i}]", v, cast) for i, v in enumerate(raw)]
        return Param(name, kind, dtype, values=list(dict.fromkeys(values)))
    if dtype == "STR":
        raise SpaceError(f"{where}.dataType: a Range must be int or double")
    return _range(d, where, name, dtype, cast)


def _range(d: dict[str, Any], where: str, name: str, dtype: str, cast: type) -> Param:
    """A Range parameter, its bounds, step and power checked so that no value it yields overflows."""
    lo_key, hi_key = RANGE_KEYS[dtype.lower()]
    for key in (lo_key, hi_key):
        if d.get(key) in (None, ""):
            raise SpaceError(f"{where}.{key}: required for a Range of {dtype.lower()}")
    low = float(_number(f"{where}.{lo_key}", d[lo_key], cast))
    high = float(_number(f"{where}.{hi_key}", d[hi_key], cast))
    if high < low:
        raise SpaceError(f"{where}.{hi_key}: must not be less than {lo_key} ({d[lo_key]})")
    step = power = None
    if d.get("step") not in (None, ""):
        step = _number(f"{where}.step", d["step"], float)
        if step <= 0:
            raise SpaceError(f"{where}.step: must be greater than 0")
    if d.get("power") not in (None, ""):
        power = _number(f"{where}.power", d["power"], float)
        if power <= 0 or power == 1:
            raise SpaceError(f"{where}.power: must be positive and not 1")
    _check_width(where, f"{lo_key} to {hi_key}", low, high, step, power)
    return Param(name, "Range", dtype, low, high, step, power)


def _check_width(where: str, what: str, low: float, high: float, step: float | None, power: float | None) -> None:
    """Refuse a range whose width, step count or powers overflow a double (they would be inf)."""
    width = high - low
    if not math.isfinite(width) or (step is not None and not math.isfinite(width / step)):
        raise SpaceError(f"{where}: the range {what} is too wide: {high!r} - {low!r} overflows")
    if power is not None:
        try:
            ends = [power**low, power**high]
        except OverflowError:
            ends = [math.inf]
        if not all(math.isfinite(v) for v in ends):
            raise SpaceError(f"{where}: the range {what} is too wide: power {power!r} ** {high!r} overflows")


class Space:
    """The parameters of one search, in the given order."""

    def __init__(self, hyper_parameters: list[dict[str, Any]], exclude: tuple[str, ...] = ()):
        if not isinstance(hyper_parameters, list):
            raise SpaceError("hyper_parameters: must be a list")
        self.params = [parse_param(hp, f"hyper_parameters[{i}]") for i, hp in enumerate(hyper_parameters)]
        self.params = [p for p in self.params if p.name not in exclude]
        names = [p.name for p in self.params]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise SpaceError(f"hyper_parameters: duplicate name {sorted(dup)[0]!r}")

    @property
    def dim(self) -> int:
        return len(self.params)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def size(self) -> float:
        """How many distinct points the space has (inf when any parameter is continuous)."""
        return math.prod(p.grid.size if p.grid is not None else math.inf for p in self.params)

    def decode(self, u: np.ndarray) -> dict[str, Any]:
        return {p.name: p.decode(x) for p, x in zip(self.params, u)}

    def encode(self, values: dict[str, Any]) -> np.ndarray:
        return np.array([p.encode(values[p.name]) for p in self.params], dtype=float)

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Points (n, d) moved onto what decode() can produce, so models see real points."""
        u = np.atleast_2d(np.asarray(u, dtype=float)).copy()
        for j, p in enumerate(self.params):
            u[:, j] = p.snap(u[:, j])
        return u

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One uniform draw: uniform over each grid, log-uniform for a Range with power."""
        return self.decode(rng.random(self.dim))

    def snap_values(self, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A suggestion moved onto the space (see Param.snap_value); names outside the space stay
        as given. Returns the snapped values and a note per value that changed."""
        out, notes = dict(values), []
        for p in self.params:
            if p.name not in values:
                continue
            snapped, outside = p.snap_value(values[p.name])
            out[p.name] = snapped
            if outside:
                notes.append(f"{p.name}={values[p.name]!r} is outside its range; clipped to {snapped!r}")
            elif snapped != values[p.name] or type(snapped) is not type(values[p.name]):
                notes.append(f"{p.name}={values[p.name]!r} snapped to {snapped!r}")
        return out, notes

    def contains(self, values: dict[str, Any]) -> bool:
        try:
            return all(p.decode(p.encode(values[p.name])) == values[p.name] for p in self.params)
        except (KeyError, ValueError, TypeError):
            return False


def canonical_hyper_parameters(hyper_parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a WMLA plugin receives: WMLA's key spellings, `type` Range/Discrete, `dataType`
    DOUBLE/INT/STR, numbers as numbers, `step`/`power` as strings."""
    out = []
    for i, hp in enumerate(hyper_parameters):
        p = parse_param(hp, f"hyper_parameters[{i}]")
        d = {k: v for k, v in canonical_keys(hp).items() if k not in ("type", "dataType")}
        d.update(name=p.name, type=p.kind, dataType=p.dtype)
        if p.kind == "Discrete":
            d[DISCRETE_KEY[p.dtype.lower()]] = list(p.values)
        elif p.dtype == "INT":
            d.update(minIntVal=int(p.low), maxIntVal=int(p.high))
        else:
            d.update(minDbVal=p.low, maxDbVal=p.high)
        for key in ("step", "power"):
            if d.get(key) not in (None, ""):
                d[key] = str(d[key])
        out.append(d)
    return out
