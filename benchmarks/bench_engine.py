"""Benchmark the local engine: submit→RUNNING latency, concurrent submissions, idle memory.

    python benchmarks/bench_engine.py [--tasks 20] [--submissions 200] [--threads 8] [--slots 16] [--json]

Starts a private engine on a temporary data dir (dlicli.localengine, as `dlicli server start` does),
talks to it over HTTP with httpx like any client, prints the figures, and stops it. Figures:
- the engine's idle RSS right after start (VmRSS of /proc/<pid>/status), and its idle CPU: ms of
  CPU time (user + system, /proc/<pid>/stat) it used per second while nothing ran (no busy loops);
- submit→RUNNING latency, median over --tasks trivial tasks submitted one at a time (the time from
  sending POST /execs until GET /execs/{id} first shows RUNNING or later; `submit_request` is the
  POST alone), alternated one for one with a baseline: a bare `python -c pass` subprocess spawn.
  `spawn_ratio` = median latency / median spawn (aim ≤ 2: the engine adds at most one spawn's worth),
  `spawn_ratio_paired` the median of each latency over the spawn measured just before it;
- --submissions tasks submitted from --threads client threads at once: none lost (every id is in
  GET /execs), submissions per second, and the time until all of them ended.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlicli import localengine

FINAL = {"FINISHED", "FAILED", "KILLED", "ERROR"}
STARTED = {"RUNNING"} | FINAL
TRIVIAL = b"print('ok')\n"
SLEEPY = b"import time\ntime.sleep(1.5)\n"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_ms_per_s(pid: int, seconds: float = 5.0) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return round((cpu_seconds(pid) - before) * 1000 / seconds, 2)


def spawn_once() -> float:
    """Seconds for one bare `python -c pass` spawn, start to exit: the baseline of every ratio."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t0


def spawn_baseline(runs: int) -> float:
    return statistics.median(spawn_once() for _ in range(runs))


def submit(client: httpx.Client, code: bytes) -> str:
    response = client.post(
        "/execs",
        params={"args": "--exec-start python --model-main main.py"},
        files={"file": ("main.py", code, "text/x-python")},
    )
    response.raise_for_status()
    return response.json()["id"]


def submit_to_running(client: httpx.Client, tasks: int) -> dict[str, list[float]]:
    """Alternated: a bare spawn, then one task submitted and polled until RUNNING is first seen;
    → seconds per round: `spawn`, `latency` (POST → RUNNING) and `request` (the POST alone)."""
    rounds: dict[str, list[float]] = {"spawn": [], "latency": [], "request": []}
    for _ in range(tasks):
        rounds["spawn"].append(spawn_once())
        t0 = time.perf_counter()
        exec_id = submit(client, SLEEPY)
        rounds["request"].append(time.perf_counter() - t0)
        while client.get(f"/execs/{exec_id}").json()["state"] not in STARTED:
            time.sleep(0.002)
        rounds["latency"].append(time.perf_counter() - t0)
    return rounds


def latency_figures(rounds: dict[str, list[float]]) -> dict[str, float]:
    """Medians in ms and the spawn ratios of submit_to_running's rounds."""
    spawn, latency = statistics.median(rounds["spawn"]), statistics.median(rounds["latency"])
    return {
        "baseline_python_spawn_ms": round(spawn * 1000, 1),
        "submit_request_median_ms": round(statistics.median(rounds["request"]) * 1000, 1),
        "submit_to_running_median_ms": round(latency * 1000, 1),
        "submit_to_running_p90_ms": round(sorted(rounds["latency"])[int(0.9 * (len(rounds["latency"]) - 1))] * 1000, 1),
        "spawn_ratio": round(latency / spawn, 2),
        "spawn_ratio_paired": round(statistics.median(a / b for a, b in zip(rounds["latency"], rounds["spawn"])), 2),
    }


def concurrent_submissions(url: str, token: str, total: int, threads: int) -> tuple[list[str], float, int]:
    """(ids, seconds, errors) for `total` submissions spread over `threads` clients."""
    local = threading.local()
    errors = 0
    lock = threading.Lock()

    def one(_: int) -> str | None:
        nonlocal errors
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        try:
            return submit(local.client, TRIVIAL)
        except httpx.HTTPError:
            with lock:
                errors += 1
            return None

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        ids = [i for i in pool.map(one, range(total)) if i]
    return ids, time.perf_counter() - t0, errors


def wait_all_final(client: httpx.Client, ids: set[str], timeout: float) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    while True:
        tasks = {t["id"]: t["state"] for t in client.get("/execs").json() if t["id"] in ids}
        states: dict[str, int] = {}
        for state in tasks.values():
            states[state] = states.get(state, 0) + 1
        if all(s in FINAL for s in tasks.values()) or time.perf_counter() - t0 > timeout:
            return time.perf_counter() - t0, states
        time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20, help="tasks for the latency median (default 20)")
    parser.add_argument("--submissions", type=int, default=200, help="concurrent submissions (default 200)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--slots", type=int, default=16, help="engine slots (default 16)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()

    ddir = Path(tempfile.mkdtemp(prefix="dlicli-bench-"))
    figures: dict = {"slots": args.slots}
    t0 = time.perf_counter()
    record, _ = localengine.start(ddir, port=0, slots=args.slots)
    figures["engine_start_s"] = round(time.perf_counter() - t0, 3)
    try:
        pid, url, token = record["pid"], record["url"], localengine.admin_token(ddir)
        time.sleep(1.0)  # let it settle before reading its memory
        figures["idle_rss_mib"] = round(rss_kib(pid) / 1024, 1)
        figures["idle_cpu_ms_per_s"] = idle_cpu_ms_per_s(pid)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            figures.update(latency_figures(submit_to_running(client, args.tasks)))
            wait_all_final(client, {t["id"] for t in client.get("/execs").json()}, timeout=120)

            ids, seconds, errors = concurrent_submissions(url, token, args.submissions, args.threads)
            listed = {t["id"] for t in client.get("/execs").json()}
            figures["submissions"] = args.submissions
            figures["client_threads"] = args.threads
            figures["accepted"] = len(ids)
            figures["errors"] = errors
            figures["lost"] = len(set(ids) - listed) + (args.submissions - len(ids))
            figures["submissions_per_s"] = round(len(ids) / seconds, 1)
            drain, states = wait_all_final(client, set(ids), timeout=600)
            figures["all_ended_after_s"] = round(seconds + drain, 1)
            figures["final_states"] = states
            figures["rss_after_load_mib"] = round(rss_kib(pid) / 1024, 1)
    finally:
        localengine.stop(ddir)
        if not args.keep:
            shutil.rmtree(ddir, ignore_errors=True)

    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:30} {value}")
    return 1 if figures.get("lost") else 0


if __name__ == "__main__":
    sys.exit(main())
