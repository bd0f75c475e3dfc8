"""A small Gaussian process for Bayesian search: Matern 5/2 ARD kernel on the unit cube, zero mean
on standardised targets, hyperparameters by maximising the log marginal likelihood (analytic
gradient, L-BFGS-B, a few restarts). numpy/scipy only.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize
from scipy.special import ndtr

SQRT5 = math.sqrt(5.0)
LOG_LS = (math.log(0.01), math.log(20.0))  # lengthscale bounds on the unit cube
LOG_SF = (math.log(0.05), math.log(20.0))  # signal variance
LOG_NOISE = (math.log(1e-6), math.log(1.0))
FIXED_NOISE = 1e-6


def single_thread():
    """BLAS threads on matrices this small cost far more than they give (8x slower on 2 cores)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the math is the same, only slower
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _matern(X1: np.ndarray, X2: np.ndarray, ls: np.ndarray, sf: float) -> tuple[np.ndarray, np.ndarray]:
    """K and r (scaled distances) between two point sets."""
    A, B = X1 / ls, X2 / ls
    r2 = np.maximum((A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * A @ B.T, 0.0)
    r = np.sqrt(r2)
    return sf * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * np.exp(-SQRT5 * r), r


class GaussianProcess:
    def __init__(self, dim: int, noiseless: bool = True):
        self.dim, self.noiseless = dim, noiseless
        self.theta = np.r_[np.full(dim, math.log(0.3)), 0.0, [] if noiseless else [math.log(1e-3)]]

    def _split(self, theta: np.ndarray) -> tuple[np.ndarray, float, float]:
        ls = np.exp(theta[: self.dim])
        sf = math.exp(theta[self.dim])
        noise = FIXED_NOISE if self.noiseless else math.exp(theta[self.dim + 1])
        return ls, sf, noise

    def _nll(self, theta: np.ndarray, D: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log marginal likelihood (plus a weak lengthscale prior) and its gradient.

        D holds the per-dimension squared differences (d, n, n), computed once per fit."""
        ls, sf, noise = self._split(theta)
        S = D / (ls**2)[:, None, None]
        r = np.sqrt(S.sum(0))
        e = np.exp(-SQRT5 * r)
        Kf = sf * (1 + SQRT5 * r + 5.0 / 3.0 * r * r) * e
        n = len(y)
        try:
            L = cholesky(Kf + (noise + 1e-8) * np.eye(n), lower=True)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = cho_solve((L, True), y)
        nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
        W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(n))
        grad = np.empty_like(theta)
        common = W * (sf * 5.0 / 3.0 * (1 + SQRT5 * r) * e)
        grad[: self.dim] = -0.5 * np.einsum("dij,ij->d", S, common)
        grad[self.dim] = -0.5 * np.sum(W * Kf)
        if not self.noiseless:
            grad[self.dim + 1] = -0.5 * noise * np.trace(W)
        # weak log-normal prior on lengthscales around 0.5 keeps small-sample fits sane
        mu, s = math.log(0.5), 1.5
        nll += 0.5 * np.sum(((theta[: self.dim] - mu) / s) ** 2)
        grad[: self.dim] += (theta[: self.dim] - mu) / s**2
        return float(nll), grad

    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, restarts: int = 1) -> None:
        """Fit hyperparameters from the previous ones plus `restarts` random starts, then condition."""
        self.X = np.asarray(X, dtype=float)
        self.y_mean, self.y_std = float(np.mean(y)), float(np.std(y)) or 1.0
        self.y = (np.asarray(y, dtype=float) - self.y_mean) / self.y_std
        bounds = [LOG_LS] * self.dim + [LOG_SF] + ([] if self.noiseless else [LOG_NOISE])
        lo, hi = np.array(bounds).T
        starts = [np.clip(self.theta, lo, hi)] + [rng.uniform(lo, hi) for _ in range(restarts)]
        best = (math.inf, self.theta)
        D = (self.X.T[:, :, None] - self.X.T[:, None, :]) ** 2
        for t0 in starts:
            res = minimize(
                self._nll, t0, args=(D, self.y), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200}
            )
            if res.fun < best[0]:
                best = (res.fun, res.x)
        self.theta = best[1]
        self.condition(self.X, self.y * self.y_std + self.y_mean)

    def condition(self, X: np.ndarray, y: np.ndarray) -> None:
        """Posterior on (X, y) with the current hyperparameters (no refit): for fantasies."""
        self.X = np.asarray(X, dtype=float)
        self.y = (np.asarray(y, dtype=float) - self.y_mean) / self.y_std
        ls, sf, noise = self._split(self.theta)
        K = _matern(self.X, self.X, ls, sf)[0]
        jitter = noise + 1e-8
        while True:
            try:
                self.L = cholesky(K + jitter * np.eye(len(self.y)), lower=True)
                break
            except np.linalg.LinAlgError:
                jitter *= 10
        self.alpha = cho_solve((self.L, True), self.y)

    def predict(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation, in the targets' units."""
        ls, sf, _ = self._split(self.theta)
        Ks = _matern(np.atleast_2d(Xs), self.X, ls, sf)[0]
        mu = Ks @ self.alpha
        v = solve_triangular(self.L, Ks.T, lower=True)
        var = np.maximum(sf - (v * v).sum(0), 1e-12)
        return mu * self.y_std + self.y_mean, np.sqrt(var) * self.y_std


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimisation."""
    z = (best - mu - xi) / sigma
    return (best - mu - xi) * ndtr(z) + sigma * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
