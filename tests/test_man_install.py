"""The man pages ship with the package: a wheel puts man/*.1 under <prefix>/share/man/man1, where
`man dlicli-exec-start` finds them in a venv (man looks beside each bin/ on PATH)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0 and "No matching distribution found for setuptools" in proc.stderr:
        pytest.skip("no setuptools to build with (offline without a local index)")
    assert proc.returncode == 0, proc.stderr
    (path,) = out.glob("dlicli-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_the_wheel_installs_every_man_page_under_share_man_man1(wheel):
    names = wheel.namelist()
    pages = {Path(n).name for n in names if "/share/man/man1/" in n and n.split("/")[0].endswith(".data")}
    assert pages == {p.name for p in (ROOT / "man").glob("*.1")}
    assert {"dlicli.1", "dlicli-exec-start.1", "dlicli-help.1"} <= pages
    (page,) = [n for n in names if n.endswith(".data/data/share/man/man1/dlicli-exec-start.1")]
    assert wheel.read(page) == (ROOT / "man" / "dlicli-exec-start.1").read_bytes()


@pytest.mark.slow
def test_the_wheel_ships_the_help_topics(wheel):
    from dlicli.help import TOPICS

    names = set(wheel.namelist())
    assert {f"dlicli/help/{name}.txt" for name in TOPICS} <= names


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_finds_an_installed_page_beside_bin_on_path(wheel, tmp_path):
    """What a venv gets: <prefix>/bin on PATH and <prefix>/share/man/man1 beside it."""
    prefix = tmp_path / "venv"
    (prefix / "bin").mkdir(parents=True)
    for name in wheel.namelist():
        if "/share/man/man1/" in name:
            target = prefix / "share" / "man" / "man1" / Path(name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(wheel.read(name))
    env = {"PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "MANPAGER": "cat", "MANWIDTH": "80", "HOME": str(tmp_path)}
    proc = subprocess.run(["man", "-w", "dlicli-exec-start"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(prefix / "share" / "man" / "man1" / "dlicli-exec-start.1")
