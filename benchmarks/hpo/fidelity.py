"""The multi-fidelity table: Random at 100 full runs against one Hyperband pass, multi-pass
Hyperband and ASHA on the learning-curve toy (functions.LearningCurve), 4 slots simulated.

    python benchmarks/hpo/fidelity.py [--seeds N] [--jobs N] [--json]

The simulation: 4 slots; an experiment at resource r takes r time units; the moment a slot frees,
search(free slots, the experiments that just finished) refills it (Hyperband's rungs are
synchronous, so its slots idle while a rung waits; ASHA fills every free slot). Budget: Hyperband
multi-pass and ASHA are told maxRunTime is set (so they keep going) and the simulation hands out no
more experiments once the next one would take the resource started past BUDGET·100·R (0.2 of
Random's 100 full runs; that suggestion is dropped, as maxRunTime would cut it); the running ones
finish. One Hyperband pass and Random@20 (20 full runs, the same resource as the
budget) are shown for reference.

The answer of a multi-fidelity search is the best observed loss among its runs at the full
resource R; if no run reached R, the best at the highest resource reached (counted in `below R`).
Regret = the toy's true final loss at that config − its minimum. Columns: median regret over seeds,
regret / Random@100's, resource used / (100·R), slot utilisation = busy slot-time / (4 · makespan),
configs tried (distinct configs), runs (experiments).
Aims (issue 13 item 4, R=27, eta=3): ASHA regret ≤ Random@100's with ≤ 0.2 of the resource, and
utilisation ≥ 90 % with 4 slots.
"""

from __future__ import annotations

import argparse
import heapq
import json
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from functions import LearningCurve

from dlicli.engine.hpo.algorithms.base import make_optimizer

SETTINGS = [(27, 3), (125, 5)]  # (R, eta)
AIM = (27, 3)
SLOTS = 4
BUDGET = 0.2  # of Random's resource, 100 runs at R
ALGOS = ["Random@100", "Random@20", "Hyperband 1 pass", "Hyperband", "ASHA"]


def make(algo: str, toy: LearningCurve, R: int, eta: int, seed: int):
    """The optimizer of a row (Random has no resource: its runs are at R)."""
    common = {"RandomSeed": str(seed), "objective": "minimize", "objectiveMetric": "loss"}
    if algo.startswith("Random"):
        return make_optimizer("Random", "r", toy.space(), maxJobNum=algo.split("@")[1], **common)
    fidelity = {"ResourceName": "epochs", "ResourceValue": str(R), "eta": str(eta)}
    if algo != "Hyperband 1 pass":
        fidelity["maxRunTime"] = "60"  # keeps going; the simulation's budget ends it
    return make_optimizer(algo.split()[0], "m", toy.space(), **fidelity, **common)


def simulate(opt, toy: LearningCurve, R: int, budget: float | None, rng: np.random.Generator) -> dict:
    """Run the search on SLOTS simulated slots; the row's figures for this seed."""
    clock, used, busy, runs, spent = 0.0, 0, 0.0, [], False
    running: list[tuple[float, int, dict, int]] = []  # (end time, tie-break, suggestion, resource)
    finished: list[dict] = []
    while True:
        free = SLOTS - len(running)
        if free and not spent:
            for p in opt.search(free, finished):
                r = int(p.get("epochs", R))
                if budget is not None and used + r > budget:
                    spent = True  # this one and the rest are never run: the search ends here
                    break
                used += r
                busy += r
                heapq.heappush(running, (clock + r, len(runs), p, r))
                runs.append(p)
            finished = []
        if not running:
            break
        clock = running[0][0]
        while running and running[0][0] == clock:
            _, i, p, r = heapq.heappop(running)
            value = toy.observe(p, r, rng)
            finished.append({"id": i, "state": "FINISHED", "hyperparameters": p, "metricVal": value, "config": p})
            runs[i] = {**p, "epochs": r, "value": value}
    top = max(run["epochs"] for run in runs)
    best = min((run for run in runs if run["epochs"] == top), key=lambda run: run["value"])
    configs = {json.dumps({k: v for k, v in run.items() if k not in ("epochs", "value")}) for run in runs}
    return {
        "regret": toy.final(best) - toy.f_min,
        "resource": used / (100 * R),
        "utilisation": busy / (SLOTS * clock),
        "configs": len(configs),
        "runs": len(runs),
        "below_R": top < R,
    }


def run_one(job: tuple[int, int, str, int]) -> tuple[int, int, str, dict]:
    R, eta, algo, seed = job
    toy = LearningCurve(R)
    rng = np.random.default_rng(10_000 + seed)  # the same noise stream for every algorithm
    budget = BUDGET * 100 * R if algo in ("Hyperband", "ASHA") else None
    return R, eta, algo, simulate(make(algo, toy, R, eta, seed), toy, R, budget, rng)


def fidelity_table(seeds: int, jobs: int) -> dict:
    """Median figures per (R, eta, algorithm) over `seeds` seeds, JSON-able."""
    work = [(R, eta, algo, s) for R, eta in SETTINGS for algo in ALGOS for s in range(seeds)]
    got: dict[tuple[int, int, str], list[dict]] = {}
    with ProcessPoolExecutor(jobs) as pool:
        for R, eta, algo, row in pool.map(run_one, work, chunksize=4):
            got.setdefault((R, eta, algo), []).append(row)
    rows = []
    for (R, eta, algo), runs in got.items():
        random100 = statistics.median(r["regret"] for r in got[(R, eta, "Random@100")])
        regret = statistics.median(r["regret"] for r in runs)
        rows.append(
            {
                "R": R,
                "eta": eta,
                "algorithm": algo,
                "regret": regret,
                "vs_random100": regret / random100 if random100 else None,
                "resource": statistics.median(r["resource"] for r in runs),
                "utilisation": statistics.median(r["utilisation"] for r in runs),
                "configs": statistics.median(r["configs"] for r in runs),
                "runs": statistics.median(r["runs"] for r in runs),
                "below_R": sum(r["below_R"] for r in runs),
            }
        )
    return {"seeds": seeds, "slots": SLOTS, "budget": BUDGET, "rows": rows, "aims": aims(rows)}


def aims(rows: list[dict]) -> list[dict]:
    asha = next(r for r in rows if (r["R"], r["eta"]) == AIM and r["algorithm"] == "ASHA")
    where = f"ASHA, R={AIM[0]} eta={AIM[1]}"
    return [
        {"aim": f"{where}: regret / Random@100", "value": asha["vs_random100"], "target": "<= 1.0",
         "ok": asha["vs_random100"] <= 1.0},
        {"aim": f"{where}: resource share", "value": asha["resource"], "target": "<= 0.2",
         "ok": asha["resource"] <= BUDGET + 1e-9},
        {"aim": f"{where}: slot utilisation", "value": asha["utilisation"], "target": ">= 0.9",
         "ok": asha["utilisation"] >= 0.9},
    ]  # fmt: skip


def print_fidelity(table: dict) -> None:
    print(
        f"multi-fidelity toy, {table['slots']} slots simulated, median over {table['seeds']} seeds "
        f"(Hyperband and ASHA stop at {table['budget']:g} of Random@100's resource)"
    )
    head = f"{'R':>4}{'eta':>4}  {'algorithm':<18}{'regret':>9}{'/Rand100':>9}{'resource':>9}{'util':>7}"
    print(head + f"{'configs':>8}{'runs':>6}{'<R':>4}")
    for r in table["rows"]:
        print(
            f"{r['R']:>4}{r['eta']:>4}  {r['algorithm']:<18}{r['regret']:>9.4f}{r['vs_random100']:>9.2f}"
            f"{r['resource']:>9.3f}{r['utilisation']:>7.1%}{r['configs']:>8.0f}{r['runs']:>6.0f}{r['below_R']:>4}"
        )
    for a in table["aims"]:
        print(f"{a['aim']:<44}{a['value']:>8.3f}  aim {a['target']:<7} {'PASS' if a['ok'] else 'MISS'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--json", action="store_true", help="print the table as JSON")
    args = ap.parse_args()
    table = fidelity_table(args.seeds, args.jobs)
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print_fidelity(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
