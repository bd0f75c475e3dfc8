#!/usr/bin/env python3
"""The screenshots of README.md and docs/: real output, made from a real local engine.

    python scripts/make_screenshots.py          # every screenshot, into docs/img/
    python scripts/make_screenshots.py top      # only docs/img/top.png
    python scripts/make_screenshots.py hpo-report   # only docs/img/hpo-report.png

`shoot_top()` starts a throw-away local engine (its own data dir, a free port), puts work in it (a
few training tasks printing epochs, one finished, an HPO search running two experiments at a time),
runs `dlicli top`'s console headless at a fixed size, saves Textual's SVG screenshot and turns it
into a PNG with headless Chromium (/usr/bin/chromium, or $CHROMIUM). Needs the tui extra.

`shoot_hpo_report()` runs examples/hpo/digits-tpe.yaml and digits-random.yaml (one space, two
algorithms) to their end on a throw-away engine, writes `dlicli hpo report` of both as HTML and
screenshots the page with headless Chromium. Needs the plots and examples extras.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMG = ROOT / "docs" / "img"
TOP_SIZE = (150, 40)  # columns, rows of the console
MAX_PNG_BYTES = 500_000

TRAIN = """\
import sys, time
epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 50
for epoch in range(1, epochs + 1):
    print(f"epoch {epoch}/{epochs} loss={1.0 / epoch:.4f} acc={1 - 0.5 / epoch:.3f}", flush=True)
    time.sleep(1.5)
"""
QUADRATIC = """\
import json, os, sys, time
cfg = json.load(open("config.json"))
time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]) if "--sleep" in sys.argv else 0)
loss = (float(cfg["lr"]) * 100 - 1) ** 2 + (float(cfg["momentum"]) - 0.9) ** 2
print(f"loss={loss:.4f}", flush=True)
values = [{"steps": 1, "loss": loss}]
json.dump(values, open(os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json"), "w"))
"""
SEARCH = {
    "hpoName": "mnist-lr-search",
    "modelSpec": {"args": "--exec-start python --model-dir quad --model-main main.py --sleep 4"},
    "algoDef": {
        "algorithm": "TPE",
        "objective": "minimize",
        "objectiveMetric": "loss",
        "maxJobNum": 12,
        "maxParalleJob": 2,
    },
    "hyperParams": [
        {"name": "lr", "type": "Range", "dataType": "double", "minDbVal": 0.001, "maxDbVal": 0.1},
        {"name": "momentum", "type": "Range", "dataType": "double", "minDbVal": 0.5, "maxDbVal": 0.99},
    ],
}


def model_tar(name: str, main: str) -> bytes:
    """A model dir `name/main.py` as dlicmd.py packs it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = main.encode()
        info = tarfile.TarInfo(f"{name}/main.py")
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Engine:
    """A local engine process in `data_dir`, stopped (and its tasks killed) by `stop()`."""

    def __init__(self, data_dir: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
        args = ["--data-dir", str(data_dir), "--port", "0", "--slots", "8", "--grace-seconds", "1"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dlicli.engine.serve", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        info = wait_for(lambda: _engine_info(data_dir, self.proc.pid), "the engine to start")
        self.url = info["url"]
        self.token = (data_dir / "admin.token").read_text().strip()

    def client(self) -> Any:
        from dlicli.client.http import HttpSession, authorization_header
        from dlicli.client.operations import DlpdClient

        return DlpdClient(HttpSession(self.url, authorization_header(token=self.token), timeout=10.0))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def _engine_info(data_dir: Path, pid: int) -> dict | None:
    try:
        info = json.loads((data_dir / "engine.json").read_text())
    except (OSError, ValueError):
        return None
    return info if info.get("pid") == pid else None


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def put_work(client: Any) -> None:
    """Two resource plans, three training tasks (one short, so it finishes) and a search."""
    client.create_resplan({"name": "research", "labels": [{"key": "cpu", "value": "8"}]})
    client.create_resplan({"name": "vision", "parent": "research", "labels": [{"key": "cpu", "value": "4"}]})
    for name, epochs, plan in (("resnet50", 200, "vision"), ("bert-base", 200, "research"), ("mnist", 1, "research")):
        args = f"--exec-start PyTorch --model-dir {name} --model-main main.py --resplan {plan} --epochs {epochs}"
        client.execs_post(args, f"{name}.modelDir.tar", model_tar(name, TRAIN))
    client.start_hpo(json.dumps(SEARCH), "quad.modelDir.tar", model_tar("quad", QUADRATIC))


async def _shoot(client: Any, url: str, svg: Path) -> None:
    from dlicli.top.app import TopApp

    app = TopApp(client, interval=1.0, server=url)
    async with app.run_test(size=TOP_SIZE) as pilot:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # until every pane has something worth showing
            tasks, searches = app.shown_rows("tasks"), app.shown_rows("searches")
            lines = [row for row in tasks if row[1] == "RUNNING" and row[5]]
            if len(lines) >= 2 and any(row[0] == SEARCH["hpoName"] and row[3] for row in searches):
                break
            await pilot.pause(0.5)
        await pilot.pause(0.5)
        app.save_screenshot(svg.name, str(svg.parent))


def svg_to_png(svg: Path, png: Path) -> None:
    """Headless Chromium renders the SVG at its own size (its viewBox) into `png`."""
    import re

    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text())
    width, height = (int(float(box.group(1))), int(float(box.group(2)))) if box else (1800, 1100)
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    page = svg.with_suffix(".html")
    page.write_text(
        f'<html><body style="margin:0"><img src="{svg.name}" width="{width}" height="{height}"></body></html>'
    )
    command = [chromium, "--headless=new", "--disable-gpu", "--hide-scrollbars", f"--screenshot={png}"]
    command += [f"--window-size={width},{height}", page.as_uri()]
    if os.geteuid() == 0:
        command.insert(1, "--no-sandbox")
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def shoot_top(out: Path = IMG / "top.png") -> Path:
    """docs/img/top.png: `dlicli top` over a local engine with tasks and a search running."""
    with tempfile.TemporaryDirectory(prefix="dlicli-shot-") as tmp:
        engine = Engine(Path(tmp) / "data")
        try:
            client = engine.client()
            put_work(client)
            svg = Path(tmp) / "top.svg"
            asyncio.run(_shoot(client, engine.url, svg))
            out.parent.mkdir(parents=True, exist_ok=True)
            svg_to_png(svg, out)
        finally:
            engine.stop()
    size = out.stat().st_size
    if size > MAX_PNG_BYTES:
        raise SystemExit(f"{out} is {size} bytes, more than {MAX_PNG_BYTES}")
    return out


HPO_SEARCHES = ("digits-tpe.yaml", "digits-random.yaml")  # one space, two algorithms
HPO_PAGE_SIZE = "1400,2000"


def _dlicli(engine: Engine, *args: str, timeout: float = 1800) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLICLI_")}
    env.update(DLICLI_URL=engine.url, DLICLI_TOKEN=engine.token)
    proc = subprocess.run(
        [sys.executable, "-m", "dlicli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise SystemExit(f"dlicli {' '.join(args)} → exit {proc.returncode}\n{proc.stderr}")
    return proc.stdout


def run_digits_searches(engine: Engine) -> list[str]:
    """Start the digits searches side by side and wait for both; their names."""
    names = []
    for spec in HPO_SEARCHES:
        path = ROOT / "examples" / "hpo" / spec
        names.append(
            _dlicli(engine, "hpo", "start", str(path), "--model-dir", str(ROOT / "examples" / "digits-mlp")).strip()
        )
    for name in names:
        _dlicli(engine, "hpo", "wait", name)
    return names


def shoot_hpo_report(out: Path = IMG / "hpo-report.png") -> Path:
    """docs/img/hpo-report.png: `dlicli hpo report digits-tpe digits-random --html`, as Chromium draws it."""
    with tempfile.TemporaryDirectory(prefix="dlicli-shot-") as tmp:
        engine = Engine(Path(tmp) / "data")
        try:
            names = run_digits_searches(engine)
            page = Path(tmp) / "hpo-report.html"
            started = time.perf_counter()
            _dlicli(engine, "hpo", "report", *names, "--html", str(page))
            print(f"hpo report --html: {time.perf_counter() - started:.2f} s (the whole command)", file=sys.stderr)
        finally:
            engine.stop()
        chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
        command = [chromium, "--headless=new", "--disable-gpu", "--hide-scrollbars", f"--window-size={HPO_PAGE_SIZE}"]
        command += ["--virtual-time-budget=8000", f"--screenshot={out}", page.as_uri()]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(command, check=True, capture_output=True, timeout=180)
    size = out.stat().st_size
    if size > MAX_PNG_BYTES:
        raise SystemExit(f"{out} is {size} bytes, more than {MAX_PNG_BYTES}")
    return out


SHOTS: dict[str, Callable[[], Path]] = {"top": shoot_top, "hpo-report": shoot_hpo_report}


def main(argv: list[str] | None = None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or list(SHOTS)
    unknown = [name for name in names if name not in SHOTS]
    if unknown:
        print(f"unknown screenshot(s): {', '.join(unknown)}; known: {', '.join(SHOTS)}", file=sys.stderr)
        return 2
    for name in names:
        print(SHOTS[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
