"""Benchmark the engine's overhead per HPO experiment: the gap between one experiment's end and the next start.

    python benchmarks/bench_hpo_engine.py [--experiments 20] [--rounds 3] [--algorithm Random] [--json] [--keep]

Starts a private engine on a temporary data dir (dlicli.localengine, as `dlicli server start` does)
and, --rounds times, alternates the baselines below with one search (POST /hypersearch) of
--experiments runs of a trivial script (it writes val_dict_list.json and exits) with maxParalleJob 1.
It reads every experiment's engine task (its execId) from GET /scheduler/applications, whose times
are in milliseconds (an application's `endtime`, minus `apprunduration` for its start), and prints
medians over all rounds:
- the median (and p90, max) gap between an experiment's endTime and the next one's startTime: what
  the engine spends noticing the end, reading the metric, asking the algorithm, copying the code and
  launching the next task; `gap_vs_spawn_ratio` is it over the spawn baseline (aim ≤ 2);
- beside it a baseline measured in the same run: the median wall time of spawning `python -c pass`,
  the part of any launch that is process start-up;
- the median experiment duration (startTime → endTime: the launcher and the script themselves)
  and the whole search's wall time per experiment, beside the script run directly (a second
  baseline): wall per experiment minus that is everything the engine adds to one experiment.
- the time from the script writing its result (the file's mtime) to the engine's endTime (the
  script's own exit, as the launcher recorded it), and to the next startTime: the whole chain
  end → noticed → driver step → submit → launch.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_engine import spawn_once

from dlicli import localengine

TRIVIAL = b"""\
import json, os
json.dump([{"steps": 1, "loss": float(json.load(open("config.json"))["x"]) ** 2}],
          open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""
FINAL = {"FINISHED", "FAILED", "STOPPED"}


def script_runs(runs: int, where: Path) -> list[float]:
    """Seconds of the trivial script run directly (config.json and RESULT_DIR given), `runs` times:
    what an experiment costs by itself."""
    where.mkdir(exist_ok=True)
    (where / "main.py").write_bytes(TRIVIAL)
    (where / "config.json").write_text('{"x": 0.5}')
    env = {"RESULT_DIR": str(where), "PATH": "/usr/bin:/bin"}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "main.py"], check=True, cwd=where, env=env)
        times.append(time.perf_counter() - t0)
    return times


def spec(name: str, algorithm: str, experiments: int) -> dict:
    return {
        "hpoName": name,
        "modelSpec": {"args": "--exec-start python --model-main main.py"},
        "algoDef": {
            "algorithm": algorithm,
            "maxJobNum": experiments,
            "maxParalleJob": 1,
            "objectiveMetric": "loss",
            "objective": "minimize",
            "algoParams": [{"name": "RandomSeed", "value": "1"}],
        },
        "hyperParams": [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": -1, "maxDbVal": 1}],
    }


def run_search(client: httpx.Client, body: dict, timeout: float) -> tuple[dict, float]:
    """Submit, poll until final; → (the final task, wall seconds from POST to final)."""
    t0 = time.perf_counter()
    response = client.post(
        "/hypersearch", data={"data": json.dumps(body)}, files={"file": ("main.py", TRIVIAL, "text/x-python")}
    )
    response.raise_for_status()
    while True:
        task = client.get(f"/hypersearch/{body['hpoName']}").json()
        if task["state"] in FINAL or time.perf_counter() - t0 > timeout:
            return task, time.perf_counter() - t0
        time.sleep(0.05)


def task_times(client: httpx.Client) -> dict[str, tuple[float, float]]:
    """Exec id → (start, end) in epoch seconds, to the millisecond, of every ended engine task."""
    times = {}
    for app in client.get("/scheduler/applications").json():
        if app.get("endtime"):
            end = app["endtime"] / 1000
            times[app["applicationid"].removeprefix("app-")] = (end - app["apprunduration"], end)
    return times


def gaps(experiments: list[dict], times: dict[str, tuple[float, float]], ddir: Path) -> dict[str, list[float]]:
    """Seconds, experiments in start order: `gap` end → next start, `duration` start → end, and
    from the moment the script wrote its result (the file's mtime, in the private data dir):
    `noticed` → end and `true_gap` → next start."""
    runs = []
    for e in experiments:
        if e.get("execId") in times:
            result = ddir / "tasks" / e["execId"] / "result" / "val_dict_list.json"
            written = result.stat().st_mtime if result.exists() else None
            runs.append((*times[e["execId"]], written))
    runs.sort()
    pairs = list(itertools.pairwise(runs))
    return {
        "gap": [b[0] - a[1] for a, b in pairs],
        "duration": [end - start for start, end, _ in runs],
        "noticed": [end - written for _, end, written in runs if written],
        "true_gap": [b[0] - a[2] for a, b in pairs if a[2]],
    }


def ms(values: list[float], q: float = 0.5) -> float | None:
    """The q-quantile (0.5: the median) of `values` in ms, or None without values."""
    if not values:
        return None
    return round((statistics.median(values) if q == 0.5 else sorted(values)[int(q * (len(values) - 1))]) * 1000, 1)


@contextlib.contextmanager
def private_engine(keep: bool):
    """A detached engine on a fresh temporary data dir → (data dir, httpx client as admin); stopped after."""
    ddir = Path(tempfile.mkdtemp(prefix="dlicli-bench-hpo-"))
    try:
        record, _ = localengine.start(ddir, port=0, slots=2)
        headers = {"Authorization": f"Bearer {localengine.admin_token(ddir)}"}
        with httpx.Client(base_url=record["url"], headers=headers, timeout=60) as client:
            yield ddir, client
    finally:
        localengine.stop(ddir)
        if not keep:
            shutil.rmtree(ddir, ignore_errors=True)


def measure(args: argparse.Namespace) -> tuple[dict[str, list[float]], list[dict]]:
    """--rounds alternations of the baselines and one search; → every round's samples, and each
    search's final task with its wall seconds (`wall`)."""
    samples: dict[str, list[float]] = {
        "spawn": [],
        "script": [],
        "gap": [],
        "duration": [],
        "noticed": [],
        "true_gap": [],
    }
    searches = []
    per_round = max(3, args.baseline_runs // args.rounds)
    with private_engine(args.keep) as (ddir, client):
        for round_no in range(args.rounds):
            samples["spawn"] += [spawn_once() for _ in range(per_round)]
            samples["script"] += script_runs(per_round, ddir / "direct")
            task, wall = run_search(client, spec(f"bench{round_no}", args.algorithm, args.experiments), timeout=600)
            searches.append({**task, "wall": wall})
            for key, values in gaps(task.get("experiments") or [], task_times(client), ddir).items():
                samples[key] += values
    return samples, searches


def summary(args: argparse.Namespace, samples: dict[str, list[float]], searches: list[dict]) -> dict:
    figures: dict = {"algorithm": args.algorithm, "experiments": args.experiments, "rounds": args.rounds}
    figures["max_parallel"] = 1
    figures["baseline_python_spawn_ms"] = ms(samples["spawn"])
    figures["baseline_script_direct_ms"] = ms(samples["script"])
    figures["states"] = sorted({task["state"] for task in searches})
    figures["finished"] = sum(task.get("complete") or 0 for task in searches)
    figures["gap_median_ms"] = ms(samples["gap"])
    figures["gap_p90_ms"] = ms(samples["gap"], 0.9)
    figures["gap_max_ms"] = ms(samples["gap"], 1.0)
    if figures["gap_median_ms"] is not None:
        figures["gap_vs_spawn_ratio"] = round(figures["gap_median_ms"] / figures["baseline_python_spawn_ms"], 2)
    figures["result_written_to_endtime_median_ms"] = ms(samples["noticed"])
    figures["result_written_to_next_start_median_ms"] = ms(samples["true_gap"])
    figures["experiment_median_ms"] = ms(samples["duration"])
    walls = [task["wall"] / max(1, args.experiments) for task in searches]
    figures["search_wall_s"] = round(sum(task["wall"] for task in searches), 2)
    figures["wall_per_experiment_ms"] = ms(walls)
    figures["engine_added_per_experiment_ms"] = round(
        figures["wall_per_experiment_ms"] - figures["baseline_script_direct_ms"], 1
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=20, help="experiments per search (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="searches, alternated with the baselines (default 3)")
    parser.add_argument("--algorithm", default="Random", help="search algorithm (default Random)")
    parser.add_argument("--baseline-runs", type=int, default=20, help="python -c pass spawns in all (default 20)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()
    args.rounds = max(1, args.rounds)
    figures = summary(args, *measure(args))
    print(json.dumps(figures) if args.json else "\n".join(f"{k:40} {v}" for k, v in figures.items()))
    return 0 if figures["states"] == ["FINISHED"] and figures["finished"] == args.experiments * args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
