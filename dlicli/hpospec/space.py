"""The search space: hyperParams (Range, Discrete) or, for ExperimentGridSearch, experiments."""

from __future__ import annotations

from typing import Any

from dlicli.hpospec.checker import Checker, as_float, as_int, as_number, blank, show
from dlicli.wmla import (
    ALIASES_OF,
    DATA_TYPES,
    DISCRETE_KEY,
    EXPERIMENT_KEYS,
    FIXED_PARAM_KEYS,
    GRID,
    HP_TYPES,
    HYPER_PARAM_KEYS,
    RANGE_KEYS,
    data_type,
    lower,
)

STR_KEY = DISCRETE_KEY["str"]  # WMLA's discreateStrVal
STR_ALIAS = ALIASES_OF[STR_KEY]  # discreteStrVal


def search_space(c: Checker, body: dict, algorithm: str | None) -> set[str]:
    """hyperParams or experiments, whichever the algorithm takes; the parameter names."""
    hps, exps = body.get("hyperParams"), body.get("experiments")
    if algorithm == GRID:
        if hps not in (None, []):
            c.error("hyperParams", "ExperimentGridSearch runs the given experiments; remove hyperParams")
        if exps is None:
            c.error("experiments", "required for ExperimentGridSearch: the experiments to run")
            return set()
        return _experiments(c, exps)
    if algorithm is not None and exps not in (None, []):
        c.error("experiments", f"only ExperimentGridSearch runs experiments; {algorithm} searches hyperParams")
    if hps is None:
        if algorithm is not None:
            c.error("hyperParams", "required: the parameters to search")
        return set()
    if not isinstance(hps, list) or not hps:
        c.error("hyperParams", "must be a non-empty list of parameters")
        return set()
    names: dict[str, int] = {}
    for i, hp in enumerate(hps):
        path = f"hyperParams[{i}]"
        if not c.mapping(hp, path):
            continue
        name = c.text(hp, "name", path + ".")
        if name is not None:
            if name in names:
                c.error(path + ".name", f"{name!r} is already hyperParams[{names[name]}]")
            names.setdefault(name, i)
        _hyper_param(c, hp, path)
    return set(names)


def _data_type(c: Checker, hp: dict, path: str, given: str | None) -> str | None:
    """int, double or str for a spelling WMLA takes (DATA_TYPES, any case), sent as given; an error
    and None for anything else."""
    canonical = data_type(given) if given and lower(given) in DATA_TYPES else None
    if given and canonical is None:
        c.error(path + ".dataType", f"must be int, double or str, not {hp['dataType']!r}")
    return canonical.lower() if canonical else None


def _hyper_param(c: Checker, hp: dict, path: str) -> None:
    c.unknown(hp, HYPER_PARAM_KEYS, path + ".")
    kind = c.text(hp, "type", path + ".", "required: Range or Discrete")
    dtype = c.text(hp, "dataType", path + ".", "required: int, double or str")
    kind = lower(kind) if kind else None
    if kind not in (None, *HP_TYPES):
        c.error(path + ".type", f"must be Range or Discrete, not {hp['type']!r}")
        kind = None
    dtype = _data_type(c, hp, path, dtype)
    if STR_ALIAS in hp and STR_KEY in hp:
        c.error(path + ".discreteStrVal", "give discreateStrVal (WMLA's spelling) or discreteStrVal, not both")
    if kind == "range" and dtype == "str":
        c.error(path + ".dataType", "a Range is int or double; use Discrete with discreateStrVal for strings")
    elif kind == "range" and dtype:
        _range(c, hp, path, dtype)
    elif kind == "discrete" and dtype:
        _discrete(c, hp, path, dtype)
    if STR_ALIAS in hp and STR_KEY not in hp:
        hp[STR_KEY] = hp.pop(STR_ALIAS)


def _range(c: Checker, hp: dict, path: str, dtype: str) -> None:
    lo_key, hi_key = RANGE_KEYS[dtype]
    what = "an integer" if dtype == "int" else "a number"
    bounds = []
    for key in (lo_key, hi_key):
        if key not in hp:
            c.error(f"{path}.{key}", f"required for a Range of {dtype}")
            continue
        value = as_number(hp[key], dtype)
        if value is None:
            c.error(f"{path}.{key}", f"must be {what}, not {show(hp[key])}")
            continue
        hp[key] = value
        bounds.append(value)
    if len(bounds) == 2 and not bounds[1] > bounds[0]:
        c.error(f"{path}.{hi_key}", f"must be greater than {lo_key} ({show(bounds[0])})")
    for key in ("step", "power"):
        if key not in hp:
            continue
        number = as_float(hp[key])
        if number is None or number <= 0 or (key == "power" and number == 1):
            want = "greater than 0" if key == "step" else "greater than 0 and not 1"
            c.error(f"{path}.{key}", f"must be a number (as a string) {want}, not {show(hp[key])}")
        elif key == "step" and dtype == "int" and "power" not in hp and number != int(number):
            c.error(f"{path}.step", f"must be a whole number for a Range of int, not {show(hp[key])}")
        elif not isinstance(hp[key], str):
            hp[key] = str(hp[key])
    _ignored(
        c,
        hp,
        path,
        [k for keys in RANGE_KEYS.values() for k in keys if k not in (lo_key, hi_key)] + list(DISCRETE_KEY.values()),
        f"a Range of {dtype}",
    )


def _discrete(c: Checker, hp: dict, path: str, dtype: str) -> None:
    key = STR_ALIAS if dtype == "str" and STR_ALIAS in hp else DISCRETE_KEY[dtype]
    values = hp.get(key)
    if not isinstance(values, list) or not values:
        c.error(
            f"{path}.{key}",
            f"required for a Discrete of {dtype}: a non-empty list"
            if values is None
            else f"must be a non-empty list, not {show(values)}",
        )
    else:
        for j, value in enumerate(values):
            if dtype == "str":
                if not isinstance(value, str):
                    c.error(f"{path}.{key}[{j}]", f"must be a string, not {show(value)} (quote it)")
                continue
            number = as_number(value, dtype)
            if number is None:
                c.error(
                    f"{path}.{key}[{j}]", f"must be {'an integer' if dtype == 'int' else 'a number'}, not {show(value)}"
                )
            else:
                values[j] = number
        if len(set(map(str, values))) < len(values):
            c.warn(f"{path}.{key}", "holds a value more than once")
    _ignored(
        c,
        hp,
        path,
        [
            k
            for k in (*DISCRETE_KEY.values(), *RANGE_KEYS["double"], *RANGE_KEYS["int"], "step", "power")
            if k != DISCRETE_KEY[dtype]
        ],
        f"a Discrete of {dtype}",
    )


def _ignored(c: Checker, hp: dict, path: str, keys: list[str], what: str) -> None:
    """A warning for each field that does not apply and holds a value; IBM's template carries every
    field, those that do not apply as 0, 0.0 or [] (WMLA-HPO-state.ipynb), and they pass quietly."""
    for key in keys:
        if key in hp and not blank(hp[key]):
            c.warn(f"{path}.{key}", f"ignored for {what}")


def _experiments(c: Checker, exps: Any) -> set[str]:
    if not isinstance(exps, list) or not exps:
        c.error("experiments", "must be a non-empty list of {id, hyperParams}")
        return set()
    ids: dict[int, int] = {}
    names: set[str] = set()
    for i, exp in enumerate(exps):
        path = f"experiments[{i}]"
        if not c.mapping(exp, path):
            continue
        c.unknown(exp, EXPERIMENT_KEYS, path + ".")
        n = as_int(exp.get("id")) if not isinstance(exp.get("id"), bool) else None
        if n is None:
            c.error(
                path + ".id",
                "required: an integer" if "id" not in exp else f"must be an integer, not {show(exp['id'])}",
            )
        elif n in ids:
            c.error(path + ".id", f"{n} is already experiments[{ids[n]}]'s id")
        else:
            ids[n], exp["id"] = i, n
        # Experiments may name different parameters: each one's config.json holds its own only
        # (IBM's WMLA-HPO-Custom-Experiment.ipynb runs 5 then 2, and WMLA's answer shows just those).
        names |= _fixed_params(c, exp.get("hyperParams"), path + ".hyperParams")
    return names


def _fixed_value(c: Checker, hp: dict, p: str, dtype: str) -> None:
    if "fixedVal" not in hp:
        c.error(p + ".fixedVal", "required")
    elif dtype == "str" and not isinstance(hp["fixedVal"], str):
        c.error(p + ".fixedVal", f"must be a string for dataType str, not {show(hp['fixedVal'])} (quote it)")
    elif dtype in ("int", "double") and as_number(hp["fixedVal"], dtype) is None:
        c.error(
            p + ".fixedVal", f"must be {'an integer' if dtype == 'int' else 'a number'}, not {show(hp['fixedVal'])}"
        )


def _fixed_params(c: Checker, params: Any, path: str) -> set[str]:
    if not isinstance(params, list) or not params:
        c.error(path, "required: a non-empty list of {name, dataType, fixedVal}")
        return set()
    names: set[str] = set()
    for j, hp in enumerate(params):
        p = f"{path}[{j}]"
        if not c.mapping(hp, p):
            continue
        c.unknown(hp, FIXED_PARAM_KEYS, p + ".")
        name = c.text(hp, "name", p + ".")
        if name in names:
            c.error(p + ".name", f"{name!r} is given twice in this experiment")
        names.add(name or "")
        dtype = _data_type(c, hp, p, c.text(hp, "dataType", p + ".", "required: int, double or str"))
        if dtype is not None:
            _fixed_value(c, hp, p, dtype)
    names.discard("")
    return names
