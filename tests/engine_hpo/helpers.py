"""Shared test helpers: a space using every parameter kind, and a loop feeding results back."""

from __future__ import annotations

import math

SPACE = [
    {"name": "lr", "type": "range", "datatype": "DOUBLE", "mindbval": "-4", "maxdbval": "-1", "power": "10"},
    {"NAME": "x", "Type": "Range", "DataType": "double", "MinDbVal": -5, "MaxDbVal": 10},
    {"name": "y", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1, "step": "0.25"},
    {"name": "layers", "type": "Range", "dataType": "int", "minIntVal": 1, "maxIntVal": 9, "step": "2"},
    {"name": "bs", "type": "Range", "dataType": "INT", "minIntVal": "4", "maxIntVal": "7", "power": "2"},
    {"name": "units", "type": "Range", "dataType": "int", "minIntVal": 3, "maxIntVal": 5},
    {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["sgd", "adam", "rms"]},
    {"name": "mom", "type": "discrete", "dataType": "double", "discreteDbVal": [0.5, 0.9, 0.99]},
    {"name": "k", "type": "Discrete", "dataType": "int", "discreteIntVal": ["1", "3"]},
]


def check_point(p: dict) -> None:
    """Every value has the type, bounds, step, power or choice its definition says."""
    assert set(p) >= {"lr", "x", "y", "layers", "bs", "units", "opt", "mom", "k"}
    assert type(p["lr"]) is float and 1e-4 * (1 - 1e-9) <= p["lr"] <= 0.1 * (1 + 1e-9)
    assert type(p["x"]) is float and -5 <= p["x"] <= 10
    assert p["y"] in (0.0, 0.25, 0.5, 0.75, 1.0) and type(p["y"]) is float
    assert p["layers"] in (1, 3, 5, 7, 9) and type(p["layers"]) is int
    assert p["bs"] in (16, 32, 64, 128) and type(p["bs"]) is int
    assert p["units"] in (3, 4, 5) and type(p["units"]) is int
    assert p["opt"] in ("sgd", "adam", "rms")
    assert p["mom"] in (0.5, 0.9, 0.99) and type(p["mom"]) is float
    assert p["k"] in (1, 3) and type(p["k"]) is int


def objective(p: dict) -> float:
    """A quadratic bowl over the mixed space (minimum 0 at lr=1e-2, x=2, y=.5, layers=5, adam, …)."""
    v = (math.log10(p["lr"]) + 2) ** 2 + (p["x"] - 2) ** 2 / 10 + (p["y"] - 0.5) ** 2 + (p["layers"] - 5) ** 2 / 4
    return v + (p["opt"] != "adam") + (p["mom"] != 0.9) * 0.5 + (p["bs"] != 32) * 0.3


def result(i: int, p: dict, value: float | None, metric: str = "loss") -> dict:
    """One entry of last_exp_results, the contract's shape."""
    return {
        "id": i,
        "state": "FINISHED" if value is not None else "FAILED",
        "hyperparameters": dict(p),
        "hyper_parameters": dict(p),
        "metricVal": value,
        "objectiveMetric": metric,
        "metrics": {} if value is None else {metric: {"min": value, "max": value, "latest": value}},
        "config": dict(p),
    }


def drive(opt, fn=objective, batch: int = 1, limit: int = 500) -> list[dict]:
    """Run a search to its end (or limit), feeding each batch's results back; all suggestions."""
    seen: list[dict] = []
    last: list[dict] = []
    while len(seen) < limit:
        got = opt.search(batch, last)
        if not got:
            break
        last = [result(len(seen) + j, p, fn(p)) for j, p in enumerate(got)]
        seen.extend(got)
    return seen
