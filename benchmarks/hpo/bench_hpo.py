"""HPO benchmark: the built-in algorithms in-process through the contract's search(), median
simple regret over seeds, against Random and Optuna's default TPESampler as a peer.

    python benchmarks/hpo/bench_hpo.py [--quick] [--seeds N] [--jobs N]

Problems: Branin (50 trials), Hartmann6, Rosenbrock-4, Levy-4 (100 trials), one suggestion per
call, each result fed back as last_exp_results. Then the multi-fidelity toy (functions.LearningCurve):
Hyperband (R=27, eta=3 and R=125, eta=5) against Random at 100 full-resource runs.
Aims (issue 4): Tpe ≤ 0.5× Random on Hartmann6 and Levy-4; Bayesian ≤ Tpe on Branin and
Hartmann6; Hyperband ≤ Random@100's regret with ≤ 1/5 of its resource.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny matrices: BLAS threads only cost time

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from functions import PROBLEMS, LearningCurve  # noqa: E402

from dlicli.engine.hpo.algorithms.base import make_optimizer  # noqa: E402

COLUMNS = ["Random", "Tpe", "Bayesian", "Optuna"]
# One Hyperband pass tries 49 configs at R=27, eta=3 (fewer than Random's 100, so its best is
# worse); a larger eta screens more configs per unit of resource: 173 at R=125, eta=5.
FIDELITY = [(27, 3), (125, 5)]
FIDELITY_AIM = (125, 5)


class OptunaDefault:
    """The peer: Optuna's TPESampler with its defaults (seeded), behind the same search()."""

    def __init__(self, space: list[dict], seed: int):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.dists = {
            hp["name"]: optuna.distributions.FloatDistribution(hp["minDbVal"], hp["maxDbVal"]) for hp in space
        }
        self.study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        self.asked: list = []

    def search(self, n: int, last: list[dict]) -> list[dict]:
        for r in last:
            trial = next(t for t in self.asked if t.params == r["hyperparameters"])
            self.asked.remove(trial)
            self.study.tell(trial, r["metricVal"])
        out = []
        for _ in range(n):
            trial = self.study.ask(self.dists)
            self.asked.append(trial)
            out.append(dict(trial.params))
        return out


def run_one(job: tuple[str, int, int]) -> tuple[str, str, int, float, float]:
    """One search: (problem, algorithm, seed) → its simple regret and seconds."""
    warnings.simplefilter("ignore")
    pname, algo, seed = job[0], COLUMNS[job[1]], job[2]
    prob = next(p for p in PROBLEMS if p.name == pname)
    space = prob.space()
    if algo == "Optuna":
        opt = OptunaDefault(space, seed)
    else:
        opt = make_optimizer(
            algo,
            f"{pname}-{seed}",
            space,
            RandomSeed=str(seed),
            maxJobNum=str(prob.trials),
            objective="minimize",
            objectiveMetric="loss",
        )
    start, best, last = time.process_time(), float("inf"), []
    for i in range(prob.trials):
        got = opt.search(1, last)
        if not got:
            break
        v = prob.value(got[0])
        best = min(best, v)
        last = [
            {
                "id": i,
                "state": "FINISHED",
                "hyperparameters": got[0],
                "hyper_parameters": got[0],
                "metricVal": v,
                "objectiveMetric": "loss",
                "metrics": {},
                "config": got[0],
            }
        ]
    return pname, algo, seed, best - prob.f_min, time.process_time() - start


def run_fidelity(job: tuple[int, int, int]) -> tuple[float, float, float, int, int]:
    """The toy at (R, eta, seed): Random's regret at 100 full-resource runs, Hyperband's regret
    (best observed among its full-resource runs), Hyperband's resource / Random's, its runs and configs."""
    R, eta, seed = job
    toy, rng = LearningCurve(R), np.random.default_rng(10_000 + seed)
    rand = make_optimizer("Random", "r", toy.space(), RandomSeed=str(seed))
    runs = [(p, toy.observe(p, R, rng)) for p in rand.search(100, [])]
    random_regret = toy.final(min(runs, key=lambda t: t[1])[0]) - toy.f_min
    hb = make_optimizer(
        "Hyperband", "h", toy.space(), RandomSeed=str(seed), ResourceName="epochs", ResourceValue=str(R), eta=str(eta)
    )
    used, last, full = 0, [], []
    while not hb.is_done():
        got = hb.search(1000, last)  # as many as it will give: a whole rung runs in parallel
        last = []
        for i, p in enumerate(got):
            r = p["epochs"]
            used += r
            v = toy.observe(p, r, rng)
            last.append({"id": i, "state": "FINISHED", "hyperparameters": p, "metricVal": v, "config": p})
            if r == R:
                full.append((p, v))
    hb_regret = toy.final(min(full, key=lambda t: t[1])[0]) - toy.f_min
    return random_regret, hb_regret, used / (100 * R), hb.count, sum(b[0][0] for b in hb.table)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 seeds instead of 20")
    ap.add_argument("--seeds", type=int, help="number of seeds (default 20, 5 with --quick)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    ap.add_argument("--only", help="comma-separated problem names (default all)")
    args = ap.parse_args()
    seeds = args.seeds or (5 if args.quick else 20)
    problems = [p for p in PROBLEMS if not args.only or p.name in args.only.split(",")]
    jobs = [(p.name, c, s) for p in problems for c in range(len(COLUMNS)) for s in range(seeds)]
    jobs.sort(key=lambda j: COLUMNS[j[1]] != "Bayesian")  # the slow ones first
    t0 = time.perf_counter()
    regret: dict[tuple[str, str], list[float]] = {}
    secs: dict[str, float] = dict.fromkeys(COLUMNS, 0.0)
    with ProcessPoolExecutor(args.jobs) as pool:
        for pname, algo, _seed, r, dt in pool.map(run_one, jobs):
            regret.setdefault((pname, algo), []).append(r)
            secs[algo] += dt
        fid_jobs = [(R, eta, s) for R, eta in FIDELITY for s in range(seeds)]
        fidelity: dict[tuple[int, int], list] = {}
        for (R, eta, _s), row in zip(fid_jobs, pool.map(run_fidelity, fid_jobs)):
            fidelity.setdefault((R, eta), []).append(row)

    med = {k: statistics.median(v) for k, v in regret.items()}
    print(f"median simple regret over {seeds} seeds (lower is better)")
    print(f"{'problem':<14}{'trials':>7}" + "".join(f"{c:>12}" for c in COLUMNS))
    for p in problems:
        print(f"{p.name:<14}{p.trials:>7}" + "".join(f"{med[(p.name, c)]:>12.4g}" for c in COLUMNS))
    print(f"{'cpu s/search':<21}" + "".join(f"{secs[c] / (seeds * len(problems)):>12.2f}" for c in COLUMNS))
    print()
    aims = []
    for name in ("Hartmann6", "Levy-4"):
        if (name, "Tpe") in med:
            ratio = med[(name, "Tpe")] / med[(name, "Random")]
            aims.append((f"Tpe/Random on {name}", ratio, ratio <= 0.5, "<= 0.5"))
    for name in ("Branin", "Hartmann6"):
        if (name, "Tpe") in med:
            ratio = med[(name, "Bayesian")] / med[(name, "Tpe")]
            aims.append((f"Bayesian/Tpe on {name}", ratio, ratio <= 1.0, "<= 1.0"))
    print("multi-fidelity toy: Random at 100 full-resource runs vs one Hyperband pass (median regret)")
    print(
        f"{'R':>5}{'eta':>5}{'Random@100':>12}{'Hyperband':>11}{'HB/Rand':>9}{'resource':>10}{'runs':>6}{'configs':>9}"
    )
    for (R, eta), rows in fidelity.items():
        rand_r = statistics.median(f[0] for f in rows)
        hb_r = statistics.median(f[1] for f in rows)
        share = statistics.median(f[2] for f in rows)
        print(
            f"{R:>5}{eta:>5}{rand_r:>12.4f}{hb_r:>11.4f}{hb_r / rand_r:>9.2f}{share:>10.3f}{rows[0][3]:>6}"
            f"{rows[0][4]:>9}"
        )
        if (R, eta) == FIDELITY_AIM:
            aims.append((f"Hyperband/Random regret, R={R} eta={eta}", hb_r / rand_r, hb_r <= rand_r, "<= 1.0"))
            aims.append((f"Hyperband resource share, R={R} eta={eta}", share, share <= 0.2, "<= 0.2"))
    print()
    for label, value, ok, target in aims:
        print(f"{label:<44}{value:>8.3f}  aim {target:<7} {'PASS' if ok else 'MISS'}")
    print(f"\nwall {time.perf_counter() - t0:.0f}s with {args.jobs} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
