"""startHPO's modelSpec and algoDef (algoParams checked per built-in algorithm)."""

from __future__ import annotations

from typing import Any

from dlicli import wmlaargs
from dlicli.hpospec.checker import ALGO_PARAMS, Checker, as_float, as_number, show
from dlicli.wmla import (
    ALGO_DEF_ALIASES,
    ALGO_DEF_KEYS,
    ASHA,
    ETA_PARAMS,
    GRID,
    METRIC_STRATEGIES,
    MODEL_SPEC_KEYS,
    builtin_algorithm,
    lower,
    objective,
)


def model_spec(c: Checker, body: dict, args_optional: bool = False) -> None:
    """modelSpec: args (required unless the caller builds them, e.g. from --framework), dataSource."""
    required = "required: the dlicmd-style args (or give --framework and --model-main)"
    spec = body.get("modelSpec")
    if spec is None:
        if not args_optional:
            c.error("modelSpec.args", required)
        return
    if not c.mapping(spec, "modelSpec"):
        return
    c.unknown(spec, MODEL_SPEC_KEYS, "modelSpec.")
    if "args" in spec or not args_optional:
        args = c.text(spec, "args", "modelSpec.", required)
        if args is not None:
            _model_args(c, args, args_optional)
    sources = spec.get("dataSource")
    if sources is not None and not (isinstance(sources, list) and all(isinstance(s, dict) for s in sources)):
        c.error("modelSpec.dataSource", "must be a list of data source objects ({type, location, …})")


def _model_args(c: Checker, args: str, args_optional: bool) -> None:
    """modelSpec.args read as the engine reads them (dlicli.wmlaargs): a WMLA option with a bad
    value is an error naming it, in the engine's words; args that are not valid shell quoting only
    a warning (WMLA splits them on whitespace, as dlicmd.py joins them unquoted)."""
    try:
        parsed = wmlaargs.parse(args)
    except wmlaargs.WmlaArgsError as exc:
        c.error("modelSpec.args", str(exc))
        return
    for note in parsed.notes:
        c.warn("modelSpec.args", note)
    if not args_optional and parsed.get("--exec-start") is None:
        c.warn("modelSpec.args", "names no --exec-start FRAMEWORK (give --framework)")


def algo_def(c: Checker, body: dict) -> str | None:
    """Check algoDef; return the algorithm's canonical name for a built-in, its own for a plugin."""
    algo = body.get("algoDef")
    if algo is None:
        c.error("algoDef", "required: algorithm, objectiveMetric, objective …")
        return None
    if not c.mapping(algo, "algoDef"):
        return None
    p = "algoDef."
    c.unknown(algo, ALGO_DEF_KEYS, p)
    name = c.text(
        algo,
        "algorithm",
        p,
        "required: Random, Bayesian, Tpe, Hyperband, ASHA, ExperimentGridSearch or an installed plugin's name",
    )
    canonical = builtin_algorithm(name) if name else None  # WMLA takes any case (IBM's bodies say TPE)
    c.count(algo, "maxRunTime", p, 1, True)
    c.count(algo, "maxJobNum", p, 1, True)
    c.count(algo, "maxParalleJob", p, 1, False)
    c.count(algo, "maxParalleJobNum", p, 1, False)
    for a, b in ALGO_DEF_ALIASES.items():
        if a in algo and b in algo and algo[a] != algo[b]:
            c.error(p + b, f"contradicts {a} ({show(algo[a])}); give one of them")
    for key in ETA_PARAMS:
        if key in algo:
            if (as_float(algo[key]) or 0) > 1:
                algo[key] = as_number(algo[key], "double")
            else:
                c.error(p + key, f"must be a number greater than 1, not {show(algo[key])}")
    c.text(algo, "objectiveMetric", p, "required: the metric to optimise, as named in val_dict_list.json")
    given = algo.get("objective")
    if not (isinstance(given, str) and objective(given)):
        c.error(
            p + "objective",
            "required: minimize or maximize" if given is None else f"must be minimize or maximize, not {show(given)}",
        )
    extra = algo.get("additionalMetrics")
    if extra is not None:
        if not isinstance(extra, dict):
            c.error(p + "additionalMetrics", "must be a mapping {metric: minimize|maximize|latest}")
        else:
            for metric, how in extra.items():
                if not (isinstance(how, str) and lower(how) in METRIC_STRATEGIES):
                    c.warn(
                        f"{p}additionalMetrics.{metric}",
                        f"{show(how)} is not minimize, maximize or latest; the server uses latest",
                    )
    return canonical or name


def algo_params(c: Checker, body: dict, algorithm: str | None, names: set[str]) -> None:
    """algoDef.algoParams: {name, value} strings, checked by name for a built-in algorithm."""
    algo = body.get("algoDef")
    if not isinstance(algo, dict) or algo.get("algoParams") is None:
        params: list = []
    elif not isinstance(algo["algoParams"], list):
        c.error("algoDef.algoParams", "must be a list of {name, value}")
        return
    else:
        params = algo["algoParams"]
    known = ALGO_PARAMS.get(algorithm or "")
    by_lower = {k.lower(): k for k in known or {}}
    seen: dict[str, int] = {}
    given: dict[str, Any] = {}
    for i, param in enumerate(params):
        path = f"algoDef.algoParams[{i}]"
        if not c.mapping(param, path):
            continue
        c.unknown(param, ("name", "value"), path + ".")
        name = c.text(param, "name", path + ".")
        if name is None:
            continue
        key = name.strip().lower()
        if key in seen:
            c.error(path + ".name", f"{name!r} is already algoParams[{seen[key]}]")
            continue
        seen[key] = i
        value = param.get("value")
        if value is None or isinstance(value, (list, dict)):
            c.error(path + ".value", "required: a string" if value is None else f"must be a string, not {show(value)}")
            continue
        if not isinstance(value, str):
            value = param["value"] = str(value).lower() if isinstance(value, bool) else str(value)
        if known is None:
            continue
        canonical = by_lower.get(key)
        if canonical is None:
            _not_its_param(c, path + ".name", name, algorithm or "", known)
            continue
        if canonical != name:
            c.warn(path + ".name", f"WMLA spells it {canonical!r}; sent as {name!r}")
        ok, want = known[canonical]
        if not ok(value):
            c.error(path + ".value", f"{canonical} must be {want}, not {show(value)}")
        given[canonical] = value
    if algorithm in ("Hyperband", ASHA):
        _resource_params(c, algorithm, given, seen, names)
    if algorithm == ASHA and not _has_end(algo):
        c.error("algoDef", "ASHA runs until maxJobNum or maxRunTime ends it: set one of them")


def _not_its_param(c: Checker, path: str, name: str, algorithm: str, known: dict[str, tuple]) -> None:
    """An algoParams name the built-in `algorithm` does not take (WMLA passes it on, unused).

    ExperimentGridSearch takes none, and IBM's own grid body (WMLA-HPO-Custom-Experiment.ipynb)
    carries Hyperband's ResourceName and ResourceValue: a name some built-in takes passes quietly
    there. Elsewhere it is a warning naming its algorithm, as the user may expect it to act."""
    owners = [algo for algo, params in ALGO_PARAMS.items() if name.strip().lower() in map(str.lower, params)]
    if algorithm == GRID and owners:
        return
    article = "an" if algorithm[:1].lower() in "aeiou" else "a"
    whose = f"; {owners[0]} takes it" if owners else ""
    c.warn(
        path,
        f"{name!r} is not {article} {algorithm} parameter (known: {', '.join(known) or 'none'}{whose}); sent anyway",
    )


def _resource_params(c: Checker, algorithm: str, given: dict[str, Any], seen: dict[str, int], names: set[str]) -> None:
    """Hyperband's and ASHA's required algoParams, and their resource not also searched."""
    for required, what in (
        ("ResourceName", "the config.json key it sets, e.g. epochs"),
        ("ResourceValue", "the largest resource, an integer > 0"),
    ):
        if required not in given and required.lower() not in seen:
            c.error("algoDef.algoParams", f"{algorithm} needs {required} ({what})")
    if given.get("ResourceName") in names:
        c.warn(
            "algoDef.algoParams",
            f"ResourceName {given['ResourceName']!r} is also in hyperParams; {algorithm} sets it itself",
        )


def _has_end(algo: Any) -> bool:
    """Whether algoDef sets maxJobNum or maxRunTime (a number > 0)."""
    if not isinstance(algo, dict):
        return False
    return any((as_float(algo.get(key)) or -1) > 0 for key in ("maxJobNum", "maxRunTime"))
