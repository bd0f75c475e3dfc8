"""A fault/soak run of the local engine: concurrent work while the engine is killed with -9 again
and again; at the end, what was lost and what was left running.

    python benchmarks/soak.py [--duration 60] [--kills 5] [--threads 4] [--json] [--keep]

Loopback only, its own temporary data dir, bounded in time (--duration, then a bounded drain).
It starts the engine (dlicli.localengine, as `dlicli server start` does) and runs --threads client
threads that submit small tasks (POST /execs: a script that sleeps a little), one thread that starts
small HPO searches (POST /hypersearch, 2 experiments each) and, when the notebook extra is installed,
one that starts and stops the admin's notebook server. Meanwhile the engine is killed with SIGKILL
--kills times, evenly spaced, and started again each time on the same data dir. Then:

- records lost: accepted submits (an answer with an id) that GET /execs or GET /hypersearch does
  not list after the last restart (aim 0);
- orphans: after the engine has stopped everything it knows (every task and search stopped, the
  notebook server stopped) and says all of it ended, processes still alive that run in the data
  dir: task process groups the engine cannot reach any more (aim 0);
- 5xx answers seen (aim 0); and the counts of kills, submits tried/accepted, searches, notebooks.
Connection errors while the engine is down are expected and counted, never retried blindly.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlicli import localengine

TASK = b"import random, time\ntime.sleep(random.uniform(0.1, 2.0))\nprint('done')\n"
TRIAL = b"""\
import json, os, time
time.sleep(0.3)
json.dump([{"steps": 1, "loss": float(json.load(open("config.json"))["x"]) ** 2}],
          open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""
FINAL = {"FINISHED", "FAILED", "KILLED", "ERROR", "STOPPED"}
DOWN = (httpx.TransportError,)  # the engine is down or restarting: expected, counted


class Soak:
    """The engine under test, the counts, and what was accepted."""

    def __init__(self, ddir: Path, slots: int):
        self.ddir, self.slots = ddir, slots
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counts: Counter[str] = Counter()
        self.accepted_execs: set[str] = set()
        self.accepted_searches: set[str] = set()
        self.errors_5xx: list[str] = []
        self.url = ""
        self.token = ""
        self.pid = 0
        self.start()

    def start(self) -> None:
        record, _ = localengine.start(self.ddir, port=0, slots=self.slots)
        with self.lock:
            self.url, self.pid = record["url"], record["pid"]
            self.token = localengine.admin_token(self.ddir) or ""

    def client(self) -> httpx.Client:
        with self.lock:
            url, token = self.url, self.token
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=20)

    def count(self, what: str, response: httpx.Response | None = None) -> None:
        with self.lock:
            self.counts[what] += 1
            if response is not None and response.status_code >= 500:
                self.errors_5xx.append(f"{response.request.method} {response.request.url.path}: {response.text[:200]}")

    def kill(self) -> None:
        """SIGKILL the engine process (only it: its tasks run in their own sessions), then start it again."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not gone(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.count("kills")
        self.start()


def gone(pid: int) -> bool:
    """The process has ended (reaped, or a zombie: localengine started it as our child)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def processes_in(ddir: Path, exclude: set[int]) -> list[tuple[int, str]]:
    """Live processes (not zombies) whose working directory is inside `ddir`: (pid, command line)."""
    found = []
    root = str(ddir.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude or gone(int(entry.name)):
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            found.append((int(entry.name), cmd[:160]))
    return found


# -- the load ------------------------------------------------------------------------------------------


def submitter(soak: Soak) -> None:
    """Submit small tasks until told to stop; an answer with an id is an accepted record."""
    while not soak.stop.is_set():
        try:
            with soak.client() as client:
                response = client.post(
                    "/execs",
                    params={"args": "--exec-start python --model-main main.py"},
                    files={"file": ("main.py", TASK, "text/x-python")},
                )
        except DOWN:
            soak.count("submits refused: engine down")
            time.sleep(0.1)
            continue
        soak.count("submits tried", response)
        if response.status_code == 200:
            exec_id = response.json().get("id") if isinstance(response.json(), dict) else response.json()
            with soak.lock:
                soak.accepted_execs.add(str(exec_id))
            soak.count("submits accepted")
        time.sleep(random.uniform(0.05, 0.3))


def searcher(soak: Soak) -> None:
    """Start a small HPO search now and then (2 experiments, 1 at a time)."""
    n = 0
    while not soak.stop.wait(random.uniform(0.5, 2.0)):
        n += 1
        name = f"soak-{os.getpid()}-{n}"
        body = {
            "hpoName": name,
            "modelSpec": {"args": "--exec-start python --model-main main.py"},
            "algoDef": {
                "algorithm": "Random",
                "maxJobNum": 2,
                "maxParalleJob": 1,
                "objectiveMetric": "loss",
                "objective": "minimize",
            },
            "hyperParams": [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": -1, "maxDbVal": 1}],
        }
        try:
            with soak.client() as client:
                response = client.post(
                    "/hypersearch", data={"data": json.dumps(body)}, files={"file": ("main.py", TRIAL, "text/x-python")}
                )
        except DOWN:
            soak.count("searches refused: engine down")
            continue
        soak.count("searches tried", response)
        if response.status_code != 200:
            soak.count(f"searches answered {response.status_code}: {response.text[:80]}")
        else:
            with soak.lock:
                soak.accepted_searches.add(name)
            soak.count("searches accepted")


def notebooks(soak: Soak) -> None:
    """Start and stop the admin's notebook server, again and again (with the notebook extra only)."""
    while not soak.stop.wait(random.uniform(1.0, 3.0)):
        try:
            with soak.client() as client:
                started = client.post("/notebooks/admin/startservice")
                soak.count("notebook starts tried", started)
                soak.count(f"notebook starts answered {started.status_code}")
                if soak.stop.wait(random.uniform(0.5, 2.0)):
                    return
                soak.count("notebook stops tried", client.put("/notebooks/admin/stopservice"))
        except DOWN:
            soak.count("notebook calls refused: engine down")


# -- the end: what was lost, what was left -------------------------------------------------------------


def listed(soak: Soak) -> tuple[dict[str, str], dict[str, str]]:
    """Every task and search the engine lists after the last restart: id → state."""
    with soak.client() as client:
        execs = client.get("/execs")
        searches = client.get("/hypersearch")
    soak.count("final lists", execs)
    soak.count("final lists", searches)
    return {str(b["id"]): b["state"] for b in execs.json()}, {str(h["hpoName"]): h["state"] for h in searches.json()}


def stop_everything(soak: Soak, timeout: float) -> bool:
    """Ask the engine to stop every search, task and notebook it knows; → whether all ended in time."""
    deadline = time.monotonic() + timeout
    with soak.client() as client:
        for name, state in listed(soak)[1].items():
            if state not in FINAL:
                soak.count("final search stops", client.put(f"/hypersearch/{name}/force"))
        for exec_id, state in listed(soak)[0].items():
            if state not in FINAL:
                response = client.post(f"/execs/{exec_id}/stop")
                soak.count("final task stops", response)
        with contextlib.suppress(httpx.HTTPError):
            client.put("/notebooks/admin/stopservice")
    while time.monotonic() < deadline:
        execs, searches = listed(soak)
        if all(s in FINAL for s in [*execs.values(), *searches.values()]):
            return True
        time.sleep(0.25)
    return False


def run(args: argparse.Namespace, ddir: Path) -> dict:
    soak = Soak(ddir, args.slots)
    threads = [threading.Thread(target=submitter, args=(soak,), daemon=True) for _ in range(args.threads)]
    threads.append(threading.Thread(target=searcher, args=(soak,), daemon=True))
    with_notebooks = importlib.util.find_spec("jupyter_server") is not None and not args.no_notebooks
    if with_notebooks:
        threads.append(threading.Thread(target=notebooks, args=(soak,), daemon=True))
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for k in range(args.kills):
        time.sleep(max(0.0, t0 + args.duration * (k + 1) / (args.kills + 1) - time.monotonic()))
        soak.kill()
    time.sleep(max(0.0, t0 + args.duration - time.monotonic()))
    soak.stop.set()
    for thread in threads:
        thread.join(30)
    execs, searches = listed(soak)
    lost_execs = sorted(soak.accepted_execs - execs.keys())
    lost_searches = sorted(soak.accepted_searches - searches.keys())
    drained = stop_everything(soak, args.drain)
    time.sleep(1.0)  # a stopped group's last processes exit; the engine reaps them on its next tick
    orphans = processes_in(ddir, exclude={soak.pid, os.getpid()})
    return {
        "duration_s": round(time.monotonic() - t0, 1),
        "kills": soak.counts["kills"],
        "submits_tried": soak.counts["submits tried"] + soak.counts["submits refused: engine down"],
        "submits_accepted": len(soak.accepted_execs),
        "searches_accepted": len(soak.accepted_searches),
        "notebooks": with_notebooks,
        "notebook_starts": soak.counts["notebook starts tried"],
        "records_lost": len(lost_execs) + len(lost_searches),
        "lost": lost_execs + lost_searches,
        "all_ended_after_stop": drained,
        "orphans": len(orphans),
        "orphan_processes": [f"{pid} {cmd}" for pid, cmd in orphans],
        "server_errors_5xx": len(soak.errors_5xx),
        "5xx": soak.errors_5xx[:20],
        "counts": dict(sorted(soak.counts.items())),
    }


def clean_up(ddir: Path) -> None:
    """Stop the engine, then SIGKILL whatever still runs in the data dir (reported as orphans before)."""
    localengine.stop(ddir)
    for pid, _ in processes_in(ddir, exclude={os.getpid()}):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--kills", type=int, default=5, help="SIGKILLs of the engine, evenly spaced (default 5)")
    p.add_argument("--threads", type=int, default=4, help="submitting threads (default 4)")
    p.add_argument("--slots", type=int, default=4, help="the engine's task slots (default 4)")
    p.add_argument("--drain", type=float, default=60.0, help="seconds for everything to stop at the end")
    p.add_argument("--no-notebooks", action="store_true", help="leave notebook servers out")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--keep", action="store_true", help="keep the data dir and say where")
    args = p.parse_args(argv)
    ddir = Path(tempfile.mkdtemp(prefix="dlicli-soak-"))
    try:
        figures = run(args, ddir)
    finally:
        clean_up(ddir)
        if args.keep:
            print(f"data dir kept: {ddir}", file=sys.stderr)
        else:
            shutil.rmtree(ddir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
