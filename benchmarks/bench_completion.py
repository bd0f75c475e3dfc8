"""One TAB: `dlicli exec list --state <TAB>` against a bare typer app completing the same kind of value.

Both run as a shell runs them (a fresh process with `_DLICLI_COMPLETE=complete_bash`, COMP_WORDS and
COMP_CWORD), alternately in one run on this machine; medians, their ratio, and dlicli's absolute time
are printed. The aim is an absolute TAB of at most 0.3 s; the ratio says how much of it is dlicli's
own (a bare typer app pays the interpreter and typer's import too).

    python benchmarks/bench_completion.py [--runs 21] [--python PY]

`--python PY` measures the dlicli installed in PY's environment (default: this interpreter's).
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

AIM_SECONDS = 0.3

BARE_APP = """
import typer

app = typer.Typer()
STATES = ["NEW", "SUBMITTED", "RUNNING", "FINISHED", "FAILED", "KILLED", "ERROR"]


def states(incomplete: str):
    return [s for s in STATES if s.lower().startswith(incomplete.lower())]


@app.command()
def main(state: str = typer.Option(None, "--state", autocompletion=states)) -> None:
    print(state)


if __name__ == "__main__":
    app(prog_name="bare")
"""

CASES = {
    "exec list --state ": ("dlicli exec list --state ", "4", "FINISHED"),
    "exec start --framework py": ("dlicli exec start --framework py", "4", "PyTorch"),
}


def timed(cmd: list[str], env: dict[str, str], expect: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or expect not in proc.stdout:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stdout[-300:]} {proc.stderr[-300:]}")
    return elapsed


def environment(tmp: str, complete_var: str, words: str, cword: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(
        {
            complete_var: "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": cword,
            "DLICLI_CONFIG_DIR": os.path.join(tmp, "config"),
            "DLICLI_DATA_DIR": os.path.join(tmp, "data"),
        }
    )
    return env


def measure(python: str, runs: int) -> bool:
    """Print one line per case; True when every median TAB is within AIM_SECONDS."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE_APP)
        bare_env = environment(tmp, "_BARE_COMPLETE", "bare --state ", "2")
        print(f"{'case':<28} {'dlicli ms':>10} {'bare typer ms':>14} {'ratio':>7}")
        for name, (words, cword, expect) in CASES.items():
            ours_cmd, ours_env = [python, "-m", "dlicli"], environment(tmp, "_DLICLI_COMPLETE", words, cword)
            theirs_cmd = [python, str(bare)]
            timed(ours_cmd, ours_env, expect), timed(theirs_cmd, bare_env, "FINISHED")  # warm the page cache
            ours, theirs = [], []
            for _ in range(runs):
                ours.append(timed(ours_cmd, ours_env, expect))
                theirs.append(timed(theirs_cmd, bare_env, "FINISHED"))
            mine, base = statistics.median(ours), statistics.median(theirs)
            ok = ok and mine <= AIM_SECONDS
            print(f"{name:<28} {mine * 1000:>10.0f} {base * 1000:>14.0f} {mine / base:>7.2f}")
    print(f"aim: every dlicli TAB <= {AIM_SECONDS * 1000:.0f} ms: {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    sys.exit(0 if measure(args.python, args.runs) else 1)


if __name__ == "__main__":
    main()
