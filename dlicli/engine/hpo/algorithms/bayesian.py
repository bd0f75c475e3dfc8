"""Bayesian: a Gaussian process (gp.py) and expected improvement over random candidates.

algoParams: `InitPoints` random suggestions first (default 10), `CubeSize` candidates per pick
(default maxJobNum·100, or max(10000, CubeSize) when unlimited; capped at MAX_CANDIDATES for time),
`Noiseless` ("true" → a tiny fixed noise, else the noise is fitted), `RandomSeed`.
Candidates are uniform in the unit cube plus a share around the best points so far; the best
one is refined by a local search on EI. Grid parameters are snapped to their cells, so the model
sees exactly the values that ran. Several picks in one call (or suggestions still running) are
handled with the kriging believer: the GP is conditioned on its own mean at those points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer, OptimizerError, kwarg
from dlicli.engine.hpo.algorithms.gp import GaussianProcess, expected_improvement, single_thread

MAX_CANDIDATES = 4000
LOCAL_SHARE = 0.3  # of the candidates, drawn around the best points
REFINE = 256  # candidates per local refinement round
RESTARTS_EVERY = 10  # random restarts of the GP fit every so many observations (else warm start)


class BayesianSearch(BuiltinOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        self.init_points = self.int_param("InitPoints", 10, minimum=1)
        cube = self.int_param("CubeSize", 0, minimum=0)
        if self.max_jobs is None:
            cube = max(10000, cube)
        else:
            cube = max(cube, self.max_jobs) if cube else self.max_jobs * 100
        self.cube = max(1, min(cube, MAX_CANDIDATES))
        noiseless = str(kwarg(kwargs, "Noiseless", "true")).strip().lower()
        if noiseless not in ("true", "false", "1", "0", "yes", "no"):
            raise OptimizerError(f"algoParams Noiseless: must be true or false, not {noiseless!r}")
        self.noiseless = noiseless in ("true", "1", "yes")
        self.rng = np.random.default_rng(self.seed)
        self.X: list[list[float]] = []  # observed points in the unit cube
        self.y: list[float | None] = []  # their losses (None: failed)
        self.gp = GaussianProcess(self.space.dim, self.noiseless)

    def _observe(self, result: dict[str, Any], values: dict[str, Any], suggestion: dict | None) -> None:
        try:
            u = self.space.encode(values)
        except (KeyError, ValueError, TypeError):
            return
        self.X.append(u.tolist())
        self.y.append(self.loss(result))

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        with single_thread():
            return self._suggest_model(n)

    def _suggest_model(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        done = [v for v in self.y if v is not None]
        while len(out) < n and (len(self.X) + len(self.pending) + len(out) < self.init_points or len(done) < 2):
            out.append(self.space.decode(self.space.snap(self.rng.random(self.space.dim))[0]))
        if len(out) == n:
            return out
        worst = max(done)
        X = np.array(self.X)
        y = np.array([worst if v is None else v for v in self.y])
        self.gp.fit(X, y, self.rng, 2 if len(y) % RESTARTS_EVERY in (0, 1) or len(y) < 20 else 0)
        best = float(y.min())
        fantasies = [self.space.encode(s) for s in self.pending + out]
        while len(out) < n:
            if fantasies:
                F = np.array(fantasies)
                self.gp.condition(np.vstack([X, F]), np.r_[y, self.gp.predict(F)[0]])
            u = self._pick(X, y, best)
            fantasies.append(u)
            out.append(self.space.decode(u))
        return out

    def _pick(self, X: np.ndarray, y: np.ndarray, best: float) -> np.ndarray:
        d = self.space.dim
        n_local = int(self.cube * LOCAL_SHARE) if len(y) >= 3 else 0
        cands = [self.rng.random((self.cube - n_local, d))]
        if n_local:
            top = X[np.argsort(y)[: min(5, len(y))]]
            scale = np.exp(self.gp.theta[:d]) * 0.25
            centres = top[self.rng.integers(len(top), size=n_local)]
            cands.append(np.clip(centres + self.rng.normal(size=(n_local, d)) * np.minimum(scale, 0.2), 0, 1))
        C = self.space.snap(np.vstack(cands))
        mu, sd = self.gp.predict(C)
        ei = expected_improvement(mu, sd, best)
        u = C[int(np.argmax(ei))]
        return self._refine(u, best)

    def _refine(self, u: np.ndarray, best: float) -> np.ndarray:
        """Local search for more EI around the chosen candidate: batches at shrinking scales."""
        ei_u = float(expected_improvement(*self.gp.predict(u[None, :]), best)[0])
        for scale in (0.05, 0.015, 0.005):
            C = self.space.snap(u + self.rng.normal(size=(REFINE, self.space.dim)) * scale)
            ei = expected_improvement(*self.gp.predict(C), best)
            j = int(np.argmax(ei))
            if ei[j] > ei_u:
                u, ei_u = C[j], float(ei[j])
        return u

    def _state(self) -> Any:
        return {
            "rng": self.rng.bit_generator.state,
            "X": [list(x) for x in self.X],
            "y": list(self.y),
            "theta": self.gp.theta.tolist(),
        }

    def _load(self, state: Any) -> None:
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.X, self.y = [list(x) for x in state["X"]], list(state["y"])
        self.gp.theta = np.array(state["theta"])
