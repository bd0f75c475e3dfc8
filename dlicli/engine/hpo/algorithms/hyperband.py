"""Hyperband (Li et al., 2018), synchronous: brackets one after another, each a successive halving.

R = ResourceValue, eta = `eta`/`hyperbandEta` (default 3), s_max = floor(log_eta R). Bracket
s = s_max..0 starts n = ceil((s_max+1)/(s+1)·eta^s) random configs at r = R·eta^-s; rung i runs
n_i configs at r_i = R·eta^(i-s) and the best floor(n_i/eta) go on to rung i+1 (failed ones rank
last). Each suggestion carries the rung's resource under ResourceName (an int), so config.json
has it. While a rung is still running search() returns [] but is_done() stays False (the rung is
synchronous: ASHA is the algorithm that keeps every slot busy).

Passes: after the last bracket it starts again at the first, with fresh random configs, until
maxJobNum ends it (or the driver ends the task at maxRunTime). With neither maxJobNum nor
maxRunTime set it stops after one pass (sum of the table's configs, 69 at R=27, eta=3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer, OptimizerError, kwarg, same_values
from dlicli.wmla import ETA_PARAMS

MAX_RUNG = 100_000  # configurations in the largest rung (about ResourceValue): sampled up front
MAX_BRACKETS = 40  # s_max + 1; eta near 1 would otherwise make millions of brackets


def s_max_for(R: int, eta: float) -> int:
    s = 0
    while eta ** (s + 1) <= R * (1 + 1e-9):
        s += 1
    return s


def bracket_table(R: int, eta: float) -> list[list[tuple[int, int]]]:
    """Per bracket (s = s_max..0) its rungs as (configs, resource)."""
    s_max = s_max_for(R, eta)
    table = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9)
        rungs = []
        for i in range(s + 1):
            rungs.append((n, max(1, round(R * eta ** (i - s)))))
            n = math.floor(n / eta + 1e-9)
            if n == 0:
                break
        table.append(rungs)
    return table


def resource_name(kwargs: dict[str, Any], algorithm: str) -> str:
    """algoParams ResourceName (the config.json key a multi-fidelity algorithm sets); required."""
    name = str(kwarg(kwargs, "ResourceName", ""))
    if not name:
        raise OptimizerError(f"algoParams ResourceName: required for {algorithm}")
    return name


def max_resource(opt: BuiltinOptimizer, algorithm: str) -> int:
    """algoParams ResourceValue (R, the largest resource); required."""
    if kwarg(opt.kwargs, "ResourceValue") is None:
        raise OptimizerError(f"algoParams ResourceValue: required for {algorithm}")
    return opt.int_param("ResourceValue", 0, minimum=1)


def eta_of(kwargs: dict[str, Any]) -> float:
    """eta or hyperbandEta (default 3): a number greater than 1."""
    eta = next((v for v in (kwarg(kwargs, n) for n in ETA_PARAMS) if v is not None), 3)
    try:
        value = float(eta)
    except (TypeError, ValueError):
        raise OptimizerError(f"algoParams eta: not a number: {eta!r}") from None
    if not value > 1 or not math.isfinite(value):
        raise OptimizerError("algoParams eta: must be greater than 1")
    return value


def has_end(opt: BuiltinOptimizer) -> bool:
    """Whether maxJobNum or maxRunTime (minutes, -1 = none) will end the search."""
    try:
        run_time = float(kwarg(opt.kwargs, "maxRunTime", -1))
    except (TypeError, ValueError):
        run_time = -1
    return opt.max_jobs is not None or run_time > 0


class HyperbandSearch(BuiltinOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        self.resource_name = resource_name(kwargs, "Hyperband")
        self.exclude = (self.resource_name,)
        super().__init__(name, hyper_parameters, **kwargs)
        self.R = max_resource(self, "Hyperband")
        self.eta = eta_of(kwargs)
        self._check_size()
        self.table = bracket_table(self.R, self.eta)
        self.rng = np.random.default_rng(self.seed)
        self.keep_going = has_end(self)  # passes until maxJobNum/maxRunTime; else one pass
        self.bracket, self.rung, self.passes = 0, 0, 1
        self.members: list[dict[str, Any]] = []  # current rung: values, status, loss
        self._start_rung([self.space.sample(self.rng) for _ in range(self.table[0][0][0])])

    def _check_size(self) -> None:
        """Refuse a bracket table too large to build or run (its first rung has about R configurations)."""
        if self.R > MAX_RUNG:
            raise OptimizerError(
                f"algoParams ResourceValue: at most {MAX_RUNG}, not {self.R} "
                "(Hyperband's first rung runs about ResourceValue configurations)"
            )
        brackets = math.floor(math.log(self.R) / math.log(self.eta) + 1e-9) + 1
        if brackets > MAX_BRACKETS:
            raise OptimizerError(
                f"algoParams eta: {self.eta:g} makes {brackets} brackets for ResourceValue {self.R}; "
                f"at most {MAX_BRACKETS} (raise eta)"
            )

    @property
    def resource(self) -> int:
        return self.table[self.bracket][self.rung][1]

    def _start_rung(self, configs: list[dict[str, Any]]) -> None:
        self.members = [{"values": c, "status": "todo", "loss": None} for c in configs]

    def _finished(self) -> bool:
        return self.bracket >= len(self.table) or super()._finished()

    def _observe(self, result: dict[str, Any], values: dict[str, Any], suggestion: dict | None) -> None:
        if self.bracket >= len(self.table):
            return
        want = suggestion or values
        if int(float(want.get(self.resource_name, -1))) != self.resource:
            return
        for m in self.members:
            if m["status"] == "running" and same_values(m["values"], want):
                m.update(status="done", loss=self.loss(result))
                break
        self._advance()

    def _advance(self) -> None:
        """Promote the top 1/eta once every member of the rung is done; next bracket at the end."""
        while self.bracket < len(self.table) and all(m["status"] == "done" for m in self.members):
            rungs = self.table[self.bracket]
            if self.rung + 1 < len(rungs):
                keep = rungs[self.rung + 1][0]
                ranked = sorted(
                    range(len(self.members)),
                    key=lambda i: (self.members[i]["loss"] is None, self.members[i]["loss"] or 0.0, i),
                )
                self.rung += 1
                self._start_rung([self.members[i]["values"] for i in ranked[:keep]])
            else:
                self.bracket, self.rung = self.bracket + 1, 0
                if self.bracket == len(self.table) and self.keep_going:
                    self.bracket, self.passes = 0, self.passes + 1
                if self.bracket < len(self.table):
                    n = self.table[self.bracket][0][0]
                    self._start_rung([self.space.sample(self.rng) for _ in range(n)])

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in self.members:
            if len(out) == n:
                break
            if m["status"] == "todo":
                m["status"] = "running"
                out.append({**m["values"], self.resource_name: self.resource})
        return out

    def _state(self) -> Any:
        return {
            "rng": self.rng.bit_generator.state,
            "bracket": self.bracket,
            "rung": self.rung,
            "passes": self.passes,
            "members": [dict(m) for m in self.members],
        }

    def _load(self, state: Any) -> None:
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.bracket, self.rung = state["bracket"], state["rung"]
        self.passes = state.get("passes", 1)  # a state saved before passes existed
        self.members = [dict(m) for m in state["members"]]
