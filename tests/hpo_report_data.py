"""Fixed searches for the `hpo report` tests, in the local engine's shape and in WMLA's."""

from __future__ import annotations

import random
from typing import Any

SPACE = [
    {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 0, "power": "10"},
    {"name": "hidden", "type": "Discrete", "dataType": "int", "discreteIntVal": [16, 32, 64]},
    {"name": "opt", "type": "Discrete", "dataType": "str", "discreateStrVal": ["adam", "sgd"]},
]


def exp(ident: int, state: str, value: float | None, **params: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "state": state,
        "metricVal": value,
        "execId": f"exec-{ident}",
        "hyperParams": [
            {
                "name": n,
                "dataType": "str" if isinstance(v, str) else "int" if isinstance(v, int) else "double",
                "fixedVal": str(v),
            }
            for n, v in params.items()
        ],
    }


def engine_task(
    name: str, experiments: list[dict[str, Any]], space: list[dict[str, Any]] | None = None, objective: str = "maximize"
) -> dict[str, Any]:
    algo = {"algorithm": "Random", "objectiveMetric": "accuracy", "objective": objective}
    return {
        "hpoName": name,
        "state": "RUNNING",
        "objective": objective,
        "objectiveMetric": "accuracy",
        "algoDef": algo,
        "experiments": experiments,
        "input": {"hpoName": name, "algoDef": algo, "hyperParams": SPACE if space is None else space},
    }


# best so far, by hand: 0.5, 0.7, 0.7 (experiment 3's 0.6 is worse), 0.9; the FAILED one (WMLA's
# 9999.99) and the RUNNING one count in the table only
FIXED = [
    exp(0, "FINISHED", 0.5, lr=0.01, hidden=16, opt="adam"),
    exp(1, "FINISHED", 0.7, lr=0.1, hidden=32, opt="sgd"),
    exp(2, "FAILED", 9999.99, lr=0.5, hidden=64, opt="adam"),
    exp(3, "FINISHED", 0.6, lr=0.001, hidden=64, opt="sgd"),
    exp(4, "FINISHED", 0.9, lr=0.05, hidden=64, opt="adam"),
    exp(5, "RUNNING", None, lr=0.2, hidden=16, opt="sgd"),
]


def one_dominant(n: int = 40, seed: int = 3) -> list[dict[str, Any]]:
    """accuracy depends on `hidden` only (how near 64): lr and opt are noise."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        hidden = rnd.choice([16, 32, 64])
        lr, opt = 10 ** rnd.uniform(-3, 0), rnd.choice(["adam", "sgd"])
        rows.append(exp(i, "FINISHED", 1.0 - abs(hidden - 64) / 64, lr=round(lr, 6), hidden=hidden, opt=opt))
    return rows
