"""Make the README's screenshots from real runs on a local engine of its own (a temporary data dir).

    python scripts/make_screenshots.py               # every screenshot
    python scripts/make_screenshots.py hpo-report    # only some (see SHOTS)

Each screenshot is a function in SHOTS taking the Shots context (run dlicli, a scratch dir, where
the PNGs go); add one by writing a function and a row. Needs the [plots] extra, the examples' extra
(scikit-learn) and Chromium (/usr/bin/chromium, Debian's package).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
IMG = REPO / "docs" / "img"


@dataclass
class Shots:
    """A local engine on a scratch data dir, and how to run dlicli against it."""

    scratch: Path
    jobs: int

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
        return {**env, "DLICLI_DATA_DIR": str(self.scratch / "data"), "DLICLI_CONFIG_DIR": str(self.scratch / "config")}

    def dlicli(self, *args: str, timeout: float = 1800) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "dlicli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise SystemExit(f"dlicli {' '.join(args)} → exit {proc.returncode}\n{proc.stderr}")
        return proc.stdout

    def search(self, spec: str) -> str:
        """Run one of examples/hpo/ to its end (maxJobNum cut to --jobs); returns its name."""
        body = yaml.safe_load((REPO / "examples" / "hpo" / spec).read_text())
        body["algoDef"]["maxJobNum"] = self.jobs
        path = self.scratch / spec
        path.write_text(yaml.safe_dump(body))
        self.dlicli("hpo", "start", str(path), "--model-dir", str(REPO / "examples" / "digits-mlp"), "--wait")
        return str(body["hpoName"])


def screenshot(page: Path, png: Path, size: str = "1400,2000") -> None:
    """A PNG of a page, as headless Chromium draws it once its scripts ran."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install chromium")
    args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={size}"]
    args += ["--virtual-time-budget=8000", f"--screenshot={png}", page.resolve().as_uri()]
    subprocess.run(args, check=True, capture_output=True, timeout=180)
    print(f"wrote {png.relative_to(REPO)} ({png.stat().st_size // 1024} KB)")


def hpo_report(shots: Shots) -> None:
    """Two algorithms over the digits MLP's one space (TPE and Random), in one report."""
    names = [shots.search("digits-tpe.yaml"), shots.search("digits-random.yaml")]
    page = shots.scratch / "hpo-report.html"
    started = time.perf_counter()
    shots.dlicli("hpo", "report", *names, "--html", str(page))
    print(f"hpo report --html: {time.perf_counter() - started:.2f} s (the whole command)")
    screenshot(page, IMG / "hpo-report.png")


SHOTS: dict[str, Callable[[Shots], None]] = {"hpo-report": hpo_report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help=f"which screenshots: {', '.join(SHOTS)} (default: all)")
    parser.add_argument("--jobs", type=int, default=24, help="experiments per search (default 24)")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(SHOTS))
    if unknown:
        parser.error(f"no screenshot named {', '.join(unknown)} (there are: {', '.join(SHOTS)})")
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlicli-shots-") as scratch:
        shots = Shots(Path(scratch), args.jobs)
        shots.dlicli("server", "start", "--port", "0", "--slots", "4")
        try:
            for name in args.only or list(SHOTS):
                SHOTS[name](shots)
        finally:
            shots.dlicli("server", "stop")


if __name__ == "__main__":
    main()
