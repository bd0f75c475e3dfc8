"""How long `hpo report --html` takes once the search is fetched (aim: under 2 s for 200 experiments).

A fixed 200-experiment search in the local engine's shape (a log-scale double, two Discrete ints, a
string; a few FAILED) goes through what the command does after its GET: the report's data, the
Optuna study, the importances, the page with every plot. Printed: importing optuna and plotly (a
user's command pays it once), the first run and the median of the next runs, each step apart.

    python benchmarks/bench_report.py [--experiments 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPACE = [
    {"name": "learning_rate", "type": "Range", "dataType": "double", "minDbVal": -3, "maxDbVal": 0, "power": "10"},
    {"name": "hidden", "type": "Discrete", "dataType": "int", "discreteIntVal": [16, 32, 64, 128]},
    {"name": "batch_size", "type": "Discrete", "dataType": "int", "discreteIntVal": [16, 32, 64]},
    {"name": "optimizer", "type": "Discrete", "dataType": "str", "discreateStrVal": ["sgd", "adam", "rmsprop"]},
]


def search(count: int, seed: int = 1) -> dict[str, Any]:
    rnd = random.Random(seed)
    exps = []
    for i in range(count):
        cfg = {
            "learning_rate": 10 ** rnd.uniform(-3, 0),
            "hidden": rnd.choice([16, 32, 64, 128]),
            "batch_size": rnd.choice([16, 32, 64]),
            "optimizer": rnd.choice(["sgd", "adam", "rmsprop"]),
        }
        failed = rnd.random() < 0.05
        value = 0.99 - abs(cfg["learning_rate"] - 0.1) - 0.1 * (cfg["hidden"] == 16) + rnd.gauss(0, 0.01)
        hps = [{"name": k, "type": "fix", "fixedVal": str(v), "value": v} for k, v in cfg.items()]
        exps.append(
            {
                "id": i,
                "state": "FAILED" if failed else "FINISHED",
                "metricVal": 9999.99 if failed else value,
                "hyperParams": hps,
            }
        )
    algo = {"algorithm": "Tpe", "objectiveMetric": "accuracy", "objective": "maximize"}
    return {
        "hpoName": "bench",
        "state": "FINISHED",
        "algoDef": algo,
        "experiments": exps,
        "input": {"hyperParams": SPACE, "algoDef": algo},
    }


def once(task: dict[str, Any]) -> dict[str, float]:
    """Seconds per step of the command after its GET."""
    from dlicli.hporeport import build, page

    marks = {"start": time.perf_counter()}
    made = build.make([("bench", task)], None)
    marks["data, study, importances"] = time.perf_counter()
    text = page.render(made.searches, made.studies, made.shares, made.notes)
    marks["page (every plot)"] = time.perf_counter()
    assert text.count('class="plotly-graph-div"') == 5
    steps = list(marks)
    return {steps[i]: marks[steps[i]] - marks[steps[i - 1]] for i in range(1, len(steps))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    task = search(args.experiments)
    started = time.perf_counter()
    from dlicli.hporeport import study

    study.optuna()  # what a report's process imports first: optuna (with its plotly figures)

    imports = time.perf_counter() - started
    first = once(task)
    later = [once(task) for _ in range(args.runs)]
    print(f"hpo report --html, {args.experiments} experiments, after the fetch:")
    print(f"  importing optuna and plotly:          {imports:.2f} s")
    print(f"  first run:                            {sum(first.values()):.2f} s  " + _steps(first))
    medians = {k: statistics.median(r[k] for r in later) for k in first}
    print(f"  median of {args.runs} more:                {sum(medians.values()):.2f} s  " + _steps(medians))


def _steps(steps: dict[str, float]) -> str:
    return "(" + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()) + ")"


if __name__ == "__main__":
    main()
