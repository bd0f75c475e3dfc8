"""Test functions for the HPO benchmark (all minimised), with their domains and known optima,
and the multi-fidelity toy: a learning curve whose noise shrinks with the resource."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Problem:
    name: str
    bounds: list[tuple[float, float]]
    f: Callable[[np.ndarray], float]
    f_min: float
    trials: int

    def space(self) -> list[dict]:
        """The problem as WMLA hyperParams (x0, x1, … double ranges)."""
        return [
            {"name": f"x{i}", "type": "Range", "dataType": "double", "minDbVal": lo, "maxDbVal": hi}
            for i, (lo, hi) in enumerate(self.bounds)
        ]

    def value(self, params: dict) -> float:
        return float(self.f(np.array([params[f"x{i}"] for i in range(len(self.bounds))])))


def branin(x: np.ndarray) -> float:
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(x: np.ndarray) -> float:
    return float(-_H_ALPHA @ np.exp(-(_H_A * (x - _H_P) ** 2).sum(1)))


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


PROBLEMS = [
    Problem("Branin", [(-5, 10), (0, 15)], branin, 0.397887357729738, 50),
    Problem("Hartmann6", [(0, 1)] * 6, hartmann6, -3.32236801141551, 100),
    Problem("Rosenbrock-4", [(-5, 10)] * 4, rosenbrock, 0.0, 100),
    Problem("Levy-4", [(-10, 10)] * 4, levy, 0.0, 100),
]


class LearningCurve:
    """The multi-fidelity toy: training a model with hyperparameters (x0, x1) for r epochs.

    The final loss is a 2-d bowl with ripples, f(x) in [0, ~2.5]. After r epochs the observed loss
    is f(x) + 0.5/sqrt(r) (every config learns at the same pace, so early ranks mean something)
    plus noise with sd 0.3/sqrt(r): the noise shrinks with the resource. Regret = f(chosen) - min f.
    """

    bounds = [(0.0, 1.0), (0.0, 1.0)]
    f_min = 0.0

    def __init__(self, R: int):
        self.R = R

    def space(self) -> list[dict]:
        return [
            {"name": f"x{i}", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1} for i in range(2)
        ]

    @staticmethod
    def final(p: dict) -> float:
        x, y = p["x0"] - 0.3, p["x1"] - 0.7
        return float(4 * (x * x + y * y) + 0.3 * (1 - math.cos(12 * x) * math.cos(12 * y)))

    def observe(self, p: dict, r: int, rng: np.random.Generator) -> float:
        return self.final(p) + 0.5 / math.sqrt(r) + rng.normal(0, 0.3 / math.sqrt(r))
