"""The Optuna sampler Tpe drives: TPESampler with rank weights in l(x) and running experiments
believed at their neighbours' results.

Both go through Optuna's private `_tpe` internals (the estimator's build and `_sample`): its
public parameters cannot express them. tests/engine_hpo/test_tpe.py fails loudly if an Optuna
upgrade renames them (pyproject keeps optuna < 6).
"""

from __future__ import annotations

from typing import Any

import numpy as np

NEIGHBOURS = 5  # finished experiments a running one's believed result is interpolated from
RECOMBINED = 0.5  # share of a busy pick's candidates drawn from the product of l(x)'s marginals

_CLASSES: dict[int, type] = {}


def believed_results(done: np.ndarray, results: np.ndarray, running: np.ndarray, categorical: np.ndarray):
    """The result each running point is believed to get: the inverse-distance weighted mean of its
    NEIGHBOURS nearest finished points (rows in the unit cube; a categorical coordinate counts 1
    when it differs)."""
    diff = running[:, None, :] - done[None, :, :]
    diff = np.where(categorical, (diff != 0).astype(float), diff)
    dist = np.sqrt((diff * diff).sum(axis=2))
    near = np.argsort(dist, axis=1, kind="stable")[:, :NEIGHBOURS]
    weight = 1.0 / (np.take_along_axis(dist, near, axis=1) + 1e-9)
    return (weight * results[near]).sum(axis=1) / weight.sum(axis=1)


def ranked_sampler_class(optuna: Any) -> type:
    """Optuna's TPESampler, changed in two places (see tpe.py's docstring for the figures):

    - l(x) weighs each good trial by its rank. Optuna's `weights(n)` sees the good trials in
      trial-number order, so rank weights go through the one place that knows the losses;
    - experiments still running are split into good and bad at the result believed for them
      (believed_results), not left out and not counted as bad (Optuna's constant liar);
    - while experiments run, half the candidates are recombined (recombined)."""
    if id(optuna) in _CLASSES:
        return _CLASSES[id(optuna)]
    tpe_mod = optuna.samplers._tpe
    states = optuna.trial.TrialState

    class RankedTpe(optuna.samplers.TPESampler):
        def __init__(self, *args: Any, rank_weights: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._rank_weights = rank_weights

        def _build_parzen_estimator(self, study, search_space, trials, handle_below):
            if not handle_below or not trials:
                return super()._build_parzen_estimator(study, search_space, trials, handle_below)
            observations = self._get_internal_repr(trials, search_space, study)
            values = np.array([t.value if t.value is not None else np.inf for t in trials], dtype=float)
            weights = np.asarray(self._rank_weights(values), dtype=float)
            return tpe_mod.parzen_estimator._ParzenEstimator(
                observations, search_space, self._parzen_estimator_parameters, weights
            )

        def _sample(self, study, trial, search_space):
            finished = study._get_trials(deepcopy=False, states=(states.COMPLETE,))
            running = [
                t
                for t in study._get_trials(deepcopy=False, states=(states.RUNNING,))
                if t.number != trial.number and len(t.params) == len(search_space)
            ]
            trials = sorted(
                [*finished, *believed_trials(optuna, finished, running, search_space)], key=lambda t: t.value
            )
            good = self._gamma(len(finished))  # running experiments are not in n (docstring)
            below = sorted(trials[:good], key=lambda t: t.number)  # Optuna's order: by number
            above = sorted(trials[good:], key=lambda t: t.number)
            mpe_below = self._build_parzen_estimator(study, search_space, below, handle_below=True)
            mpe_above = self._build_parzen_estimator(study, search_space, above, handle_below=False)
            samples = mpe_below.sample(self._rng.rng, self._n_ei_candidates)
            if running:
                samples = recombined(samples, self._rng.rng, RECOMBINED)
            picked = self._compare(samples, self._compute_acquisition_func(samples, mpe_below, mpe_above))
            return {name: dist.to_external_repr(picked[name]) for name, dist in search_space.items()}

    _CLASSES[id(optuna)] = RankedTpe
    return RankedTpe


def recombined(samples: dict[str, np.ndarray], rng: Any, share: float) -> dict[str, np.ndarray]:
    """The candidates with their last `share` recombined: each parameter's values shuffled on
    their own among those, so that part follows the product of l(x)'s marginals, not l(x).

    A busy pick then weighs points that mix the coordinates of different good trials, and a
    batch explores past the kernels of the best few instead of piling on them."""
    n = len(next(iter(samples.values()), ()))
    k = round(share * n)
    if k < 2:
        return samples
    out = {}
    for name, values in samples.items():
        values = np.array(values)
        values[n - k :] = values[n - k :][rng.permutation(k)]
        out[name] = values
    return out


def believed_trials(optuna: Any, finished: list, running: list, search_space: dict) -> list:
    """The running trials as finished ones, at their believed results (same numbers)."""
    if not running or not finished:
        return []
    names = list(search_space)
    categorical = np.array([not hasattr(search_space[k], "low") for k in names])
    believed = believed_results(
        np.array([_unit(t, names, search_space) for t in finished]),
        np.array([t.value for t in finished], dtype=float),
        np.array([_unit(t, names, search_space) for t in running]),
        categorical,
    )
    out = []
    for t, value in zip(running, believed):
        copy = optuna.trial.create_trial(params=dict(t.params), distributions=dict(t.distributions), value=value)
        copy.number = t.number
        out.append(copy)
    return out


def _unit(trial: Any, names: list[str], search_space: dict) -> list[float]:
    """A trial's point: numeric parameters scaled to [0, 1], a categorical one as its index."""
    out = []
    for k in names:
        dist = search_space[k]
        x = float(dist.to_internal_repr(trial.params[k]))
        if hasattr(dist, "low") and dist.high > dist.low:
            x = (x - dist.low) / (dist.high - dist.low)
        out.append(x)
    return out
