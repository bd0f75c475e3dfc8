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
from scipy.special import erfcx, log_ndtr, ndtr

SQRT5 = math.sqrt(5.0)
SQRT2PI = math.sqrt(2 * math.pi)
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

    def predict_grad(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean and sd (targets' units) at points (m, d) and their gradients in x (m, d) each.

        Matern 5/2: dk/dx_j = -5/3 sf (1 + sqrt5 r) exp(-sqrt5 r) (x_j - z_j) / ls_j^2 (no
        singularity at r = 0), so mean and variance gradients are two contractions."""
        ls, sf, _ = self._split(self.theta)
        Xs = np.atleast_2d(Xs)
        Ks, r = _matern(Xs, self.X, ls, sf)
        diff = (Xs[:, None, :] - self.X[None, :, :]) / (ls * ls)  # (m, n, d)
        dK = (-5.0 / 3.0 * sf * (1 + SQRT5 * r) * np.exp(-SQRT5 * r))[:, :, None] * diff
        mu = Ks @ self.alpha
        w = cho_solve((self.L, True), Ks.T)  # K^-1 ks, (n, m)
        var = np.maximum(sf - np.einsum("mn,nm->m", Ks, w), 1e-12)
        sd = np.sqrt(var)
        dmu = np.einsum("mnd,n->md", dK, self.alpha)
        dsd = -np.einsum("mnd,nm->md", dK, w) / sd[:, None]
        scale = self.y_std
        return mu * scale + self.y_mean, sd * scale, dmu * scale, dsd * scale


def log_h(z: np.ndarray) -> np.ndarray:
    """log(z Phi(z) + phi(z)), the log of EI per unit sd, accurate far into the left tail."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    mid = z > -1.0
    zm = z[mid]
    out[mid] = np.log(zm * ndtr(zm) + np.exp(-0.5 * zm * zm) / SQRT2PI)
    zt = np.maximum(z[~mid], -1e6)
    # phi(z) (1 + z Phi(z)/phi(z)), Phi/phi = sqrt(pi/2) erfcx(-z/sqrt2): no underflow
    tail = 1.0 + zt * math.sqrt(math.pi / 2) * erfcx(-zt / math.sqrt(2))
    out[~mid] = -0.5 * zt * zt - math.log(SQRT2PI) + np.log(np.maximum(tail, 1e-300))
    return out


def log_expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float) -> np.ndarray:
    """log EI for minimisation: ranks points where plain EI underflows to 0 (Ament et al. 2023)."""
    return np.log(sigma) + log_h((best - mu) / sigma)


def log_ei_and_grad(gp: GaussianProcess, X: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    """log EI at points (m, d) and its gradient (m, d), for L-BFGS-B."""
    mu, sd, dmu, dsd = gp.predict_grad(X)
    z = (best - mu) / sd
    lh = log_h(z)
    ratio = np.exp(log_ndtr(z) - lh)  # d log h / dz = Phi(z) / h(z)
    dz = (-dmu - z[:, None] * dsd) / sd[:, None]
    return np.log(sd) + lh, dsd / sd[:, None] + ratio[:, None] * dz


def lower_confidence_bound(mu: np.ndarray, sigma: np.ndarray, kappa: float) -> np.ndarray:
    """-(mu - kappa sd), to maximise: GP-UCB's score for minimisation (optimism under uncertainty)."""
    return kappa * sigma - mu


def lcb_and_grad(gp: GaussianProcess, X: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """lower_confidence_bound at points (m, d) and its gradient (m, d)."""
    mu, sd, dmu, dsd = gp.predict_grad(X)
    return kappa * sd - mu, kappa * dsd - dmu


def maximise(score_and_grad, starts: np.ndarray, maxiter: int = 100) -> np.ndarray:
    """Multi-start L-BFGS-B in the unit cube, all starts in one problem (their sum is separable,
    so one vectorised call per step serves every start); returns the improved starts (k, d)."""
    k, d = starts.shape

    def f(flat: np.ndarray) -> tuple[float, np.ndarray]:
        val, grad = score_and_grad(flat.reshape(k, d))
        return -float(val.sum()), -grad.ravel()

    res = minimize(
        f, starts.ravel(), jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * (k * d), options={"maxiter": maxiter}
    )
    return np.clip(res.x.reshape(k, d), 0.0, 1.0)


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimisation."""
    z = (best - mu - xi) / sigma
    return (best - mu - xi) * ndtr(z) + sigma * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
