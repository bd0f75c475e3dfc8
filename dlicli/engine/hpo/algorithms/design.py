"""Space-filling initial designs for the model-based algorithms: a scrambled Sobol sequence in
the unit cube, seeded, so the first suggestions cover the space more evenly than uniform draws
(no two initial points crowd one corner) and a restarted search recomputes the same design."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.stats import qmc


def sobol_design(n: int, dim: int, seed: int | np.random.Generator) -> np.ndarray:
    """The first n points (n, dim) of a scrambled Sobol sequence seeded by `seed` (an int or a
    Generator: scipy scrambles differently from each, and each algorithm keeps its measured form)."""
    if n <= 0 or dim <= 0:
        return np.zeros((max(n, 0), max(dim, 0)))
    m = max(1, math.ceil(math.log2(n)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when the points are not a power of 2
        return qmc.Sobol(d=dim, scramble=True, seed=seed).random_base2(m)[:n]
