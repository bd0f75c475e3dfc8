"""Searches as one in-memory Optuna study each (the experiments as trials, in id order, FAILED ones
as failed trials), and the parameter importances.

Importances are PED-ANOVA's (optuna.importance.PedAnovaImportanceEvaluator): deterministic, no
scikit-learn, milliseconds for hundreds of trials (fANOVA takes seconds there). Its top quantile
grows on small searches so that it holds a few experiments
(https://optuna.readthedocs.io/en/latest/reference/generated/optuna.importance.PedAnovaImportanceEvaluator.html)."""

from __future__ import annotations

import warnings
from typing import Any

from dlicli.hporeport.data import Search
from dlicli.hporeport.extras import need
from dlicli.hporeport.space import Param


def optuna() -> Any:
    _import_without_sklearn()
    module = need("optuna")
    module.logging.set_verbosity(module.logging.WARNING)
    warnings.filterwarnings("ignore", category=module.exceptions.ExperimentalWarning)
    return module


def _import_without_sklearn() -> None:
    """Import optuna.importance and optuna.visualization with scikit-learn hidden: they import it
    (seconds) for fANOVA, which the report does not use. A None in sys.modules makes that import
    fail as when it is not installed, which Optuna expects; sklearn imports normally afterwards."""
    import sys

    if "optuna.visualization" in sys.modules or "sklearn" in sys.modules:
        return
    sys.modules["sklearn"] = None  # type: ignore[assignment]  # None: "not installed", for the import system
    try:
        need("optuna.importance")
        need("optuna.visualization")
    finally:
        del sys.modules["sklearn"]


def distribution(param: Param, values: list[Any]) -> Any:
    """The Optuna distribution of a parameter, widened to hold every value tried (a server may round
    a range's ends); a step only when every value lies on it."""
    dists = optuna().distributions
    if param.choices is not None or param.kind == "str":
        return dists.CategoricalDistribution(list(dict.fromkeys([*(param.choices or ()), *values])))
    numbers = [float(v) for v in values]
    low = min([param.low if param.low is not None else numbers[0], *numbers])
    high = max([param.high if param.high is not None else numbers[0], *numbers])
    step = (
        param.step
        if param.step and all(abs((v - low) / param.step - round((v - low) / param.step)) < 1e-9 for v in numbers)
        else None
    )
    log = param.log and low > 0
    if param.kind == "int" and all(float(v).is_integer() for v in numbers):
        return dists.IntDistribution(int(low), int(high), log=log, step=1 if log or not step else int(step))
    return dists.FloatDistribution(low, max(high, low), log=log, step=None if log else step)


def distributions(searches: list[Search]) -> dict[str, Any]:
    space = searches[0].space
    return {
        name: distribution(
            param, [e.params[name] for s in searches for e in s.experiments if e.params.get(name) is not None]
        )
        for name, param in space.items()
    }


def study_of(search: Search, dists: dict[str, Any]) -> Any:
    opt = optuna()
    study = opt.create_study(direction=search.direction, study_name=search.name)
    trial_state = opt.trial.TrialState
    for exp in search.experiments:
        params = {n: _typed(v, dists[n]) for n, v in exp.params.items() if n in dists and v is not None}
        if exp.value is not None:
            state, value = trial_state.COMPLETE, exp.value
        elif exp.state in ("FAILED", "ERROR", "KILLED", "STOPPED"):
            state, value = trial_state.FAIL, None
        else:
            continue
        study.add_trial(
            opt.trial.create_trial(params=params, distributions={n: dists[n] for n in params}, value=value, state=state)
        )
    return study


def _typed(value: Any, dist: Any) -> Any:
    name = type(dist).__name__
    return int(value) if name == "IntDistribution" else float(value) if name == "FloatDistribution" else value


def studies(searches: list[Search]) -> list[Any]:
    dists = distributions(searches)
    return [study_of(s, dists) for s in searches]


def evaluator(study: Any) -> Any:
    """PED-ANOVA whose top quantile holds at least 5 finished experiments where it can (Optuna's
    advice), 10 % of them on large searches. Optuna 3.6 calls the quantile `baseline_quantile`."""
    done = len([t for t in study.get_trials(deepcopy=False) if t.value is not None])
    quantile = max(0.1, min(0.5, 5 / max(done, 1)))
    make = optuna().importance.PedAnovaImportanceEvaluator
    try:
        return make(target_quantile=quantile)
    except TypeError:
        return make(baseline_quantile=quantile)


def pooled(searches: list[Search], all_studies: list[Any]) -> Any:
    """One study of every search's experiments (the same space): what the slices, contour and
    importances of an overlay show."""
    if len(all_studies) == 1:
        return all_studies[0]
    opt = optuna()
    study = opt.create_study(direction=searches[0].direction, study_name=" + ".join(s.name for s in searches))
    study.add_trials([t for s in all_studies for t in s.get_trials(deepcopy=False)])
    return study


def importances(study: Any) -> dict[str, float]:
    """{parameter: share of the objective's variation}, largest first; {} when fewer than two
    parameters or finished experiments."""
    done = [t for t in study.get_trials(deepcopy=False) if t.value is not None]
    names = {n for t in done for n in t.params}
    if len(names) < 2 or len(done) < 2:
        return {}
    found = optuna().importance.get_param_importances(study, evaluator=evaluator(study))
    return {name: float(share) for name, share in found.items()}
