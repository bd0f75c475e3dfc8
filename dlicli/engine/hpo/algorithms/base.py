"""The algorithm contract (WMLA's plugin interface), the shared machinery of the built-ins, and
`make_optimizer`, the registry of built-in algorithms.

This module imports only the standard library (and the stdlib-only `dlicli.wmla`) at top level: the
plugin shim (`plugins.core.base_plugin_opt`) re-exports BasePluginOptimizer inside a plugin's own Python.
"""

from __future__ import annotations

import importlib
import math
import secrets
from typing import Any

from dlicli.wmla import BUILTIN_ALGORITHMS


class OptimizerError(Exception):
    """An algorithm cannot start or continue (bad algoParams, a plugin that failed)."""


class BasePluginOptimizer:
    """WMLA's base class: a plugin's `PluginOptimizer` subclasses it and overrides search()."""

    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        self.name = self._name = name
        self.hyper_parameters = self._hyper_parameters = hyper_parameters
        self.kwargs = self._kwargs = kwargs

    def search(self, number_samples: int, last_exp_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Up to number_samples new {name: value} suggestions; [] when the search is done."""
        raise NotImplementedError

    def get_state(self) -> Any:
        """Anything picklable that set_state() can resume from."""
        return None

    def set_state(self, state: Any) -> None:
        """Resume from what get_state() returned (on a fresh instance built with the same args)."""


def kwarg(kwargs: dict[str, Any], name: str, default: Any = None) -> Any:
    """An algoParams value by name, case-insensitively; '' counts as absent."""
    want = name.lower()
    for key, value in kwargs.items():
        if str(key).lower() == want and value not in (None, ""):
            return value
    return default


def same_values(suggestion: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether a result's hyperparameters are this suggestion (numbers compared with tolerance)."""
    for key, want in suggestion.items():
        if key not in values:
            return False
        got = values[key]
        if isinstance(want, str) or isinstance(got, str):
            if str(want) != str(got):
                try:
                    if not math.isclose(float(want), float(got), rel_tol=1e-9, abs_tol=1e-12):
                        return False
                except (TypeError, ValueError):
                    return False
        elif not math.isclose(float(want), float(got), rel_tol=1e-9, abs_tol=1e-12):
            return False
    return True


def result_values(result: dict[str, Any]) -> dict[str, Any]:
    """The values an experiment ran with: config (which has Hyperband's resource) over hyperparameters."""
    values = dict(result.get("hyperparameters") or result.get("hyper_parameters") or {})
    values.update(result.get("config") or {})
    return values


class BuiltinOptimizer(BasePluginOptimizer):
    """Common parts of the built-ins: space, objective, maxJobNum, seed, pending suggestions, state.

    Subclasses implement `_observe(result, suggestion)` (suggestion is the matching pending one or
    None), `_suggest(k)` and optionally `_state()`/`_load()`; `is_done()` tells "done" apart from
    "nothing to suggest right now" (Hyperband waiting for a rung).
    """

    exclude: tuple[str, ...] = ()

    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        from dlicli.engine.hpo.algorithms.space import Space, SpaceError

        try:
            self.space = Space(hyper_parameters, exclude=self.exclude)
        except SpaceError as e:
            raise OptimizerError(str(e)) from None
        self.maximize = str(kwarg(kwargs, "objective", "minimize")).strip().lower() == "maximize"
        jobs = self.int_param("maxJobNum", -1)
        self.max_jobs = jobs if jobs > 0 else None
        seed = kwarg(kwargs, "RandomSeed")
        self.seed = self.int_param("RandomSeed", 0) if seed is not None else secrets.randbelow(2**31)
        self.count = 0  # suggestions handed out
        self.pending: list[dict[str, Any]] = []  # suggested, no result yet
        self.done = False

    # -- algoParams ------------------------------------------------------------------------------
    def int_param(self, name: str, default: int, minimum: int | None = None) -> int:
        value = self.float_param(name, default)
        if value != int(value):
            raise OptimizerError(f"algoParams {name}: must be an integer, not {kwarg(self.kwargs, name)!r}")
        if minimum is not None and value < minimum:
            raise OptimizerError(f"algoParams {name}: must be at least {minimum}")
        return int(value)

    def float_param(self, name: str, default: float) -> float:
        raw = kwarg(self.kwargs, name, default)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise OptimizerError(f"algoParams {name}: not a number: {raw!r}") from None
        if not math.isfinite(value):
            raise OptimizerError(f"algoParams {name}: not a finite number: {raw!r}")
        return value

    # -- the contract ----------------------------------------------------------------------------
    def loss(self, result: dict[str, Any]) -> float | None:
        """The result's metric as a value to minimise; None for a failed or metric-less one."""
        if str(result.get("state", "FINISHED")).upper() != "FINISHED":
            return None
        raw = result.get("metricVal")
        if raw is None:
            return None
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return None
        if math.isnan(value):
            return None
        return -value if self.maximize else value

    def search(self, number_samples: int, last_exp_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for result in last_exp_results or []:
            values = result_values(result)
            match = next((s for s in self.pending if same_values(s, values)), None)
            if match is not None:
                self.pending.remove(match)
            self._observe(result, values, match)
        if self.done or self._finished():
            self.done = True
            return []
        n = max(0, int(number_samples))
        if self.max_jobs is not None:
            n = min(n, self.max_jobs - self.count)
        out = self._suggest(n) if n > 0 else []
        self.count += len(out)
        self.pending.extend(dict(s) for s in out)
        if not out and self._finished():
            self.done = True
        return out

    def is_done(self) -> bool:
        """True once search() returns [] for good (not merely nothing to suggest right now)."""
        return self.done or self._finished()

    def _finished(self) -> bool:
        return self.max_jobs is not None and self.count >= self.max_jobs

    def get_state(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "count": self.count,
            "pending": [dict(s) for s in self.pending],
            "done": self.done,
            "algo": self._state(),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.seed, self.count, self.done = state["seed"], state["count"], state["done"]
        self.pending = [dict(s) for s in state["pending"]]
        self._load(state["algo"])

    # -- for subclasses --------------------------------------------------------------------------
    def _observe(self, result: dict[str, Any], values: dict[str, Any], suggestion: dict | None) -> None:
        """Take in one finished experiment (default: ignore it)."""

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _state(self) -> Any:
        return None

    def _load(self, state: Any) -> None:
        pass


BUILTINS = {
    "random": "dlicli.engine.hpo.algorithms.random_search:RandomSearch",
    "tpe": "dlicli.engine.hpo.algorithms.tpe:TpeSearch",
    "bayesian": "dlicli.engine.hpo.algorithms.bayesian:BayesianSearch",
    "hyperband": "dlicli.engine.hpo.algorithms.hyperband:HyperbandSearch",
    "asha": "dlicli.engine.hpo.algorithms.asha:AshaSearch",
    "experimentgridsearch": "dlicli.engine.hpo.algorithms.grid:ExperimentGridSearch",
}


def builtin_names() -> list[str]:
    return list(BUILTIN_ALGORITHMS)


def make_optimizer(algorithm: str, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
    """A built-in algorithm by name (any case). ExperimentGridSearch takes `experiments=` (a list
    or its JSON text); the others read algoParams, objective and maxJobNum from kwargs."""
    target = BUILTINS.get(str(algorithm).strip().lower())
    if target is None:
        raise OptimizerError(f"unknown algorithm {algorithm!r}: built-ins are {', '.join(builtin_names())}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(name, hyper_parameters, **kwargs)
