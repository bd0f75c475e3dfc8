"""`hpo report --html`: one self-contained page, opened in real headless Chromium (Debian's
/usr/bin/chromium): every plot rendered (plotly's `.js-plotly-plot` elements and their SVGs), no
console error, no network (the page must work offline: no http(s) script or link). Also the
terminal charts on a real pseudo-terminal (`script`), and the [plots] extra missing → exit 2."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.hpo_report_data import FIXED, engine_task, one_dominant
from tests.test_hpo_wmla_shapes_cli import NAME as WMLA_NAME
from tests.test_hpo_wmla_shapes_cli import WMLA_TASK

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (.ci/run installs Debian's)")
pytestmark = pytest.mark.slow


def rendered(page: Path, tmp_path: Path) -> tuple[str, str]:
    """(the DOM after the page's scripts ran, Chromium's log) for a file opened offline."""
    assert CHROMIUM is not None
    args = [
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    args += ["--virtual-time-budget=8000", "--enable-logging=stderr", "--v=0", "--dump-dom", page.resolve().as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def console_errors(log: str) -> list[str]:
    """Chromium logs a page's console messages as `CONSOLE(line)] "text"`; errors and uncaught
    exceptions among them (the plain INFO ones are plotly's own notices)."""
    lines = [line for line in log.splitlines() if "CONSOLE" in line]
    return [line for line in lines if ":INFO:" not in line or re.search(r"error|uncaught", line, re.I)]


def plots(dom: str) -> int:
    return len(re.findall(r'class="[^"]*\bjs-plotly-plot\b', dom))


def write_page(run, env_server, tmp_path, *names_and_tasks) -> Path:
    for name, task in names_and_tasks:
        env_server.route("GET", f"/hypersearch/{name}", body=task)
    page = tmp_path / "report.html"
    result = run("hpo", "report", *(n for n, _ in names_and_tasks), "--html", str(page))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"wrote {page}") or f"wrote {page}" in result.stderr
    return page


def offline(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r'<script[^>]+src="https?:', text) and not re.search(r'<link[^>]+href="https?:', text)
    assert text.count("plotly.js v") >= 1  # plotly.js itself is in the page, once
    assert len(re.findall(r"<script[^>]*>\s*/\*\*\s*\n\* plotly\.js", text)) <= 1


@needs_chromium
def test_every_plot_of_a_search_renders_in_chromium_without_console_errors(run, env_server, tmp_path):
    page = write_page(run, env_server, tmp_path, ("s1", engine_task("s1", FIXED)))
    offline(page)
    dom, log = rendered(page, tmp_path)
    # history, parallel coordinates, slices, contour, importances
    assert plots(dom) == 5, log[-3000:]
    assert dom.count('<svg class="main-svg"') >= 10
    assert console_errors(log) == []
    table = dom[dom.index("<h2>Experiments</h2>") :]
    assert table.count("<tr") == 1 + len(FIXED)  # the failed and the running one are in the table
    assert "9999.99" not in table and '<tr class="best"><td>s1</td><td>4</td>' in table


@needs_chromium
def test_the_console_check_sees_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("boom"); null.x;</script></body></html>')
    _, log = rendered(page, tmp_path)
    assert console_errors(log), log[-2000:]


@needs_chromium
def test_one_parameter_renders_the_plots_it_can_and_says_why_not_the_rest(run, env_server, tmp_path):
    page = write_page(run, env_server, tmp_path, (WMLA_NAME, WMLA_TASK))
    dom, log = rendered(page, tmp_path)
    assert plots(dom) == 3  # history, parallel coordinates, slices: no contour, no importances
    assert "no contour and no importances (they need two)" in dom
    assert console_errors(log) == []


@needs_chromium
def test_two_searches_overlay_one_history_line_each_and_a_search_column(run, env_server, tmp_path):
    page = write_page(
        run, env_server, tmp_path, ("a", engine_task("a", FIXED)), ("b", engine_task("b", one_dominant(12)))
    )
    dom, log = rendered(page, tmp_path)
    assert plots(dom) == 5 and console_errors(log) == []
    history = page.read_text().split("<h2>Parallel coordinates</h2>")[0]
    assert '"name":"Best Value of a"' in history and '"name":"Best Value of b"' in history
    table = dom[dom.index("<h2>Experiments</h2>") :]
    assert "<th>SEARCH</th>" in table and table.count("<td>b</td>") == 12


def test_on_a_terminal_the_report_is_charts_fitted_to_its_width(env_server):
    env_server.route("GET", "/hypersearch/s1", body=engine_task("s1", FIXED))
    env = dict(os.environ, DLICLI_URL=env_server.root, DLICLI_TOKEN=TOKEN, COLUMNS="80", LINES="40")
    env.pop("_TYPER_FORCE_DISABLE_TERMINAL", None)
    command = f"{sys.executable} -m dlicli hpo report s1"
    proc = subprocess.run(
        ["script", "-qec", command, "/dev/null"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", proc.stdout).replace("\r", "")
    for title in (
        "accuracy per experiment (maximize)",
        "lr against accuracy",
        "hidden against accuracy",
        "opt against accuracy",
    ):
        assert title in text
    assert "parameter importances" in text and "┌" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert re.search(r"opt\s+adam", text) and re.search(r"hidden\s+64", text)  # the best's table


def test_without_the_plots_extra_it_says_how_to_install_it(env_server, tmp_path):
    blocker = tmp_path / "block"
    for module in ("plotly", "plotext"):
        (blocker / module).mkdir(parents=True)
        (blocker / module / "__init__.py").write_text(f"raise ImportError('no {module} here')\n")
    env_server.route("GET", "/hypersearch/s1", body=engine_task("s1", FIXED))
    env = dict(os.environ, DLICLI_URL=env_server.root, DLICLI_TOKEN=TOKEN, PYTHONPATH=str(blocker))
    args = [sys.executable, "-m", "dlicli", "hpo", "report", "s1", "--html", str(tmp_path / "r.html")]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "error: hpo report needs plotly, from the [plots] extra",
        "hint: pip install 'dlicli[plots]'",
    ]
    assert env_server.api_requests() == []  # refused before any request
    assert not (tmp_path / "r.html").exists()
