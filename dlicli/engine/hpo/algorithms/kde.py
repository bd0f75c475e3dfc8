"""BOHB's sampler (Falkner et al., "BOHB: Robust and Efficient Hyperparameter Optimization at
Scale", ICML 2018): two kernel density estimates over the unit cube, l(x) on the good results and
g(x) on the bad ones, and the candidate drawn from a widened l(x) with the largest l(x)/g(x).

Points are in the space's unit encoding (space.py: a continuous Range linearly, on the exponent
with `power`; a grid or Discrete as the centre of its cell), so the caller decodes the pick and
every value honours the space. Bandwidths are the normal reference rule per dimension, at least
MIN_BANDWIDTH, and at least half a cell for a grid parameter so a kernel can reach the next cell.
numpy only: the engine calls this once per free slot, on at most a few hundred points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_BANDWIDTH = 0.15  # of the unit cube (BOHB: 1e-3); see asha.py for the figures
TINY = 1e-32  # floor of a density before the ratio


@dataclass(frozen=True)
class KdeSettings:
    """BOHB's defaults: top 15 % are good, 64 candidates, kernels 3× wider when sampling."""

    good_fraction: float = 0.15
    candidates: int = 64
    widen: float = 3.0


def split_good_bad(points: np.ndarray, losses: np.ndarray, min_points: int, good_fraction: float):
    """The best max(min_points, good_fraction·n) points and the worst max(min_points, rest)."""
    order = np.argsort(losses, kind="stable")
    n = len(order)
    n_good = max(min_points, int(good_fraction * n))
    n_bad = max(min_points, n - n_good)
    return points[order[:n_good]], points[order[n - n_bad :]]


def bandwidths(points: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Per-dimension normal-reference bandwidths (1.06·sd·n^(-1/(d+4))), floored.

    `cells` holds each dimension's grid size (0 for a continuous one)."""
    n, d = points.shape
    bw = 1.06 * points.std(axis=0) * n ** (-1.0 / (d + 4))
    floor = np.where(cells > 0, 0.5 / np.maximum(cells, 1), MIN_BANDWIDTH)
    return np.maximum(bw, floor)


def density(x: np.ndarray, points: np.ndarray, bw: np.ndarray) -> np.ndarray:
    """The Gaussian product-kernel density of `points` at each row of x (unnormalised alike)."""
    z = (x[:, None, :] - points[None, :, :]) / bw
    return np.exp(-0.5 * (z * z).sum(axis=2)).mean(axis=1) / np.prod(bw)


def propose(
    points: np.ndarray,
    losses: np.ndarray,
    cells: np.ndarray,
    rng: np.random.Generator,
    settings: KdeSettings = KdeSettings(),
) -> np.ndarray:
    """The candidate (a point of [0, 1]^d) with the largest l(x)/g(x) among those drawn from l(x)."""
    d = points.shape[1]
    good, bad = split_good_bad(points, losses, d + 1, settings.good_fraction)
    bw_good, bw_bad = bandwidths(good, cells), bandwidths(bad, cells)
    centres = good[rng.integers(len(good), size=settings.candidates)]
    draws = centres + rng.normal(size=centres.shape) * bw_good * settings.widen
    draws = _reflect(draws)
    ratio = np.maximum(density(draws, good, bw_good), TINY) / np.maximum(density(draws, bad, bw_bad), TINY)
    return draws[int(np.argmax(ratio))]


def _reflect(x: np.ndarray) -> np.ndarray:
    """Points folded back into [0, 1] at the edges (a kernel near a bound keeps its mass inside)."""
    x = np.mod(x, 2.0)
    return np.where(x > 1.0, 2.0 - x, x)
