"""Startup cost: `dlicli --version` and `dlicli exec list --json` against a bare typer app
doing the same, measured alternately in one run on this machine; prints medians and ratios.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stub import start_stub

BARE = """
import json, sys
import typer
app = typer.Typer(add_completion=False)
def _version(value: bool):
    if value:
        print("bare 0.0")
        raise typer.Exit()
@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True)):
    pass
@app.command("list")
def list_(url: str):
    import httpx
    r = httpx.get(url + "/platform/rest/deeplearning/v1/execs", headers={"Authorization": "Bearer t"})
    print(json.dumps(r.json(), indent=2))
if __name__ == "__main__":
    app()
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    httpd, url = start_stub()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        env = dict(
            os.environ,
            DLICLI_URL=url,
            DLICLI_TOKEN="bench-token",
            DLICLI_CONFIG_DIR=tmp,
            DLICLI_DATA_DIR=tmp,
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        cases = {
            "--version": ([py, "-m", "dlicli", "--version"], [py, str(bare), "--version"]),
            "exec list --json": ([py, "-m", "dlicli", "exec", "list", "--json"], [py, str(bare), "list", url]),
        }
        print(f"{'case':<18} {'dlicli ms':>10} {'bare typer ms':>14} {'ratio':>7}")
        for name, (ours, theirs) in cases.items():
            timed(ours, env), timed(theirs, env)  # warm the page cache
            a, b = [], []
            for _ in range(args.runs):
                a.append(timed(ours, env))
                b.append(timed(theirs, env))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{name:<18} {ma * 1000:>10.1f} {mb * 1000:>14.1f} {ma / mb:>7.2f}")
    httpd.shutdown()


if __name__ == "__main__":
    main()
