"""The short fault/soak run (benchmarks/soak.py, as a user runs it): a real engine killed with -9
three times under concurrent submits, searches and (with the notebook extra) notebook starts loses
no accepted record, leaves no process running that it cannot reach, and answers no 5xx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine_http.conftest import clean_env

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_kill_9_under_load_loses_nothing_and_orphans_nothing():
    done = subprocess.run(
        [sys.executable, str(SOAK), "--duration", "25", "--kills", "3", "--drain", "40", "--json"],
        capture_output=True,
        text=True,
        timeout=170,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["kills"] == 3
    assert figures["submits_accepted"] > 0 and figures["searches_accepted"] > 0, figures["counts"]
    assert figures["records_lost"] == 0, figures["lost"]
    assert figures["all_ended_after_stop"], figures
    assert figures["orphans"] == 0, figures["orphan_processes"]
    assert figures["server_errors_5xx"] == 0, figures["5xx"]
