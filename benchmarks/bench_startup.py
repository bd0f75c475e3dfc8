"""Start-up cost of everyday commands against the bare scripts a dlicmd.py user would compare with.

Each dlicli command runs alternately with its baseline in one run on this machine; medians and
ratios are printed (aim: every ratio <= 1.0).

- `exec list --json`, `exec get ID --json`: a bare script that does the same GET with httpx and
  prints the JSON (what IBM's dlicmd.py costs), run from a venv holding only httpx.
- `--help`: a bare script that imports httpx and prints an argparse help, same venv.

dlicli is measured as a user has it: a venv with `pip install '.[engine]'` of this tree (not
editable, so setuptools' editable finder does not run at every start-up). Both venvs are made
under benchmarks/out/ on the first run and refreshed (dlicli reinstalled) on every run.

    python benchmarks/bench_startup.py [--runs 15] [--python PY]

`--python PY` measures the dlicli installed in PY's environment instead (e.g. `.venv/bin/python`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _stub import start_stub  # noqa: E402

OUT = HERE / "out"

BARE_GET = """
import json, sys
import httpx
r = httpx.get(sys.argv[1], headers={"Authorization": "Bearer bench-token"})
print(json.dumps(r.json(), indent=2))
"""

BARE_HELP = """
import argparse
import httpx
p = argparse.ArgumentParser(prog="bare", description="a bare client")
p.add_argument("--exec-get-all", action="store_true", help="list tasks")
p.add_argument("--exec-get", metavar="ID", help="one task")
p.add_argument("--rest-host", help="server")
p.parse_args()
"""


def venv(path: Path, *packages: str, refresh: list[str] | None = None) -> str:
    """A venv at `path` with `packages` (made once), and `refresh` reinstalled every run."""
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    if refresh:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", *refresh], check=True
        )
    return str(python)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def measure(cases: dict[str, tuple[list[str], list[str]]], env: dict[str, str], runs: int) -> None:
    print(f"{'case':<22} {'dlicli ms':>10} {'baseline ms':>12} {'ratio':>7}")
    for name, (ours, theirs) in cases.items():
        timed(ours, env), timed(theirs, env)  # warm the page cache
        a, b = [], []
        for _ in range(runs):
            a.append(timed(ours, env))
            b.append(timed(theirs, env))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:<22} {ma * 1000:>10.1f} {mb * 1000:>12.1f} {ma / mb:>7.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", help="measure the dlicli of this interpreter instead of a fresh install")
    args = parser.parse_args()
    repo = str(HERE.parent)
    bare_py = venv(OUT / "venv-httpx", f"httpx=={version('httpx')}")
    ours_py = args.python or venv(OUT / "venv-full", f"{repo}[engine]", refresh=[repo])
    httpd, url = start_stub()
    api = url + "/platform/rest/deeplearning/v1"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "get.py").write_text(BARE_GET)
        (Path(tmp) / "help.py").write_text(BARE_HELP)
        env = dict(os.environ, DLICLI_URL=url, DLICLI_TOKEN="bench-token", DLICLI_CONFIG_DIR=tmp, DLICLI_DATA_DIR=tmp)
        env.pop("PYTHON_KEYRING_BACKEND", None)
        dlicli = [str(Path(ours_py).parent / "dlicli")]  # the console script, as a user runs it
        cases = {
            "exec list --json": ([*dlicli, "exec", "list", "--json"], [bare_py, f"{tmp}/get.py", api + "/execs"]),
            "exec get ID --json": (
                [*dlicli, "exec", "get", "exec-1", "--json"],
                [bare_py, f"{tmp}/get.py", api + "/execs/exec-1"],
            ),
            "--help": ([*dlicli, "--help"], [bare_py, f"{tmp}/help.py", "--help"]),
        }
        print(f"dlicli: {ours_py}\nbaseline: {bare_py} (httpx only)\n")
        measure(cases, env, args.runs)
    httpd.shutdown()


if __name__ == "__main__":
    main()
