"""Benchmark reading a big task log: `dlicli exec logs` against a bare HTTP GET of the same log.

    python benchmarks/bench_logs.py [--lines 200000] [--rounds 5] [--json]

Starts a private engine (bench_hpo_engine.private_engine), runs one task that prints --lines lines of
~60 bytes (200 000: a 12 MB log), and then, --rounds times, alternates the baseline with each case:
- baseline: GET /execs/{id}/log?logType=outlog with httpx in this process (the engine reading the
  file and HTTP; no CLI start-up, no timestamps);
- `exec logs ID --stdout` (the CLI asks for timestamps, to merge streams; written to a file);
- `exec logs ID --stdout --tail 3`;
- `exec logs ID --stdout --timestamps`.
Each CLI case runs as a subprocess (its start-up included, ~0.3 s); printed: medians in seconds and
each case's ratio to the baseline's median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import submit
from bench_hpo_engine import private_engine

from dlicli import localengine

CASES = {
    "exec logs --stdout": ["--stdout"],
    "exec logs --stdout --tail 3": ["--stdout", "--tail", "3"],
    "exec logs --stdout --timestamps": ["--stdout", "--timestamps"],
}


def run_task(client: httpx.Client, lines: int) -> str:
    """Submit the log-printing task and wait for it to end; its id."""
    task = submit(client, f'for i in range({lines}):\n    print("line %d %s" % (i, "x" * 50))\n'.encode())
    while client.get(f"/execs/{task}").json().get("state") not in ("FINISHED", "FAILED", "KILLED", "ERROR"):
        time.sleep(0.2)
    return task


def cli_seconds(ddir: Path, task: str, args: list[str], sink: Path) -> float:
    """One `dlicli exec logs` against the private engine, its stdout to a file."""
    record = localengine.read_record(ddir) or {}
    env = {**os.environ, "DLICLI_URL": record["url"], "DLICLI_TOKEN": localengine.admin_token(ddir) or ""}
    started = time.perf_counter()
    with open(sink, "wb") as out:
        subprocess.run([sys.executable, "-m", "dlicli", "exec", "logs", task, *args], stdout=out, env=env, check=True)
    return time.perf_counter() - started


def measure(lines: int, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"baseline": [], **{name: [] for name in CASES}}
    with private_engine(keep=False) as (ddir, client), tempfile.TemporaryDirectory() as tmp:
        task = run_task(client, lines)
        sink = Path(tmp) / "out"
        for _ in range(rounds):
            for name, args in CASES.items():
                started = time.perf_counter()
                client.get(f"/execs/{task}/log", params={"logType": "outlog"}).raise_for_status()
                samples["baseline"].append(time.perf_counter() - started)
                samples[name].append(cli_seconds(ddir, task, args, sink))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines the task prints (default 200 000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    samples = measure(args.lines, args.rounds)
    base = statistics.median(samples["baseline"])
    figures = {
        name: {"median_s": round(statistics.median(v), 3), "ratio": round(statistics.median(v) / base, 2)}
        for name, v in samples.items()
    }
    if args.json:
        print(json.dumps({"lines": args.lines, **figures}))
    else:
        print(f"a {args.lines}-line log, medians of {args.rounds} alternated rounds")
        for name, fig in figures.items():
            print(f"{name:34} {fig['median_s']:>7.3f} s  {fig['ratio']:>5.2f}× baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
