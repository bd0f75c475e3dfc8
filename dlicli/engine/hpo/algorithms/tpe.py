"""Tpe: Optuna's TPESampler (multivariate) driven through ask/tell.

algoParams: `WarmUp` → n_startup_trials (at most maxJobNum; default 20), `EICandidate` →
n_ei_candidates (24), `GoodRatio`/`GoodMax` → gamma(n) = min(ceil(GoodRatio·n), GoodMax) (0.25, 25),
`RandomSeed`. Each parameter is one Optuna distribution: a continuous Range a float (on the
exponent when `power` is set), anything finite an index into its grid, a Discrete a categorical.

The sampler is re-seeded before every ask from (RandomSeed, suggestion number), so the state is
just the trial history: set_state() rebuilds the study and the next suggestions are the same.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer, OptimizerError
from dlicli.engine.hpo.algorithms.space import Param

MAX_CANDIDATES = 10_000  # EI candidates per suggestion: each costs time on every ask


def _gamma(ratio: float, most: int, n: int) -> int:
    return min(math.ceil(ratio * n), most)


class TpeSearch(BuiltinOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        warm = self.int_param("WarmUp", 20, minimum=1)
        self.warmup = min(warm, self.max_jobs) if self.max_jobs else warm
        self.candidates = self.int_param("EICandidate", 24, minimum=1)
        if self.candidates > MAX_CANDIDATES:
            raise OptimizerError(f"algoParams EICandidate: at most {MAX_CANDIDATES}, not {self.candidates}")
        self.good_ratio = self.float_param("GoodRatio", 0.25)
        self.good_max = self.int_param("GoodMax", 25, minimum=1)
        if not 0 < self.good_ratio <= 1:
            raise OptimizerError("algoParams GoodRatio: must be in (0, 1]")
        self.dists = {p.name: self._dist(p) for p in self.space.params}
        self.trials: list[dict[str, Any]] = []  # per trial: internal params, suggestion, state, value
        self._new_study()

    def _dist(self, p: Param):
        d = self._optuna.distributions
        if p.kind == "Discrete":
            return d.CategoricalDistribution(p.values)
        if p.grid is not None:
            return d.IntDistribution(0, p.grid.size - 1)
        return d.FloatDistribution(p.low, p.high)

    def _to_value(self, p: Param, x: Any) -> Any:
        if p.kind == "Discrete":
            return x
        return p.grid[min(max(int(x), 0), p.grid.size - 1)] if p.grid is not None else p._typed(x)

    def _to_internal(self, p: Param, v: Any) -> Any:
        if p.kind == "Discrete":
            index = p.index(v)  # a Discrete parameter always has its grid
            return p.grid[index] if p.grid is not None else v
        if p.grid is not None:
            return p.index(v)
        return p.low + p.encode(v) * (p.high - p.low)

    def _sampler(self, count: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._optuna.samplers.TPESampler(
                n_startup_trials=self.warmup,
                n_ei_candidates=self.candidates,
                multivariate=True,
                gamma=functools.partial(_gamma, self.good_ratio, self.good_max),
                constant_liar=True,
                seed=(self.seed * 1_000_003 + count) % 2**32,
            )

    def _new_study(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.study = self._optuna.create_study(direction="minimize", sampler=self._sampler(self.count))

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        out = []
        for i in range(n):
            self.study.sampler = self._sampler(self.count + i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trial = self.study.ask(self.dists)
            params = dict(trial.params)
            suggestion = {p.name: self._to_value(p, params[p.name]) for p in self.space.params}
            self.trials.append({"params": params, "suggestion": suggestion, "state": "RUNNING", "value": None})
            out.append(suggestion)
        return out

    def _observe(self, result: dict[str, Any], values: dict[str, Any], suggestion: dict | None) -> None:
        loss = self.loss(result)
        state = "COMPLETE" if loss is not None else "FAIL"
        number = (
            next(
                (i for i, t in enumerate(self.trials) if t["state"] == "RUNNING" and t["suggestion"] == suggestion),
                None,
            )
            if suggestion is not None
            else None
        )
        if number is not None:  # trial numbers are positions in self.trials
            self.trials[number].update(state=state, value=loss)
            self.study.tell(number, loss, state=getattr(self._optuna.trial.TrialState, state))
            return
        try:  # an experiment we did not suggest (a restart that lost its pending list): learn from it too
            params = {p.name: self._to_internal(p, values[p.name]) for p in self.space.params}
        except (KeyError, ValueError, TypeError):
            return
        entry = {"params": params, "suggestion": None, "state": state, "value": loss}
        self.trials.append(entry)
        self._add(entry)

    def _add(self, entry: dict[str, Any]) -> None:
        ts = self._optuna.trial.TrialState
        state = getattr(ts, entry["state"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if state == ts.RUNNING:
                self.study.enqueue_trial(entry["params"])
                self.study.ask(self.dists)
            else:
                self.study.add_trial(
                    self._optuna.trial.create_trial(
                        params=entry["params"],
                        distributions=self.dists,
                        state=state,
                        value=entry["value"] if state == ts.COMPLETE else None,
                    )
                )

    def _state(self) -> Any:
        return [dict(t) for t in self.trials]

    def _load(self, state: Any) -> None:
        self.trials = [dict(t) for t in state]
        self._new_study()
        for entry in self.trials:  # same order → same trial numbers as before
            self._add(entry)
