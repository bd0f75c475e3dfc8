"""ASHA, asynchronous successive halving (Li et al., "A System for Massively Parallel
Hyperparameter Tuning", MLSys 2020): successive halving that never waits for a rung to fill.

Rungs run at r_k = MinResourceValue·eta^k (rounded to int) below R = ResourceValue, and at R on
top. Every slot search(n) is asked to fill gets, in this order: a promotion (the best config in
the top floor(m/eta) of the m finished runs of a rung, not promoted yet, looked for from the
highest rung down) to the next rung, else a new config at the lowest rung. A failed run (or one
with no metric) ranks last and is never promoted. Suggestions carry the rung's resource under
ResourceName (an int), as Hyperband's do; a config already drawn is replaced by a random one
(redrawn a few times while the space has new ones) so two running experiments are not the same.

New configs (BOHB, Falkner et al. 2018): a RandomFraction share (default 1/3, BOHB's) is drawn
uniformly; the rest, once the lowest rung has dim+2 results, from kde.py's l(x)/g(x) fitted on
that rung's results (top 15 % good), in the space's unit encoding, so types, step, power and
Discrete choices hold. Before that every new config is uniform. Measured with
benchmarks/hpo/fidelity.py (regret / Random@100's, median; 60 seeds while choosing, seeds 0-59):
- plain ASHA (RandomFraction 1): R=27 eta=3 1.0-1.2 (the median moves that much with the random
  stream alone), R=125 eta=5 0.37-0.43. 20 seeds: 1.04 / 0.47. Hence 60 seeds while choosing.
- BOHB as published (model on the highest rung with dim+2 results, min bandwidth 1e-3): 1.29 /
  0.65 (20 seeds); RandomFraction 0.5 / 0.75 / 0.9: 1.74 / 1.00 / 1.32. The model sits on the few
  configs promoted to the top rung and samples around one of them (a local dip of the toy), and
  better new configs push older ones out of a rung's top third, so ASHA promotes more and tries
  fewer configs (117 → 77). Needing 12 or 30 results on that rung: 1.50 / 1.27.
- Min bandwidth 0.1 (highest rung): 1.12; with RandomFraction 0.6: 1.26.
- The model on the lowest rung (the most results, noisy, but never narrowed to a few promoted
  configs), min bandwidth 0.05 / 0.1 / 0.15 / 0.2 / 0.25: R=27 1.37 / 0.82 / 0.62 / 0.88 / 0.72,
  R=125 0.60 / 0.25 / 0.25 / 0.33 / 0.24. Kept: lowest rung, 0.15 (the middle of the plateau).
  20 seeds (the table in docs/hpo-algorithms.md): R=27 1.04 → 0.75, R=125 0.47 → 0.43,
  utilisation 95.9 % and 93.7 % (the model's configs get promoted more: fewer, better configs).
Promotions keep the paper's rule. CPU: one fit on at most a few hundred points per new config.

algoParams: ResourceName, ResourceValue (required), eta/hyperbandEta (default 3),
MinResourceValue (default 1; AWS SageMaker's Hyperband calls it MinResource), RandomFraction
(0..1, default 1/3; 1 = every new config uniform, as plain ASHA), RandomSeed.
ASHA never runs out of configs: it ends on maxJobNum, or the driver ends the task at maxRunTime;
one of them is required. The answer is the best run at R (see `hpo get`'s best).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer, OptimizerError, same_values
from dlicli.engine.hpo.algorithms.hyperband import eta_of, has_end, max_resource, resource_name
from dlicli.engine.hpo.algorithms.kde import propose

MAX_RUNGS = 40  # eta near 1 would otherwise make a rung per unit of resource
RANDOM_FRACTION = 1 / 3  # BOHB's share of uniform draws once the model is on
REDRAWS = 100  # tries for a random config not drawn before, while the space has one left


def rung_resources(r_min: int, R: int, eta: float) -> list[int]:
    """The rungs' resources: r_min·eta^k (ints, rising) below R, then R."""
    out: list[int] = []
    k = 0
    while True:
        r = round(r_min * eta**k)
        if r >= R:
            break
        if not out or r > out[-1]:
            out.append(r)
        if len(out) > MAX_RUNGS:
            raise OptimizerError(
                f"algoParams eta: {eta:g} makes more than {MAX_RUNGS} rungs from MinResourceValue {r_min} "
                f"to ResourceValue {R} (raise eta)"
            )
        k += 1
    return [*out, R]


class AshaSearch(BuiltinOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        self.resource_name = resource_name(kwargs, "ASHA")
        self.exclude = (self.resource_name,)
        super().__init__(name, hyper_parameters, **kwargs)
        self.R = max_resource(self, "ASHA")
        self.eta = eta_of(kwargs)
        self.r_min = self.int_param("MinResourceValue", 1, minimum=1)
        if self.r_min > self.R:
            raise OptimizerError(f"algoParams MinResourceValue: {self.r_min} is more than ResourceValue {self.R}")
        if not has_end(self):
            raise OptimizerError("ASHA runs until maxJobNum or maxRunTime ends it: set one of them")
        self.rungs = rung_resources(self.r_min, self.R, self.eta)
        self.random_fraction = self.float_param("RandomFraction", RANDOM_FRACTION)
        if not 0 <= self.random_fraction <= 1:
            raise OptimizerError(f"algoParams RandomFraction: must be in [0, 1], not {self.random_fraction:g}")
        self.cells = np.array([float(p.grid.size) if p.grid is not None else 0.0 for p in self.space.params])
        self.units: dict[int, np.ndarray] = {}  # config → its unit-cube point (derived, not state)
        self.rng = np.random.default_rng(self.seed)
        self.configs: list[dict[str, Any]] = []  # every config drawn; its index is its id
        self.results: list[list[tuple[int, float | None]]] = [[] for _ in self.rungs]  # (config, loss)
        self.promoted: list[list[int]] = [[] for _ in self.rungs]  # configs sent on from each rung
        self.running: list[tuple[int, int]] = []  # (config, rung) suggested, no result yet

    def _observe(self, result: dict[str, Any], values: dict[str, Any], suggestion: dict | None) -> None:
        want = suggestion or values
        for entry in self.running:
            config, rung = entry
            if same_values(self._suggestion(config, rung), want):
                self.running.remove(entry)
                self.results[rung].append((config, self.loss(result)))
                return

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            config, rung = self._promotion() or (self._new_config(), 0)
            self.running.append((config, rung))
            out.append(self._suggestion(config, rung))
        return out

    def _suggestion(self, config: int, rung: int) -> dict[str, Any]:
        return {**self.configs[config], self.resource_name: self.rungs[rung]}

    def _promotion(self) -> tuple[int, int] | None:
        """The best not-yet-promoted config in the top 1/eta of a rung (highest rung first)."""
        for rung in range(len(self.rungs) - 2, -1, -1):
            done = self.results[rung]
            top = math.floor(len(done) / self.eta + 1e-9)
            ranked = sorted(range(len(done)), key=lambda i: (done[i][1] is None, done[i][1] or 0.0, i))
            for i in ranked[:top]:
                config, loss = done[i]
                if loss is not None and config not in self.promoted[rung]:
                    self.promoted[rung].append(config)
                    return config, rung + 1
        return None

    def _new_config(self) -> int:
        """A config from the model (BOHB's), else or when it repeats one drawn before, a random one."""
        values = self._model_config()
        if values is None or any(same_values(values, c) for c in self.configs):
            values = self._random_config()
        self.configs.append(values)
        return len(self.configs) - 1

    def _model_config(self) -> dict[str, Any] | None:
        """BOHB's l(x)/g(x), fitted on the lowest rung once it has dim+2 results; None for the random
        share or before that (see the module docstring for why the lowest rung)."""
        if self.rng.random() < self.random_fraction or not self.space.dim:
            return None
        done = self.results[0]
        if len(done) < self.space.dim + 2:
            return None
        points = np.array([self._unit(config) for config, _ in done])
        losses = np.array([math.inf if loss is None else loss for _, loss in done])
        return self.space.decode(self.space.snap(propose(points, losses, self.cells, self.rng))[0])

    def _unit(self, config: int) -> np.ndarray:
        if config not in self.units:
            self.units[config] = self.space.snap(self.space.encode(self.configs[config]))[0]
        return self.units[config]

    def _random_config(self) -> dict[str, Any]:
        """A uniform draw, redrawn if it was drawn before (unless the space has no new one left)."""
        values = self.space.sample(self.rng)
        tries = REDRAWS if len(self.configs) < self.space.size() else 0
        for _ in range(tries):
            if not any(same_values(values, c) for c in self.configs):
                break
            values = self.space.sample(self.rng)
        return values

    def _state(self) -> Any:
        return {
            "rng": self.rng.bit_generator.state,
            "configs": [dict(c) for c in self.configs],
            "results": [list(r) for r in self.results],
            "promoted": [list(p) for p in self.promoted],
            "running": list(self.running),
        }

    def _load(self, state: Any) -> None:
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.configs = [dict(c) for c in state["configs"]]
        self.results = [list(r) for r in state["results"]]
        self.promoted = [list(p) for p in state["promoted"]]
        self.running = list(state["running"])
        self.units = {}
