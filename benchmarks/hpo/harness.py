"""How the HPO benchmark drives an optimizer: one experiment at a time, or several slots at once.

Anything with the contract's `search(n, last_exp_results)` can be driven: the built-ins
(make_optimizer) and the Optuna peers (peers.py). Both runs return the best-so-far simple regret,
so the tables can read it at any trial or time.

Parallel runs are simulated asynchronously, as the engine runs a search with maxParalleJobNum
slots: every experiment takes a duration drawn uniformly from [0.5, 1.5] time units (one "round"
is the mean duration), a slot is refilled the moment it frees — search(free slots, the results that
just finished) — so proposals are made while other experiments are still running.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

DURATION = (0.5, 1.5)  # experiment durations, uniform; the mean is one round


def result(ident: int, params: dict[str, Any], value: float) -> dict[str, Any]:
    """One finished experiment as last_exp_results carries it."""
    return {
        "id": ident,
        "state": "FINISHED",
        "hyperparameters": params,
        "hyper_parameters": params,
        "metricVal": value,
        "objectiveMetric": "loss",
        "metrics": {},
        "config": params,
    }


def sequential(opt: Any, value, f_min: float, trials: int) -> list[float]:
    """One experiment at a time: the best-so-far regret after each trial."""
    curve: list[float] = []
    best, last = float("inf"), []
    for i in range(trials):
        got = opt.search(1, last)
        if not got:
            break
        v = value(got[0])
        best = min(best, v)
        curve.append(best - f_min)
        last = [result(i, got[0], v)]
    return curve


def parallel(opt: Any, value, f_min: float, trials: int, slots: int, seed: int) -> dict[str, Any]:
    """`slots` experiments at once until `trials` have run.

    Returns {"times": finish times, "regret": best-so-far regret at each, "duplicates": proposals
    equal to an experiment still running}."""
    rng = np.random.default_rng(7_919 + seed)
    running: list[tuple[float, int, dict[str, Any]]] = []  # (finish time, id, params)
    now, started, best = 0.0, 0, float("inf")
    times: list[float] = []
    regret: list[float] = []
    duplicates = 0
    finished: list[dict[str, Any]] = []
    while True:
        free = min(slots - len(running), trials - started)
        got = opt.search(free, finished) if free > 0 else []
        finished = []
        for params in got[:free]:
            duplicates += any(params == p for _, _, p in running)
            heapq.heappush(running, (now + rng.uniform(*DURATION), started, params))
            started += 1
        if not running:
            break
        now, ident, params = heapq.heappop(running)
        batch = [(ident, params)]
        while running and running[0][0] == now:
            _, i2, p2 = heapq.heappop(running)
            batch.append((i2, p2))
        for ident, params in batch:
            v = value(params)
            best = min(best, v)
            finished.append(result(ident, params, v))
            times.append(now)
            regret.append(best - f_min)
    return {"times": times, "regret": regret, "duplicates": duplicates}


def regret_at(run: dict[str, Any], t: float) -> float:
    """A parallel run's best-so-far regret at time t (inf before anything finished)."""
    out = float("inf")
    for when, r in zip(run["times"], run["regret"]):
        if when > t:
            break
        out = r
    return out


def rounds_to_reach(runs: list[dict[str, Any]], target: float, horizon: float) -> float | None:
    """The first time at which the median over runs of the best-so-far regret is ≤ target."""
    moments, grid = regret_grid(runs, horizon)
    return first_reach(moments, np.median(grid, axis=1), target)


def rounds_interval(
    runs: list[dict[str, Any]], finals: list[float], horizon: float, draws: int = 1000
) -> list[float | None]:
    """A 90 % bootstrap interval of rounds_to_reach: the parallel runs and the 1-slot finals (whose
    median is the target) both resampled over seeds; None for a bound past the horizon."""
    rng = np.random.default_rng(0)
    moments, grid = regret_grid(runs, horizon)
    finals_arr = np.asarray(finals, dtype=float)
    n = len(runs)
    reached = []
    for _ in range(draws):
        target = float(np.median(finals_arr[rng.integers(0, n, n)]))
        at = first_reach(moments, np.median(grid[:, rng.integers(0, n, n)], axis=1), target)
        reached.append(np.inf if at is None else at)
    bounds = np.percentile(reached, [5, 95], method="inverted_cdf")  # an observed value, inf kept
    return [None if np.isinf(x) else float(x) for x in bounds]


def regret_grid(runs: list[dict[str, Any]], horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Every moment a result arrived (up to horizon), and each run's best-so-far regret then
    (a moments × runs matrix, inf before a run's first result): regret_at for all at once."""
    moments = np.array(sorted({t for run in runs for t in run["times"] if t <= horizon}))
    columns = []
    for run in runs:
        regret = np.asarray(run["regret"], dtype=float)
        last = np.searchsorted(np.asarray(run["times"]), moments, side="right") - 1
        columns.append(np.where(last >= 0, regret[np.maximum(last, 0)] if len(regret) else np.inf, np.inf))
    return moments, np.stack(columns, axis=1) if columns else np.empty((len(moments), 0))


def first_reach(moments: np.ndarray, curve: np.ndarray, target: float) -> float | None:
    """The first moment at which curve is ≤ target, None if never."""
    hit = np.nonzero(curve <= target)[0]
    return float(moments[hit[0]]) if len(hit) else None
