"""The `data` of POST /hypersearch (and of /hypersearch/algorithm/debug) checked and normalised.

Errors are EngineError(400) whose message names the field path (`algoDef.objective: …`). The API's
spellings (tables in `dlicli.wmla`) are read both ways: keys in any case, `maxParalleJob`/`maxParalleJobNum`,
`eta`/`hyperbandEta`, `discreteStrVal`/`discreateStrVal`, algoParams as a list of {name, value} or
a {name: value} object; values of algoParams are passed to the algorithm as strings.

The debug endpoint's file (`task_attr.json`, what `hpo algorithm test` reads) is `task_attr()`:
{"format": "dlicli.task_attr/1", "name", "algorithm", "hyper_parameters" (WMLA's canonical
spelling, what a plugin's __init__ gets), "kwargs" (every keyword argument the algorithm is built
with: algoParams as strings plus objective, objectiveMetric and maxJobNum), "algoParams",
"objective", "objectiveMetric", "maxJobNum", "maxParalleJobNum", "maxRunTime",
"additionalMetrics", "experiments" (ExperimentGridSearch only, else null), "input" (the body as sent)}.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from dlicli.engine import EngineError, strictjson
from dlicli.engine.limits import Limits, option_of
from dlicli.engine.tasks import execargs
from dlicli.wmla import (
    ALGO_DEF_KEYS,
    BUILTIN_ALGORITHMS,
    ETA_PARAMS,
    GRID,
    MODEL_SPEC_KEYS,
    TOP_KEYS,
    aliased,
    builtin_algorithm,
    metric_strategy,
    normalise_keys,
    objective,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
RESERVED = {"algorithm"}  # /hypersearch/algorithm is the algorithm list
TASK_ATTR_FORMAT = "dlicli.task_attr/1"


def bad(message: str) -> EngineError:
    return EngineError(400, message)


def _int(where: str, value: Any, default: int, minimum: int, unlimited: bool) -> int:
    if value in (None, ""):
        return default
    try:
        number = float(value)
        if isinstance(value, bool) or number != int(number):
            raise ValueError
        number = int(number)
    except (TypeError, ValueError, OverflowError):
        raise bad(f"{where}: must be a whole number, not {value!r}") from None
    if unlimited and number == -1:
        return -1
    if number < minimum:
        raise bad(f"{where}: must be {'-1 (unlimited) or ' if unlimited else ''}at least {minimum}, not {number}")
    return number


def check_name(name: Any, what: str = "hpoName") -> str:
    if not isinstance(name, str) or not NAME_RE.match(name) or name.lower() in RESERVED:
        raise bad(
            f"{what}: {name!r} is not a valid name (letters, digits, '_', '.', '-'; at most 128; "
            f"not {', '.join(sorted(RESERVED))})"
        )
    return name


def parse_body(data: Any) -> dict:
    """The data field (JSON text or an object) as a dict."""
    if isinstance(data, (str, bytes)):
        if not data.strip():
            raise bad("the form field data (the hpo task as JSON) is required")
        data = strictjson.loads(data, "data")
    if not isinstance(data, dict):
        raise bad("data: must be a JSON object")
    return data


@dataclass
class HpoInput:
    name: str
    args: str
    parsed: execargs.ExecArgs | None
    algorithm: str
    builtin: bool
    hyper_parameters: list[dict]  # canonical spelling ([] for the grid)
    experiments: list[dict] | None  # the grid's experiments as sent
    algo_params: dict[str, str]
    objective: str  # minimize | maximize
    objective_metric: str
    max_jobs: int  # -1 = unlimited
    max_parallel: int
    max_run_time: int  # minutes, -1 = unlimited
    additional_metrics: dict[str, str]
    model_spec: dict
    raw: dict
    searched: set[str] = field(default_factory=set)  # names the user asked to search

    @property
    def maximize(self) -> bool:
        return self.objective == "maximize"

    def kwargs(self) -> dict[str, Any]:
        """The algorithm's keyword arguments (plugins get strings only)."""
        out: dict[str, Any] = dict(self.algo_params)
        out.update(objective=self.objective, objectiveMetric=self.objective_metric, maxJobNum=str(self.max_jobs))
        if self.experiments is not None:
            out["experiments"] = self.experiments
        return out

    def job_limit(self) -> int:
        """maxJobNum, or the grid's size when that is smaller or there is no maxJobNum."""
        if self.experiments is not None:
            size = len(self.experiments)
            return size if self.max_jobs <= 0 else min(size, self.max_jobs)
        return self.max_jobs

    def summary(self) -> dict:
        return {
            "objective": self.objective,
            "objectiveMetric": self.objective_metric,
            "maxJobNum": self.job_limit(),
            "searched": self.searched,
        }


def parse(data: Any, user: str, plugins: dict[str, Any], *, debug: bool = False) -> HpoInput:
    """Validate a task body. `plugins` maps installed plugin names (any case) to their rows; in
    debug mode any algorithm name is accepted (a plugin may be debugged before it is installed)."""
    raw = parse_body(data)
    body = normalise_keys(raw, TOP_KEYS)
    name = body.get("hpoName")
    name = check_name(name) if name not in (None, "") else f"{user}-hpo-{secrets.token_hex(4)}"
    spec, args, parsed = _model_spec(body.get("modelSpec"), debug)
    algo = body.get("algoDef")
    if not isinstance(algo, dict):
        raise bad("algoDef: required (an object with algorithm, objectiveMetric and objective)")
    a = normalise_keys(algo, ALGO_DEF_KEYS)
    algorithm, builtin = _algorithm(a.get("algorithm"), plugins, debug)
    goal, metric = _objective(a)
    max_jobs = _int("algoDef.maxJobNum", a.get("maxJobNum"), -1, 1, True)
    max_parallel = _int("algoDef.maxParalleJob", aliased(a, "maxParalleJobNum"), 1, 1, False)
    max_run_time = _int("algoDef.maxRunTime", a.get("maxRunTime"), -1, 1, True)
    additional = _additional_metrics(a.get("additionalMetrics"))
    algo_params = _algo_params(a)
    hyper, experiments, searched = _search_space(algorithm, body.get("hyperParams"), body.get("experiments"))
    return HpoInput(
        name=name,
        args=args or "",
        parsed=parsed,
        algorithm=algorithm,
        builtin=builtin,
        hyper_parameters=hyper,
        experiments=experiments,
        algo_params=algo_params,
        objective=goal,
        objective_metric=metric,
        max_jobs=max_jobs,
        max_parallel=max_parallel,
        max_run_time=max_run_time,
        additional_metrics=additional,
        model_spec=spec,
        raw=raw,
        searched=searched,
    )


def _model_spec(spec: Any, debug: bool) -> tuple[dict, Any, execargs.ExecArgs | None]:
    """modelSpec, its args and their parse (args may be absent only in debug mode)."""
    spec = spec or {}
    if not isinstance(spec, dict):
        raise bad("modelSpec: must be an object")
    args = normalise_keys(spec, MODEL_SPEC_KEYS).get("args")
    if debug and not args:
        return spec, args, None
    if not isinstance(args, str) or not args.strip():
        raise bad("modelSpec.args: required (the training command, as for exec start)")
    try:
        return spec, args, execargs.parse_args(args)
    except EngineError as exc:
        raise bad(f"modelSpec.args: {exc.message}") from None


def _algorithm(algorithm: Any, plugins: dict[str, Any], debug: bool) -> tuple[str, bool]:
    """The algorithm's own spelling and whether it is built in."""
    if not isinstance(algorithm, str) or not algorithm.strip():
        raise bad("algoDef.algorithm: required")
    builtin = builtin_algorithm(algorithm)
    if builtin is not None:
        return builtin, True
    if algorithm.strip().lower() in plugins:
        return plugins[algorithm.strip().lower()]["name"], False
    if debug:
        return algorithm.strip(), False
    known = ", ".join([*BUILTIN_ALGORITHMS, *sorted(p["name"] for p in plugins.values())])
    raise bad(f"algoDef.algorithm: unknown algorithm {algorithm!r}; this engine has {known}")


def _objective(a: dict[str, Any]) -> tuple[str, str]:
    """(minimize | maximize, objectiveMetric)."""
    goal = objective(a.get("objective"))
    if goal is None:
        raise bad(f"algoDef.objective: must be minimize or maximize, not {a.get('objective')!r}")
    metric = a.get("objectiveMetric")
    if not isinstance(metric, str) or not metric.strip():
        raise bad("algoDef.objectiveMetric: required (the metric's name in val_dict_list.json)")
    return goal, metric.strip()


def _additional_metrics(additional: Any) -> dict[str, str]:
    """{metric: minimize|maximize|latest}, from an object or a list of {name, value}."""
    additional = additional or {}
    if isinstance(additional, list):
        additional = {str(m.get("name")): m.get("value") for m in additional if isinstance(m, dict)}
    if not isinstance(additional, dict):
        raise bad("algoDef.additionalMetrics: must be an object {metric: minimize|maximize|latest}")
    return {str(k): metric_strategy(v) for k, v in additional.items()}


def _search_space(algorithm: str, hyper: Any, experiments: Any) -> tuple[list[dict], list[dict] | None, set[str]]:
    """(hyperParams in WMLA's canonical spelling, the grid's experiments, the searched names)."""
    from dlicli.engine.hpo.algorithms.space import SpaceError, canonical_hyper_parameters

    if algorithm == GRID:
        if hyper:
            raise bad("hyperParams: ExperimentGridSearch takes experiments, not hyperParams")
        return [], experiments, _grid_names(experiments)
    if experiments:
        raise bad(f"experiments: only ExperimentGridSearch takes experiments; {algorithm} takes hyperParams")
    if not isinstance(hyper, list) or not hyper:
        raise bad("hyperParams: required (a non-empty list of hyperparameters to search)")
    try:
        canonical = canonical_hyper_parameters(hyper)
    except SpaceError as exc:
        raise bad(str(exc).replace("hyper_parameters[", "hyperParams[", 1)) from None
    searched = {hp["name"] for hp in canonical}
    if len(searched) != len(canonical):
        raise bad("hyperParams: each name must appear once")
    return canonical, None, searched


def _algo_params(a: dict[str, Any]) -> dict[str, str]:
    params = a.get("algoParams") or []
    if isinstance(params, dict):
        params = [{"name": k, "value": v} for k, v in params.items()]
    if not isinstance(params, list):
        raise bad("algoDef.algoParams: must be a list of {name, value}")
    out: dict[str, str] = {}
    for i, param in enumerate(params):
        if not isinstance(param, dict) or not str(param.get("name") or "").strip():
            raise bad(f"algoDef.algoParams[{i}].name: required")
        value = param.get("value")
        text = value if isinstance(value, str) else json.dumps(value)
        out[str(param["name"]).strip()] = "" if value is None else text
    eta_names = {n.lower() for n in ETA_PARAMS}
    for key in reversed(ETA_PARAMS):  # algoDef's hyperbandEta, else its eta; an algoParams entry wins
        if a.get(key) not in (None, "") and not any(k.lower() in eta_names for k in out):
            out["eta"] = str(a[key])
    return out


def _grid_names(experiments: Any) -> set[str]:
    from dlicli.engine.hpo.algorithms.base import OptimizerError
    from dlicli.engine.hpo.algorithms.grid import parse_experiments

    if not experiments:
        raise bad("experiments: required for ExperimentGridSearch (a non-empty list)")
    try:
        configs = parse_experiments(experiments)
    except OptimizerError as exc:
        raise bad(str(exc)) from None
    return {name for config in configs for name in config}


def check_limits(hpo: HpoInput, limits: Limits) -> None:
    """A search asking more than the engine's limits allows is refused before anything runs (400)."""
    caps = (
        ("algoDef.maxJobNum", hpo.max_jobs, limits.max_job_num, "max_job_num"),
        ("algoDef.maxParalleJob", hpo.max_parallel, limits.max_parallel_jobs, "max_parallel_jobs"),
    )
    for where, value, cap, name in caps:
        if value > cap:
            raise bad(f"{where}: {value} is more than this engine's limit of {cap} (server start {option_of(name)})")
    if hpo.experiments is None:
        return
    from dlicli.engine.hpo.algorithms.grid import parse_experiments

    size = len(parse_experiments(hpo.experiments))  # checked by parse() already
    if size > limits.max_grid:
        raise bad(
            f"experiments: the grid has {size} experiments, more than this engine's limit of "
            f"{limits.max_grid} (server start {option_of('max_grid')})"
        )


def task_attr(hpo: HpoInput) -> dict:
    """The debug endpoint's file: what the algorithm would be built with (see the module doc)."""
    kwargs = {k: v for k, v in hpo.kwargs().items() if k != "experiments"}
    return {
        "format": TASK_ATTR_FORMAT,
        "name": hpo.name,
        "algorithm": hpo.algorithm,
        "hyper_parameters": hpo.hyper_parameters,
        "kwargs": kwargs,
        "algoParams": hpo.algo_params,
        "objective": hpo.objective,
        "objectiveMetric": hpo.objective_metric,
        "maxJobNum": hpo.max_jobs,
        "maxParalleJobNum": hpo.max_parallel,
        "maxRunTime": hpo.max_run_time,
        "additionalMetrics": hpo.additional_metrics,
        "experiments": hpo.experiments,
        "input": hpo.raw,
    }
