"""Tpe: a tree-structured Parzen estimator (Optuna's TPESampler driven through ask/tell).

algoParams (WMLA's, which are hyperopt's defaults): `WarmUp` (20, at most maxJobNum) the number of
suggestions from the startup design before the model; `EICandidate` (24) the candidates drawn from
the "good" density l(x) per suggestion, the best l(x)/g(x) wins; `GoodRatio`/`GoodMax` (0.25, 25):
the good trials are the best min(ceil(GoodRatio·n), GoodMax) of the n finished ones; `RandomSeed`.

How the model is built, each choice measured with benchmarks/hpo (median simple regret, 6-10 seeds
while choosing, so read the figures as directions; the 20-seed table is in the algorithms docs):
- Startup design: a scrambled Sobol sequence (seeded by RandomSeed) instead of uniform draws, so the
  WarmUp points cover the space evenly: Rosenbrock-4 183 → 28, Branin 0.14 → 0.11, Levy-4
  0.19 → 0.13 (Hartmann6 noisy). A Latin hypercube was mixed (Rosenbrock-4 157).
- Prior weight 0.2 (Optuna: 1.0) when every parameter is a continuous Range: with GoodRatio 0.25
  the good set is wide (25 of 100 trials), and a lighter prior keeps l(x) on it: Hartmann6
  0.55 → 0.30, Rosenbrock-4 69 (0.5) → 35. With a grid or a Discrete the prior is what keeps an
  unseen choice alive, and 0.2 was worse there (tests' mixed space, best of 40 over 6 seeds,
  median 1.10 vs 0.73), so such spaces keep 1.0.
- Multivariate (one joint kernel per trial, Optuna's default): independent kernels were worse
  (Hartmann6 0.55 → 0.86).
- Kept as WMLA documents it: GoodRatio is a fraction of the finished trials. hyperopt's code reads
  it as ceil(GoodRatio·√n), which was worse here (Branin 0.14 → 0.91, Levy-4 0.19 → 0.43).
- consider_endpoints was a small gain on Hartmann6 only (0.55 → 0.46) and is left off.
- Rank weights inside the good set (measured on 20 seeds, ratio to Optuna's default TPE, Branin /
  Hartmann6 / Rosenbrock-4 / Levy-4): all min(ceil(GoodRatio·n), GoodMax) good trials make l(x),
  but the kernel of the r-th best weighs exp(-r / (0.1·good count)), so the best few carry most
  of l(x) while the rest keep it from collapsing. Equal weights: 0.70 / 3.30 / 1.21 / 1.15;
  exp(-r/0.1k): 0.38 / 1.06 / 0.39 / 0.95; linear: (10 seeds) 0.73 / 1.47 / 1.15 / 1.27; scale
  0.07 / 0.15 / a fixed 2.5 or 1.5 trials / flat for the best 40 % then decaying: each worse
  somewhere. On the tests' mixed space (prior 1.0) too: best of 40, 8 seeds, median 0.87 → 0.54.
  Optuna's own `weights(n)` cannot do this: it sees the good trials in trial order.
- The bad density g(x) weighs its trials alike (Optuna ramps down old ones once there are 25):
  with rank weights 0.40 / 1.06 / 0.35 / 0.62 vs 0.38 / 1.06 / 0.39 / 0.95.
- Prior 0.2 stays best with rank weights (0.1: Hartmann6 1.15; 0.35: 1.45; 0.5 and 1.0, 10
  seeds: Branin 0.87 and 1.28); consider_endpoints with rank weights: Hartmann6 1.49, left off.

Parallel slots: an experiment still running is ranked at the result believed for it, the
inverse-distance weighted mean of its 5 nearest finished experiments (tpe_sampler.py), and the
good share stays GoodRatio of the finished ones: a running experiment believed good takes a good
place, and the finished one it displaces counts in g(x), so the batch spreads around the
promising region instead of piling on it. And while experiments run, half of a pick's
candidates are recombined (each parameter's values shuffled among them: the product of l(x)'s
marginals), so a batch also tries mixes of the good trials' coordinates. 4-slot rounds until the
median regret reaches the 1-slot regret, 20 seeds, Branin / Hartmann6 / Rosenbrock-4 / Levy-4:
believed and recombined 16.7 / 30.4 / 32.2 / 33.1 (60 seeds: 16.0 / 30.9 / 28.0 / 29.2);
believed only 14.7 / 41.4 / 30.0 / 29.7 (60 seeds: 16.1 / 35.8 / 30.4 / 25.6). The same
recombination drawn as a separate set of candidates (another random stream) gave 13.7 / 37.9 /
26.0 / 30.5: a 20-seed figure moves by ±4 rounds with the stream alone. The share, 60 seeds,
Hartmann6 / Levy-4 / Rosenbrock-4: 0.25 34.6 / 25.7 / 27.4; 0.5 30.9 / 29.2 / 28.0; 0.75 34.2 /
26.7. All candidates recombined (20 seeds): 14.2 / 37.5 / 32.1 / 31.5; recombined in sequential picks too (a share of 0.25 or
0.5): Hartmann6's 1-slot regret 0.080 → 0.115 / 0.107 (60 seeds), Rosenbrock-4 8.4 → 12.3 /
16.9 (20 seeds). The nearest one's result alone: Hartmann6
39.8, Levy-4 never. Optuna's constant liar (running = bad results) 15.4 / >50 / 32.0 / 40.9: it
puts bad weight exactly where l(x) is high. Left out of the model 16.3 / >50 / 29.1 / 36.9 (60
seeds 41.0 / 30.4). Counted in l(x) at the good set's median (or best) value: Levy-4 47.9
(never), Hartmann6 never. Candidates within 0.05 or 0.1 of a running one excluded: never. In
g(x) at 0.3 of a finished trial's weight 17.9 / 44.5 / 34.4 / 41.3 (8 seeds had it ahead: 14.8 / >50 / 20.4 / >50; 0.1 and 1e-4 at 8
seeds: 13.3 / >50 / 26.4 / >50 and 17.2 / >50 / 29.9 / >50). Counting running experiments in n
for the good share (with the liar) was worse: Branin 15.4 → 18.4, Rosenbrock-4 32.0 → 38.9,
Levy-4 never reaching the target; a wider rank scale while running was also worse.
A proposal equal to a running experiment (or to another in the same batch) is never handed
out: it is recorded as a failed trial (the model ignores those) and a uniform draw replaces it.

Tried for the late plateau and left out (20 seeds, sequential Hartmann6, median regret; 0.0997
before): its regrets are bimodal (half the seeds end at ≥ 0.12, near the local minimum at
0.119, the rest at 0.01-0.08), so the median is the share of seeds that escape, and narrowing
made fewer escape.
The good kernels' widths × 0.6 for the best-ranked (× (0.6 + 0.4·(1 - rank weight))): 0.142;
all good widths × (40/n)^0.5 after 40 trials: 0.132; × 0.5 throughout (5 seeds): Hartmann6
0.036 → 0.19, Levy-4 0.065 → 0.20; × 0.3: Rosenbrock-4 10 → 163. Every other suggestion (or
every third) with a wider rank scale, 0.3 (or 1.0), for exploration: 0.147 (0.114).
Basin escape on stagnation, 20 seeds, sequential Hartmann6 (0.0997, 10 of 20 seeds < 0.1,
before): once the best had not improved for k finished trials, every e-th pick took as good set
the best trials farther than r (share of the unit cube's diagonal) from the incumbent, and all
the others, the basin included, as bad. k/e/r = 20/2/0.15: 0.114 (10 seeds < 0.1); 15/2/0.3:
0.101 (10); 20/3/0.3: 0.0998 (10); 30/2/0.3: 0.0997 (10); 20/4/0.2: 0.107 (10); 10/3/0.25:
0.148 (9). No seed escaped that did not before; the escape picks only slowed the seeds that
were already in the global basin (one went 0.015 → 0.098). The stuck seeds' regrets range
0.12-0.78, but they sit in one local basin (below), with no trial near the optimum, so the best
trials outside that basin were not in the global one either.
A heavier prior (wider l(x)) on every e-th pick once stalled for k trials, k/e/weight 20/2/1.0:
0.103 (10 seeds < 0.1); 15/3/2.0: 0.111 (10: one seed escaped, 0.78 → 0.016, one fell out).
Busy picks (4 slots) drawn from an l(x) without the good trials within r of a running
experiment, to spread a batch over several good regions, Levy-4, 8 seeds: r = 0.02, 0.05, 0.1
never reach the 1-slot regret in 50 rounds (48.4 before): the running experiments sit on the
best trials, so leaving those out takes the best of l(x) away.
Where sequential Hartmann6 runs end (20 seeds): every seed above 0.1 but one (0.78, on the global
basin's rim) sits in the local basin near (0.40, 0.88, 0.85, 0.57, 0.14, 0.04), with no trial
within 0.2 of the optimum: what decides
the median is finding the global basin, not converging in it. More, measured on 60 seeds (0.080
before): the acquisition log l(x) - b·log g(x), b = 0.5 / 0.8 / 1.3: 0.102 / 0.095 / 0.127;
a share of the candidates (0.25 / 0.5) from an equally weighted l(x): 0.120 / 0.122; flat rank
weights (scale 1.0) until trial 30 / 40: 0.121 / 0.140; the rank scale at least 1 or 1.5
trials: 0.122 / 0.139; the good widths × 0.5 or 0.3 after 70 % of maxJobNum: 0.124 / 0.140;
Optuna's default TPE for trials 21-40: 0.116; a uniform warm-up instead of Sobol: 0.127;
independent kernels (Optuna's default) with the rest as here: 0.51;
recombined candidates in every pick: 0.068, until trial 40: 0.063, but Branin 0.044 → 0.087 /
0.072, Levy-4 0.084 → 0.110 / 0.098, and seeds 0-19 stay above Optuna's TPE (1.12 / 1.11×).
The warm-up is what Optuna's default has over Tpe here: with WMLA's 20 warm-up trials (Optuna's
default is 10) Optuna's TPE ends at 0.145 (seeds 0-19: 0.150), and Tpe with WarmUp 10 at 0.049.

Each parameter is one Optuna distribution: a continuous Range a float (on the exponent when
`power` is set), anything finite an index into its grid, a Discrete a categorical. The sampler is
re-seeded before every ask from (RandomSeed, trial number), so the state is just the trial
history: set_state() rebuilds the study and the next suggestions are the same.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer, OptimizerError
from dlicli.engine.hpo.algorithms.design import sobol_design
from dlicli.engine.hpo.algorithms.space import Param
from dlicli.engine.hpo.algorithms.tpe_sampler import ranked_sampler_class

MAX_CANDIDATES = 10_000  # EI candidates per suggestion: each costs time on every ask
RETRIES = 16  # fresh draws when a proposal duplicates a running experiment


class TpeSearch(BuiltinOptimizer):
    PRIOR = 0.2  # prior weight for an all-continuous space; 1.0 otherwise (see the module docstring)
    RANK_SCALE = 0.1  # the r-th best good trial weighs exp(-r / (RANK_SCALE * good count))

    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        warm = self.int_param("WarmUp", 20, minimum=3)
        self.warmup = min(warm, self.max_jobs) if self.max_jobs else warm
        self.candidates = self.int_param("EICandidate", 24, minimum=2)
        if self.candidates > MAX_CANDIDATES:
            raise OptimizerError(f"algoParams EICandidate: at most {MAX_CANDIDATES}, not {self.candidates}")
        self.good_ratio = self.float_param("GoodRatio", 0.25)
        self.good_max = self.int_param("GoodMax", 25, minimum=2)
        if not 0 < self.good_ratio <= 1:
            raise OptimizerError("algoParams GoodRatio: must be in (0, 1]")
        self.dists = {p.name: self._dist(p) for p in self.space.params}
        self.trials: list[dict[str, Any]] = []  # per trial: internal params, suggestion, state, value
        self._design = self._startup_design()
        self._new_study()

    # -- the pieces of the model -----------------------------------------------------------------
    def good_count(self, n: int) -> int:
        """How many of n finished trials make the good density l(x): WMLA's GoodRatio and GoodMax."""
        return min(math.ceil(self.good_ratio * n), self.good_max)

    def rank_weights(self, values: np.ndarray) -> np.ndarray:
        """Weights of the good trials' kernels in l(x), from their losses: the best weigh most."""
        k = len(values)
        rank = np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(float)
        return np.exp(-rank / max(self.RANK_SCALE * k, 1e-9))

    def _prior_weight(self) -> float:
        continuous = all(p.kind == "Range" and p.grid is None for p in self.space.params)
        return self.PRIOR if continuous else 1.0

    def _weights(self, n: int) -> np.ndarray:
        """The bad density's weights: Optuna's while there are few trials, then all alike."""
        return self._optuna.samplers._tpe.sampler.default_weights(n) if n < 25 else np.ones(n)

    def _startup_design(self) -> np.ndarray | None:
        """The WarmUp suggestions: a scrambled Sobol design (design.py), in the unit cube."""
        return sobol_design(self.warmup, self.space.dim, self.seed) if self.space.dim else None

    def _dist(self, p: Param):
        d = self._optuna.distributions
        if p.kind == "Discrete":
            return d.CategoricalDistribution(p.values)
        if p.grid is not None:
            return d.IntDistribution(0, p.grid.size - 1)
        return d.FloatDistribution(p.low, p.high)

    def _from_unit(self, p: Param, u: float) -> Any:
        """A design coordinate in [0, 1) → the internal value of one parameter."""
        if p.grid is not None:
            i = min(int(u * p.grid.size), p.grid.size - 1)
            return p.values[i] if p.kind == "Discrete" else i
        return p.low + u * (p.high - p.low)

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

    def _sampler(self, number: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ranked_sampler_class(self._optuna)(
                rank_weights=self.rank_weights,
                n_startup_trials=self.warmup if self._design is None else 1,
                n_ei_candidates=self.candidates,
                multivariate=True,
                gamma=self.good_count,
                weights=self._weights,
                consider_endpoints=False,
                prior_weight=self._prior_weight(),
                constant_liar=False,  # running experiments: believed results, in tpe_sampler.py
                seed=(self.seed * 1_000_003 + number) % 2**32,
            )

    def _new_study(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.study = self._optuna.create_study(direction="minimize", sampler=self._sampler(0))

    # -- suggestions -----------------------------------------------------------------------------
    def _suggest(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _ in range(n):
            suggestion = self._one(out)
            if suggestion is None:
                break
            out.append(suggestion)
        return out

    def _one(self, batch: list[dict[str, Any]]) -> dict[str, Any] | None:
        """One new trial, not equal to a running experiment nor to one earlier in this batch."""
        busy = [*self.pending, *batch]
        for attempt in range(RETRIES + 1):
            params = self._ask(forced=self._forced(attempt))
            suggestion = {p.name: self._to_value(p, params[p.name]) for p in self.space.params}
            if suggestion not in busy:
                self.trials.append({"params": params, "suggestion": suggestion, "state": "RUNNING", "value": None})
                return suggestion
            self._drop(params)
        return None

    def _forced(self, attempt: int) -> dict[str, Any] | None:
        """The internal params this ask must take: the startup design's next point while in
        warm-up, a uniform draw after a duplicate; None lets the model propose."""
        asked = sum(1 for t in self.trials if t["suggestion"] is not None)
        u = None
        if self._design is not None and asked < self.warmup and attempt == 0:
            u = self._design[asked]
        elif attempt > 0:
            u = np.random.default_rng([self.seed, len(self.trials)]).random(self.space.dim)
        if u is None:
            return None
        return {p.name: self._from_unit(p, x) for p, x in zip(self.space.params, u)}

    def _ask(self, forced: dict[str, Any] | None) -> dict[str, Any]:
        self.study.sampler = self._sampler(len(self.trials))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if forced is not None:
                self.study.enqueue_trial(forced)
            return dict(self.study.ask(self.dists).params)

    def _drop(self, params: dict[str, Any]) -> None:
        """A duplicate proposal: its trial ends FAIL (the model ignores it), kept for restarts."""
        self.trials.append({"params": params, "suggestion": None, "state": "FAIL", "value": None})
        self.study.tell(len(self.trials) - 1, None, state=self._optuna.trial.TrialState.FAIL)

    # -- results ---------------------------------------------------------------------------------
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
